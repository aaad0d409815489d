import type { FrozenTrial } from "../model/trial";
import { errorText, isTunelabError } from "../util/errors";
import { warn, type StopReason } from "./events";
import { isResolvedLimits, resolveLimits, type Limits, type ResolvedLimits } from "./limits";
import { interpretResult } from "./result";
import type { Study } from "./study";
import { onInterrupt } from "./interrupt";
import { stoppedBy } from "../record/system";
import { LimitWatch, STOPPED_KEY } from "./reached";
import { clearLongTimeout, MAX_TIMER_MS, setLongTimeout, type LongTimeout } from "./timer";
import { failedOutcome } from "./retry";

/** The trial handle an objective receives. */
export interface TrialContext<P> {
  /** The trial's number in the study (0, 1, ...). */
  readonly number: number;
  readonly params: P;
  /** The most steps this trial should run, when the strategy sets one (Hyperband). */
  readonly budget?: number;
  /** Aborted when the trial must stop (timeout, interrupt, time limit): pass it to fetch, child processes, ... */
  readonly signal: AbortSignal;
  /**
   * Reports intermediate values (a number is the objective metric). Resolves
   * to `true` when the trial should stop: end it and return; it is recorded
   * as pruned with the values it reached. Bad values or steps reject with a
   * TunelabError and fail the trial with that error (awaited or not). After
   * the trial has ended (timed out, interrupted) it records nothing and
   * resolves to `true`.
   */
  report(step: number, values: number | Readonly<Record<string, unknown>>): Promise<boolean>;
  /** Whether the engine has asked this trial to stop. */
  readonly shouldStop: boolean;
  /**
   * Sets an attribute of the trial to a JSON value (bounded: src/record/user.ts), stored with
   * it and shown in the trial's details. A bad key or value rejects with a TunelabError and
   * fails the trial with that error (awaited or not), as a bad report does.
   */
  setAttr(key: string, value: unknown): Promise<void>;
  /** Replaces the trial's markdown note (at most 64 KiB; "" clears it); shown, sanitized, in its details. */
  note(markdown: string): Promise<void>;
}

export type Objective<P> = (params: P, trial: TrialContext<P>) => unknown;

/**
 * What an objective that holds resources across trials (command(): child processes) is told
 * about a run: `beforeRun` before the first trial is asked (e.g. to clean up after a crashed
 * run), `afterRun` once every trial has been recorded (e.g. to wait until the processes of
 * trials stopped by an interrupt are gone). Found on the objective under OBJECTIVE_LIFECYCLE.
 */
export interface ObjectiveLifecycle {
  beforeRun?(study: Study): unknown;
  afterRun?(study: Study): unknown;
}
export const OBJECTIVE_LIFECYCLE = Symbol.for("tunelab.objectiveLifecycle");

/** The study a trial handle belongs to (for objectives that keep files or records with the study). */
export const TRIAL_STUDY = Symbol.for("tunelab.trialStudy");

export interface RunOptions {
  /** Stops the run: running trials are marked failed ("interrupted") and every finished one is kept. */
  readonly signal?: AbortSignal;
  /** Also stop on SIGINT (Ctrl-C, a Jupyter kernel interrupt). Default true. */
  readonly handleSigint?: boolean;
}

export interface RunSummary {
  /** Which criterion ended the run: trials, time (minutes/seconds), target, patience, convergence, done (a finished grid), interrupted. */
  readonly reason: StopReason;
  /** Why that criterion holds, in words (patience and convergence: the values it judged). */
  readonly detail?: string;
  /** Trials started by this run. */
  readonly started: number;
  readonly best?: FrozenTrial;
  readonly seconds: number;
}

export { STOPPED_KEY };

/**
 * Runs trials until a limit is reached: keeps up to `parallel` objectives in
 * flight, records each result (a throw, NaN, a non-number or a timeout is a
 * failed trial, and the study goes on), and stops promptly on abort.
 *
 * Whatever an objective does, each trial it runs ends settled (complete,
 * failed or pruned) and nothing it returns or throws escapes as an exception
 * or an unhandled rejection: values are read only through interpretResult
 * and errorText, which never throw. Only a synchronous objective that never
 * returns holds the run, since nothing else can run in the process meanwhile.
 */
export async function runStudy<P>(study: Study, objective: Objective<P>, limits: Limits | ResolvedLimits = {}, options: RunOptions = {}): Promise<RunSummary> {
  const lim: ResolvedLimits = isResolvedLimits(limits) ? limits : resolveLimits(limits);
  const timed = Number.isFinite(lim.trialMs);
  // An objective that holds resources across trials (command()) is told about the run.
  const lifecycle = lifecycleOf(objective);
  await study.prepareHeartbeat();
  await lifecycle?.beforeRun?.(study);
  const t0 = Date.now();
  const deadline = t0 + lim.ms;
  const inFlight = new InFlight();
  const limit = new LimitWatch(study, lim);
  const bounded = Number.isFinite(lim.trials);
  let started = 0;
  let reason: StopReason | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  // A flag, not an AbortController: nothing outside reads it, and a controller's abort()
  // builds a DOMException with a stack trace.
  let aborted = false;
  const onAbort = () => {
    if (!reason) reason = "interrupted";
    aborted = true;
    poke();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener("abort", onAbort);
  const offSigint = options.handleSigint === false ? undefined : onInterrupt(onAbort);
  // Set by the timer, not judged by reading the clock: a wall clock set back
  // (NTP, a resumed VM) must not keep the run waiting past its limit.
  let timeUp = false;
  const timer = Number.isFinite(lim.ms)
    ? setLongTimeout(() => {
        timeUp = true;
        if (!reason) reason = "time";
        poke();
      }, Math.max(0, deadline - Date.now()))
    : undefined;
  // The run is not over while a trial is in flight, even when nothing else is
  // pending: an objective whose promise never settles must not let a script's
  // process exit halfway through its run (a Ctrl-C then stops it cleanly).
  holdProcess(true);

  const timedOut = (late?: number): Parameters<Study["tell"]>[1] => ({
    state: "failed",
    error:
      `timed out: the trial ran longer than limits.trialSeconds=${lim.trialMs / 1000}` +
      (late === undefined
        ? ""
        : ` (its result came after ${(late / 1000).toFixed(3)} s and was discarded: a synchronous objective blocks the process, so it cannot be stopped on time)`),
    system: stoppedBy("timeout"),
  });

  const startTrial = (t: FrozenTrial): void => {
    const run: Running = { trial: t, controller: undefined, settled: false, stopRequested: false, timer: undefined, t0: 0 };
    inFlight.add(run);
    started++;
    const ctx = new TrialHandle<P>(t, run, study, reportFailed);
    if (timed) {
      run.t0 = performance.now();
      run.timer = setLongTimeout(() => void settle(run, timedOut()), lim.trialMs);
    }
    let promise: Promise<unknown>;
    try {
      // Promise.resolve reads a thenable's `then`; a throwing getter becomes a rejection.
      promise = Promise.resolve(objective(ctx.params, ctx));
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then(
      (result) => ended(run, result, true),
      (e) => ended(run, e, false),
    );
  };

  /** The objective returned (`ok`) or threw. Never throws: nothing here may reject unhandled. */
  const ended = (run: Running, outcome: unknown, ok: boolean): Promise<void> | undefined => {
    // Timed out, interrupted or failed by a bad report already: the late outcome is ignored.
    if (run.settled) return undefined;
    // The timer cannot fire while a synchronous objective holds the process: the clock decides.
    if (timed) {
      const took = performance.now() - run.t0;
      if (took > lim.trialMs) return settle(run, timedOut(took));
    }
    if (!ok) return settle(run, failedOutcome(run.trial, outcome, study.retries));
    if (run.stopRequested) return settle(run, { state: "pruned" });
    const r = interpretResult(study.metric, outcome);
    return settle(run, r.ok ? { value: r.value, metrics: r.metrics } : { state: "failed", error: r.error, metrics: r.metrics });
  };

  /** A report() (setAttr(), note()) the objective made was refused (or could not be stored): the trial fails with why. */
  const reportFailed = (run: Running, e: unknown, what = "report"): void => {
    if (!run.settled) void settle(run, { state: "failed", error: isTunelabError(e) ? `trial.${what}() was refused: ${e.message}` : `trial.${what}() failed: ${errorText(e)}` });
  };

  // A promise chain rather than an async arrow (whose heap frame every trial would allocate).
  const settle = (run: Running, input: Parameters<Study["tell"]>[1]): Promise<void> => {
    if (run.settled) return Promise.resolve();
    run.settled = true;
    if (run.timer !== undefined) clearLongTimeout(run.timer);
    run.controller?.abort();
    let told: Promise<unknown>;
    try {
      told = study.tell(run.trial.number, input);
    } catch (e) {
      told = Promise.reject(e);
    }
    return told.then(
      () => release(run),
      (e: unknown) => {
        // Another process may have ended it (or the storage failed): keep going, say why.
        warn(`could not record trial ${run.trial.number}: ${errorText(e)}`);
        release(run);
      },
    );
  };
  const release = (run: Running): void => {
    inFlight.delete(run);
    poke();
  };

  const stopAll = (kind: "interrupt" | "time", error: string) =>
    Promise.all([...inFlight.values()].map((r) => settle(r, { state: "failed", error, system: stoppedBy(kind) })));
  const INTERRUPTED = "interrupted: the run was stopped (kernel interrupt or abort signal)";
  const TIME_UP = "stopped: the study's time limit was reached";
  let turnAt = performance.now() + TURN_MS;
  let passes = 0;
  try {
    for (;;) {
      // With a synchronous objective and an in-memory study a run is all microtasks: give
      // the event loop a turn now and then, or no timer (the time limit, a trial's timeout,
      // the live display) and no signal (Ctrl-C, a kernel interrupt) could ever get in.
      // (The clock is read every few passes only: a pass is a microsecond or two.)
      if ((++passes & 7) === 0 && performance.now() >= turnAt) {
        await nextTurn();
        turnAt = performance.now() + TURN_MS;
      }
      limit.nextPass();
      if (!reason) reason = limit.reached(inFlight.size);
      if (reason === "trials" && !aborted && !timeUp && study.othersRunning()) {
        // Other workers' trials fill the limit: one whose worker has stopped beating may be
        // lost. It is waited for until it beats again, ends, or is failed as stale (a retry
        // then takes its place and the limit is not reached after all).
        let wait: number | undefined;
        try {
          wait = await study.sweepStale();
        } catch (e) {
          warn(`could not check other workers' trials: ${errorText(e)}`);
        }
        limit.nextPass();
        if (wait !== undefined || limit.count() < lim.trials) {
          reason = undefined;
          if (wait !== undefined) await sleepOrWake(Math.max(50, Math.min(wait + 50, study.heartbeat!.intervalMs)), (w) => (wake = w));
          continue;
        }
      }
      if (reason) break;
      if (inFlight.size < lim.parallel && limit.count() < lim.trials) {
        let t: FrozenTrial | undefined;
        try {
          // limits.trials is checked again inside the write, on what every worker sharing the
          // storage has written: the count above may be behind theirs.
          t = await study.ask(bounded ? limit.room : undefined);
        } catch (e) {
          // The strategy or the storage failed: no trial may be left running behind the error.
          await stopAll("interrupt", `interrupted: the run stopped because the next trial could not be started (${errorText(e)})`);
          throw e;
        }
        if (!t) {
          // Full (other workers took the last places): wait for this run's own trials.
          if (bounded && !limit.room(study.snapshot)) continue;
          reason = "done";
          break;
        }
        startTrial(t);
        continue;
      }
      await new Promise<void>((r) => (wake = r));
    }
    if (reason === "interrupted" || reason === "time") {
      // These limits end the run now: the trials in flight are stopped.
      await stopAll(reason === "interrupted" ? "interrupt" : "time", reason === "interrupted" ? INTERRUPTED : TIME_UP);
    } else {
      // The others (trials, target, patience, done) let the trials in flight finish.
      while (inFlight.size > 0 && !aborted && !timeUp) {
        await new Promise<void>((r) => (wake = r));
      }
      if (inFlight.size > 0) {
        reason = aborted ? "interrupted" : "time";
        await stopAll(aborted ? "interrupt" : "time", aborted ? INTERRUPTED : TIME_UP);
      }
    }
  } finally {
    clearLongTimeout(timer);
    holdProcess(false);
    // The heartbeat thread stops with the run (unless trials asked by hand still run).
    study.releaseHeartbeat();
    options.signal?.removeEventListener("abort", onAbort);
    offSigint?.();
    if (lifecycle?.afterRun) {
      try {
        await lifecycle.afterRun(study);
      } catch (e) {
        warn(`ending the objective's run failed: ${errorText(e)}`);
      }
    }
  }
  const detail = reason === "patience" || reason === "convergence" ? limit.detail : undefined;
  const summary: RunSummary = { reason, ...(detail !== undefined ? { detail } : {}), started, ...(study.best ? { best: study.best } : {}), seconds: (Date.now() - t0) / 1000 };
  study.events.emit("studyFinished", { reason, trials: study.snapshot.trials.length });
  return summary;
}

const RUN = Symbol("run");
const FAILED = Symbol("failed");

/**
 * The handle an objective gets (TrialContext). A class rather than an object literal with
 * getters: such a literal allocates two closures and their accessor pairs for every trial.
 * `signal` and `shouldStop` are getters on the prototype; `report` stays an own bound
 * function, so `const { report } = trial` keeps working.
 */
class TrialHandle<P> implements TrialContext<P> {
  readonly number: number;
  readonly params: P;
  readonly budget?: number;
  readonly report: TrialContext<P>["report"];
  private readonly [RUN]: Running;
  readonly [TRIAL_STUDY]: Study;
  private readonly [FAILED]: (run: Running, e: unknown, what?: string) => void;

  constructor(t: FrozenTrial, run: Running, study: Study, failed: (run: Running, e: unknown, what?: string) => void) {
    this.number = t.number;
    // A copy: an objective that changes its params (p.lr *= 2) changes neither the stored trial
    // nor what the strategies learn from (the values are strings, numbers and booleans).
    this.params = { ...t.params } as unknown as P;
    if (t.budget !== undefined) this.budget = t.budget;
    this.report = (step, values) => {
      if (run.settled) return Promise.resolve(true);
      const answer = study.report(t.number, step, values).then(
        (stop) => {
          if (stop) run.stopRequested = true;
          return stop || run.settled;
        },
        (e: unknown) => {
          if (run.settled) return true; // it ended meanwhile: nothing to record
          failed(run, e);
          throw e;
        },
      );
      // The trial records the error: a report the objective does not await must not also
      // end the process as an unhandled rejection.
      answer.then(undefined, noop);
      return answer;
    };
    this[RUN] = run;
    this[TRIAL_STUDY] = study;
    this[FAILED] = failed;
  }

  // On the prototype (not per-trial closures): most objectives never call them.
  setAttr(key: string, value: unknown): Promise<void> {
    return this.userWrite("setAttr", this[TRIAL_STUDY].setAttr(this.number, key, value));
  }

  note(markdown: string): Promise<void> {
    return this.userWrite("note", this[TRIAL_STUDY].note(this.number, markdown));
  }

  /** A refused write fails the running trial with why; an unawaited one must not end the process as an unhandled rejection. */
  private userWrite(what: string, write: Promise<unknown>): Promise<void> {
    const run = this[RUN];
    const answer = write.then(noop, (e: unknown) => {
      this[FAILED](run, e, what);
      throw e;
    });
    answer.then(undefined, noop);
    return answer;
  }

  /**
   * Made on first use: an AbortController and its abort() (which builds a DOMException with
   * a stack trace) cost more than the rest of a trial's bookkeeping, and most objectives
   * never look at the signal. A signal first read after the trial settled is already
   * aborted, as it would have been.
   */
  get signal(): AbortSignal {
    const run = this[RUN];
    if (!run.controller) {
      run.controller = new AbortController();
      if (run.settled) run.controller.abort();
    }
    return run.controller.signal;
  }

  get shouldStop(): boolean {
    const run = this[RUN];
    return run.stopRequested || run.settled;
  }
}

/**
 * The trials this run waits for, in the order they started (what a Map keyed by trial
 * number gave, without its table being grown and shrunk again for every trial).
 */
class InFlight {
  private readonly runs: (Running | undefined)[] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  add(run: Running): void {
    this.runs[this.n++] = run;
  }

  delete(run: Running): void {
    const runs = this.runs;
    let i = 0;
    while (i < this.n && runs[i] !== run) i++;
    if (i === this.n) return;
    for (; i < this.n - 1; i++) runs[i] = runs[i + 1];
    runs[--this.n] = undefined;
  }

  values(): Running[] {
    return this.runs.slice(0, this.n) as Running[];
  }
}

interface Running {
  readonly trial: FrozenTrial;
  /** Made when the objective first reads `signal`. */
  controller: AbortController | undefined;
  settled: boolean;
  stopRequested: boolean;
  timer: LongTimeout | undefined;
  /** performance.now() when the objective was called (only with limits.trialSeconds). */
  t0: number;
}

function noop(): void {}

/**
 * Keeps the process alive while any run is going: one interval for the process, referenced
 * while runs are going and unreferenced between them (a timer made and cleared per run cost
 * more than the rest of a short run's bookkeeping). Outside Node there is no process to hold.
 */
let holder: { ref(): unknown; unref(): unknown } | null | undefined;
let holding = 0;
function holdProcess(on: boolean): void {
  holding += on ? 1 : -1;
  if (holder === undefined) {
    const t = setInterval(noop, MAX_TIMER_MS) as unknown;
    const canUnref = typeof t === "object" && t !== null && typeof (t as { unref?: unknown }).unref === "function";
    if (!canUnref) clearInterval(t as ReturnType<typeof setInterval>);
    holder = canUnref ? (t as { ref(): unknown; unref(): unknown }) : null;
  }
  if (holder === null) return;
  if (holding > 0) holder.ref();
  else holder.unref();
}

/** The objective's ObjectiveLifecycle, if it has one (reading a hostile function's property may throw: none). */
function lifecycleOf(objective: unknown): ObjectiveLifecycle | undefined {
  try {
    return (objective as { [OBJECTIVE_LIFECYCLE]?: ObjectiveLifecycle })[OBJECTIVE_LIFECYCLE];
  } catch {
    return undefined;
  }
}

/**
 * How long the run loop may keep the event loop to itself: what Ctrl-C and a time limit may
 * wait, at most, beyond the trial in hand (a turn also runs V8's pending tasks, so not often).
 */
const TURN_MS = 50;

/** Waits `ms`, or less when the run loop is woken (an abort, the time limit). */
function sleepOrWake(ms: number, setWake: (w: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    setWake(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Resolves after the event loop has had a turn (timers, I/O, signals). */
function nextTurn(): Promise<void> {
  return new Promise((r) => (typeof setImmediate === "function" ? setImmediate(r) : setTimeout(r, 0)));
}
