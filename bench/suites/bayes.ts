/**
 * `npm run bench -- bayes`: tunelab's model-based strategies against Optuna's, side by side on
 * bench.py's five functions (seeds x 100 trials: regret at 10/25/50/100 and overhead per trial):
 *
 *   tunelab bayesian                 vs  Optuna GPSampler(seed=s)   (issue 5 targets below)
 *   tunelab bayesian (4 in flight)   vs  tunelab bayesian           (ask 4, then tell one / ask one)
 *   tunelab tpe                      vs  Optuna TPESampler(seed=s)
 *
 * plus a 1000-trial Hartmann6 study (tunelab bayesian, tunelab tpe, Optuna TPE) for overhead
 * growth. Optuna's GPSampler is left out of the long study: it refits an exact GP on every
 * trial (O(n³), documented for "–500 trials") and would take hours; tunelab bayesian switches
 * to its bounded-cost subset above 200 observations, which that table shows.
 *
 * tunelab rows run in worker processes (bench/lib/worker.ts), Optuna rows through a copy of
 * shared/bench/optuna/bench.py in <repo>/.bench-venv with torch 2.13.0 (CPU) and greenlet, as
 * the reference run had.
 */
import * as path from "node:path";
import { runHeader } from "../lib/env";
import { FUNCTIONS } from "../lib/functions";
import { REQUIREMENTS, runOptunaRows } from "../lib/python";
import type { RunRecord } from "../lib/record";
import { functionTable, longTable, overheadRatio, summarize, summarizeLong, type Ratio, type Row } from "../lib/report";
import { fmt, fmtMs, fmtRatio, quartiles } from "../lib/stats";
import { MemoryStorage, tune } from "../../src/index";
import type { Config, SpaceDef } from "../../src/index";
import { Rng } from "../../src/util/rng";
import type { BenchFunction } from "../lib/functions";
import { log, runTunelabWorker, tempDir, type Suite, type SuiteOptions, type SuiteResult } from "../lib/suite";
import { TUNELAB_SAMPLERS } from "../lib/tunelab-run";
import { CONVERGENCE_SETTINGS, convergenceTable, runCriterion } from "../lib/convergence-rows";

const BAYES = "tunelab_bayesian";
const PAR4 = "tunelab_bayesian_par4";
const TPE = "tunelab_tpe";
const GP_LABEL = "Optuna GP";
const TPE_LABEL = "Optuna TPE";

/** Issue 5's targets. */
const T = {
  /** bayesian overhead per trial (1-100) at most 1/4 of GPSampler's. */
  gpOverhead: 4,
  /** tpe overhead at most 1/3 of Optuna TPE's (trials 1-100 and 901-1000 of the long study). */
  tpeOverhead: 3,
  /** 4 in flight: regret@100 within 1.5x of sequential. */
  parallel: 1.5,
  /** The one function allowed to miss regret@100 must stay within 2x of GPSampler. */
  fifth: 2,
};

const label = (k: string) => TUNELAB_SAMPLERS[k]!.label;

export const suite: Suite = {
  name: "bayes",
  description: "tunelab bayesian and tpe vs Optuna GPSampler and TPESampler (5 functions, 4-in-flight bayesian, 1000-trial Hartmann6)",
  async run(o: SuiteOptions): Promise<SuiteResult> {
    const dir = tempDir("bayes");
    const fnArg = o.functions.join(",");
    const tl: RunRecord[] = [];
    const tlLong: RunRecord[] = [];
    for (const s of [BAYES, PAR4, TPE]) {
      log(`tunelab (${s}): ${o.seeds} seeds x ${o.trials} trials on ${fnArg} ...`);
      tl.push(...runTunelabWorker(["run", "--samplers", s, "--functions", fnArg, "--seeds", String(o.seeds), "--trials", String(o.trials)], path.join(dir, `${s}.jsonl`), o.cpuProf));
    }
    for (const s of [BAYES, TPE]) {
      log(`tunelab (${s}): long study, hartmann6, ${o.longTrials} trials ...`);
      tlLong.push(...runTunelabWorker(["long", "--samplers", s, "--function", "hartmann6", "--trials", String(o.longTrials), "--seed", "0"], path.join(dir, `${s}-long.jsonl`), o.cpuProf));
    }

    const optuna = runOptunaRows({
      enabled: o.optuna,
      requirements: [REQUIREMENTS.optuna, REQUIREMENTS.numpy, REQUIREMENTS.scipy, REQUIREMENTS.torch, REQUIREMENTS.greenlet],
      dir,
      samplers: "gp,tpe",
      longSamplers: "tpe",
      functions: o.functions,
      seeds: o.seeds,
      trials: o.trials,
      longTrials: o.longTrials,
      runMessage: `optuna: GPSampler and TPESampler, ${o.seeds} seeds x ${o.trials} trials (GPSampler takes several minutes) ...`,
    });
    const opt = optuna.records;
    const optunaNote = optuna.note;
    const pyEnv = optuna.env;
    if (optunaNote) log(optunaNote);

    const short = (rs: RunRecord[], sampler: string) => rs.filter((r) => r.sampler === sampler && r.n_trials === o.trials);
    const rows: Row[] = [
      { label: label(BAYES), records: short(tl, BAYES) },
      { label: label(PAR4), records: short(tl, PAR4) },
      { label: GP_LABEL, records: short(opt, "gp") },
      { label: label(TPE), records: short(tl, TPE) },
      { label: TPE_LABEL, records: short(opt, "tpe") },
    ];
    const [bayes, par4, gp, tpe, otpe] = rows as [Row, Row, Row, Row, Row];
    const longRows: Row[] = [
      { label: label(BAYES), records: tlLong.filter((r) => r.sampler === BAYES) },
      { label: label(TPE), records: tlLong.filter((r) => r.sampler === TPE) },
      { label: TPE_LABEL, records: opt.filter((r) => r.sampler === "tpe" && r.n_trials > o.trials) },
    ];
    const ratios: Ratio[] = [
      { label: "overhead ratio (Optuna GP / tunelab bayesian)", num: GP_LABEL, den: label(BAYES) },
      { label: "overhead ratio (Optuna TPE / tunelab tpe)", num: TPE_LABEL, den: label(TPE) },
    ];

    const L: string[] = [];
    L.push(...runHeader("bayes: tunelab bayesian and tpe vs Optuna GPSampler and TPESampler", o.command, pyEnv, optunaNote, `, torch ${pyEnv["torch"]} (${pyEnv["torch_num_threads"]} threads)`));
    L.push(
      "Cells: simple regret (best found - known optimum), **median [q25, q75]** across seeds; overhead = study wall time minus time in the benchmark function, " +
        "per trial, in ms (mean over trials 1-100, median [q25, q75] across seeds; also mean over trials 91-100). Rows: `tunelab bayesian` / `tunelab tpe` = the DSL " +
        "(`tune(...).strategy(name, { seed }).storage(\"memory\").limits({ trials }).objective(f).run()`); `tunelab bayesian (4 in flight)` = ask 4, then tell the " +
        "oldest and ask one more (regret by trial number); `Optuna GP` = `GPSampler(seed=s)`, `Optuna TPE` = `TPESampler(seed=s)` (defaults) via bench.py.",
    );
    for (const f of o.functions) L.push(...functionTable(f, rows, ratios));
    L.push(...longTable("Overhead growth: Hartmann6, long study, 1 seed", longRows, [{ label: "overhead ratio (Optuna TPE / tunelab tpe)", num: TPE_LABEL, den: label(TPE) }]));
    L.push(...verdicts(o, bayes, par4, gp, tpe, otpe, longRows));
    L.push(...(await convergenceRows(o)));
    L.push(...(await warmStartSection(o, gp)));
    L.push(
      "\nNotes: timing follows bench.py (interval between consecutive trial completions minus time in the function; sampling counts as overhead; in-memory storage; " +
        "an untimed 12-trial Branin warm-up study per sampler in each process). tunelab and Optuna draw different random numbers, so regrets agree only in distribution; " +
        "on multimodal functions (Hartmann6 has local minima at regret 0.119 and 0.185) a median over 10 seeds moves a lot with a seed or two. " +
        "The machine is a shared 2-core VM: treat overheads as roughly +-30% and the ratios as the robust part.",
    );
    L.push(
      "\nDesign notes (from development runs, not re-measured by this command): " +
        "(1) Hartmann6 is bimodal for GP-EI: a run either finds the global basin (regret ~1e-4) or keeps refining a local minimum (regret 0.119 or 0.185), " +
        "so its median over 10 seeds is decided by whether 5 or 6 of them escape. Over seeds 0-29, tunelab bayesian escaped in 14-15 of 30 runs and Optuna's GPSampler in 21 of 26; " +
        "tunelab with a uniformly random startup design instead of scrambled Sobol escaped in 24 of 30, but was no better on held-out functions (Hartmann-3, Shekel-10, Levy-5, " +
        "Styblinski-Tang-4, six-hump camel, a mixed space), so the Sobol startup is kept rather than tuned to this benchmark. " +
        "(2) The Yeo-Johnson output warping was kept because it also helped on those held-out functions (e.g. Shekel-10 regret@100 5.4 vs 8.1, Levy-5 0.14 vs 0.37, median of 20 seeds). " +
        "(3) For trials in flight, a constant liar at the best value made 4-in-flight regret@100 10-600x worse than sequential (proposals gathered around the points in flight); " +
        "the Kriging believer used now stays close to sequential.",
    );
    L.push(`\nReference script: a copy of shared/bench/optuna/bench.py (functions ${Object.keys(FUNCTIONS).join(", ")} ported formula for formula to bench/lib/functions.ts).`);
    return { markdown: L.join("\n") + "\n", complete: optunaNote === "" };
  },
};

/**
 * The completion-criteria rows (issue 17 part 1): each function and seed with `limits.convergence`,
 * in this process (no overhead is timed: only where it stopped and the regret then).
 */
async function convergenceRows(o: SuiteOptions): Promise<string[]> {
  const rows = [];
  for (const setting of CONVERGENCE_SETTINGS) {
    log(`tunelab (${setting.label}): ${o.seeds} seeds x up to ${o.trials} trials on ${o.functions.join(",")} ...`);
    const runs = [];
    for (const f of o.functions) {
      for (let seed = 0; seed < o.seeds; seed++) runs.push(await runCriterion(f, setting.strategy, seed, o.trials, { convergence: setting.convergence }));
    }
    rows.push({ label: setting.label, runs });
  }
  return convergenceTable(rows, o.functions, o.trials);
}

function median(row: Row, fname: string, budget: number): number {
  const rs = row.records.filter((r) => r.function === fname && r.n_trials === 100);
  return rs.length ? summarize(rs).regret[String(budget)]!.median : NaN;
}

/** a/b for regrets, reading 0/0 as 1 (both at the optimum). */
function regretRatio(a: number, b: number): number {
  if (a === 0 && b === 0) return 1;
  return a / b;
}

function verdicts(o: SuiteOptions, bayes: Row, par4: Row, gp: Row, tpe: Row, otpe: Row, longRows: readonly Row[]): string[] {
  const L: string[] = [];
  const fns = o.functions;
  const has = (r: Row) => r.records.length > 0;
  L.push("\n### Ratios and the targets of issue 5\n");
  if (has(gp)) {
    const r100 = fns.map((f) => regretRatio(median(bayes, f, 100), median(gp, f, 100)));
    const r25 = fns.map((f) => regretRatio(median(bayes, f, 25), median(gp, f, 25)));
    const ovh = fns.map((f) => overheadRatio(f, gp, bayes));
    L.push("| function | bayesian/GP regret@25 | bayesian/GP regret@100 | GP/bayesian overhead | 4-in-flight/sequential regret@100 |");
    L.push("|---|---|---|---|---|");
    fns.forEach((f, i) => {
      const p = regretRatio(median(par4, f, 100), median(bayes, f, 100));
      L.push(`| ${f} | ${fmtRatio(r25[i]!)} | ${fmtRatio(r100[i]!)} | ${fmtRatio(ovh[i]!)} | ${fmtRatio(p)} |`);
    });
    const ok100 = r100.filter((r) => r <= 1).length;
    const worst = Math.max(...r100);
    const met100 = ok100 >= fns.length - 1 && (ok100 === fns.length || worst <= T.fifth);
    const ok25 = r25.filter((r) => r <= 1).length;
    const okOvh = ovh.filter((r) => r >= T.gpOverhead).length;
    const pr = fns.map((f) => regretRatio(median(par4, f, 100), median(bayes, f, 100)));
    const okPar = pr.filter((r) => r <= T.parallel).length;
    L.push("");
    L.push(`- bayesian regret@100 no worse than GPSampler on ${ok100}/${fns.length} (target ${fns.length - 1}, the last within ${T.fifth}x; worst ratio ${fmtRatio(worst)}): **${met100 ? "met" : "missed"}**`);
    L.push(`- bayesian regret@25 no worse than GPSampler on ${ok25}/${fns.length} (target 3): **${ok25 >= 3 ? "met" : "missed"}**`);
    L.push(`- bayesian overhead (trials 1-100) at most 1/${T.gpOverhead} of GPSampler's on ${okOvh}/${fns.length}: **${okOvh === fns.length ? "met" : "missed"}**`);
    L.push(`- 4 in flight: regret@100 within ${T.parallel}x of sequential on ${okPar}/${fns.length}: **${okPar === fns.length ? "met" : "missed"}**`);
  }
  if (has(otpe)) {
    const r100 = fns.map((f) => regretRatio(median(tpe, f, 100), median(otpe, f, 100)));
    const ovh = fns.map((f) => overheadRatio(f, otpe, tpe));
    const ok = r100.filter((r) => r <= 1).length;
    L.push(`- tpe regret@100 no worse than Optuna TPE on ${ok}/${fns.length} (target 4; ratios ${fns.map((f, i) => `${f} ${fmtRatio(r100[i]!)}`).join(", ")}): **${ok >= 4 ? "met" : "missed"}**`);
    const okO = ovh.filter((r) => r >= T.tpeOverhead).length;
    L.push(`- tpe overhead (trials 1-100) at most 1/${T.tpeOverhead} of Optuna TPE's on ${okO}/${fns.length} (ratios ${ovh.map(fmtRatio).join(", ")}): **${okO === fns.length ? "met" : "missed"}**`);
    const lt = longRows[1]!.records[0];
    const lo = longRows[2]!.records[0];
    if (lt && lo) {
      const a = summarizeLong("", lt);
      const b = summarizeLong("", lo);
      const r = b.ovhLast / a.ovhLast;
      L.push(`- tpe overhead over trials ${lt.n_trials - 99}-${lt.n_trials} of the long study: ${fmtMs(a.ovhLast)} vs ${fmtMs(b.ovhLast)} ms (${fmtRatio(r)}): **${r >= T.tpeOverhead ? "met" : "missed"}**`);
    }
  }
  const lb = longRows[0]!.records[0];
  if (lb) {
    const a = summarizeLong("", lb);
    L.push(
      `- bayesian long study: ${fmtMs(a.ovh1)} / ${a.ovhMid === undefined ? "-" : fmtMs(a.ovhMid)} / ${fmtMs(a.ovhLast)} ms per trial over trials 1-100 / 401-500 / ${lb.n_trials - 99}-${lb.n_trials} (flat above 200 observations by design); final regret ${fmt(a.finalRegret)}`,
    );
  }
  return L;
}

// ---- warm start (issue 17 part 2) ------------------------------------------------------------

const WARM_BUDGET = 25;
const WARM_PARENT_TRIALS = 50;

/** A related study's objective: the function with its inputs moved by 5% of each range (its optimum moves the other way). */
function shifted(space: SpaceDef, p: Readonly<Config>): Config {
  const out: Config = { ...p };
  for (const [k, d] of Object.entries(space)) {
    const v = p[k];
    if (d.type === "categorical" || typeof v !== "number") continue;
    let w = d.scale === "log" ? v * Math.pow(d.high / d.low, 0.05) : v + 0.05 * (d.high - d.low);
    w = Math.min(d.high, Math.max(d.low, w));
    out[k] = d.type === "int" ? Math.round(w) : w;
  }
  return out;
}

/**
 * Regret@25 of tunelab bayesian warm-started from a related parent (50 TPE trials on the same
 * function shifted by 5% of each range, or on the same function with Gaussian noise of 10% of
 * 1 + |f|), "identical" and "transfer", against a cold start and Optuna's cold GPSampler (Optuna
 * has no warm start). In process, in memory; regrets only (no timing).
 */
export async function warmStartSection(o: SuiteOptions, gp: Row): Promise<string[]> {
  const related: [string, (fn: BenchFunction, seed: number) => (p: Readonly<Config>) => number][] = [
    ["shifted", (fn) => (p) => fn.f(fn.args(shifted(fn.space, p)) as never)],
    [
      "noisy",
      (fn, seed) => {
        const rng = Rng.derive(0x17b0, seed, 0);
        return (p) => {
          const v = fn.f(fn.args(p) as never);
          return v + 0.1 * (1 + Math.abs(v)) * rng.normal();
        };
      },
    ],
  ];
  const kinds = ["cold", ...related.flatMap(([r]) => [`identical, ${r}`, `transfer, ${r}`])];
  const L: string[] = [`\n### Warm start: regret@${WARM_BUDGET}, tunelab bayesian (${o.seeds} seeds; parent: ${WARM_PARENT_TRIALS} TPE trials on a related study)\n`];
  L.push(`| function | ${kinds.map((k) => (k === "cold" ? "tunelab cold" : `warm ${k}`)).join(" | ")} | ${GP_LABEL} (cold) |`);
  L.push(`|---|${kinds.map(() => "---|").join("")}---|`);
  for (const fname of o.functions) {
    const fn = FUNCTIONS[fname] as BenchFunction | undefined;
    if (!fn) continue;
    log(`warm start: ${fname}, ${o.seeds} seeds ...`);
    const regrets = new Map<string, number[]>(kinds.map((k) => [k, []]));
    for (let seed = 0; seed < o.seeds; seed++) {
      const storage = new MemoryStorage();
      for (const [r, objective] of related) {
        await tune(`parent-${r}`).space(fn.space).minimize().strategy("tpe", { seed: 1000 + seed }).storage(storage).limits({ trials: WARM_PARENT_TRIALS }).objective(objective(fn, seed)).run();
      }
      for (const kind of kinds) {
        const t = tune(`child-${kind}`).space(fn.space).minimize().strategy("bayesian", { seed }).storage(storage).limits({ trials: WARM_BUDGET });
        if (kind !== "cold") {
          const [type, r] = kind.split(", ") as ["identical" | "transfer", string];
          t.warmStart([`parent-${r}`], { type });
        }
        await t.objective((p) => fn.f(fn.args(p as Config) as never)).run();
        regrets.get(kind)!.push(t.best!.value! - fn.optimum);
      }
    }
    const cell = (v: number[]): string => {
      const q = quartiles(v);
      return `${fmt(q.median)} [${fmt(q.q25)}, ${fmt(q.q75)}]`;
    };
    const opt = median(gp, fname, WARM_BUDGET);
    L.push(`| ${fname} | ${kinds.map((k) => cell(regrets.get(k)!)).join(" | ")} | ${Number.isNaN(opt) ? "not run" : fmt(opt)} |`);
  }
  L.push(
    "\nCells: simple regret after 25 trials, median [q25, q75] across seeds (Optuna: median). \"identical\" takes the parent's trials as observations of this objective " +
      "(for a shifted or noisy parent that is a misspecification: the row shows what it costs or gains); \"transfer\" uses only the parent's ranking (Gaussian-copula scores).",
  );
  return L;
}
