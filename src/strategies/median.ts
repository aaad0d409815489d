import type { FrozenTrial, StudySnapshot } from "../model/trial";
import { directionSign, STOPPED_BY_KEY } from "./multifidelity/rungs";
import { optEnum, optInt, readOptions, STEP_MAX, TRIAL_COUNT_MAX, type Range } from "./options";
import type { StopContext, StopDecision, Stopper } from "./strategy";

export interface MedianStoppingOptions {
  /** Complete trials needed before any trial is stopped (default 5). */
  readonly startupTrials?: number;
  /** Steps before which no trial is stopped (default 0). */
  readonly warmupSteps?: number;
  /** Judge a trial at most once per this many steps (default 1: at every report). */
  readonly interval?: number;
  /**
   * What the trial is compared with at step s: "running-average" (default; Google Vizier's
   * and SageMaker's rule) = the median, over complete trials, of the mean of each one's
   * values up to s; "value" (Optuna's MedianPruner) = the median of their values at step s.
   */
  readonly compare?: "running-average" | "value";
}

export const MEDIAN_OPTIONS = ["startupTrials", "warmupSteps", "interval", "compare"] as const;

/** Bounds of the integer options (none of them costs anything in proportion). */
export const MEDIAN_BOUNDS = {
  startupTrials: [1, TRIAL_COUNT_MAX],
  warmupSteps: [0, STEP_MAX],
  interval: [1, STEP_MAX],
} as const satisfies Record<string, Range>;

/**
 * The median stopping rule (Golovin et al. 2017, Google Vizier; SageMaker's "Auto" early
 * stopping), usable with any strategy: a running trial is stopped at step s when the best
 * value it has reported so far is strictly worse than the median of what the complete trials
 * had by step s. It needs no parameters to tune and never stops a trial that is better than
 * half of the finished ones at the same point of training.
 *
 * Cost per report: the complete trials are tracked incrementally per snapshot (only trials
 * still running are re-checked), each one's running means are computed once, and the median
 * at a step is cached until another trial completes. Everything cached is derived from the
 * snapshot, so the answers are those of recomputing from scratch.
 */
export class MedianStopping implements Stopper {
  readonly name = "median";
  readonly startupTrials: number;
  readonly warmupSteps: number;
  readonly interval: number;
  readonly compare: "running-average" | "value";
  private readonly cache = new WeakMap<StudySnapshot, CompleteSet>();
  private readonly means = new WeakMap<FrozenTrial, Float64Array>();

  constructor(options?: unknown) {
    const o = readOptions("stopping", options, MEDIAN_OPTIONS);
    this.startupTrials = optInt("stopping.startupTrials", o["startupTrials"], MEDIAN_BOUNDS.startupTrials, 5);
    this.warmupSteps = optInt("stopping.warmupSteps", o["warmupSteps"], MEDIAN_BOUNDS.warmupSteps, 0);
    this.interval = optInt("stopping.interval", o["interval"], MEDIAN_BOUNDS.interval, 1);
    this.compare = optEnum("stopping.compare", o["compare"], ["running-average", "value"] as const, "running-average");
  }

  shouldStop(ctx: StopContext): StopDecision {
    const step = ctx.step;
    if (step < this.warmupSteps) return GO;
    const iv = ctx.trial.intermediate;
    if (this.interval > 1) {
      // Judge only at the first report in each window of `interval` steps after the warm-up.
      const window = Math.floor((step - this.warmupSteps) / this.interval) * this.interval + this.warmupSteps;
      const prev = iv.length >= 2 ? iv[iv.length - 2]![0] : -Infinity;
      if (prev >= window) return GO;
    }
    const done = this.completeSet(ctx.snapshot);
    if (done.trials.length < this.startupTrials) return GO;
    const median = this.medianAt(done, step);
    if (median === undefined) return GO;
    const sign = directionSign(ctx.snapshot.spec.direction);
    let best = Infinity;
    for (let i = 0; i < iv.length; i++) {
      const v = sign * iv[i]![1];
      if (v < best) best = v;
    }
    return best > sign * median ? { stop: true, system: { [STOPPED_BY_KEY]: "median" } } : GO;
  }

  /** The complete trials of a snapshot, brought up to date incrementally. */
  private completeSet(snap: StudySnapshot): CompleteSet {
    let s = this.cache.get(snap);
    if (!s) {
      s = { trials: [], scanned: 0, pending: [], medians: new Map() };
      this.cache.set(snap, s);
    }
    const all = snap.trials;
    const before = s.trials.length;
    if (s.pending.length) {
      const still: number[] = [];
      for (const n of s.pending) {
        const t = all[n]!;
        if (t.state === "complete") s.trials.push(t);
        else if (t.state === "running") still.push(n);
      }
      s.pending = still;
    }
    for (; s.scanned < all.length; s.scanned++) {
      const t = all[s.scanned]!;
      if (t.state === "complete") s.trials.push(t);
      else if (t.state === "running") s.pending.push(s.scanned);
    }
    if (s.trials.length !== before) s.medians.clear();
    return s;
  }

  /** The median over complete trials of their running mean (or value) at `step`; undefined when none reported by then. */
  private medianAt(s: CompleteSet, step: number): number | undefined {
    const hit = s.medians.get(step);
    if (hit !== undefined || s.medians.has(step)) return hit;
    const xs: number[] = [];
    for (const t of s.trials) {
      const iv = t.intermediate;
      // The last report at or before `step`.
      let lo = 0;
      let hi = iv.length - 1;
      if (hi < 0 || iv[0]![0] > step) continue;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (iv[mid]![0] <= step) lo = mid;
        else hi = mid - 1;
      }
      if (this.compare === "value") {
        if (iv[lo]![0] === step) xs.push(iv[lo]![1]);
      } else {
        xs.push(this.runningMeans(t)[lo]!);
      }
    }
    const m = xs.length ? median(xs) : undefined;
    s.medians.set(step, m);
    return m;
  }

  private runningMeans(t: FrozenTrial): Float64Array {
    let m = this.means.get(t);
    if (!m) {
      const iv = t.intermediate;
      m = new Float64Array(iv.length);
      let sum = 0;
      for (let i = 0; i < iv.length; i++) {
        sum += iv[i]![1];
        // A sum of values near ±1.8e308 overflows: then the mean is updated as a weighted average.
        m[i] = Number.isFinite(sum) ? sum / (i + 1) : (m[i - 1]! * i) / (i + 1) + iv[i]![1] / (i + 1);
      }
      this.means.set(t, m);
    }
    return m;
  }
}

interface CompleteSet {
  /** Complete trials, in the order they were found. */
  trials: FrozenTrial[];
  /** Trials below this index have been looked at. */
  scanned: number;
  /** Numbers of trials that were running when last looked at. */
  pending: number[];
  /** Median by step, valid while `trials` does not grow. */
  medians: Map<number, number | undefined>;
}

const GO: StopDecision = { stop: false };

function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const n = xs.length;
  if (n % 2) return xs[(n - 1) >> 1]!;
  const a = xs[n / 2 - 1]!;
  const b = xs[n / 2]!;
  const mid = (a + b) / 2;
  return Number.isFinite(mid) ? mid : a / 2 + b / 2; // a + b overflows near ±1.8e308
}

/** Early-stopping rules by name, with their options (types `.stopping(name, options)`). */
export interface StoppingOptionsMap {
  median: MedianStoppingOptions;
}
export type StoppingName = keyof StoppingOptionsMap;
export const STOPPING_RULES: readonly StoppingName[] = ["median"];
