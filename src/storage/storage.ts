import type { FrozenTrial, StudySnapshot, StudySpec } from "../model/trial";
import type { Config, SpaceDef } from "../space/types";
import type { JsonObject, JsonValue } from "../util/json";
import type { NewTrial, TrialOutcome } from "../record/ops";

/**
 * What a write's callback may do besides its own operation, on the state the write holds
 * (every other writer waits until it is recorded).
 */
export interface WriteContext {
  /**
   * The storage's clock at this write, in epoch milliseconds: the database server's for
   * PostgreSQL (so workers' clock skew doesn't matter), this machine's otherwise. Trial starts
   * and ends recorded in this write carry it.
   */
  readonly now: number;
  /**
   * The last heartbeat of a trial (Storage.heartbeat) in the storage's clock, or undefined
   * when it never had one (its start is then its last sign of life).
   */
  lastBeat(trial: number): number | undefined;
  /**
   * Ends another running trial in this same write (one whose heartbeat is stale, say), with
   * the same checks as finishTrial; returns its record.
   */
  finish(trial: number, outcome: TrialOutcome): FrozenTrial;
}

/** What a report's callback decides on the reported values: bookkeeping stored with them. */
export interface ReportDecision {
  /** Merged into the trial's system record in the same write as the report. */
  readonly system?: JsonObject;
}

/**
 * Where studies live. The contract every implementation keeps (tested once
 * for all of them in test/storage/contract.test.ts):
 *
 * - `openStudy` creates a study, or opens the existing one of that name and
 *   returns its stored spec (the caller decides whether it matches);
 *   `openExisting` opens only an existing one.
 * - `createTrial` reads the latest state (including other processes' writes),
 *   calls `propose` with it and the new trial's number, and records the new
 *   running trial — atomically, so two workers never get the same number and
 *   a grid never hands out a position twice. `propose` returning undefined
 *   creates nothing. `propose` runs while other writers wait: it must be quick
 *   (a model fit belongs before the call; Study.ask does that), and it may run
 *   again if the write has to be retried (a dropped database connection), so it
 *   must not have effects outside the state it is given.
 * - `report` appends intermediate values of a running trial and, in the same
 *   write, records what `decide` concludes from them (a stopping rule's
 *   bookkeeping), so a reported value and the decision made on it are stored
 *   together or not at all.
 * - `finishTrial` ends a running trial once; ending it again is an error.
 * - `setAttr` and `setNote` record the user's attributes and notes (src/record/user.ts bounds)
 *   of a trial in any state, or the study's note; another handle and a fresh reader see them.
 * - `heartbeat` records, in the storage's clock, that a worker is alive and
 *   running some trials; writes read it back through WriteContext.lastBeat.
 * - `watch` calls a listener when other handles write to the study.
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
   * browser reads), "memory" (gone with the process), "postgresql", or another name; absent: unknown.
   */
  readonly kind?: string;
  /**
   * Where it keeps studies, as openStorage reads it back (a study file may hold it): "memory",
   * an absolute folder, or a postgresql:// URL with its password hidden.
   */
  readonly location: string;
  /** Where one study is kept, for messages: its journal file, "memory", or the database (password hidden). */
  where(study: string): string;
  openStudy(spec: StudySpec): Promise<StudySnapshot>;
  /**
   * Opens the stored study of that name, with the spec it was created with (a notebook that
   * watches a study run elsewhere knows only its name), or resolves to undefined when there is
   * none. Never creates a study.
   */
  openExisting(study: string): Promise<StudySnapshot | undefined>;
  /** The latest snapshot of an open study. */
  load(study: string): Promise<StudySnapshot>;
  createTrial(study: string, propose: (snapshot: StudySnapshot, number: number, write: WriteContext) => NewTrial | undefined): Promise<{ trial?: FrozenTrial; snapshot: StudySnapshot }>;
  report<D extends ReportDecision = ReportDecision>(
    study: string,
    trial: number,
    step: number,
    values: Readonly<Record<string, number>>,
    decide?: (snapshot: StudySnapshot, trial: FrozenTrial, write: WriteContext) => D | undefined,
  ): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot; decision?: D }>;
  setSystem(study: string, trial: number, system: JsonObject): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }>;
  finishTrial(study: string, trial: number, outcome: TrialOutcome): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }>;
  enqueue(study: string, params: Config): Promise<StudySnapshot>;
  // ---- the user's record (src/record/user.ts) ----
  /** Sets attribute `key` of a trial (in any state) to a JSON value; checked against user.ts's bounds. */
  setAttr(study: string, trial: number, key: string, value: JsonValue): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }>;
  /** Replaces the markdown note of a trial, or of the study when `trial` is null ("" clears it). */
  setNote(study: string, trial: number | null, md: string): Promise<StudySnapshot>;
  /**
   * Records `patch` (parameter → wider definition) as the study's next space extension, after
   * checking, on the latest state, that it widens the current space (src/space/extend.ts);
   * every handle's next snapshot carries the new space.
   */
  extendSpace(study: string, patch: SpaceDef): Promise<StudySnapshot>;
  /**
   * Records the storage's current time as the last heartbeat of `trials` (running trials of
   * the worker `owner`, see record/system.ts workerKey). Kept beside the study's operations,
   * not among them: a beat every few seconds must not grow the study's log.
   */
  heartbeat(study: string, owner: string, trials: readonly number[]): Promise<void>;
  /**
   * How another handle on this storage, in another thread, beats for `study` (src/storage/beats.ts
   * opens it): undefined, or no such method, when there is nothing to beat for (memory: a study
   * in memory ends with its process, so no trial of it can outlive its worker).
   */
  heartbeatTarget?(study: string): HeartbeatTarget | undefined;
  /**
   * Calls `listener` (with no arguments: `load` reads what changed) soon after another handle
   * writes to the study: at once in memory, through LISTEN/NOTIFY on PostgreSQL, by watching the
   * file for the journal. Returns the function that stops watching.
   */
  watch(study: string, listener: () => void): () => void;
  /** Names of the studies this storage holds. */
  listStudies(): Promise<string[]>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}

/** Where a heartbeat thread writes beats (plain data: it is sent to the thread). */
export type HeartbeatTarget =
  | { readonly kind: "journal"; readonly file: string; readonly study: string }
  | { readonly kind: "postgresql"; readonly url: string; readonly study: string };
