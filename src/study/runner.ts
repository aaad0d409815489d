import { isBetter, type FrozenTrial } from "../model/trial";
import { errorText } from "../util/errors";
import type { StopReason } from "./events";
import { resolveLimits, type Limits, type ResolvedLimits } from "./limits";
import { interpretResult } from "./result";
import type { Study } from "./study";
import { onInterrupt } from "./interrupt";

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
  const t0 = Date.now();
  const deadline = t0 + lim.ms;
  const inFlight = new Map<number, Running>();
  let started = 0;
  let reason: StopReason | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const abort = new AbortController();
  const onAbort = () => {
    if (!reason) reason = "interrupted";
    abort.abort();
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
    const ac = new AbortController();
    const run: Running = { trial: t, controller: ac, settled: false, stopRequested: false, timer: undefined };
    inFlight.set(t.number, run);
    started++;
    const ctx: TrialContext<P> = {
      number: t.number,
      params: t.params as unknown as P,
      ...(t.budget !== undefined ? { budget: t.budget } : {}),
      signal: ac.signal,
      report: async (step, values) => {
        if (run.settled) return true;
        const stop = await study.report(t.number, step, values);
        if (stop) run.stopRequested = true;
        return stop || run.settled;
      },
      get shouldStop() {
        return run.stopRequested || run.settled;
      },
    };
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
      (e) => settle(run, { state: "failed", error: errorText(e) }),
    );
  };

  const settle = async (run: Running, input: Parameters<Study["tell"]>[1]): Promise<void> => {
    if (run.settled) return;
    run.settled = true;
    if (run.timer) clearTimeout(run.timer);
    run.controller.abort();
    try {
      await study.tell(run.trial.number, input);
    } catch (e) {
      // Another process may have ended it (or the storage failed): keep going, say why.
      console.warn(`tunelab: could not record trial ${run.trial.number}: ${errorText(e)}`);
    } finally {
      inFlight.delete(run.trial.number);
      poke();
    }
  };

  try {
    for (;;) {
      if (!reason) reason = limitReached(study, lim, inFlight.size);
      if (reason) break;
      if (inFlight.size < lim.parallel && countTowardLimit(study) < lim.trials) {
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
      while (inFlight.size > 0 && !abort.signal.aborted && !timeUp) {
        await new Promise<void>((r) => (wake = r));
      }
      if (inFlight.size > 0) {
        reason = abort.signal.aborted ? "interrupted" : "time";
        await stopAll(reason === "interrupted" ? "interrupt" : "time");
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    offSigint?.();
  }
  const summary: RunSummary = { reason, started, ...(study.best ? { best: study.best } : {}), seconds: (Date.now() - t0) / 1000 };
  study.events.emit("studyFinished", { reason, trials: study.snapshot.trials.length });
  return summary;
}

interface Running {
  readonly trial: FrozenTrial;
  readonly controller: AbortController;
  settled: boolean;
  stopRequested: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Trials that count toward `limits.trials`: all but those the engine stopped for an interrupt or the time limit. */
function countTowardLimit(study: Study): number {
  let n = 0;
  for (const t of study.snapshot.trials) {
    const s = t.system[STOPPED_KEY];
    if (s === "interrupt" || s === "time") continue;
    n++;
  }
  return n;
}

function limitReached(study: Study, lim: ResolvedLimits, ownRunning: number): StopReason | undefined {
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
  if (ownRunning === 0 && countTowardLimit(study) >= lim.trials) return "trials";
  return undefined;
}
