import type { FrozenTrial, StudySnapshot } from "../model/trial";
import type { NewTrial } from "../record/ops";
import { COMMAND_KEY, FAILURE_KEY, failureOf, OWNER_KEY, PROCESS_KEY, RETRY_KEY, retryFromOf, retryOf, STOPPED_KEY, type InfrastructureCause } from "../record/system";
import { errorText } from "../util/errors";
import { isPlainObject, type JsonObject, type JsonValue } from "../util/json";
import { Msg } from "../util/messages";
import type { TellInput } from "./study";

/**
 * Retries of trials lost to the infrastructure, as SageMaker's RetryStrategy does them: a
 * trial whose process was killed by a signal or the out-of-memory killer, or whose worker
 * died (a stale or orphaned trial), is failed and marked as an infrastructure failure; with
 * `retries: { max: n }` a copy of it (same parameters, budget and strategy bookkeeping) is
 * run next, at most n times in a row. An error of the objective itself (an exception, a
 * non-zero exit) is never retried.
 *
 * Everything is in the trials' system records, so any process sharing the study makes the
 * copy and a resumed study still does:
 * - the failed trial: `failure: { kind: "infrastructure", cause, retry, copy? }`, where
 *   `retry` is "requested" (a copy is owed; `copy` holds the bookkeeping it starts with),
 *   "exhausted" (it was the last attempt) or "off" (no retries asked);
 * - the copy: `retry: { of, from, attempt, history }`: the first trial of the chain, the
 *   trial it repeats, its attempt (1..n) and, per earlier attempt, `{ trial, cause, error }`.
 * `failedOutcome` writes the first, and `RetryQueue` (asked by `Study.ask` before the
 * strategy) makes the copy; a failed trial whose retry was requested does not count toward
 * `limits.trials` (its copy does).
 */

export { FAILURE_KEY, RETRY_KEY };
export type { InfrastructureCause };

export interface RetryPolicy {
  /** Most copies made of one trial (SageMaker's MaximumRetryAttempts; 1-30 there, 0-100 here). */
  readonly max: number;
}

export const MAX_RETRIES = 100;

/** Reads `{ max: n }` (an integer from 0 to MAX_RETRIES); undefined: no retries. */
export function resolveRetries(input: unknown, field = "retries"): RetryPolicy | undefined {
  if (input === undefined || input === null) return undefined;
  if (!isPlainObject(input)) throw Msg.badOption(field, input, "an object { max: n }: how many times a trial lost to the infrastructure is run again");
  for (const k of Object.keys(input)) if (k !== "max") throw Msg.unknownOption(field, k, ["max"]);
  const max = input["max"];
  if (typeof max !== "number" || !Number.isInteger(max) || max < 0 || max > MAX_RETRIES) throw Msg.badOption(`${field}.max`, max, `an integer from 0 to ${MAX_RETRIES}`);
  return { max };
}


/**
 * Thrown (or rejected) by an objective when the trial was lost for a reason outside the
 * user's code: the runner records it as an infrastructure failure, retried when asked.
 */
export class InfrastructureFailure extends Error {
  constructor(
    message: string,
    readonly reason: InfrastructureCause,
  ) {
    super(message);
    this.name = "InfrastructureFailure";
    // Recorded as the trial's error: the message alone (the failure record says what it was).
    this.stack = message;
  }
}

/** Keys of a trial's system record that belong to this run of it, not to the configuration. */
const RUN_KEYS: ReadonlySet<string> = new Set([FAILURE_KEY, RETRY_KEY, STOPPED_KEY, PROCESS_KEY, COMMAND_KEY, OWNER_KEY]);

/**
 * How `tell` records a trial that failed with `error`. For an infrastructure failure it adds
 * the failure record and, when `policy` allows another attempt, the request for a copy
 * built from `origin`: the trial as it was created (its parameters, budget and the
 * strategy's bookkeeping before any report). Otherwise: the error text, as for any failure.
 */
export function failedOutcome(origin: FrozenTrial, error: unknown, policy: RetryPolicy | undefined): TellInput {
  const text = errorText(error);
  if (!isInfrastructureFailure(error)) return { state: "failed", error: text };
  return { state: "failed", error: text, system: { [FAILURE_KEY]: failureRecord(origin, error.reason, policy) } };
}

/** instanceof asks a Proxy's getPrototypeOf trap, which may throw (a revoked Proxy always does). */
function isInfrastructureFailure(e: unknown): e is InfrastructureFailure {
  try {
    return e instanceof InfrastructureFailure;
  } catch {
    return false;
  }
}

/** The `failure` record of an infrastructure failure of `origin` (see failedOutcome). */
export function failureRecord(origin: FrozenTrial, cause: InfrastructureCause, policy: RetryPolicy | undefined): JsonObject {
  const attempt = attemptOf(origin);
  if (!policy || policy.max === 0) return { kind: "infrastructure", cause, retry: "off" };
  if (attempt >= policy.max) return { kind: "infrastructure", cause, retry: "exhausted" };
  const copy: JsonObject = {};
  for (const [k, v] of Object.entries(origin.system)) if (!RUN_KEYS.has(k)) copy[k] = v;
  return { kind: "infrastructure", cause, retry: "requested", copy };
}

/** 0 for a first attempt, k for the k-th copy. */
export function attemptOf(t: FrozenTrial): number {
  return retryOf(t.system)?.attempt ?? 0;
}

/** Whether the trial failed and asked for a copy (it then does not count toward limits.trials). */
export function isRetryRequested(t: FrozenTrial): boolean {
  if (t.state !== "failed") return false;
  return failureOf(t.system)?.retry === "requested";
}

/** The copy of a failed trial whose retry was requested. */
export function retryCopy(failed: FrozenTrial): NewTrial {
  const f = failureOf(failed.system);
  const prev = retryOf(failed.system);
  const history: JsonValue[] = prev ? [...prev.history] : [];
  history.push({ trial: failed.number, cause: f?.cause ?? "unknown", error: (failed.error ?? "").slice(0, 300) });
  const system: JsonObject = { ...(f?.copy ?? {}), [RETRY_KEY]: { of: prev?.of ?? failed.number, from: failed.number, attempt: (prev?.attempt ?? 0) + 1, history } };
  return failed.budget === undefined ? { params: failed.params, system } : { params: failed.params, system, budget: failed.budget };
}

/**
 * Finds the retries owed: failed trials that requested one and have no copy yet (oldest
 * first). Scanning every trial at every ask would cost a long study; a requested retry
 * appears only through a "sys" operation, so on a storage replica (which counts them) the
 * scan is skipped while no sys op was applied and none is owed.
 */
export class RetryQueue {
  private sysOps = -1;
  private owed = 0;

  next(snapshot: StudySnapshot): NewTrial | undefined {
    const sysOps = (snapshot as { sysOps?: unknown }).sysOps;
    if (typeof sysOps === "number" && sysOps === this.sysOps && this.owed === 0) return undefined;
    this.sysOps = typeof sysOps === "number" ? sysOps : -1;
    const trials = snapshot.trials;
    let requested: FrozenTrial[] | undefined;
    for (const t of trials) if (isRetryRequested(t)) (requested ??= []).push(t);
    this.owed = 0;
    if (!requested) return undefined;
    const made = new Set<number>();
    for (const t of trials) {
      const from = retryFromOf(t.system);
      if (from !== undefined) made.add(from);
    }
    const owed = requested.filter((t) => !made.has(t.number));
    // The copy about to be made stays owed until it is created: look again next time.
    this.owed = owed.length;
    const first = owed[0];
    return first ? retryCopy(first) : undefined;
  }
}
