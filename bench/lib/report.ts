/**
 * The tables, in the format of shared/bench/optuna/results.md (bench.py's cmd_report), shared
 * by every suite: one table per function (regret at 10/25/50/100 trials and overhead per
 * trial, median [q25, q75] across seeds), the long-study table, and ratio rows.
 */
import { FUNCTIONS } from "./functions";
import { BUDGETS, type RunRecord } from "./record";
import { fmt, fmtMs, fmtRatio, mean, pyFloat, quartiles, type Quartiles } from "./stats";

/** One row of a table: a label and the runs behind it. */
export interface Row {
  readonly label: string;
  readonly records: readonly RunRecord[];
}

/** A ratio row: `num`'s overhead over `den`'s (e.g. Optuna over tunelab). */
export interface Ratio {
  readonly label: string;
  readonly num: string;
  readonly den: string;
}

export interface Summary {
  readonly seeds: number;
  readonly regret: Readonly<Record<string, Quartiles>>;
  /** Mean overhead over trials 1-100 (ms), quartiles across seeds. */
  readonly ovh: Quartiles;
  /** Mean overhead over trials 91-100 (ms), quartiles across seeds. */
  readonly ovhLast: Quartiles;
}

/** bench.py's per-(function, sampler) summary of the 100-trial runs. */
export function summarize(records: readonly RunRecord[]): Summary {
  const rs = [...records].sort((a, b) => a.seed - b.seed);
  const regret: Record<string, Quartiles> = {};
  for (const b of BUDGETS) regret[String(b)] = quartiles(rs.map((r) => r.regret_at[String(b)]!));
  return {
    seeds: rs.length,
    regret,
    ovh: quartiles(rs.map((r) => mean(r.overhead_ms))),
    ovhLast: quartiles(rs.map((r) => mean(r.overhead_ms.slice(90, 100)))),
  };
}

const q = (x: Quartiles, f: (v: number) => string) => `${f(x.median)} [${f(x.q25)}, ${f(x.q75)}]`;

/** The heading and table of one function, rows in the given order, ratio rows last. */
export function functionTable(fname: string, rows: readonly Row[], ratios: readonly Ratio[] = []): string[] {
  const spec = FUNCTIONS[fname]!;
  const L: string[] = [];
  L.push(`\n## ${fname}: ${spec.desc}; optimum ${pyFloat(spec.optimum)}\n`);
  const hdr = "| sampler | seeds | " + BUDGETS.map((b) => `regret@${b}`).join(" | ") + " | overhead ms/trial (1-100) | ms/trial (91-100) |";
  L.push(hdr);
  L.push("|" + "---|".repeat(hdr.split("|").length - 2));
  const sums = new Map<string, Summary>();
  for (const row of rows) {
    const rs = row.records.filter((r) => r.function === fname && r.n_trials === 100);
    if (rs.length === 0) continue;
    const s = summarize(rs);
    sums.set(row.label, s);
    const cells = BUDGETS.map((b) => q(s.regret[String(b)]!, fmt));
    L.push(`| ${row.label} | ${s.seeds} | ${cells.join(" | ")} | ${q(s.ovh, fmtMs)} | ${fmtMs(s.ovhLast.median)} |`);
  }
  for (const r of ratios) {
    const a = sums.get(r.num);
    const b = sums.get(r.den);
    if (!a || !b) continue;
    const blanks = BUDGETS.map(() => "").join(" | ");
    L.push(`| ${r.label} | | ${blanks} | ${fmtRatio(a.ovh.median / b.ovh.median)} | ${fmtRatio(a.ovhLast.median / b.ovhLast.median)} |`);
  }
  return L;
}

/** Overhead ratio (medians, trials 1-100) of two rows on one function, or NaN. */
export function overheadRatio(fname: string, num: Row, den: Row): number {
  const a = num.records.filter((r) => r.function === fname && r.n_trials === 100);
  const b = den.records.filter((r) => r.function === fname && r.n_trials === 100);
  if (!a.length || !b.length) return NaN;
  return summarize(a).ovh.median / summarize(b).ovh.median;
}

export interface LongSummary {
  readonly label: string;
  readonly seed: number;
  readonly n: number;
  readonly ovh1: number;
  readonly ovhMid?: number;
  readonly ovhLast: number;
  readonly wall: number;
  readonly regret100: number;
  readonly finalRegret: number;
}

export function summarizeLong(label: string, r: RunRecord): LongSummary {
  const ov = r.overhead_ms;
  const n = r.n_trials;
  return {
    label,
    seed: r.seed,
    n,
    ovh1: mean(ov.slice(0, 100)),
    ...(n >= 500 ? { ovhMid: mean(ov.slice(400, 500)) } : {}),
    ovhLast: mean(ov.slice(n - 100)),
    wall: r.wall_s,
    regret100: r.regret_at["100"]!,
    finalRegret: r.best_value - FUNCTIONS[r.function]!.optimum,
  };
}

/** The long-study table (bench.py's "Overhead growth" section). */
export function longTable(title: string, rows: readonly Row[], ratios: readonly Ratio[] = []): string[] {
  const L: string[] = [];
  L.push(`\n## ${title}\n`);
  L.push("| sampler | trials | ms/trial 1-100 | ms/trial 401-500 | ms/trial 901-1000 | study wall s | regret@100 | final regret |");
  L.push("|---|---|---|---|---|---|---|---|");
  const byLabel = new Map<string, LongSummary>();
  for (const row of rows) {
    for (const r of row.records.filter((x) => x.n_trials > 100)) {
      const v = summarizeLong(row.label, r);
      byLabel.set(row.label, v);
      L.push(
        `| ${v.label} (seed ${v.seed}) | ${v.n} | ${fmtMs(v.ovh1)} | ${v.ovhMid === undefined ? "" : fmtMs(v.ovhMid)} | ` +
          `${fmtMs(v.ovhLast)} | ${v.wall >= 0.1 ? v.wall.toFixed(1) : v.wall.toPrecision(2)} | ${fmt(v.regret100)} | ${fmt(v.finalRegret)} |`,
      );
    }
  }
  for (const r of ratios) {
    const a = byLabel.get(r.num);
    const b = byLabel.get(r.den);
    if (!a || !b) continue;
    const mid = a.ovhMid !== undefined && b.ovhMid !== undefined ? fmtRatio(a.ovhMid / b.ovhMid) : "";
    L.push(`| ${r.label} | | ${fmtRatio(a.ovh1 / b.ovh1)} | ${mid} | ${fmtRatio(a.ovhLast / b.ovhLast)} | ${fmtRatio(a.wall / b.wall)} | | |`);
  }
  return L;
}
