/**
 * The multi-fidelity problem suite's interface (issue 15 part 1): each problem is a learning
 * curve per configuration, trained one step (epoch, boosting round) at a time. The suite
 * runner (run.ts) drives `open(x, seed, trial).next()` once per reported step, for tunelab and
 * Optuna alike, so both sides see the same curves.
 *
 * Everything is deterministic from (x, seed, trial): noise, data order and initial weights come
 * from a hash of those keys (never Math.random), so a configuration's curve is a fixed function
 * of them. Losses are minimized and finite for every x in the space.
 */

export interface MfProblem {
  /** "lc_h6", "mlp_digits", ... */
  readonly name: string;
  /** validation = held back: defaults are never tuned on it. */
  readonly set: "dev" | "validation";
  /** One paragraph: where the problem comes from (paper / package), what is real. */
  readonly source: string;
  /** tunelab's JSON space spec, as in a `tunelab run` file / serve `create`. */
  readonly space: Record<string, unknown>;
  /** Steps (epochs, rounds) of a full trial; minResource is 1. */
  readonly maxResource: number;
  /** Known optimum of the full-budget loss (regret = value - fStar), else undefined. */
  readonly fStar?: number;
  /** Start one trial: configuration x (as tunelab/Optuna give it), the study seed and trial number (noise keys). */
  open(x: Record<string, unknown>, seed: number, trial: number): MfRun;
}

export interface MfRun {
  /** Trains one more step and returns the loss (minimized) after it. */
  next(): number;
}
