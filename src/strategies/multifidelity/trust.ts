import type { FrozenTrial } from "../../model/trial";
import { valueAtLevel } from "./levels";

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
    if (t.state === "complete" && t.value !== undefined) out.push(t);
  }
  return out.reverse();
}
