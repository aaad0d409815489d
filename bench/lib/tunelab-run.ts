/**
 * tunelab's counterpart of bench.py's `run_one`: one study of `nTrials` trials on a benchmark
 * function, driven through tunelab's public API the way a user drives it, with bench.py's
 * timing definitions (performance.now() instead of time.perf_counter):
 *
 *   eval_time_i = time in the benchmark function of trial i (after the configuration was
 *                 turned into the function's arguments, which counts as overhead, like
 *                 bench.py's suggest_* calls);
 *   interval_i  = t(trial i finished) - t(trial i-1 finished), t_0 taken immediately before
 *                 run() (resp. the first ask()); "finished" is the study's trialFinished event,
 *                 tunelab's counterpart of an Optuna callback;
 *   overhead_i  = interval_i - eval_time_i (sampling and all bookkeeping; in-memory storage).
 *
 * The study is opened (created in its storage) before t_0, as bench.py creates its study
 * before the timed optimize().
 */
import { tune } from "../../src/index";
import type { Config } from "../../src/index";
import { FUNCTIONS } from "./functions";
import { BUDGETS, type RunRecord } from "./record";
import { round4 } from "./stats";

/**
 * How a tunelab sampler row drives the study: the DSL's run(), or ask()/tell() by hand — one
 * trial at a time, or ("asktell4") with 4 trials in flight: ask 4, then tell the oldest and
 * ask one more, so every proposal after the first few is made while 3 others are running.
 */
export type DrivePath = "dsl" | "asktell" | "asktell4";

export interface TunelabSampler {
  /** The row label in the tables. */
  readonly label: string;
  readonly path: DrivePath;
  /** The strategy name and options for a seed (given to `.strategy(name, options)`). */
  readonly strategy: (seed: number) => { readonly name: string; readonly options: Record<string, unknown> };
}

/** Every tunelab sampler the worker knows; suites pick theirs by key. */
export const TUNELAB_SAMPLERS: Readonly<Record<string, TunelabSampler>> = {
  tunelab_random: {
    label: "tunelab random",
    path: "dsl",
    strategy: (seed) => ({ name: "random", options: { seed } }),
  },
  tunelab_random_asktell: {
    label: "tunelab random (ask/tell)",
    path: "asktell",
    strategy: (seed) => ({ name: "random", options: { seed } }),
  },
  tunelab_bayesian: {
    label: "tunelab bayesian",
    path: "dsl",
    strategy: (seed) => ({ name: "bayesian", options: { seed } }),
  },
  tunelab_bayesian_par4: {
    label: "tunelab bayesian (4 in flight)",
    path: "asktell4",
    strategy: (seed) => ({ name: "bayesian", options: { seed } }),
  },
  tunelab_tpe: {
    label: "tunelab tpe",
    path: "dsl",
    strategy: (seed) => ({ name: "tpe", options: { seed } }),
  },
};

export async function runOne(fname: string, sname: string, seed: number, nTrials: number): Promise<RunRecord> {
  const spec = FUNCTIONS[fname];
  const sampler = TUNELAB_SAMPLERS[sname];
  if (!spec) throw new Error(`unknown function ${fname}`);
  if (!sampler) throw new Error(`unknown tunelab sampler ${sname}`);
  const { args, f } = spec;
  const st = sampler.strategy(seed);
  // Preallocated, so the instrument itself allocates nothing per trial.
  const evalTimes = new Float64Array(nTrials);
  const doneTimes = new Float64Array(nTrials);
  let nEval = 0;
  let nDone = 0;

  const tuner = tune(`bench-${fname}-${sname}-${seed}`)
    .space(spec.space)
    .minimize()
    .strategy(st.name as "random", st.options)
    .storage("memory")
    .on("trialFinished", () => {
      if (nDone < nTrials) doneTimes[nDone] = performance.now();
      nDone++;
    });

  let tStart: number;
  let tEnd: number;
  if (sampler.path === "dsl") {
    tuner.limits({ trials: nTrials }).objective((p) => {
      const a = args(p as Config) as never; // sampling happened before the call: overhead
      const t0 = performance.now();
      const v = f(a);
      if (nEval < nTrials) evalTimes[nEval] = performance.now() - t0;
      nEval++;
      return v;
    });
    await tuner.open();
    tStart = performance.now();
    await tuner.run();
    tEnd = performance.now();
  } else if (sampler.path === "asktell4") {
    await tuner.open();
    tStart = performance.now();
    const inFlight: NonNullable<Awaited<ReturnType<typeof tuner.ask>>>[] = [];
    let asked = 0;
    const askOne = async () => {
      const trial = await tuner.ask();
      if (!trial) throw new Error("ask() gave no trial");
      inFlight.push(trial);
      asked++;
    };
    while (asked < Math.min(4, nTrials)) await askOne();
    while (inFlight.length > 0) {
      const trial = inFlight.shift()!;
      const a = args(trial.params as Config) as never;
      const t0 = performance.now();
      const v = f(a);
      evalTimes[nEval++] = performance.now() - t0;
      await tuner.tell(trial, v);
      if (asked < nTrials) await askOne();
    }
    tEnd = performance.now();
  } else {
    await tuner.open();
    tStart = performance.now();
    for (let i = 0; i < nTrials; i++) {
      const trial = await tuner.ask();
      if (!trial) throw new Error("ask() gave no trial");
      const a = args(trial.params as Config) as never;
      const t0 = performance.now();
      const v = f(a);
      evalTimes[nEval++] = performance.now() - t0;
      await tuner.tell(trial, v);
    }
    tEnd = performance.now();
  }

  const trials = tuner.trials.slice().sort((x, y) => x.number - y.number);
  if (trials.length !== nTrials) throw new Error(`${fname}/${sname}/seed ${seed}: ${trials.length} trials, expected ${nTrials}`);
  if (!trials.every((t) => t.state === "complete" && t.value !== undefined)) throw new Error(`${fname}/${sname}/seed ${seed}: a trial did not complete`);
  if (nDone !== nTrials || nEval !== nTrials) throw new Error(`${fname}/${sname}/seed ${seed}: timing count mismatch`);

  const regret: number[] = [];
  let best = Infinity;
  for (const t of trials) {
    best = Math.min(best, t.value!);
    regret.push(best - spec.optimum);
  }
  const overhead: number[] = [];
  let prev = tStart;
  for (let i = 0; i < nTrials; i++) {
    overhead.push(round4(doneTimes[i]! - prev - evalTimes[i]!)); // ms
    prev = doneTimes[i]!;
  }
  const bestTrial = tuner.best!;
  const regretAt: Record<string, number> = {};
  for (const b of BUDGETS) if (b <= nTrials) regretAt[String(b)] = regret[b - 1]!;
  return {
    function: fname,
    sampler: sname,
    seed,
    n_trials: nTrials,
    wall_s: (tEnd - tStart) / 1000,
    eval_total_s: evalTimes.reduce((s, x) => s + x, 0) / 1000,
    regret_at: regretAt,
    regret_curve: nTrials <= 100 ? regret.map((r) => Number(r.toPrecision(6))) : null,
    overhead_ms: overhead,
    best_value: bestTrial.value!,
    best_params: bestTrial.params,
  };
}
