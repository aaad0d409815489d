/**
 * The bayes suite's completion-criteria rows (issue 17 part 1): a study on each benchmark
 * function with `limits.convergence`, capped at the suite's trials, against the same study run
 * to the cap. The strategies are seeded, so the stopped study is a prefix of the full one: the
 * trials saved and the regret given up are exact per seed, not a comparison of two samples.
 */
import { tune, type Config, type ConvergenceOptions, type Limits } from "../../src/index";
import { FUNCTIONS } from "./functions";

export interface CriterionRun {
  readonly function: string;
  readonly seed: number;
  /** Trials the criterion let run (the cap when it never fired). */
  readonly trials: number;
  readonly reason: string;
  /** Best found when it stopped − the optimum. */
  readonly regret: number;
  /** Best after the cap's trials − the optimum (the full run). */
  readonly fullRegret: number;
}

/** One seed's study with `limits` until the criterion or `cap` ends it, continued to `cap` for the full run's regret. */
export async function runCriterion(fname: string, strategy: "bayesian" | "tpe" | "random", seed: number, cap: number, limits: Limits): Promise<CriterionRun> {
  const spec = FUNCTIONS[fname];
  if (!spec) throw new Error(`unknown function ${fname}`);
  const objective = (p: unknown) => spec.f(spec.args(p as Config) as never);
  const t = tune(`conv-${fname}-${strategy}-${seed}`).space(spec.space).minimize().strategy(strategy, { seed }).storage("memory").display(false);
  const first = await t.limits({ ...limits, trials: cap }).objective(objective).run({ handleSigint: false });
  const stoppedAt = t.trials.length;
  const regret = first.best!.value! - spec.optimum;
  // Continued to the cap without the criterion: the full run, whose first trials are the stopped one's.
  const full = stoppedAt < cap ? await t.limits({ trials: cap }).run({ handleSigint: false }) : first;
  return { function: fname, seed, trials: stoppedAt, reason: first.reason, regret, fullRegret: full.best!.value! - spec.optimum };
}

/** The rows: each strategy with `limits.convergence` as set here. */
export const CONVERGENCE_SETTINGS: readonly { readonly label: string; readonly strategy: "bayesian" | "tpe"; readonly convergence: true | ConvergenceOptions }[] = [
  { label: "bayesian + convergence (defaults: regret bound <= 1% of IQR)", strategy: "bayesian", convergence: true },
  { label: "bayesian + convergence (relative 0.05)", strategy: "bayesian", convergence: { relative: 0.05 } },
  { label: "tpe + convergence (defaults: forecast <= 1% of IQR)", strategy: "tpe", convergence: true },
];

const q = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = p * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (pos - lo) * (s[Math.min(s.length - 1, lo + 1)]! - s[lo]!);
};
const g = (v: number) => (v === 0 ? "0" : Math.abs(v) >= 0.01 && Math.abs(v) < 1e4 ? Number(v.toPrecision(3)).toString() : v.toExponential(2));
const cell = (xs: readonly number[]) => `${g(q(xs, 0.5))} [${g(q(xs, 0.25))}, ${g(q(xs, 0.75))}]`;

/** The markdown table of the rows (median [q25, q75] across seeds). */
export function convergenceTable(runs: readonly { readonly label: string; readonly runs: readonly CriterionRun[] }[], functions: readonly string[], cap: number): string[] {
  const L = [
    `\n### Completion criteria: \`limits.convergence\` (issue 17)\n`,
    `Each study runs with \`limits: { trials: ${cap}, convergence }\`; the same seeded study continued to ${cap} trials is the full run (the stopped study is its prefix). ` +
      "Cells: median [q25, q75] across seeds. *trials* = trials run when it stopped; *saved* = share of the full run's trials not run; " +
      "*regret* = best − optimum when it stopped; *given up* = that regret − the full run's regret@" + cap + ". Optuna's GPSampler row above is the full-run comparison; Optuna's Terminator is not run here.\n",
    "| function | row | stopped by convergence | trials | saved | regret | full-run regret | given up |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const f of functions) {
    for (const r of runs) {
      const rs = r.runs.filter((x) => x.function === f);
      if (!rs.length) continue;
      const fired = rs.filter((x) => x.reason === "convergence").length;
      L.push(
        `| ${f} | ${r.label} | ${fired}/${rs.length} | ${cell(rs.map((x) => x.trials))} | ${cell(rs.map((x) => 1 - x.trials / cap).map((v) => Math.round(v * 100)))}% | ${cell(rs.map((x) => x.regret))} | ${cell(rs.map((x) => x.fullRegret))} | ${cell(rs.map((x) => x.regret - x.fullRegret))} |`,
      );
    }
  }
  return L;
}
