import type { FrozenTrial } from "../model/trial";
import { ndtri } from "../math/special";
import type { PriorObservations } from "./strategy";

/**
 * Warm start (issue 17 part 2) as the model strategies see it: the parents' trials as complete
 * trials numbered below 0 (older than every trial of the study, so recency weights and
 * tie-breaks put them first), and rank-based scores.
 */

const asTrials = new WeakMap<PriorObservations, readonly FrozenTrial[]>();

/** The prior's trials as complete trials numbered -n..-1 (same objects for the same prior). */
export function priorAsTrials(prior: PriorObservations): readonly FrozenTrial[] {
  let out = asTrials.get(prior);
  if (!out) {
    const n = prior.trials.length;
    out = prior.trials.map((t, i) => ({ number: i - n, state: "complete" as const, params: t.params, value: t.value, metrics: {}, intermediate: [], curves: {}, startedAt: 0, system: {} }));
    asTrials.set(prior, out);
  }
  return out;
}

/**
 * Normal scores of `values`' ranks (Gaussian copula, Salinas et al. 2020): the best gets
 * Φ⁻¹(1 − ½/n), the worst Φ⁻¹(½/n); larger is better. `sign` 1 when larger values are better.
 */
export function copulaScores(values: ArrayLike<number>, sign: number): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => sign * (values[b]! - values[a]!) || a - b);
  const out = new Float64Array(n);
  order.forEach((k, rank) => (out[k] = ndtri(1 - (rank + 0.5) / n)));
  return out;
}

/**
 * How many of the study's own trials the whole prior is worth in a "transfer" model: 10 at the
 * start, half that once the study has 10 finished trials of its own, and so on down (the study's
 * own measurements of its objective take over from the parents' rankings).
 */
export function transferWorth(ownFinished: number): number {
  return (10 * 10) / (10 + ownFinished);
}
