/**
 * A regression random forest that keeps its trees' structure, for fANOVA: CART trees grown to
 * purity (min 2 samples to split, 1 per leaf) on bootstrap samples, every feature considered at
 * every split (as Optuna's fANOVA forest: scikit-learn's defaults for regression), split
 * thresholds at midpoints between neighbouring values. Seeded: the bootstrap and the order
 * features are tried in (which breaks ties) come from the Rng given.
 *
 * Growing uses per-feature presorted index lists partitioned at each split, so a tree costs
 * O(n · features · depth) with no sorting after the first.
 */
import type { Rng } from "../../util/rng";

/** A tree as flat arrays; node 0 is the root; a leaf has feature -1. */
export interface RegressionTree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** The mean target of the samples in the node. */
  readonly value: Float64Array;
  readonly size: number;
}

export interface ForestOptions {
  readonly trees: number;
  readonly maxDepth: number;
}

export const FOREST_DEFAULTS: ForestOptions = { trees: 32, maxDepth: 64 };

/**
 * Grows one tree per yield. `columns[f][i]` is feature f of sample i (no NaN: encode an
 * inactive value as a number of its own); `y[i]` the target.
 */
export function* growForest(columns: readonly Float64Array[], y: Float64Array, rng: Rng, options: ForestOptions = FOREST_DEFAULTS): Generator<void, RegressionTree[]> {
  const n = y.length;
  const order = columns.map((col) => Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => col[a]! - col[b]! || a - b));
  const trees: RegressionTree[] = [];
  for (let t = 0; t < options.trees; t++) {
    const counts = new Int32Array(n);
    for (let i = 0; i < n; i++) counts[rng.int(n)]!++;
    trees.push(growTree(columns, y, order, counts, rng, options.maxDepth));
    yield;
  }
  return trees;
}

/** The tree's prediction for one point (`x[f]`: feature f). */
export function predict(tree: RegressionTree, x: ArrayLike<number>): number {
  let node = 0;
  while (tree.feature[node]! >= 0) node = x[tree.feature[node]!]! <= tree.threshold[node]! ? tree.left[node]! : tree.right[node]!;
  return tree.value[node]!;
}

function growTree(columns: readonly Float64Array[], y: Float64Array, order: readonly Int32Array[], counts: Int32Array, rng: Rng, maxDepth: number): RegressionTree {
  const d = columns.length;
  // Each feature's sorted list of the bootstrap sample (a sample drawn k times appears k times).
  let m = 0;
  for (const c of counts) m += c;
  const sorted = order.map((ord) => {
    const out = new Int32Array(m);
    let k = 0;
    for (const i of ord) for (let c = counts[i]!; c > 0; c--) out[k++] = i;
    return out;
  });
  const scratch = new Int32Array(m);
  const goesLeft = new Uint8Array(y.length);
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const featureOrder = Int32Array.from({ length: d }, (_, i) => i);

  const grow = (start: number, end: number, depth: number): number => {
    const node = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    const ref = sorted[0]!;
    let sum = 0;
    let sumSq = 0;
    for (let k = start; k < end; k++) {
      const v = y[ref[k]!]!;
      sum += v;
      sumSq += v * v;
    }
    const size = end - start;
    value.push(sum / size);
    if (size < 2 || depth >= maxDepth || sumSq - (sum * sum) / size <= 1e-12 * Math.max(1, sumSq)) return node;

    // The split with the largest reduction of the squared error: maximise sumL²/nL + sumR²/nR.
    shuffle(featureOrder, rng);
    let bestScore = (sum * sum) / size;
    let bestFeature = -1;
    let bestThreshold = 0;
    for (const f of featureOrder) {
      const s = sorted[f]!;
      const col = columns[f]!;
      let sumL = 0;
      for (let k = start; k < end - 1; k++) {
        sumL += y[s[k]!]!;
        const a = col[s[k]!]!;
        const b = col[s[k + 1]!]!;
        if (a === b) continue;
        const nL = k - start + 1;
        const sumR = sum - sumL;
        const score = (sumL * sumL) / nL + (sumR * sumR) / (size - nL);
        if (score > bestScore + 1e-12 * Math.abs(bestScore)) {
          bestScore = score;
          bestFeature = f;
          bestThreshold = a + (b - a) / 2;
        }
      }
    }
    if (bestFeature < 0) return node;

    const col = columns[bestFeature]!;
    for (let k = start; k < end; k++) {
      const i = ref[k]!;
      goesLeft[i] = col[i]! <= bestThreshold ? 1 : 0;
    }
    let mid = start;
    for (const s of sorted) mid = partition(s, start, end, goesLeft, scratch);
    feature[node] = bestFeature;
    threshold[node] = bestThreshold;
    left[node] = grow(start, mid, depth + 1);
    right[node] = grow(mid, end, depth + 1);
    return node;
  };
  grow(0, m, 0);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    size: feature.length,
  };
}

/** Stable partition of s[start, end): samples going left first; returns where the right part starts. */
function partition(s: Int32Array, start: number, end: number, goesLeft: Uint8Array, scratch: Int32Array): number {
  let l = start;
  let r = 0;
  for (let k = start; k < end; k++) {
    const i = s[k]!;
    if (goesLeft[i]) s[l++] = i;
    else scratch[r++] = i;
  }
  s.set(scratch.subarray(0, r), l);
  return l;
}

/** Fisher-Yates in place (no allocation: it runs at every node). */
function shuffle(xs: Int32Array, rng: Rng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = xs[i]!;
    xs[i] = xs[j]!;
    xs[j] = t;
  }
}
