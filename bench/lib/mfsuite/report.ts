/**
 * The multi-fidelity suite's report: per-problem tables, the aggregate rank table and the
 * targets of issue 15, from the records of both sides (run.ts SuiteRecord).
 *
 * A cell is "value at K x R": the best final loss of a complete trial (one that ran all R
 * steps) that ended within K x R steps spent by the study; regret = value - fStar when the
 * problem's optimum is known. Ranks: for each problem x seed x budget, the methods that have a
 * record there are ranked by their cell (lower is better; ties, including "no complete trial
 * yet" = +inf, share the average of their ranks); a method without a record for that seed is
 * left out of that cell.
 */
import { fmtRegret, qcell } from "../mf-report";
import { mannWhitneyP, mean, median } from "../stats";
import { BUDGET_MULTS, type SuiteRecord } from "./run";

export interface ProblemInfo {
  readonly name: string;
  readonly set: "dev" | "validation";
  readonly maxResource: number;
  readonly fStar?: number;
  readonly source?: string;
}

export interface MethodInfo {
  readonly key: string;
  readonly label: string;
}

/** Best final loss of a complete trial that ended within mult x R steps (+inf when none did). */
export function valueAt(r: SuiteRecord, mult: number): number {
  const T = mult * r.max_resource;
  let best = Infinity;
  for (const [steps, loss] of r.complete) if (steps <= T && loss < best) best = loss;
  return best;
}

/** The table's cell: regret when fStar is known, else the value. */
export function cellAt(r: SuiteRecord, mult: number, fStar: number | undefined): number {
  const v = valueAt(r, mult);
  return fStar === undefined ? v : v - fStar;
}

/** Ranks of `values` (1 = lowest), ties (+inf included) sharing the average of their ranks. */
export function averageRanks(values: readonly number[]): number[] {
  const idx = values.map((_, i) => i).sort((a, b) => (values[a]! < values[b]! ? -1 : values[a]! > values[b]! ? 1 : 0));
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && values[idx[j + 1]!] === values[idx[i]!]) j++;
    const avg = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = avg;
    i = j + 1;
  }
  return ranks;
}

/** Every method's ranks over the cells problem x seed at one budget (only problems in `problems`). */
export function ranksAt(records: readonly SuiteRecord[], methods: readonly string[], problems: readonly ProblemInfo[], mult: number): Map<string, number[]> {
  const out = new Map<string, number[]>(methods.map((m) => [m, []]));
  const byCell = new Map<string, SuiteRecord[]>();
  const names = new Set(problems.map((p) => p.name));
  for (const r of records) {
    if (!names.has(r.problem) || !out.has(r.method) || (r.workers ?? 1) !== 1) continue;
    const k = `${r.problem}\u0000${r.seed}`;
    if (!byCell.has(k)) byCell.set(k, []);
    byCell.get(k)!.push(r);
  }
  for (const rs of byCell.values()) {
    if (rs.length < 2) continue;
    const ranks = averageRanks(rs.map((r) => valueAt(r, mult)));
    rs.forEach((r, i) => out.get(r.method)!.push(ranks[i]!));
  }
  return out;
}

const RANK_MULTS = [3, 10, 30, 100] as const;

export function rankTable(title: string, records: readonly SuiteRecord[], methods: readonly MethodInfo[], problems: readonly ProblemInfo[]): string[] {
  if (problems.length === 0) return [];
  const L: string[] = [`\n**${title}** (${problems.map((p) => p.name).join(", ")})\n`];
  L.push("| method | cells | " + RANK_MULTS.map((m) => `rank@${m}x median / mean`).join(" | ") + " |");
  L.push("|---|---|" + RANK_MULTS.map(() => "---|").join(""));
  const per = RANK_MULTS.map((m) => ranksAt(records, methods.map((x) => x.key), problems, m));
  const rows = methods
    .map((m) => ({ m, r: per.map((p) => p.get(m.key)!) }))
    .filter((x) => x.r[0]!.length > 0)
    .sort((a, b) => mean(a.r[2]!) - mean(b.r[2]!));
  for (const { m, r } of rows) L.push(`| ${m.label} | ${r[0]!.length} | ${r.map((x) => `${median(x).toFixed(1)} / ${mean(x).toFixed(2)}`).join(" | ")} |`);
  return L;
}

const ms = (x: number) => (!Number.isFinite(x) ? "" : Math.abs(x) >= 0.1 ? x.toFixed(3) : x.toPrecision(2));

export function problemTable(p: ProblemInfo, records: readonly SuiteRecord[], methods: readonly MethodInfo[]): string[] {
  const what = p.fStar === undefined ? "value" : "regret";
  const L: string[] = [`\n### ${p.name} (${p.set}; maxResource ${p.maxResource}; ${p.fStar === undefined ? "optimum unknown: cells are the best final loss" : `fStar ${p.fStar}: cells are regret`})\n`];
  if (p.source) L.push(`${p.source}\n`);
  L.push("| method | seeds | " + BUDGET_MULTS.map((m) => `${what}@${m}x`).join(" | ") + " | trials | complete | overhead ms/step | proposal ms median / max |");
  L.push("|---|---|" + BUDGET_MULTS.map(() => "---|").join("") + "---|---|---|---|");
  for (const m of methods) {
    const rs = records.filter((r) => r.problem === p.name && r.method === m.key && (r.workers ?? 1) === 1).sort((a, b) => a.seed - b.seed);
    if (!rs.length) continue;
    const cells = BUDGET_MULTS.map((k) => qcell(rs.map((r) => cellAt(r, k, p.fStar))));
    L.push(
      `| ${m.label} | ${rs.length} | ${cells.join(" | ")} | ${median(rs.map((r) => r.n_trials)).toFixed(0)} | ${median(rs.map((r) => r.n_complete)).toFixed(0)} | ` +
        `${ms(median(rs.map((r) => r.overhead_ms_per_step)))} | ${ms(median(rs.map((r) => r.ask_ms_median)))} / ${ms(Math.max(...rs.map((r) => r.ask_ms_max)))} |`,
    );
  }
  return L;
}

/** A method's cells on a problem, one per seed (run), at K x R. */
export function cellsOf(records: readonly SuiteRecord[], p: ProblemInfo, method: string, mult: number, workers = 1): number[] {
  return records.filter((r) => r.problem === p.name && r.method === method && (r.workers ?? 1) === workers).map((r) => cellAt(r, mult, p.fStar));
}

/** The median of some cells, NaN without any. */
function medianOrNaN(cells: readonly number[]): number {
  return cells.length ? median(cells) : NaN;
}

/** Median over seeds of a method's cell on a problem (NaN without records). */
export function medianCell(records: readonly SuiteRecord[], p: ProblemInfo, method: string, mult: number, workers = 1): number {
  return medianOrNaN(cellsOf(records, p, method, mult, workers));
}

export interface TargetInput {
  readonly records: readonly SuiteRecord[];
  readonly problems: readonly ProblemInfo[];
  /** The default methods and the full-budget method with the same sampler ("tl_hb" -> "tl_tpe_full"). */
  readonly defaults: readonly { key: string; label: string; sampler: string; full: string }[];
  /** tunelab methods by sampler, for the engine-cost targets. */
  readonly samplerOf: (method: string) => string | undefined;
  readonly parallelKey: string;
  /** The Optuna method also run with 4 workers (its ratio is the check's anchor). */
  readonly parallelAnchor?: string;
  /**
   * Runs measured alone after the suite (one process, no Optuna), for the engine-cost targets;
   * without them those targets are read from the suite's runs, which share the machine.
   */
  readonly costRecords?: readonly SuiteRecord[];
  /** How the cost runs were made (their command-line equivalent), for the target's line. */
  readonly costNote?: string;
}

const yes = (ok: boolean) => (ok ? "**met**" : "**missed**");

/** "a <= b" on medians, both present. */
function le(a: number, b: number): boolean | undefined {
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  return a <= b;
}

/** One problem of a target: the default's median `a` against `b`, and their per-seed cells when the comparison is between two samples. */
interface TargetPart {
  readonly p: string;
  readonly a: number;
  readonly b: number;
  readonly as?: readonly number[];
  readonly bs?: readonly number[];
}

/** Significance level of the misses' test. */
const ALPHA = 0.05;

function countTarget(name: string, problems: readonly ProblemInfo[], need: number, parts: readonly TargetPart[]): string {
  const have = parts.filter((x) => le(x.a, x.b) !== undefined);
  if (have.length === 0) return `- ${name}: not measured (rows missing)`;
  const ok = have.filter((x) => x.a <= x.b).length;
  const required = Math.ceil(need * have.length);
  // A miss with both samples gets the Mann-Whitney p-value of its seeds: is it more than seed luck?
  const pOf = (x: TargetPart) => (x.as && x.bs ? mannWhitneyP(x.as, x.bs) : NaN);
  const misses = have.filter((x) => x.a > x.b);
  const tested = misses.filter((x) => !Number.isNaN(pOf(x)));
  const significant = tested.filter((x) => pOf(x) < ALPHA).length;
  const cell = (x: TargetPart) => {
    if (x.a <= x.b) return `${x.p} ${fmtRegret(x.a)} vs ${fmtRegret(x.b)}`;
    const pv = pOf(x);
    return `${x.p} ${fmtRegret(x.a)} vs ${fmtRegret(x.b)} ✗${Number.isNaN(pv) ? "" : ` (p ${pv < 0.001 ? "< 0.001" : pv.toFixed(3)})`}`;
  };
  const sig = tested.length ? ` (${significant} of the ${tested.length} misses significant at p < ${ALPHA})` : "";
  return `- ${name}: ${ok} of ${have.length} problems (need ${required}): ${have.map(cell).join("; ")}: ${yes(ok >= required)}${sig}`;
}

/**
 * For reference beside the "3x faster" target: on how many of the problems each measured method's
 * 10x median is no worse than `bar`'s median at `barMult` — whether any method reaches the target.
 */
function reachedBy(records: readonly SuiteRecord[], ps: readonly ProblemInfo[], bar: string, barMult: number): string {
  const methods = [...new Set(records.filter((r) => (r.workers ?? 1) === 1 && r.method !== bar).map((r) => r.method))];
  const bars = ps.map((p) => medianCell(records, p, bar, barMult));
  const counts = methods.map((m) => {
    let ok = 0;
    let of = 0;
    ps.forEach((p, i) => {
      const met = le(medianCell(records, p, m, 10), bars[i]!);
      if (met === undefined) return;
      of++;
      if (met) ok++;
    });
    return { m, ok, of };
  });
  counts.sort((a, b) => b.ok - a.ok || a.m.localeCompare(b.m));
  return `  - the same comparison for every method measured (its 10x against ${bar} at ${barMult}x): ${counts.map((c) => `${c.m} ${c.ok} of ${c.of}`).join("; ")}`;
}

/**
 * The 4-worker check's ratios, tunelab's default and the Optuna anchor side by side: median regret
 * at 30x with 4 workers over the sequential median, per problem.
 */
function parallelRatios(o: TargetInput, par: readonly ProblemInfo[], cell: (p: ProblemInfo, m: string, k: number, w?: number) => number): string {
  const one = (p: ProblemInfo, m: string) => {
    const w4 = cell(p, m, 30, 4);
    const x = w4 / cell(p, m, 30, 1);
    return `${m} ${fmtRegret(w4)} (${Number.isFinite(x) ? `${x.toFixed(2)}x` : "?"})`;
  };
  const anchor = o.parallelAnchor && o.records.some((r) => r.method === o.parallelAnchor && r.workers === 4) ? o.parallelAnchor : undefined;
  return (
    `  - with 4 workers at 30x (median, and its ratio to the same method's sequential median): ` +
    par.map((p) => `${p.name} ${one(p, o.parallelKey)}${anchor ? `, ${one(p, anchor)}` : ""}`).join("; ") +
    (anchor ? "" : " (the Optuna anchor was not run)")
  );
}

export function targets(o: TargetInput): string[] {
  const L: string[] = ["\n### The targets of issue 15\n"];
  L.push(
    "Medians over seeds, side by side in this run. \"a vs b\": the default's cell, then the one it must not exceed; ✗ marks a problem where it does, with the two-sided " +
      "Mann-Whitney U test's p-value of the two methods' per-seed cells (exact without ties): how likely a difference at least that large is when the two only differ by seed luck. " +
      `A miss with p >= ${ALPHA} cannot be told from seed luck at this many seeds; one below it is a shortfall.`,
  );
  const hb = o.records.some((r) => r.method === "tl_hb");
  for (const set of ["dev", "validation"] as const) {
    const ps = o.problems.filter((p) => p.set === set);
    if (!ps.length) continue;
    L.push(`\n**${set}** (${ps.map((p) => p.name).join(", ")})\n`);
    const cell = (p: ProblemInfo, m: string, k: number, w = 1) => medianCell(o.records, p, m, k, w);
    const vs = (p: ProblemInfo, m: string, k: number, n: string, kn: number): TargetPart => {
      const as = cellsOf(o.records, p, m, k);
      const bs = cellsOf(o.records, p, n, kn);
      return { p: p.name, a: medianOrNaN(as), b: medianOrNaN(bs), as, bs };
    };
    if (hb) {
      L.push(countTarget("default hyperband at 10x <= Optuna random search (no pruning) at 30x, on >= 7 of 8 problems", ps, 7 / 8, ps.map((p) => vs(p, "tl_hb", 10, "random_full", 30))));
      L.push(reachedBy(o.records, ps, "random_full", 30));
      for (const k of [10, 30, 100]) {
        L.push(countTarget(`default hyperband <= Optuna TPE + HyperbandPruner at ${k}x, on >= 6 of 8 problems`, ps, 6 / 8, ps.map((p) => vs(p, "tl_hb", k, "tpe_hb", k))));
      }
    }
    for (const d of o.defaults) {
      L.push(countTarget(`${d.label} (sampler "${d.sampler}") at 100x <= ${d.full} (the same sampler without pruning) at 100x, on every problem`, ps, 1, ps.map((p) => vs(p, d.key, 100, d.full, 100))));
    }
    const par = ps.filter((p) => o.records.some((r) => r.problem === p.name && r.method === o.parallelKey && r.workers === 4));
    if (par.length) {
      const parts = par.map((p) => ({ p: p.name, a: cell(p, o.parallelKey, 30, 4), b: 1.3 * cell(p, o.parallelKey, 30, 1) }));
      L.push(countTarget("default hyperband with 4 workers (DSL runner, parallel 4) at 30x <= 1.3 x the sequential's, on every problem measured", par, 1, parts));
      L.push(parallelRatios(o, par, cell));
    }
  }
  // Engine cost (all problems): from the runs made alone when there are any, else from the suite's.
  const alone = (o.costRecords?.length ?? 0) > 0;
  const tl = (alone ? o.costRecords! : o.records).filter((r) => r.side === "tunelab" && (r.workers ?? 1) === 1);
  L.push(
    alone
      ? `\nEngine cost, measured alone after the suite (${o.costNote ?? "one process"}): the suite's own runs share the machine with each other and with Optuna's, so their timing columns above carry that contention.`
      : "\nEngine cost, from the suite's runs (which share the machine with each other and with Optuna's: an upper bound):",
  );
  const methods = [...new Set(tl.map((r) => r.method))];
  const cheap = methods.filter((m) => ["random", "tpe"].includes(o.samplerOf(m) ?? ""));
  if (cheap.length) {
    const worst = cheap.map((m) => {
      const perProblem = o.problems.map((p) => tl.filter((r) => r.method === m && r.problem === p.name)).filter((rs) => rs.length);
      const x = Math.max(...perProblem.map((rs) => median(rs.map((r) => r.overhead_ms_per_step))));
      const rep = Math.max(...perProblem.map((rs) => median(rs.map((r) => r.report_ms_per_step ?? NaN))));
      return { m, x, rep };
    });
    L.push(
      `- engine cost per reported step < 0.02 ms, random and tpe sampling (median over seeds, the worst problem), as time inside report(): ` +
        worst.map((w) => `${w.m} ${ms(w.rep)}`).join("; ") +
        ` ms: ${yes(worst.every((w) => w.rep < 0.02))}; with every overhead (proposals, tell, the loop) spread over the steps spent: ` +
        worst.map((w) => `${w.m} ${ms(w.x)}`).join("; ") +
        ` ms: ${yes(worst.every((w) => w.x < 0.02))}`,
    );
  }
  const bayes = methods.filter((m) => o.samplerOf(m) === "bayesian");
  if (bayes.length) {
    const parts = bayes.map((m) => {
      const rs = tl.filter((r) => r.method === m);
      return { m, med: median(rs.map((r) => r.ask_ms_median)), max: Math.max(...rs.map((r) => r.ask_ms_max)) };
    });
    L.push(
      `- bayesian proposals < 10 ms each (ask(): median over runs of each run's median, and the slowest single ask of all runs): ` +
        parts.map((p) => `${p.m} ${ms(p.med)} / ${ms(p.max)} ms`).join("; ") +
        `: median ${yes(parts.every((p) => p.med < 10))}, every proposal ${yes(parts.every((p) => p.max < 10))}`,
    );
  }
  return L;
}
