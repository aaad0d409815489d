/**
 * tunelab's counterpart of mf_bench.py's `run_one`: one sequential study on a multi-fidelity
 * problem (bench/lib/multifidelity.ts), driven through the Study API (ask / report / tell):
 * each trial trains for epochs b = 1..81, reports f(x, b) after every epoch, and ends when the
 * engine answers "stop" (told as pruned, costing the b epochs it ran) or after epoch 81
 * (told complete with f(x, 81)). The study stops at the end of the first trial after which the
 * epochs spent in total reach 100 x 81 = 8100 (cap 20000 trials), exactly like mf_bench.py's
 * callback; the record has mf_bench.py's fields, computed the same way.
 *
 * Timing as mf_bench.py: eval_time_i = time inside f(x, b) of trial i; interval_i = time from
 * the previous trial's tell (the first: just before the first ask) to this trial's tell;
 * overhead_i = interval_i - eval_time_i (proposal, report and stopping rule, storage).
 */
import { tune } from "../../src/index";
import { BUDGET_MULTS, MF_PROBLEMS, TOTAL_BUDGET } from "./multifidelity";
import { round4 } from "./stats";

const MAX_TRIALS = 20000;

/** One tunelab method of the suite: a strategy with options, and optionally a stopping rule. */
export interface MfMethod {
  readonly label: string;
  readonly strategy: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly stopping?: { readonly rule: "median"; readonly options: Readonly<Record<string, unknown>> };
}

const HB = { minResource: 1, maxResource: 81, eta: 3 } as const;

export const TUNELAB_MF_METHODS: Readonly<Record<string, MfMethod>> = {
  tl_random_full: { label: "tunelab random, no early stopping", strategy: "random", options: {} },
  tl_tpe_full: { label: "tunelab tpe, no early stopping", strategy: "tpe", options: {} },
  tl_random_hb: { label: 'tunelab hyperband (1, 81, eta=3), sampler "random"', strategy: "hyperband", options: { ...HB, sampler: "random" } },
  tl_tpe_hb: { label: 'tunelab hyperband (1, 81, eta=3), sampler "tpe"', strategy: "hyperband", options: { ...HB, sampler: "tpe" } },
  tl_bayes_hb: { label: 'tunelab hyperband (1, 81, eta=3), sampler "bayesian"', strategy: "hyperband", options: { ...HB, sampler: "bayesian" } },
  tl_random_hb_adaptive: {
    label: 'tunelab hyperband (1, 81, eta=3), sampler "random", brackets "adaptive"',
    strategy: "hyperband",
    options: { ...HB, sampler: "random", brackets: "adaptive" },
  },
  tl_tpe_hb_adaptive: { label: 'tunelab hyperband (1, 81, eta=3), sampler "tpe", brackets "adaptive"', strategy: "hyperband", options: { ...HB, sampler: "tpe", brackets: "adaptive" } },
  tl_bayes_hb_adaptive: {
    label: 'tunelab hyperband (1, 81, eta=3), sampler "bayesian", brackets "adaptive"',
    strategy: "hyperband",
    options: { ...HB, sampler: "bayesian", brackets: "adaptive" },
  },
  tl_tpe_asha: { label: 'tunelab asha (1, 81, eta=3, rate 0), sampler "tpe"', strategy: "asha", options: { ...HB, minEarlyStoppingRate: 0, sampler: "tpe" } },
  tl_tpe_median: { label: 'tunelab tpe + .stopping("median") (defaults)', strategy: "tpe", options: {}, stopping: { rule: "median", options: {} } },
};

/** mf_bench.py's run record (the fields its report reads), which both sides write. */
export interface MfRecord {
  readonly variant: string;
  readonly method: string;
  readonly seed: number;
  readonly n_trials: number;
  readonly n_complete: number;
  readonly total_epochs: number;
  readonly wall_s: number;
  readonly eval_total_s: number;
  readonly regret_at: Readonly<Record<string, number | null>>;
  readonly oracle_regret_at: Readonly<Record<string, number | null>>;
  readonly trials_at: Readonly<Record<string, number>>;
  readonly complete_at: Readonly<Record<string, number>>;
  readonly fooled: number;
  readonly epochs_hist: Readonly<Record<string, number>>;
  readonly overhead_ms: readonly number[];
  readonly epochs: readonly number[];
  readonly best_value: number | null;
  /** tunelab only: time inside ask() / report() / tell() over the run (ms). */
  readonly ask_ms?: number;
  readonly report_ms?: number;
  readonly tell_ms?: number;
  /** tunelab only: how many trials each rule stopped (system.stopped), e.g. { rung: 310 }. */
  readonly stopped_by?: Readonly<Record<string, number>>;
}

export async function runMfOne(variant: string, method: string, seed: number, totalBudget = TOTAL_BUDGET): Promise<MfRecord> {
  const p = MF_PROBLEMS[variant];
  const m = TUNELAB_MF_METHODS[method];
  if (!p) throw new Error(`unknown problem ${variant}`);
  if (!m) throw new Error(`unknown tunelab method ${method}`);
  const B = p.maxResource;
  const tuner = tune(`${variant}-${method}-seed${seed}`)
    .space(p.space)
    .minimize()
    .strategy(m.strategy as "random", m.options)
    .seed(seed)
    .storage("memory")
    .display(false);
  if (m.stopping) tuner.stopping(m.stopping.rule, m.stopping.options);
  const study = await tuner.open();

  const evalTimes: number[] = [];
  const doneTimes: number[] = [];
  const epochs: number[] = [];
  const xs: Float64Array[] = [];
  let spent = 0;
  let askMs = 0;
  let reportMs = 0;
  let tellMs = 0;
  const f = p.f;
  const tStart = performance.now();
  while (spent < totalBudget && xs.length < MAX_TRIALS) {
    const ta = performance.now();
    const trial = await study.ask();
    askMs += performance.now() - ta;
    if (!trial) throw new Error(`${variant}/${method}/seed ${seed}: ask() gave no trial`);
    const budget = trial.budget ?? B;
    if (budget !== B) throw new Error(`${variant}/${method}: trial budget ${budget}, expected ${B}`);
    const x = p.args(trial.params);
    xs.push(x);
    let et = 0;
    let v = NaN;
    let stoppedAt = 0;
    for (let b = 1; b <= B; b++) {
      const t0 = performance.now();
      v = f(x, b);
      const t1 = performance.now();
      et += t1 - t0;
      const stop = await study.report(trial.number, b, v);
      reportMs += performance.now() - t1;
      if (stop) {
        stoppedAt = b;
        break;
      }
    }
    const tt = performance.now();
    if (stoppedAt) await study.tell(trial.number, { state: "pruned" });
    else await study.tell(trial.number, { value: v });
    const done = performance.now();
    tellMs += done - tt;
    doneTimes.push(done);
    evalTimes.push(et);
    const e = stoppedAt || B;
    epochs.push(e);
    spent += e;
  }
  const tEnd = performance.now();

  const trials = study.snapshot.trials;
  const n = trials.length;
  if (n !== xs.length) throw new Error(`${variant}/${method}/seed ${seed}: ${n} trials stored, ${xs.length} run`);
  const complete = trials.map((t) => t.state === "complete");
  for (const t of trials) if (t.state !== "complete" && t.state !== "pruned") throw new Error(`trial ${t.number} ended ${t.state}`);
  const trueFinal = xs.map((x) => p.final(x));
  trials.forEach((t, i) => {
    if (complete[i] && Math.abs(t.value! - trueFinal[i]!) > 1e-12) throw new Error(`trial ${i}: value ${t.value} != f(x, ${B}) ${trueFinal[i]}`);
  });
  const inc: number[] = [];
  let best = Infinity;
  let fooled = 0;
  for (let i = 0; i < n; i++) {
    if (complete[i]) best = Math.min(best, trueFinal[i]!);
    else if (trueFinal[i]! < best) fooled++;
    inc.push(best);
  }
  const cum: number[] = [];
  epochs.reduce((s, e) => (cum.push(s + e), s + e), 0);
  const regretAt: Record<string, number | null> = {};
  const oracleAt: Record<string, number | null> = {};
  const trialsAt: Record<string, number> = {};
  const completeAt: Record<string, number> = {};
  for (const mult of BUDGET_MULTS) {
    const T = mult * B;
    let k = 0;
    while (k < n && cum[k]! <= T) k++; // cum is increasing: trials finished within T
    regretAt[String(mult)] = k && Number.isFinite(inc[k - 1]!) ? inc[k - 1]! - p.optimum : null;
    oracleAt[String(mult)] = k ? Math.min(...trueFinal.slice(0, k)) - p.optimum : null;
    trialsAt[String(mult)] = k;
    completeAt[String(mult)] = complete.slice(0, k).filter(Boolean).length;
  }
  const hist: Record<string, number> = {};
  for (const e of [...epochs].sort((a, b) => a - b)) hist[String(e)] = (hist[String(e)] ?? 0) + 1;
  const stoppedBy: Record<string, number> = {};
  for (const t of trials) {
    const s = t.system["stopped"];
    if (typeof s === "string") stoppedBy[s] = (stoppedBy[s] ?? 0) + 1;
  }
  const overhead: number[] = [];
  let prev = tStart;
  for (let i = 0; i < n; i++) {
    overhead.push(round4(doneTimes[i]! - prev - evalTimes[i]!));
    prev = doneTimes[i]!;
  }
  const completeVals = trials.filter((_, i) => complete[i]).map((t) => t.value!);
  return {
    variant,
    method,
    seed,
    n_trials: n,
    n_complete: completeVals.length,
    total_epochs: cum[n - 1]!,
    wall_s: (tEnd - tStart) / 1000,
    eval_total_s: evalTimes.reduce((s, x) => s + x, 0) / 1000,
    regret_at: regretAt,
    oracle_regret_at: oracleAt,
    trials_at: trialsAt,
    complete_at: completeAt,
    fooled,
    epochs_hist: hist,
    overhead_ms: overhead,
    epochs,
    best_value: completeVals.length ? Math.min(...completeVals) : null,
    ask_ms: askMs,
    report_ms: reportMs,
    tell_ms: tellMs,
    stopped_by: stoppedBy,
  };
}
