/**
 * A small neural network for the example notebooks, in plain TypeScript:
 * one hidden layer of ReLU units and a softmax output, trained on
 * mini-batches with SGD (with momentum) or Adam, and L2 weight decay.
 * Float64Array throughout; seeded, so the same settings train the same net.
 *
 *   const net = new MLP({ inputs: 196, hidden: 32, classes: 10, seed: 1 });
 *   net.trainEpoch(data.train, { optimizer: "adam", lr: 1e-3, l2: 1e-4, batchSize: 32 });
 *   net.evaluate(data.validation); // { loss, accuracy }
 */
import { Rng } from "tunelab";
import type { DataSet } from "./digits";

export type OptimizerName = "sgd" | "adam";

export interface TrainOptions {
  readonly optimizer: OptimizerName;
  /** Step size. */
  readonly lr: number;
  /** L2 penalty on the weights (not the biases). */
  readonly l2: number;
  /** Examples per update (default 32). */
  readonly batchSize?: number;
  /** SGD's momentum (default 0.9; ignored by Adam). */
  readonly momentum?: number;
}

export interface Evaluation {
  /** Mean cross-entropy (natural log); ln 10 ≈ 2.30 is chance for 10 classes. */
  readonly loss: number;
  /** Share of examples whose most likely class is the label. */
  readonly accuracy: number;
}

/** An example set's non-zero features (most pixels are blank), computed once per set. */
interface Sparse {
  /** Example i's non-zero features are index[start[i] .. start[i+1]), with their values in value. */
  readonly start: Int32Array;
  readonly index: Int32Array;
  readonly value: Float64Array;
}
const sparseCache = new WeakMap<DataSet, Sparse>();

function sparse(data: DataSet): Sparse {
  let s = sparseCache.get(data);
  if (!s) {
    const start = new Int32Array(data.n + 1);
    const index: number[] = [];
    const value: number[] = [];
    for (let i = 0; i < data.n; i++) {
      for (let k = 0; k < data.features; k++) {
        const v = data.x[i * data.features + k]!;
        if (v !== 0) {
          index.push(k);
          value.push(v);
        }
      }
      start[i + 1] = index.length;
    }
    s = { start, index: Int32Array.from(index), value: Float64Array.from(value) };
    sparseCache.set(data, s);
  }
  return s;
}

export class MLP {
  readonly inputs: number;
  readonly hidden: number;
  readonly classes: number;
  // Parameters, then per parameter: gradient, first and second moments.
  private readonly params: Float64Array[];
  private readonly grads: Float64Array[];
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private readonly rng: Rng;
  private steps = 0;

  constructor(options: { inputs: number; hidden: number; classes: number; seed: number }) {
    const { inputs, hidden, classes, seed } = options;
    this.inputs = inputs;
    this.hidden = hidden;
    this.classes = classes;
    this.rng = Rng.fromSeed(seed);
    // w1 is hidden×inputs and w2 classes×hidden, row by row; He initialisation.
    const w1 = this.gaussian(hidden * inputs, Math.sqrt(2 / inputs));
    const w2 = this.gaussian(classes * hidden, Math.sqrt(2 / hidden));
    this.params = [w1, new Float64Array(hidden), w2, new Float64Array(classes)];
    const zeros = () => this.params.map((p) => new Float64Array(p.length));
    this.grads = zeros();
    this.m = zeros();
    this.v = zeros();
  }

  /** One pass over `data` in a fresh random order. */
  trainEpoch(data: DataSet, options: TrainOptions): void {
    const batchSize = options.batchSize ?? 32;
    const order = this.rng.permutation(data.n);
    for (let start = 0; start < data.n; start += batchSize) {
      const batch = order.subarray(start, Math.min(start + batchSize, data.n));
      this.gradient(data, batch, options.l2);
      this.update(options);
    }
  }

  /** Mean loss and accuracy on `data`. */
  evaluate(data: DataSet): Evaluation {
    const h = new Float64Array(this.hidden);
    const p = new Float64Array(this.classes);
    const xs = sparse(data);
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < data.n; i++) {
      this.forward(xs, i, h, p);
      const label = data.y[i]!;
      loss -= Math.log(Math.max(p[label]!, 1e-12));
      let best = 0;
      for (let c = 1; c < this.classes; c++) if (p[c]! > p[best]!) best = c;
      if (best === label) correct++;
    }
    return { loss: loss / data.n, accuracy: correct / data.n };
  }

  /** Class probabilities of example `i`. */
  predict(data: DataSet, i: number): Float64Array {
    const p = new Float64Array(this.classes);
    this.forward(sparse(data), i, new Float64Array(this.hidden), p);
    return p;
  }

  private gaussian(n: number, sd: number): Float64Array {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++) a[i] = this.rng.normal() * sd;
    return a;
  }

  /** Hidden activations into h and class probabilities into p for example i. */
  private forward(xs: Sparse, i: number, h: Float64Array, p: Float64Array): void {
    const [w1, b1, w2, b2] = this.params as [Float64Array, Float64Array, Float64Array, Float64Array];
    const { inputs, hidden, classes } = this;
    const { index, value } = xs;
    const from = xs.start[i]!, to = xs.start[i + 1]!;
    for (let j = 0; j < hidden; j++) {
      let s = b1[j]!;
      const row = j * inputs;
      for (let t = from; t < to; t++) s += w1[row + index[t]!]! * value[t]!;
      h[j] = s > 0 ? s : 0;
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = b2[c]!;
      const row = c * hidden;
      for (let j = 0; j < hidden; j++) s += w2[row + j]! * h[j]!;
      p[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const e = Math.exp(p[c]! - max);
      p[c] = e;
      sum += e;
    }
    for (let c = 0; c < classes; c++) p[c] = p[c]! / sum;
  }

  /** Mean gradient of the loss over `batch`, plus the L2 term, into this.grads. */
  private gradient(data: DataSet, batch: Int32Array, l2: number): void {
    const [w1, , w2] = this.params as [Float64Array, Float64Array, Float64Array, Float64Array];
    const [g1, gb1, g2, gb2] = this.grads as [Float64Array, Float64Array, Float64Array, Float64Array];
    const { inputs, hidden, classes } = this;
    for (const g of this.grads) g.fill(0);
    const h = new Float64Array(hidden);
    const p = new Float64Array(classes);
    const dh = new Float64Array(hidden);
    const xs = sparse(data);
    const { index, value } = xs;
    const scale = 1 / batch.length;
    for (const i of batch) {
      this.forward(xs, i, h, p);
      const from = xs.start[i]!, to = xs.start[i + 1]!;
      p[data.y[i]!] = p[data.y[i]!]! - 1; // p becomes d loss / d logits
      dh.fill(0);
      for (let c = 0; c < classes; c++) {
        const d = p[c]! * scale;
        gb2[c] = gb2[c]! + d;
        const row = c * hidden;
        for (let j = 0; j < hidden; j++) {
          g2[row + j] = g2[row + j]! + d * h[j]!;
          dh[j] = dh[j]! + d * w2[row + j]!;
        }
      }
      for (let j = 0; j < hidden; j++) {
        if (h[j]! <= 0) continue; // ReLU: no gradient where the unit is off
        const d = dh[j]!;
        gb1[j] = gb1[j]! + d;
        const row = j * inputs;
        for (let t = from; t < to; t++) g1[row + index[t]!] = g1[row + index[t]!]! + d * value[t]!;
      }
    }
    for (let k = 0; k < w1.length; k++) g1[k] = g1[k]! + l2 * w1[k]!;
    for (let k = 0; k < w2.length; k++) g2[k] = g2[k]! + l2 * w2[k]!;
  }

  private update(o: TrainOptions): void {
    this.steps++;
    if (o.optimizer === "adam") {
      const b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const c1 = 1 / (1 - b1 ** this.steps), c2 = 1 / (1 - b2 ** this.steps);
      this.params.forEach((w, t) => {
        const g = this.grads[t]!, m = this.m[t]!, v = this.v[t]!;
        for (let k = 0; k < w.length; k++) {
          m[k] = b1 * m[k]! + (1 - b1) * g[k]!;
          v[k] = b2 * v[k]! + (1 - b2) * g[k]! * g[k]!;
          w[k] = w[k]! - (o.lr * m[k]! * c1) / (Math.sqrt(v[k]! * c2) + eps);
        }
      });
    } else {
      const mu = o.momentum ?? 0.9;
      this.params.forEach((w, t) => {
        const g = this.grads[t]!, m = this.m[t]!;
        for (let k = 0; k < w.length; k++) {
          m[k] = mu * m[k]! + g[k]!;
          w[k] = w[k]! - o.lr * m[k]!;
        }
      });
    }
  }
}
