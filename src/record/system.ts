import { isPlainObject, type JsonObject, type JsonValue } from "../util/json";

/**
 * The schema of a trial's `system` record: the bookkeeping that strategies and the engine keep
 * with a trial, in storage (DESIGN.md §2), so any process sharing a study and a resumed study
 * read the same state. Every key is named here once and read through the readers below, which
 * check what they read: a record comes from a journal, a database or a notebook payload that
 * anyone may have written, so a reader returns undefined (or null) for a value of the wrong
 * shape instead of trusting it. Browser-safe (the extension's views read the same record).
 *
 * | key         | written by                               | value                                                   |
 * |-------------|------------------------------------------|---------------------------------------------------------|
 * | `grid`      | the grid strategy                        | the configuration's grid position                       |
 * | `queued`    | Study.ask                                | the queue position of the enqueued configuration it ran |
 * | `hyperband` | hyperband / asha                         | `{ bracket, rungs, values, hedged? }` (RungRecord)      |
 * | `model`     | hyperband / asha with a model sampler    | the sampler's own record, plus the `budget` it fitted at |
 * | `gp`        | the bayesian strategy                    | `{ theta }`: the fitted GP hyperparameters (warm start) |
 * | `stopped`   | the run loop and the stopping rules      | why the engine stopped it (StopCause)                   |
 * | `failure`   | tell, for infrastructure failures        | `{ kind, cause, retry, copy? }` (FailureRecord)         |
 * | `retry`     | the copy of a trial lost to the infrastructure | `{ of, from, attempt, history }` (RetryRecord)    |
 * | `process`   | command()                                | the trial's process (ProcessRecord)                     |
 * | `command`   | command()                                | `{ argv, log, tail, ... }` (CommandRecord)              |
 * | `lost`      | the journal reader                       | `{ line }`: a placeholder of a lost trial               |
 * | `owner`     | the worker that runs the trial           | `{ host, pid, start }` (WorkerIdentity), plus `boot`,   |
 * |             | (Study.ask, with heartbeats)             | `pidns`, `ticks`: a dead process of this machine is     |
 * |             |                                          | known at once (src/study/heartbeat.ts OwnerRecord)      |
 *
 * A trial's liveness (its heartbeat) is not in this record: a heartbeat every few seconds would
 * rewrite the record and grow the study's log by a line each time. Storages keep it beside the
 * log, in their own clock (Storage.heartbeat).
 */
export const GRID_KEY = "grid";
export const QUEUE_KEY = "queued";
export const HYPERBAND_KEY = "hyperband";
export const MODEL_KEY = "model";
export const GP_KEY = "gp";
export const STOPPED_KEY = "stopped";
export const FAILURE_KEY = "failure";
export const RETRY_KEY = "retry";
export const PROCESS_KEY = "process";
export const COMMAND_KEY = "command";
export const LOST_KEY = "lost";
export const OWNER_KEY = "owner";
/** The space version (count of extensions) a grid trial's position is in; absent: the space as created. */
export const GRID_SPACE_KEY = "gridSpace";

/** Every key of the schema. */
export const SYSTEM_KEYS = [GRID_KEY, QUEUE_KEY, HYPERBAND_KEY, MODEL_KEY, GP_KEY, STOPPED_KEY, FAILURE_KEY, RETRY_KEY, PROCESS_KEY, COMMAND_KEY, LOST_KEY, OWNER_KEY, GRID_SPACE_KEY] as const;

/** A trial's system record as readers get it (a FrozenTrial's, or a payload's, which may be missing). */
export type SystemRecord = Readonly<Record<string, unknown>> | null | undefined;

/** Bounds on what is read from a record (it may come from anywhere). */
export const MAX_BRACKET = 64;
export const MAX_RUNGS = 64;

// ---- positions -----------------------------------------------------------------------------

/** A position (an integer >= 0) under `key`, else undefined. */
function position(system: SystemRecord, key: string): number | undefined {
  const v = system?.[key];
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

/** The grid position of a grid strategy's trial. */
export function gridPositionOf(system: SystemRecord): number | undefined {
  return position(system, GRID_KEY);
}

/** The queue position of the enqueued configuration a trial ran. */
export function queuePositionOf(system: SystemRecord): number | undefined {
  return position(system, QUEUE_KEY);
}

// ---- multi-fidelity ------------------------------------------------------------------------

/** What a Hyperband/ASHA trial keeps under `hyperband`. */
export interface RungRecord {
  /** 0 = the most aggressive bracket (first judged at the minimum resource). */
  readonly bracket: number;
  /** The resources (steps) at which the trial is judged, ascending, all below the maximum. */
  readonly rungs: readonly number[];
  /** The objective value the trial had at each rung it reached, in order (null: not finite). */
  readonly values: readonly (number | null)[];
  /**
   * The rungs (indices into `rungs`) that would have stopped the trial but where hedged
   * stopping let it go on (HyperbandOptions.hedge); absent when there were none.
   */
  readonly hedged?: readonly number[];
}

/**
 * The trial's rung record, or undefined (an enqueued trial, another strategy's trial, a
 * malformed record): an integer bracket 0..MAX_BRACKET and at most MAX_RUNGS ascending finite
 * rungs. Values that are not an array of at most MAX_RUNGS numbers (or nulls) read as none.
 */
export function rungRecordOf(system: SystemRecord): RungRecord | undefined {
  const r = system?.[HYPERBAND_KEY];
  if (!isPlainObject(r)) return undefined;
  const { bracket, rungs, values } = r as Record<string, unknown>;
  if (typeof bracket !== "number" || !Number.isInteger(bracket) || bracket < 0 || bracket > MAX_BRACKET) return undefined;
  if (!Array.isArray(rungs) || rungs.length > MAX_RUNGS) return undefined;
  for (let i = 0; i < rungs.length; i++) {
    const x: unknown = rungs[i];
    if (typeof x !== "number" || !Number.isFinite(x) || (i > 0 && x <= (rungs[i - 1] as number))) return undefined;
  }
  const valid = Array.isArray(values) && values.length <= MAX_RUNGS && values.every((v: unknown) => v === null || typeof v === "number");
  const hedged = (r as Record<string, unknown>)["hedged"];
  const hedgedOk = hedged === undefined || (Array.isArray(hedged) && hedged.length <= MAX_RUNGS && hedged.every((k: unknown) => typeof k === "number" && Number.isInteger(k) && k >= 0 && k < MAX_RUNGS));
  if (valid && hedgedOk) return r as unknown as RungRecord;
  return { bracket, rungs: rungs as number[], values: valid ? (values as (number | null)[]) : [] };
}

/** The record a multi-fidelity strategy's model sampler saved with the trial (its `system` as the model sees it). */
export function modelRecordOf(system: SystemRecord): JsonObject | undefined {
  const m = system?.[MODEL_KEY];
  return isPlainObject(m) ? (m as JsonObject) : undefined;
}

/** The GP hyperparameters the bayesian strategy fitted when it proposed the trial. */
export function gpThetaOf(system: SystemRecord): number[] | undefined {
  const g = system?.[GP_KEY];
  if (!isPlainObject(g)) return undefined;
  const theta = g["theta"];
  return Array.isArray(theta) && theta.every((v) => typeof v === "number" && Number.isFinite(v)) ? (theta as number[]) : undefined;
}

// ---- why the engine stopped a trial ----------------------------------------------------------

/**
 * Why the engine stopped a trial: at a Hyperband/ASHA rung, by the median rule (those end it
 * pruned), or, failing it, by the run's trial timeout, an interrupt or the study's time limit.
 */
export const StopCauses = ["rung", "median", "timeout", "interrupt", "time"] as const;
export type StopCause = (typeof StopCauses)[number];

export function stopCauseOf(system: SystemRecord): StopCause | undefined {
  const s = system?.[STOPPED_KEY];
  return typeof s === "string" && (StopCauses as readonly string[]).includes(s) ? (s as StopCause) : undefined;
}

/** The `stopped` entry of a system record (for a decision or an outcome). */
export function stoppedBy(cause: StopCause): JsonObject {
  return { [STOPPED_KEY]: cause };
}

// ---- infrastructure failures and retries (src/study/retry.ts has the policy) ----------------

/** Causes of an infrastructure failure. */
export const InfrastructureCauses = ["signal", "oom", "spawn", "orphaned", "stale"] as const;
export type InfrastructureCause = (typeof InfrastructureCauses)[number];

/** The `failure` record of a trial lost to the infrastructure. */
export interface FailureRecord {
  readonly kind: "infrastructure";
  /** One of InfrastructureCauses, or what a newer tunelab wrote. */
  readonly cause: string;
  /** "requested": a copy is owed; "exhausted": it was the last attempt; "off": no retries asked. */
  readonly retry: "requested" | "exhausted" | "off";
  /** The bookkeeping the copy starts with (when requested). */
  readonly copy?: JsonObject;
}

export function failureOf(system: SystemRecord): FailureRecord | undefined {
  const f = system?.[FAILURE_KEY];
  if (!isPlainObject(f) || f["kind"] !== "infrastructure") return undefined;
  const retry = f["retry"];
  if (retry !== "requested" && retry !== "exhausted" && retry !== "off") return undefined;
  if (f["copy"] !== undefined && !isPlainObject(f["copy"])) return undefined;
  return { kind: "infrastructure", cause: typeof f["cause"] === "string" ? f["cause"] : "unknown", retry, ...(f["copy"] !== undefined ? { copy: f["copy"] as JsonObject } : {}) };
}

/** The `retry` record of a copy of a trial lost to the infrastructure. */
export interface RetryRecord {
  /** The first trial of the chain. */
  readonly of: number;
  /** The trial this one repeats. */
  readonly from: number;
  /** 1..n */
  readonly attempt: number;
  /** Per earlier attempt: `{ trial, cause, error }`. */
  readonly history: readonly JsonValue[];
}

export function retryOf(system: SystemRecord): RetryRecord | undefined {
  const r = system?.[RETRY_KEY];
  if (!isPlainObject(r)) return undefined;
  const { of, from, attempt, history } = r;
  if (typeof from !== "number" || typeof attempt !== "number") return undefined;
  return { of: typeof of === "number" ? of : from, from, attempt, history: Array.isArray(history) ? history : [] };
}

/** The trial a retry copy repeats (what the retry queue looks for), else undefined. */
export function retryFromOf(system: SystemRecord): number | undefined {
  const r = system?.[RETRY_KEY];
  if (!isPlainObject(r)) return undefined;
  const { from } = r;
  return typeof from === "number" ? from : undefined;
}

// ---- external processes (command()) ------------------------------------------------------------

/** The identity of a process, enough to tell it from a later one with the same pid. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks after boot (/proc/<pid>/stat field 22); "" when unknown. */
  readonly start: string;
}

/** What a trial's system record keeps about its process (the `process` key). */
export interface ProcessRecord extends ProcessIdentity {
  readonly host: string;
  /** /proc/sys/kernel/random/boot_id: a pid's start time means nothing across a reboot. */
  readonly boot: string;
  /** The tunelab process that started it. */
  readonly owner: ProcessIdentity;
  /** The system record the trial was created with (before command() added to it). */
  readonly origin?: JsonObject;
}

export function processOf(system: SystemRecord): ProcessRecord | undefined {
  const r = system?.[PROCESS_KEY];
  if (!isPlainObject(r) || !isPlainObject(r["owner"])) return undefined;
  const o = r["owner"];
  if (typeof r["pid"] !== "number" || typeof r["start"] !== "string" || typeof r["host"] !== "string" || typeof r["boot"] !== "string") return undefined;
  if (typeof o["pid"] !== "number" || typeof o["start"] !== "string") return undefined;
  if (r["origin"] !== undefined && !isPlainObject(r["origin"])) return undefined;
  return r as unknown as ProcessRecord;
}

/** What command() keeps under `command`, as far as readers rely on it. */
export interface CommandRecord {
  /** The command line it ran (never through a shell unless asked). */
  readonly argv: readonly string[];
  /** Its log file, relative to the study's storage folder (or absolute); "" when unknown. */
  readonly log: string;
  /** The last lines it printed; "" when none were kept. */
  readonly tail: string;
}

/** The command record, or undefined when the trial was not run by command() or the record is malformed. */
export function commandOf(system: SystemRecord): CommandRecord | undefined {
  const r = system?.[COMMAND_KEY];
  if (!isPlainObject(r)) return undefined;
  const argv = r["argv"];
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")) return undefined;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return { argv: argv as string[], log: text(r["log"]), tail: text(r["tail"]) };
}

/** The log file a command record names, without requiring the rest of the record. */
export function commandLogOf(system: SystemRecord): string | undefined {
  const r = system?.[COMMAND_KEY];
  return isPlainObject(r) && typeof r["log"] === "string" ? r["log"] : undefined;
}

// ---- lost trials and owners ------------------------------------------------------------------

/** A lost trial's placeholder record (lost.ts): the damaged line it was lost in, null when none came before. */
export function lostOf(system: SystemRecord): { readonly line: number | null } | undefined {
  const l = system?.[LOST_KEY];
  if (!isPlainObject(l)) return undefined;
  const line = l["line"];
  return { line: typeof line === "number" ? line : null };
}

/**
 * The worker that runs a trial: enough to tell it from any other worker, on any machine, now
 * or later (a pid is reused; a host name alone is shared by the containers of a pod).
 */
export interface WorkerIdentity {
  readonly host: string;
  readonly pid: number;
  /** When the worker process started (epoch milliseconds). */
  readonly start: number;
}

export function ownerOf(system: SystemRecord): WorkerIdentity | undefined {
  const o = system?.[OWNER_KEY];
  if (!isPlainObject(o) || typeof o["host"] !== "string" || typeof o["pid"] !== "number" || typeof o["start"] !== "number") return undefined;
  return { host: o["host"], pid: o["pid"], start: o["start"] };
}

/** A worker identity as one string (the storages' heartbeat owner): `host/pid/start`. */
export function workerKey(w: WorkerIdentity): string {
  return `${w.host}/${w.pid}/${w.start}`;
}
