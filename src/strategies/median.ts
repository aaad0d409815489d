import type { FrozenTrial, StudySnapshot } from "../model/trial";
import { SortedNumbers } from "../math/sorted";
import { stoppedBy } from "../record/system";
import { directionSign } from "./multifidelity/rungs";
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
 * still running, and on a replica those its system log names, are re-checked), each one's
 * running means are computed once, and the values at each step asked are kept sorted as
 * trials complete (math/sorted.ts), so a median is a lookup. Everything cached is derived
 * from the snapshot, so the answers are those of recomputing from scratch.
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
    const set = this.completeSet(ctx.snapshot);
    if (set.done.size < this.startupTrials) return GO;
    const median = this.medianAt(set, step);
    if (median === undefined) return GO;
    const sign = directionSign(ctx.snapshot.spec.direction);
    let best = Infinity;
    for (let i = 0; i < iv.length; i++) {
      const v = sign * iv[i]![1];
      if (v < best) best = v;
    }
    return best > sign * median ? { stop: true, system: stoppedBy("median") } : GO;
  }

  /**
   * The complete trials of a snapshot, brought up to date incrementally: the trials added,
   * those running when last looked at, and, on a storage's replica, those its `systemLog`
   * names (a lost trial's record restored, a write taken back: a trial may stop being complete).
   */
  private completeSet(snap: StudySnapshot): CompleteSet {
    const log = snap.systemLog;
    let s = this.cache.get(snap);
    if (!s) {
      s = { done: new Map(), scanned: 0, pending: new Set(), logRead: log?.length ?? 0, atStep: new Map() };
      this.cache.set(snap, s);
    }
    const all = snap.trials;
    if (log) {
      for (; s.logRead < log.length; s.logRead++) {
        const n = log[s.logRead]!;
        if (n < s.scanned) this.reread(s, all, n);
      }
      for (; s.scanned > all.length; s.scanned--) this.reread(s, all, s.scanned - 1);
    }
    for (const n of s.pending) {
      const state = all[n]?.state;
      if (state !== "running") s.pending.delete(n);
      if (state === "complete") this.add(s, n, all[n]!);
    }
    for (; s.scanned < all.length; s.scanned++) this.reread(s, all, s.scanned);
    return s;
  }

  /** Replaces what the set knows of trial `n` (by position) by what its record says now. */
  private reread(s: CompleteSet, all: readonly FrozenTrial[], n: number): void {
    const was = s.done.get(n);
    if (was !== undefined) this.remove(s, n, was);
    s.pending.delete(n);
    const t = all[n];
    if (t?.state === "complete") this.add(s, n, t);
    else if (t?.state === "running") s.pending.add(n);
  }

  private add(s: CompleteSet, n: number, t: FrozenTrial): void {
    s.done.set(n, t);
    for (const [step, sorted] of s.atStep) {
      const v = this.valueAt(t, step);
      if (v !== undefined) sorted.add(v);
    }
  }

  private remove(s: CompleteSet, n: number, t: FrozenTrial): void {
    s.done.delete(n);
    for (const [step, sorted] of s.atStep) {
      const v = this.valueAt(t, step);
      if (v !== undefined) sorted.delete(v);
    }
  }

  /**
   * The median over complete trials of their running mean (or value) at `step`; undefined when
   * none reported by then. Each step's values are kept sorted as trials complete, so asking
   * costs a lookup, not a pass over the complete trials.
   */
  private medianAt(s: CompleteSet, step: number): number | undefined {
    let sorted = s.atStep.get(step);
    if (sorted === undefined) {
      sorted = new SortedNumbers();
      for (const t of s.done.values()) {
        const v = this.valueAt(t, step);
        if (v !== undefined) sorted.push(v);
      }
      s.atStep.set(step, sorted);
    }
    return median(sorted);
  }

  /** A complete trial's running mean (or value) at `step`: from its last report at or before it. */
  private valueAt(t: FrozenTrial, step: number): number | undefined {
    const iv = t.intermediate;
    let lo = 0;
    let hi = iv.length - 1;
    if (hi < 0 || iv[0]![0] > step) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (iv[mid]![0] <= step) lo = mid;
      else hi = mid - 1;
    }
    if (this.compare === "value") return iv[lo]![0] === step ? iv[lo]![1] : undefined;
    return this.runningMeans(t)[lo]!;
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
  /** Complete trials by position, with the record read when they were found complete. */
  readonly done: Map<number, FrozenTrial>;
  /** Trials below this position have been looked at. */
  scanned: number;
  /** Positions of the trials that were running when last looked at. */
  readonly pending: Set<number>;
  /** `systemLog` entries read. */
  logRead: number;
  /** By step asked: the complete trials' running means (or values) there, sorted. */
  readonly atStep: Map<number, SortedNumbers>;
}

const GO: StopDecision = { stop: false };

function median(xs: SortedNumbers): number | undefined {
  const n = xs.count;
  if (n === 0) return undefined;
  if (n % 2) return xs.at((n - 1) >> 1)!;
  const a = xs.at(n / 2 - 1)!;
  const b = xs.at(n / 2)!;
  const mid = (a + b) / 2;
  return Number.isFinite(mid) ? mid : a / 2 + b / 2; // a + b overflows near ±1.8e308
}

/** Early-stopping rules by name, with their options (types `.stopping(name, options)`). */
export interface StoppingOptionsMap {
  median: MedianStoppingOptions;
}
export type StoppingName = keyof StoppingOptionsMap;
export const STOPPING_RULES: readonly StoppingName[] = ["median"];
