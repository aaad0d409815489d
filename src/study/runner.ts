import { isBetter, type FrozenTrial, type StudySnapshot } from "../model/trial";
import { StudyReplica } from "../record/replica";
import { errorText } from "../util/errors";
import type { StopReason } from "./events";
import { resolveLimits, type Limits, type ResolvedLimits } from "./limits";
import { interpretResult } from "./result";
import type { Study } from "./study";
import { onInterrupt } from "./interrupt";
import { failedOutcome, isRetryRequested } from "./retry";

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
   * as pruned with the values it reached.
   */
  report(step: number, values: number | Readonly<Record<string, unknown>>): Promise<boolean>;
  /** Whether the engine has asked this trial to stop. */
  readonly shouldStop: boolean;
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
  readonly reason: StopReason;
  /** Trials started by this run. */
  readonly started: number;
  readonly best?: FrozenTrial;
  readonly seconds: number;
}

/** Marks in a trial's system record why the engine stopped it. */
export const STOPPED_KEY = "stopped";

/**
 * Runs trials until a limit is reached: keeps up to `parallel` objectives in
 * flight, records each result (a throw, NaN, a non-number or a timeout is a
 * failed trial, and the study goes on), and stops promptly on abort.
 */
export async function runStudy<P>(study: Study, objective: Objective<P>, limits: Limits | ResolvedLimits = {}, options: RunOptions = {}): Promise<RunSummary> {
  const lim: ResolvedLimits = "ms" in limits ? limits : resolveLimits(limits);
  const lifecycle = (objective as { [OBJECTIVE_LIFECYCLE]?: ObjectiveLifecycle })[OBJECTIVE_LIFECYCLE];
  await lifecycle?.beforeRun?.(study);
  const t0 = Date.now();
  const deadline = t0 + lim.ms;
  const inFlight = new InFlight();
  const toward = new TowardLimit();
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
    ? setTimeout(() => {
        timeUp = true;
        if (!reason) reason = "time";
        poke();
      }, Math.max(0, deadline - Date.now()))
    : undefined;

  const startTrial = (t: FrozenTrial): void => {
    const run: Running = { trial: t, controller: undefined, settled: false, stopRequested: false, timer: undefined };
    inFlight.add(run);
    started++;
    const ctx = new TrialHandle<P>(t, run, study);
    if (Number.isFinite(lim.trialMs)) {
      run.timer = setTimeout(() => {
        void settle(run, { state: "failed", error: `timed out: the trial ran longer than limits.trialSeconds=${lim.trialMs / 1000}`, system: { [STOPPED_KEY]: "timeout" } });
      }, lim.trialMs);
    }
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve(objective(ctx.params, ctx));
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then(
      (result) => {
        if (run.stopRequested) return settle(run, { state: "pruned" });
        const r = interpretResult(study.metric, result);
        return settle(run, r.ok ? { value: r.value, metrics: r.metrics } : { state: "failed", error: r.error, metrics: r.metrics });
      },
      (e) => settle(run, failedOutcome(run.trial, e, study.retries)),
    );
  };

  // A promise chain rather than an async arrow (whose heap frame every trial would allocate).
  const settle = (run: Running, input: Parameters<Study["tell"]>[1]): Promise<void> => {
    if (run.settled) return Promise.resolve();
    run.settled = true;
    if (run.timer) clearTimeout(run.timer);
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
        try {
          // Another process may have ended it (or the storage failed): keep going, say why.
          console.warn(`tunelab: could not record trial ${run.trial.number}: ${errorText(e)}`);
        } finally {
          release(run);
        }
      },
    );
  };
  const release = (run: Running): void => {
    inFlight.delete(run);
    poke();
  };

  try {
    for (;;) {
      toward.nextPass();
      if (!reason) reason = limitReached(study, lim, inFlight.size, toward);
      if (reason) break;
      if (inFlight.size < lim.parallel && toward.count(study.snapshot) < lim.trials) {
        const t = await study.ask();
        if (!t) {
          reason = "done";
          break;
        }
        startTrial(t);
        continue;
      }
      await new Promise<void>((r) => (wake = r));
    }
    const stopAll = (kind: "interrupt" | "time") =>
      Promise.all(
        [...inFlight.values()].map((r) =>
          settle(r, {
            state: "failed",
            error: kind === "interrupt" ? "interrupted: the run was stopped (kernel interrupt or abort signal)" : "stopped: the study's time limit was reached",
            system: { [STOPPED_KEY]: kind },
          }),
        ),
      );
    if (reason === "interrupted" || reason === "time") {
      // These limits end the run now: the trials in flight are stopped.
      await stopAll(reason === "interrupted" ? "interrupt" : "time");
    } else {
      // The others (trials, target, patience, done) let the trials in flight finish.
      while (inFlight.size > 0 && !aborted && !timeUp) {
        await new Promise<void>((r) => (wake = r));
      }
      if (inFlight.size > 0) {
        reason = aborted ? "interrupted" : "time";
        await stopAll(reason === "interrupted" ? "interrupt" : "time");
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    offSigint?.();
    if (lifecycle?.afterRun) {
      try {
        await lifecycle.afterRun(study);
      } catch (e) {
        console.warn(`tunelab: ending the objective's run failed: ${errorText(e)}`);
      }
    }
  }
  const summary: RunSummary = { reason, started, ...(study.best ? { best: study.best } : {}), seconds: (Date.now() - t0) / 1000 };
  study.events.emit("studyFinished", { reason, trials: study.snapshot.trials.length });
  return summary;
}

const RUN = Symbol("run");

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

  constructor(t: FrozenTrial, run: Running, study: Study) {
    this.number = t.number;
    this.params = t.params as unknown as P;
    if (t.budget !== undefined) this.budget = t.budget;
    this.report = async (step, values) => {
      if (run.settled) return true;
      const stop = await study.report(t.number, step, values);
      if (stop) run.stopRequested = true;
      return stop || run.settled;
    };
    this[RUN] = run;
    this[TRIAL_STUDY] = study;
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
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Stopped by an interrupt or the time limit, or lost to the infrastructure and run again (retry.ts): not counted. */
function stoppedByRun(t: FrozenTrial): boolean {
  const s = t.system[STOPPED_KEY];
  return s === "interrupt" || s === "time" || isRetryRequested(t);
}

/**
 * Trials that count toward `limits.trials`: all but those the engine stopped for an
 * interrupt or the time limit. Asked on every pass of the run loop, so instead of reading
 * every trial's system record each time (quadratic in a long study) it remembers each
 * record it classified and looks again only at records that were replaced (records are
 * immutable: a change replaces the record), and, on a storage replica, only at new trials
 * while no "sys" operation (the only kind that changes a system record) was applied.
 */
class TowardLimit {
  private seen: FrozenTrial[] = [];
  private stopped: boolean[] = [];
  private nStopped = 0;
  private pass = 0;
  private countedPass = -1;
  private counted = 0;
  private replica: StudyReplica | undefined;
  private sysOps = 0;

  /**
   * A new pass of the run loop. Within one pass nothing awaits, so the snapshot cannot
   * change between the two questions the loop asks (limitReached, then whether to start a
   * trial): the second gets the first's answer.
   */
  nextPass(): void {
    this.pass++;
  }

  count(snapshot: StudySnapshot): number {
    if (this.countedPass === this.pass) return this.counted;
    this.countedPass = this.pass;
    this.counted = this.scan(snapshot);
    return this.counted;
  }

  private scan(snapshot: StudySnapshot): number {
    const trials = snapshot.trials;
    if (trials.length < this.seen.length) {
      this.seen = [];
      this.stopped = [];
      this.nStopped = 0;
    }
    // A storage replica tells when a trial's system record may have changed (a "sys" op):
    // until then only the trials added since the last look need classifying.
    const replica = snapshot instanceof StudyReplica ? snapshot : undefined;
    const from = replica !== undefined && replica === this.replica && replica.sysOps === this.sysOps ? this.seen.length : 0;
    this.replica = replica;
    this.sysOps = replica?.sysOps ?? 0;
    const seen = this.seen;
    for (let i = from; i < trials.length; i++) {
      const t = trials[i]!;
      if (t === seen[i]) continue;
      const s = stoppedByRun(t);
      if (i < seen.length) {
        if (s !== this.stopped[i]) this.nStopped += s ? 1 : -1;
      } else if (s) {
        this.nStopped++;
      }
      seen[i] = t;
      this.stopped[i] = s;
    }
    return trials.length - this.nStopped;
  }
}

function limitReached(study: Study, lim: ResolvedLimits, ownRunning: number, toward: TowardLimit): StopReason | undefined {
  const trials = study.snapshot.trials;
  if (lim.target !== undefined) {
    const best = study.best;
    if (best && best.value !== undefined && (best.value === lim.target || isBetter(study.direction, best.value, lim.target))) return "target";
  }
  if (Number.isFinite(lim.patience)) {
    // Finished trials since the best one (in order of finishing).
    const finished = trials.filter((t) => t.state !== "running" && t.finishedAt !== undefined).sort((a, b) => a.finishedAt! - b.finishedAt! || a.number - b.number);
    let best: number | undefined;
    let since = 0;
    for (const t of finished) {
      if (t.state === "complete" && t.value !== undefined && (best === undefined || isBetter(study.direction, t.value, best))) {
        best = t.value;
        since = 0;
      } else since++;
    }
    if (best !== undefined && since >= lim.patience) return "patience";
  }
  // Trials running in other processes are theirs to finish: only wait for our own.
  if (ownRunning === 0 && toward.count(study.snapshot) >= lim.trials) return "trials";
  return undefined;
}
