import { NotPositiveDefiniteError } from "../math/linalg";
import { GpPosterior, paramsFromTheta, type GpInputs } from "../math/gp";
import { SobolSequence, SOBOL_MAX_DIM } from "../math/sobol";
import type { Direction, FrozenTrial } from "../model/trial";
import { gpThetaOf } from "../record/system";
import type { SearchSpace } from "../space/space";
import { Rng } from "../util/rng";
import { ModelSpace } from "./bayesian-space";

/**
 * `limits.convergence`: whether further trials are unlikely to improve the best by more than a
 * tolerance. Pure and synchronous, like the strategies: it reads the finished trials and returns
 * a verdict; the run loop (src/study/reached.ts) asks once per newly complete trial.
 *
 * Two rules, both estimating E, the improvement of the best still to come, in the metric's units:
 *
 * - **regret bound** (the bayesian strategy, once it has fitted its GP): Makarova et al. 2022,
 *   as Optuna's Terminator. A GP with the hyperparameters the strategy last fitted (read from
 *   the trials' record: no fit of its own) on the best half of the complete trials (at least
 *   20, at most 100), standardised; E = (min over those points of the UCB − min over the space
 *   of the LCB) × their standard deviation, with √β, β = 2·log(d·n²·π²/(6·0.1))/5. The space's
 *   minimum LCB is taken over the observed points and 1,024 Sobol points.
 * - **forecast** (every other strategy): E = max(recent, iid), where `recent` is what the best
 *   gained over the last `window` complete trials (a trend that goes on), and `iid` is what
 *   `window` more draws would gain if trials were exchangeable: the chance that one of them
 *   beats the best, window / (n + window), times the mean gap between the six best values
 *   (the typical gain of a new best).
 *
 * The tolerance is `tolerance`, else `relative` × the interquartile range of the complete
 * values (scale-free: 1% of the spread of typical trials). The rule fires when E <= tolerance.
 */
export interface ConvergenceSettings {
  readonly tolerance?: number;
  readonly relative: number;
  readonly minTrials: number;
  readonly window: number;
}

export interface ConvergenceVerdict {
  readonly converged: boolean;
  /** The expected further improvement E (metric units). */
  readonly expected: number;
  readonly tolerance: number;
  readonly rule: "regret-bound" | "forecast";
  /** Complete trials it was judged on. */
  readonly trials: number;
}

/** Fewest and most trials the GP of the regret bound is conditioned on (Optuna: top half, at least 20). */
const FIT_MIN = 20;
const FIT_MAX = 100;
/** Sobol points where the LCB's minimum over the space is looked for. */
const LCB_CANDIDATES = 1024;
/** Salt of the candidates' stream (not a strategy's purpose: it never proposes a trial). */
const CONVERGENCE_SALT = 17;

/**
 * The verdict on `complete` (complete trials with finite values, in the order they finished),
 * or undefined before `minTrials` of them. `all` is every trial (the GP's hyperparameters are
 * read from the latest proposal that saved them).
 */
export function judgeConvergence(
  s: ConvergenceSettings,
  complete: readonly FrozenTrial[],
  o: { readonly direction: Direction; readonly space: SearchSpace; readonly strategy: string; readonly seed: number; readonly all: readonly FrozenTrial[] },
): ConvergenceVerdict | undefined {
  const n = complete.length;
  if (n < s.minTrials) return undefined;
  const sign = o.direction === "minimize" ? 1 : -1;
  // Minimised from here on.
  const y = Float64Array.from(complete, (t) => sign * t.value!);
  const tolerance = s.tolerance ?? s.relative * interquartileRange(y);
  const bound = o.strategy === "bayesian" ? regretBound(complete, y, o) : undefined;
  const expected = bound ?? forecast(y, s.window);
  return { converged: expected <= tolerance, expected, tolerance, rule: bound === undefined ? "forecast" : "regret-bound", trials: n };
}

/** The forecast rule (see above) on values to minimise, in finishing order. */
export function forecast(y: Float64Array, window: number): number {
  const n = y.length;
  let best = Infinity;
  let before = Infinity;
  for (let i = 0; i < n; i++) {
    if (i === n - window) before = best;
    if (y[i]! < best) best = y[i]!;
  }
  // Fewer trials than the window: the gain since the first.
  const recent = (n > window ? before : y[0]!) - best;
  const sorted = Float64Array.from(y).sort();
  const m = Math.min(5, n - 1);
  const gap = m > 0 ? (sorted[m]! - sorted[0]!) / m : 0;
  const iid = (window / (n + window)) * gap;
  return Math.max(recent, iid);
}

/** Q3 − Q1 (linear interpolation between order statistics). */
export function interquartileRange(y: ArrayLike<number>): number {
  const s = Float64Array.from(y).sort();
  return quantile(s, 0.75) - quantile(s, 0.25);
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The GP regret bound in the metric's units, or undefined when there is no fitted GP to use. */
function regretBound(
  complete: readonly FrozenTrial[],
  y: Float64Array,
  o: { readonly space: SearchSpace; readonly seed: number; readonly all: readonly FrozenTrial[] },
): number | undefined {
  if (o.space.size > SOBOL_MAX_DIM) return undefined;
  const model = new ModelSpace(o.space);
  const d = model.d;
  let theta: number[] | undefined;
  for (let i = o.all.length - 1; i >= 0 && !theta; i--) {
    const t = gpThetaOf(o.all[i]!.system);
    if (t && t.length === d + 2) theta = t;
  }
  if (!theta) return undefined;
  // The best half (at least FIT_MIN, at most FIT_MAX): the region where the optimum is decided.
  const n = complete.length;
  const top = Math.min(n, FIT_MAX, Math.max(FIT_MIN, Math.floor(n / 2)));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => y[a]! - y[b]! || a - b).slice(0, top);
  const X = new Float64Array(top * d);
  const ys = new Float64Array(top);
  let mean = 0;
  for (let k = 0; k < top; k++) {
    model.encodeConfig(complete[order[k]!]!.params, X.subarray(k * d, (k + 1) * d));
    ys[k] = y[order[k]!]!;
    mean += ys[k]! / top;
  }
  let variance = 0;
  for (let k = 0; k < top; k++) variance += (ys[k]! - mean) ** 2 / top;
  const sd = Math.sqrt(variance);
  if (!(sd > 0)) return 0; // every one of the best trials has the same value
  for (let k = 0; k < top; k++) ys[k] = (ys[k]! - mean) / sd;
  const inputs: GpInputs = { n: top, d, X, y: ys, categorical: model.categorical };
  const params = paramsFromTheta(theta, d);
  let gp: GpPosterior;
  try {
    gp = new GpPosterior(inputs, params);
  } catch (e) {
    if (!(e instanceof NotPositiveDefiniteError)) throw e;
    gp = new GpPosterior(inputs, { ...params, noise: Math.max(params.noise, 1e-3) });
  }
  const root = Math.sqrt((2 * Math.log((Math.max(1, o.space.size) * top * top * Math.PI * Math.PI) / (6 * 0.1))) / 5);
  const mu = new Float64Array(Math.max(top, 256));
  const v = new Float64Array(mu.length);
  gp.predictMany(X, top, mu, v);
  let minUcb = Infinity;
  let minLcb = Infinity;
  for (let k = 0; k < top; k++) {
    const s = Math.sqrt(Math.max(0, v[k]!));
    minUcb = Math.min(minUcb, mu[k]! + root * s);
    minLcb = Math.min(minLcb, mu[k]! - root * s);
  }
  // The LCB's minimum over the space, screened on Sobol points in blocks of 256.
  const seq = new SobolSequence(d, { scramble: Rng.derive(o.seed, n, CONVERGENCE_SALT) });
  const w = new Float64Array(d);
  const Z = new Float64Array(256 * d);
  for (let c0 = 0; c0 < LCB_CANDIDATES; c0 += 256) {
    for (let c = 0; c < 256; c++) {
      model.fromCube(seq.next(), w);
      model.canonical(w, Z.subarray(c * d, (c + 1) * d));
    }
    gp.predictMany(Z, 256, mu, v);
    for (let c = 0; c < 256; c++) minLcb = Math.min(minLcb, mu[c]! - root * Math.sqrt(Math.max(0, v[c]!)));
  }
  const bound = (minUcb - minLcb) * sd;
  return Number.isFinite(bound) ? Math.max(0, bound) : undefined;
}
