import type { StudySpec, TrialState } from "../model/trial";
import type { Config, SpaceDef } from "../space/types";
import type { JsonObject, JsonValue } from "../util/json";

/**
 * The operations a study is made of. Every storage reduces to appending
 * these and reading them back in order (as Optuna's journal storage does);
 * the on-disk journal writes them one JSON line each. Opcodes are stable:
 * never rename one, add new ones instead, and bump JOURNAL_VERSION when a
 * reader of the old version would misread the new file.
 */
export type StudyOp =
  | { readonly op: "study"; readonly v: number; readonly spec: StudySpec }
  | {
      readonly op: "trial";
      readonly n: number;
      readonly params: Config;
      readonly t: number;
      readonly sys?: JsonObject;
      readonly budget?: number;
    }
  | { readonly op: "report"; readonly n: number; readonly step: number; readonly v: Readonly<Record<string, number>>; readonly t?: number }
  | { readonly op: "sys"; readonly n: number; readonly sys: JsonObject }
  | {
      readonly op: "end";
      readonly n: number;
      readonly state: Exclude<TrialState, "running">;
      readonly t: number;
      readonly value?: number;
      readonly metrics?: Readonly<Record<string, number>>;
      readonly error?: string;
    }
  /** `i`: the configuration's queue position (absent in journals written before format 2). */
  | { readonly op: "enqueue"; readonly params: Config; readonly i?: number }
  // ---- the user's record (format 3; bounds in user.ts) ----
  /** Sets attribute `k` of trial `n` (any state) to the JSON value `v`. */
  | { readonly op: "attr"; readonly n: number; readonly k: string; readonly v: JsonValue }
  /** Replaces the markdown note of trial `n`, or of the study when `n` is absent ("" clears it). */
  | { readonly op: "note"; readonly n?: number; readonly md: string }
  // ---- ranges that grow (issue 17 part 3) ----
  /**
   * The study's space widened mid-study (src/space/extend.ts): `space` holds the new definitions
   * of the parameters it widens, the others keep theirs; `v`: this record's format (1).
   * Readers before it skip the line as a foreign record (and keep proposing in the old space).
   */
  | { readonly op: "extend"; readonly v: number; readonly space: SpaceDef; readonly t: number };

/** The format of "extend" records this code writes and reads. */
export const EXTEND_VERSION = 1;

/**
 * The journal format this code writes; it reads this version and older.
 * 1: one JSON operation per line.
 * 2: every line also ends with its CRC-32 (`,"c":"<8 hex digits>"}`, see journal-format.ts),
 *    and "enqueue" records their queue position `i`, so a damaged, duplicated or moved line is
 *    recognised instead of being read as something else. Version-1 files are read as before
 *    (lines with a checksum are checked; lines without one are taken as they are) and keep
 *    their version when appended to; new files are version 2, which older tunelab refuses
 *    (storage.newer_format) rather than appending records it would not check.
 * 3: "attr" and "note" records (the user's attributes and notes, user.ts). A version-2 reader
 *    would skip them as damaged lines with a warning, so new files are version 3, which older
 *    tunelab refuses. Files of versions 1 and 2 keep their version when appended to, with
 *    attributes and notes too (this code reads them in any version; an older tunelab reading
 *    such a file skips those lines, with a warning, and reads the rest).
 */
export const JOURNAL_VERSION = 3;

/** What a finished trial ends with. */
export interface TrialOutcome {
  readonly state: Exclude<TrialState, "running">;
  readonly value?: number;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly error?: string;
  /** Merged into the trial's system record. */
  readonly system?: JsonObject;
}

/** A new trial as a strategy proposed it. */
export interface NewTrial {
  readonly params: Config;
  readonly system?: JsonObject;
  readonly budget?: number;
}
