/**
 * Worker utilisation with 4 parallel workers: a study on lc_h6 run by the DSL runner with
 * `.limits({ trials, parallel: 4 })`, where every epoch is a real wait (a timer of 2 to 9 whole
 * ms that depends on the configuration, 2 + floor(7 x1) ms, so trials finish out of order) after
 * computing f(x, b), and the objective reports after every epoch.
 *
 *   busy        = sum over trials of the time inside the objective (call to return)
 *   idle share  = 1 - busy / (4 x wall time of run())
 *   idle share until the last start = the same over the window from the start of run() to the
 *                 moment the last trial started (after it the study has nothing more to hand
 *                 out and the workers drain, whatever the strategy)
 *   work share  = sum of the epochs' nominal waits / (4 x wall): stricter, as time a worker
 *                 spends waiting for the engine (or for a late timer) inside report() counts
 *                 as idle there
 */
import { tune } from "../../src/index";
import { MF_PROBLEMS } from "./multifidelity";

export interface ParallelMethod {
  readonly label: string;
  readonly strategy: string;
  readonly options: Readonly<Record<string, unknown>>;
}

const HB = { minResource: 1, maxResource: 81, eta: 3 } as const;
export const PARALLEL_WORKERS = 4;
export const PARALLEL_TRIALS = 500;

export const PARALLEL_METHODS: Readonly<Record<string, ParallelMethod>> = {
  par_asha_random: { label: 'asha (1, 81, eta=3), sampler "random"', strategy: "asha", options: { ...HB, sampler: "random" } },
  par_asha_tpe: { label: 'asha (1, 81, eta=3), sampler "tpe"', strategy: "asha", options: { ...HB, sampler: "tpe" } },
  par_hb_random: { label: 'hyperband (1, 81, eta=3), sampler "random"', strategy: "hyperband", options: { ...HB, sampler: "random" } },
  par_hb_tpe: { label: 'hyperband (1, 81, eta=3), sampler "tpe"', strategy: "hyperband", options: { ...HB, sampler: "tpe" } },
};

export interface ParallelRecord {
  readonly method: string;
  readonly seed: number;
  readonly workers: number;
  readonly n_trials: number;
  readonly n_complete: number;
  readonly total_epochs: number;
  readonly wall_s: number;
  readonly busy_s: number;
  readonly idle_share: number;
  readonly idle_share_steady: number;
  readonly work_share: number;
  readonly max_in_flight: number;
  readonly regret: number | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runParallelOne(method: string, seed: number, nTrials = PARALLEL_TRIALS): Promise<ParallelRecord> {
  const m = PARALLEL_METHODS[method];
  if (!m) throw new Error(`unknown parallel method ${method}`);
  const p = MF_PROBLEMS["lc_h6"]!;
  const spans: [number, number][] = [];
  let work = 0;
  let epochs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const tuner = tune(`parallel-${method}-seed${seed}`)
    .space(p.space)
    .minimize()
    .strategy(m.strategy as "asha", m.options as never)
    .seed(seed)
    .storage("memory")
    .display(false)
    .limits({ trials: nTrials, parallel: PARALLEL_WORKERS })
    .objective(async (params, trial) => {
      const t0 = performance.now();
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const x = p.args(params);
      const ms = 2 + Math.floor(7 * x[1]!); // whole ms: node's timers do not honour fractions
      const budget = trial.budget ?? p.maxResource;
      let v = NaN;
      try {
        for (let b = 1; b <= budget; b++) {
          v = p.f(x, b);
          await sleep(ms);
          work += ms;
          epochs++;
          if (await trial.report(b, v)) break;
        }
        return v;
      } finally {
        inFlight--;
        spans.push([t0, performance.now()]);
      }
    });
  await tuner.open();
  const tStart = performance.now();
  await tuner.run({ display: false, handleSigint: false });
  const tEnd = performance.now();
  const wall = tEnd - tStart;
  const busy = spans.reduce((s, [a, b]) => s + (b - a), 0);
  const lastStart = Math.max(...spans.map(([a]) => a));
  const steady = spans.reduce((s, [a, b]) => s + Math.max(0, Math.min(b, lastStart) - a), 0);
  const trials = tuner.trials;
  const complete = trials.filter((t) => t.state === "complete");
  const best = complete.length ? Math.min(...complete.map((t) => p.final(p.args(t.params)))) : undefined;
  return {
    method,
    seed,
    workers: PARALLEL_WORKERS,
    n_trials: trials.length,
    n_complete: complete.length,
    total_epochs: epochs,
    wall_s: wall / 1000,
    busy_s: busy / 1000,
    idle_share: 1 - busy / (PARALLEL_WORKERS * wall),
    idle_share_steady: 1 - steady / (PARALLEL_WORKERS * (lastStart - tStart)),
    work_share: work / (PARALLEL_WORKERS * wall),
    max_in_flight: maxInFlight,
    regret: best === undefined ? null : best - p.optimum,
  };
}
