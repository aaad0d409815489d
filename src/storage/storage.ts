import type { FrozenTrial, StudySnapshot, StudySpec } from "../model/trial";
import type { Config } from "../space/types";
import type { JsonObject } from "../util/json";
import type { NewTrial, TrialOutcome } from "../record/ops";

/**
 * Where studies live. The contract every implementation keeps (tested once
 * for all of them in test/storage/contract.test.ts):
 *
 * - `openStudy` creates a study, or opens the existing one of that name and
 *   returns its stored spec (the caller decides whether it matches).
 * - `createTrial` reads the latest state (including other processes' writes),
 *   calls `propose` with it and the new trial's number, and records the new
 *   running trial — atomically, so two workers never get the same number and
 *   a grid never hands out a position twice. `propose` returning undefined
 *   creates nothing.
 * - `report` appends intermediate values of a running trial.
 * - `finishTrial` ends a running trial once; ending it again is an error.
 * - Every method returns the study's latest snapshot; snapshots are
 *   read-only views, valid until the next call.
 *
 * Implementations are async because a database is; the on-disk journal does
 * its file work synchronously inside (appends are microseconds).
 */
export interface Storage {
  /** A short description for messages, e.g. "journal .tunelab/". */
  readonly description: string;
  /**
   * What kind of place this is, for the views: "journal" (files on disk that JupyterLab's study
   * browser reads), "memory" (gone with the process), or another name; absent: unknown.
   */
  readonly kind?: string;
  openStudy(spec: StudySpec): Promise<StudySnapshot>;
  /** The latest snapshot of an open study. */
  load(study: string): Promise<StudySnapshot>;
  createTrial(study: string, propose: (snapshot: StudySnapshot, number: number) => NewTrial | undefined): Promise<{ trial?: FrozenTrial; snapshot: StudySnapshot }>;
  report(study: string, trial: number, step: number, values: Readonly<Record<string, number>>): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }>;
  setSystem(study: string, trial: number, system: JsonObject): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }>;
  finishTrial(study: string, trial: number, outcome: TrialOutcome): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }>;
  enqueue(study: string, params: Config): Promise<StudySnapshot>;
  /** Names of the studies this storage holds. */
  listStudies(): Promise<string[]>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
