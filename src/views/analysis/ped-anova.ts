/**
 * PED-ANOVA (Watanabe, Bansal and Hutter, IJCAI 2023; Optuna's PedAnovaImportanceEvaluator):
 * how much a parameter's distribution among the top trials differs from its distribution among
 * all trials, measured as the Pearson divergence of two 1-D Parzen estimators on a grid. No
 * model: a handful of histograms per parameter.
 *
 * - Top trials: the best 10% (gamma' = 0.1) of the complete trials, at least 2; ties at the
 *   cut-off are kept. The region is every complete trial (gamma = 1).
 * - Each numeric parameter is placed on a grid of at most 50 steps over its declared range in
 *   its own scale (log parameters in log space; fewer steps for ints and stepped floats with
 *   fewer values); categorical parameters use their choices. The Parzen estimators are discrete
 *   truncated normals with Scott's bandwidth and a wide prior kernel of weight 1, as Optuna's.
 * - Conditional parameters: the trials are split into the regime where the parameter is active
 *   and the one where it is not. With a_r and b_r the shares of top and of all trials in regime
 *   r, the importance is Σ_r a_r²/b_r · D_r + Σ_r (a_r - b_r)²/b_r (the Pearson divergence of the
 *   joint distribution of regime and value): the divergence within the active regime, weighted,
 *   plus how much being active at all separates the top trials.
 */
import type { CategoricalParam, ParamDef } from "../../space/types";
import type { AnalysisTable, ParamColumn } from "./table";

/** gamma': the share of trials counted as "top". */
export const PED_TOP_QUANTILE = 0.1;
const MIN_TOP = 2;
const MAX_STEPS = 50;
const PRIOR_WEIGHT = 1;
const EPS = 1e-12;

/** The indices of the top trials (lowest loss): the best PED_TOP_QUANTILE, at least MIN_TOP, ties kept. */
export function topTrials(loss: Float64Array, quantile = PED_TOP_QUANTILE, minTop = MIN_TOP): boolean[] {
  const sorted = Float64Array.from(loss).sort();
  const n = sorted.length;
  const q = sorted[Math.max(0, Math.ceil(quantile * n) - 1)]!;
  const cutoff = Math.max(q, sorted[Math.min(n, minTop) - 1]!);
  return Array.from(loss, (v) => v <= cutoff);
}

/** Each parameter's raw PED-ANOVA importance (not normalised), as a generator yielding after each parameter. */
export function* pedAnova(table: AnalysisTable): Generator<void, number[]> {
  if (table.size <= MIN_TOP) return table.columns.map(() => 0);
  const top = topTrials(table.loss);
  const nTop = top.filter(Boolean).length;
  const out: number[] = [];
  for (const col of table.columns) {
    out.push(paramImportance(col, top, nTop, table.size));
    yield;
  }
  return out;
}

function paramImportance(col: ParamColumn, top: readonly boolean[], nTop: number, n: number): number {
  const steps = gridSteps(col.def);
  const allCounts = new Float64Array(steps);
  const topCounts = new Float64Array(steps);
  let inactiveAll = 0;
  let inactiveTop = 0;
  for (let i = 0; i < n; i++) {
    const x = col.x[i]!;
    if (Number.isNaN(x)) {
      inactiveAll++;
      if (top[i]) inactiveTop++;
      continue;
    }
    const g = col.def.type === "categorical" ? x : Math.round(x * (steps - 1));
    allCounts[g]!++;
    if (top[i]) topCounts[g]!++;
  }
  let score = 0;
  const activeAll = n - inactiveAll;
  const activeTop = nTop - inactiveTop;
  for (const [all, inTop, active] of [
    [activeAll, activeTop, true],
    [inactiveAll, inactiveTop, false],
  ] as const) {
    if (all === 0) continue;
    const a = inTop / nTop;
    const b = all / n;
    if (active && inTop > 0 && steps > 1) {
      const pTop = gridPdf(col.def, topCounts);
      const pAll = gridPdf(col.def, allCounts);
      score += ((a * a) / b) * pearson(pTop, pAll);
    }
    score += ((a - b) * (a - b)) / b;
  }
  return score;
}

/** D(top || all) = Σ p_all (p_top / p_all - 1)². */
function pearson(pTop: Float64Array, pAll: Float64Array): number {
  let d = 0;
  for (let g = 0; g < pTop.length; g++) {
    const t = pTop[g]! + EPS;
    const a = pAll[g]! + EPS;
    d += a * (t / a - 1) ** 2;
  }
  return d;
}

/** How many grid points a parameter gets: its values when it has fewer than MAX_STEPS. */
export function gridSteps(def: ParamDef): number {
  if (def.type === "categorical") return def.choices.length;
  if (def.type === "int") {
    const step = def.step ?? 1;
    if (def.scale === "log") return Math.max(2, Math.min(MAX_STEPS, Math.ceil(Math.log2(def.high - def.low + 1)) + 1));
    return Math.max(1, Math.min(MAX_STEPS, Math.floor((def.high - def.low) / step) + 1));
  }
  if (def.step !== undefined) return Math.max(1, Math.min(MAX_STEPS, Math.floor((def.high - def.low) / def.step + 1e-9) + 1));
  return MAX_STEPS;
}

/** The Parzen estimator's probabilities on the grid, from counts per grid point. */
function gridPdf(def: ParamDef, counts: Float64Array): Float64Array {
  return def.type === "categorical" ? categoricalPdf(def, counts) : numericPdf(counts);
}

/** Each observed choice is a kernel (its choice plus prior_weight/K on every choice), plus a uniform prior kernel. */
function categoricalPdf(def: CategoricalParam, counts: Float64Array): Float64Array {
  const k = def.choices.length;
  let n = 0;
  for (const c of counts) n += c;
  const p = new Float64Array(k);
  const spread = PRIOR_WEIGHT / k / (1 + PRIOR_WEIGHT);
  for (let i = 0; i < k; i++) {
    const c = counts[i]!;
    if (c === 0) continue;
    for (let j = 0; j < k; j++) p[j]! += c * spread;
    p[i]! += c / (1 + PRIOR_WEIGHT);
  }
  for (let j = 0; j < k; j++) p[j] = (p[j]! + PRIOR_WEIGHT / k) / (n + PRIOR_WEIGHT);
  return p;
}

/**
 * Discrete truncated normals on 0..G-1 at each grid point with a count (weighted by it), with
 * Scott's bandwidth (at least 0.5/1.64: 90% of a kernel within its own cell), and a prior kernel
 * at the centre with sigma G.
 */
function numericPdf(counts: Float64Array): Float64Array {
  const steps = counts.length;
  const mus: number[] = [];
  const weights: number[] = [];
  let n = 0;
  for (let g = 0; g < steps; g++)
    if (counts[g]! > 0) {
      mus.push(g);
      weights.push(counts[g]!);
      n += counts[g]!;
    }
  let mean = 0;
  for (let i = 0; i < mus.length; i++) mean += (mus[i]! * weights[i]!) / n;
  let ss = 0;
  for (let i = 0; i < mus.length; i++) ss += (mus[i]! - mean) ** 2 * weights[i]!;
  const sd = Math.sqrt(ss / Math.max(1, n - 1));
  const cum: number[] = [];
  let acc = 0;
  for (const w of weights) cum.push((acc += w));
  const q25 = searchLeft(cum, Math.floor(n / 4));
  const q75 = searchRight(cum, Math.floor((n * 3) / 4));
  const iqr = mus[Math.min(mus.length - 1, q75)]! - mus[q25]!;
  const sigma = Math.max(1.059 * Math.min(iqr / 1.34, sd) * n ** -0.2, 0.5 / 1.64);
  const p = new Float64Array(steps);
  const total = n + PRIOR_WEIGHT;
  for (let i = 0; i < mus.length; i++) addKernel(p, mus[i]!, sigma, weights[i]! / total);
  addKernel(p, (steps - 1) / 2, steps, PRIOR_WEIGHT / total);
  return p;
}

/** Adds w times a normal(mu, sigma) discretised on 0..G-1 and truncated to [-0.5, G-0.5]. */
function addKernel(p: Float64Array, mu: number, sigma: number, w: number): void {
  const steps = p.length;
  const lo = normalCdf((-0.5 - mu) / sigma);
  const mass = normalCdf((steps - 0.5 - mu) / sigma) - lo;
  let prev = lo;
  for (let g = 0; g < steps; g++) {
    const next = normalCdf((g + 0.5 - mu) / sigma);
    p[g]! += (w * (next - prev)) / mass;
    prev = next;
  }
}

function searchLeft(xs: readonly number[], v: number): number {
  let i = 0;
  while (i < xs.length && xs[i]! < v) i++;
  return i;
}
function searchRight(xs: readonly number[], v: number): number {
  let i = 0;
  while (i < xs.length && xs[i]! <= v) i++;
  return i;
}

/** Φ(z), from the Chebyshev fit of erfc in Numerical Recipes (erfcc: relative error < 1.2e-7 everywhere). */
export function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.5 * ax);
  const r =
    t *
    Math.exp(
      -ax * ax - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  const erfc = x >= 0 ? r : 2 - r;
  return 0.5 * erfc;
}
