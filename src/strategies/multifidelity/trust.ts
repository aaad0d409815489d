import type { FrozenTrial, StudySnapshot } from "../../model/trial";
import { SortedNumbers } from "../../math/sorted";
import { valueAtLevel } from "./levels";
import { followerOf, ReplicaFollower } from "./replica";

/** Complete trials the trust estimate looks at: the most recent ones (bounds the O(m²) pair count). */
export const TRUST_WINDOW = 100;

/**
 * How far the ranking at a rung can be trusted to predict the ranking at the full budget:
 * Kendall's τ between the trials' values at the rung and their final values, over the
 * complete trials that reported at that rung (pairs tied on either side are skipped), with
 * one pseudo-pair of agreement as the prior, so that with no evidence a rung is trusted and
 * the evidence takes over as pairs accumulate; clamped to [0, 1] (a rung that ranks no better
 * than chance, or worse, earns no trust).
 *
 * The complete trials that got past a rung are those it ranked well, so τ measures how well
 * the rung orders good configurations — the ones a stopping decision is about.
 */
export function rungTrust(complete: readonly FrozenTrial[], rung: number, maxResource: number): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const t of complete) {
    const v = valueAtLevel(t, rung, maxResource);
    if (v === undefined || t.value === undefined) continue;
    xs.push(v);
    ys.push(t.value);
  }
  let concordant = 1;
  let pairs = 1;
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      // Signs, not the product of the differences: that overflows (1e308 apart) or underflows to 0.
      const a = Math.sign(xs[i]! - xs[j]!) * Math.sign(ys[i]! - ys[j]!);
      if (a === 0) continue;
      pairs++;
      if (a > 0) concordant++;
    }
  }
  const tau = (2 * concordant - pairs) / pairs;
  return Math.min(1, Math.max(0, tau));
}

/**
 * Bracket probabilities from the rungs' trust (adaptive Hyperband). Bracket b judges trials
 * first at its rung r_b; it is chosen with the probability that r_b is the lowest rung to be
 * trusted when each rung is trusted with probability τ_b: p_b = τ_b·Π_{j<b}(1 − τ_j), and the
 * never-stopping bracket gets the rest. With no evidence every rung is trusted and all trials
 * go to the most aggressive bracket (ASHA); as complete trials show which early rankings
 * mislead, trials move to brackets that judge later, as far as the evidence says.
 * `trust[b]` is τ of bracket b's first rung, for every bracket but the last.
 */
export function bracketProbabilities(trust: readonly number[]): number[] {
  const p: number[] = [];
  let rest = 1;
  for (const t of trust) {
    p.push(rest * t);
    rest *= 1 - t;
  }
  p.push(rest);
  return p;
}

/** The complete trials, most recent last, at most TRUST_WINDOW of them. */
export function recentComplete(trials: readonly FrozenTrial[]): FrozenTrial[] {
  const out: FrozenTrial[] = [];
  for (let i = trials.length - 1; i >= 0 && out.length < TRUST_WINDOW; i--) {
    const t = trials[i]!;
    if (isCompleteTrial(t)) out.push(t);
  }
  return out.reverse();
}

/**
 * The recent complete trials of one storage replica (`recentComplete` of its trials), kept up
 * to date as a ReplicaFollower (replica.ts) instead of found by a pass over every trial each
 * time: a finished trial stays finished unless its record is rewritten (which the replica's
 * `systemLog` names), so only the trials added, the logged ones and the ones running at the
 * last look need reading again. What is computed from the answer (the rungs' trust, in
 * `memo`) is kept until the answer changes.
 */
class CompleteTracker extends ReplicaFollower {
  /** Numbers of the complete trials. */
  private readonly complete = new SortedNumbers();
  /** Trials that were not finished at the last look. */
  private readonly open = new Set<number>();
  private recent: FrozenTrial[] | undefined;
  /** Values computed from `recent`, by key, cleared when it changes. */
  readonly memo = new Map<string, number>();

  protected override watched(): Iterable<number> {
    // The live set: re-reading trial n deletes n only, which a Set's iteration allows.
    return this.open;
  }

  /** Re-reads trial `n`'s state; forgets what was computed when whether it counts as complete changed. */
  protected reread(n: number, t: FrozenTrial | undefined): void {
    const isComplete = t !== undefined && isCompleteTrial(t);
    if (t !== undefined && t.state === "running") this.open.add(n);
    else this.open.delete(n);
    const was = this.complete.at(this.complete.below(n)) === n;
    if (isComplete === was) return;
    if (isComplete) this.complete.add(n);
    else this.complete.delete(n);
    this.recent = undefined;
    this.memo.clear();
  }

  recentComplete(): FrozenTrial[] {
    if (this.recent === undefined) {
      const c = this.complete;
      this.recent = [];
      for (let i = Math.max(0, c.count - TRUST_WINDOW); i < c.count; i++) this.recent.push(this.trials[c.at(i)!]!);
    }
    return this.recent;
  }
}

function isCompleteTrial(t: FrozenTrial): boolean {
  return t.state === "complete" && t.value !== undefined;
}

const trackers = new WeakMap<readonly number[], CompleteTracker>();

/** The tracker of a replica (by its system log), or undefined for a snapshot that is not one, or one whose trials are not at the positions of their numbers. */
function trackerOf(snapshot: StudySnapshot): CompleteTracker | undefined {
  return followerOf(snapshot, trackers, (trials) => new CompleteTracker(trials));
}

/** `recentComplete` of the snapshot's trials: from the replica's tracker when it is one, else by a pass. */
export function recentCompleteOf(snapshot: StudySnapshot): FrozenTrial[] {
  const tr = trackerOf(snapshot);
  return tr === undefined ? recentComplete(snapshot.trials) : tr.recentComplete();
}

/**
 * The trust of rung `rung` (rungTrust over the recent complete trials), from the
 * replica's tracker when the snapshot is one (recomputed only when its complete trials
 * changed), else from a pass over the trials.
 */
export function rungTrustOf(snapshot: StudySnapshot, rung: number, maxResource: number): number {
  const tr = trackerOf(snapshot);
  if (tr === undefined) return rungTrust(recentComplete(snapshot.trials), rung, maxResource);
  const key = `${rung}/${maxResource}`;
  let v = tr.memo.get(key);
  if (v === undefined) {
    v = rungTrust(tr.recentComplete(), rung, maxResource);
    tr.memo.set(key, v);
  }
  return v;
}
