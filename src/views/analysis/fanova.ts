/**
 * fANOVA (Hutter, Hoos and Leyton-Brown, ICML 2014): the share of a random forest's variance
 * over the search space that each parameter explains alone. For each tree, exactly as the
 * fanova package does: the leaves partition the space's box into cells; the tree's marginal
 * prediction as a function of parameter i (the other parameters averaged over the box) is
 * constant on the intervals that the tree's thresholds on i cut, so its variance is a sum over
 * those intervals. A parameter's importance is its marginal variance over the tree's total
 * variance, averaged over the trees (first-order effects only, as Optuna's evaluator).
 *
 * Encoding and the box's measure:
 * - numeric parameters sit in [0, 1] of their own scale (log parameters in log space), each
 *   categorical choice owns a unit cell [i, i + 1) (the measure gives each choice the same weight);
 * - a conditional parameter where it is inactive takes a value of its own, -0.5 in a cell
 *   [-1, 0), and the dimension's measure gives that cell the share of trials where the parameter
 *   was inactive (the active range gets the rest): averaging over the box then follows how often
 *   the parameter exists, instead of averaging over combinations no trial can have.
 */
import type { Rng } from "../../util/rng";
import { FOREST_DEFAULTS, growForest, type ForestOptions, type RegressionTree } from "./forest";
import type { AnalysisTable } from "./table";

/** The most trials the forest is grown on: above it a seeded uniform subsample of this many. */
export const MAX_FANOVA_TRIALS = 1000;

interface Dimension {
  readonly lo: number;
  readonly hi: number;
  /** Measure per unit length of the inactive cell [-1, 0) and of the active range [0, hi]. */
  readonly inactive: number;
  readonly active: number;
}

/** Each parameter's raw fANOVA importance (its mean share of the trees' variance), yielding after each tree. */
export function* fanova(table: AnalysisTable, rng: Rng, options: ForestOptions = FOREST_DEFAULTS): Generator<void, number[]> {
  const d = table.columns.length;
  if (table.size < 2 || d === 0) return table.columns.map(() => 0);
  const rows = pickRows(table.size, rng);
  const dims: Dimension[] = [];
  const columns = table.columns.map((col) => {
    const categorical = col.def.type === "categorical";
    const top = categorical ? (col.def as { choices: readonly unknown[] }).choices.length : 1;
    const x = Float64Array.from(rows, (r) => {
      const v = col.x[r]!;
      return Number.isNaN(v) ? -0.5 : categorical ? v + 0.5 : v;
    });
    const inactiveShare = 1 - col.active / table.size;
    dims.push({ lo: inactiveShare > 0 ? -1 : 0, hi: top, inactive: inactiveShare, active: (1 - inactiveShare) / top });
    return x;
  });
  const y = Float64Array.from(rows, (r) => table.loss[r]!);
  const trees = yield* growForest(columns, y, rng, options);
  const sums = new Float64Array(d);
  let used = 0;
  for (const tree of trees) {
    const shares = treeShares(tree, dims);
    if (shares === null) continue;
    used++;
    for (let i = 0; i < d; i++) sums[i]! += shares[i]!;
  }
  return Array.from(sums, (s) => (used === 0 ? 0 : s / used));
}

function pickRows(size: number, rng: Rng): Int32Array {
  if (size <= MAX_FANOVA_TRIALS) return Int32Array.from({ length: size }, (_, i) => i);
  return rng.permutation(size).subarray(0, MAX_FANOVA_TRIALS).sort();
}

/** The measure of [lo, hi] in a dimension. */
function measure(dim: Dimension, lo: number, hi: number): number {
  const inactive = Math.max(0, Math.min(hi, 0) - Math.max(lo, -1));
  const active = Math.max(0, Math.min(hi, dim.hi) - Math.max(lo, 0));
  return inactive * dim.inactive + active * dim.active;
}

/** Each parameter's marginal variance over the tree's total variance; null for a tree that predicts a constant. */
function treeShares(tree: RegressionTree, dims: readonly Dimension[]): Float64Array | null {
  const d = dims.length;
  // The leaves' boxes, flat: leaf l's bounds in dimension j at [2(l·d + j)], [2(l·d + j) + 1].
  const boxes: number[] = [];
  const values: number[] = [];
  const weights: number[] = [];
  const lo = Float64Array.from(dims, (x) => x.lo);
  const hi = Float64Array.from(dims, (x) => x.hi);
  const walk = (node: number): void => {
    const f = tree.feature[node]!;
    if (f < 0) {
      let weight = 1;
      for (let j = 0; j < d; j++) weight *= measure(dims[j]!, lo[j]!, hi[j]!);
      if (weight > 0) {
        for (let j = 0; j < d; j++) boxes.push(lo[j]!, hi[j]!);
        values.push(tree.value[node]!);
        weights.push(weight);
      }
      return;
    }
    const t = tree.threshold[node]!;
    const keepHi = hi[f]!;
    hi[f] = Math.min(keepHi, t);
    walk(tree.left[node]!);
    hi[f] = keepHi;
    const keepLo = lo[f]!;
    lo[f] = Math.max(keepLo, t);
    walk(tree.right[node]!);
    lo[f] = keepLo;
  };
  walk(0);
  const leaves = values.length;
  let mean = 0;
  for (let l = 0; l < leaves; l++) mean += weights[l]! * values[l]!;
  let total = 0;
  for (let l = 0; l < leaves; l++) total += weights[l]! * (values[l]! - mean) ** 2;
  if (!(total > 1e-300)) return null;

  // A leaf's bounds in dimension i are the domain's ends or thresholds the tree uses on i.
  const cutsOf: number[][] = dims.map((x) => [x.lo, x.hi]);
  for (let node = 0; node < tree.size; node++) if (tree.feature[node]! >= 0) cutsOf[tree.feature[node]!]!.push(tree.threshold[node]!);
  const shares = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const dim = dims[i]!;
    const bounds = Float64Array.from(cutsOf[i]!.filter((c) => c >= dim.lo && c <= dim.hi)).sort();
    const diff = new Float64Array(bounds.length);
    for (let l = 0; l < leaves; l++) {
      const a = boxes[2 * (l * d + i)]!;
      const b = boxes[2 * (l * d + i) + 1]!;
      const add = (values[l]! * weights[l]!) / measure(dim, a, b);
      diff[indexOf(bounds, a)]! += add;
      diff[indexOf(bounds, b)]! -= add;
    }
    let g = 0;
    let first = 0;
    let second = 0;
    for (let k = 0; k < bounds.length - 1; k++) {
      g += diff[k]!;
      const m = measure(dim, bounds[k]!, bounds[k + 1]!);
      first += m * g;
      second += m * g * g;
    }
    shares[i] = Math.max(0, second - first * first) / total;
  }
  return shares;
}

function indexOf(sorted: Float64Array, v: number): number {
  let a = 0;
  let b = sorted.length - 1;
  while (a < b) {
    const m = (a + b) >> 1;
    if (sorted[m]! < v) a = m + 1;
    else b = m;
  }
  return a;
}
