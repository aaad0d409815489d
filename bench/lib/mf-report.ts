/**
 * The hyperband suite's tables, in the format of shared/bench/multifidelity/multifidelity.md
 * (mf_report.py): per problem, regret at 1/3/10/30/100 x 81 epochs (median [q25, q75] across
 * seeds), trials run, complete, overhead per trial and per epoch, study wall time; then the
 * diagnostics table (oracle regret, fooled, epochs on pruned trials, stop-epoch shares).
 * tunelab's and Optuna's rows come from records of the same shape (MfRecord) and go through
 * the same code.
 */
import type { MfRecord } from "./mf-run";
import { BUDGET_MULTS } from "./multifidelity";
import type { MlpRecord } from "./mf-mlp";
import type { ParallelRecord } from "./mf-parallel";
import { fmt, mean, median, percentile, quartiles } from "./stats";

export interface MfRow {
  readonly label: string;
  readonly records: readonly MfRecord[];
}

/**
 * Python's `f"{x:.Nf}"`: the exact binary value rounded to N decimals, ties to even (JS's
 * toFixed rounds the same except that it breaks exact ties upwards: 0.25 -> "0.3", Python "0.2").
 */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const s = x.toFixed(digits);
  if (Math.abs(x) >= 1e21) return s;
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 60)); // the binary value's decimal expansion (exact here)
  const dot = exact.indexOf(".");
  const tail = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(tail)) return s; // not a tie: toFixed is exact
  const kept = exact.slice(0, dot + 1 + digits).replace(/\.$/, "");
  const last = Number(kept[kept.length - 1]);
  if (last % 2 === 1) return s; // odd: round up, as toFixed did
  return (x < 0 ? "-" : "") + kept;
}

const fixed = pyFixed;

/** bench.py's `_fmt`, with Python's spelling of infinities (a seed where no trial completed). */
export function fmtRegret(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  return fmt(x);
}

/** Small ms values: .3f from 0.1 ms up (mf_report.py's format), else two significant digits. */
function fmtSmallMs(x: number): string {
  if (!Number.isFinite(x)) return "";
  return Math.abs(x) >= 0.1 || x === 0 ? x.toFixed(3) : x.toPrecision(2);
}

export function qcell(vals: readonly number[], f: (x: number) => string = fmtRegret): string {
  const q = quartiles(vals);
  return `${f(q.median)} [${f(q.q25)}, ${f(q.q75)}]`;
}

const sorted = (rs: readonly MfRecord[]) => [...rs].sort((a, b) => a.seed - b.seed);
const regretVals = (rs: readonly MfRecord[], m: number) => rs.map((r) => r.regret_at[String(m)] ?? Infinity);

/** Median regret of a row at K x 81 epochs (Infinity while none completed; NaN for no records). */
export function medianRegret(row: MfRow | undefined, mult: number): number {
  if (!row || row.records.length === 0) return NaN;
  return median(regretVals(row.records, mult));
}

/** Median across seeds of the overhead per epoch spent (ms). */
export function msPerEpoch(row: MfRow): number {
  return median(row.records.map((r) => r.overhead_ms.reduce((s, x) => s + x, 0) / r.total_epochs));
}

export function problemTable(title: string, rows: readonly MfRow[]): string[] {
  const L: string[] = [];
  L.push(`\n### ${title}\n`);
  const hdr = "| method | seeds | " + BUDGET_MULTS.map((m) => `regret@${m}x`).join(" | ") + " | trials run | complete | overhead ms/trial | ms/epoch | study wall s |";
  L.push(hdr);
  L.push("|" + "---|".repeat(hdr.split("|").length - 2));
  for (const row of rows) {
    const rs = sorted(row.records);
    if (rs.length === 0) continue;
    const cells = BUDGET_MULTS.map((m) => {
      const raw = rs.map((r) => r.regret_at[String(m)]);
      const none = raw.filter((x) => x === null || x === undefined).length;
      return qcell(regretVals(rs, m)) + (none ? ` (${none} seeds: none complete)` : "");
    });
    const nt = rs.map((r) => r.n_trials);
    const ov = rs.map((r) => mean(r.overhead_ms));
    L.push(
      `| ${row.label} | ${rs.length} | ${cells.join(" | ")} | ${fixed(median(nt), 0)} [${fixed(percentile(nt, 25), 0)}, ${fixed(percentile(nt, 75), 0)}]` +
        ` | ${fixed(median(rs.map((r) => r.n_complete)), 0)} | ${qcell(ov, (x) => (Math.abs(x) >= 0.1 ? x.toFixed(2) : x.toPrecision(2)))} | ${fmtSmallMs(msPerEpoch({ label: "", records: rs }))}` +
        ` | ${fixed(median(rs.map((r) => r.wall_s)), 1)} |`,
    );
  }
  return L;
}

export function diagnosticsTable(variant: string, rows: readonly MfRow[]): string[] {
  const L: string[] = [];
  L.push(
    `\nDiagnostics (${variant}): oracle regret = best full-budget value among ALL configurations tried within 100x (pruned included); ` +
      "'fooled' = pruned trials whose true f(x,81) was better than the incumbent when they were pruned; " +
      "stop epochs = share of trials stopped after epoch 1 / 3 / 9 / 27 / ran all 81 (other stop epochs summed into 'other').\n",
  );
  L.push("| method | regret@100x | oracle regret@100x | fooled (per run) | epochs on pruned trials | stop at 1 / 3 / 9 / 27 / 81 / other |");
  L.push("|---|---|---|---|---|---|");
  for (const row of rows) {
    const rs = sorted(row.records);
    if (rs.length === 0) continue;
    const orc = rs.map((r) => r.oracle_regret_at["100"] ?? Infinity);
    const pruned = rs.map((r) => 1 - (81 * r.n_complete) / r.total_epochs);
    const tot = new Map<number, number>();
    for (const r of rs) for (const [k, c] of Object.entries(r.epochs_hist)) tot.set(Number(k), (tot.get(Number(k)) ?? 0) + c);
    const n = [...tot.values()].reduce((s, x) => s + x, 0);
    const main = [1, 3, 9, 27, 81].map((k) => (tot.get(k) ?? 0) / n);
    const other = 1 - main.reduce((s, x) => s + x, 0);
    const pct = (x: number) => `${fixed(x * 100, 0)}%`;
    L.push(
      `| ${row.label} | ${qcell(regretVals(rs, 100))} | ${qcell(orc)} | ${qcell(rs.map((r) => r.fooled), (x) => fixed(x, 1))} | ` +
        `${pct(median(pruned))} | ${[...main, other].map(pct).join(" / ")} |`,
    );
  }
  return L;
}

export function parallelTable(rows: readonly { label: string; records: readonly ParallelRecord[] }[]): string[] {
  const L: string[] = [];
  L.push("| strategy | seeds | trials | epochs | wall s | idle share (whole run) | idle share until the last trial started | epoch waits / (4 x wall) | most in flight | regret (lc_h6) |");
  L.push("|---|---|---|---|---|---|---|---|---|---|");
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  for (const row of rows) {
    const rs = row.records;
    if (rs.length === 0) continue;
    L.push(
      `| ${row.label} | ${rs.length} | ${fixed(median(rs.map((r) => r.n_trials)), 0)} | ${fixed(median(rs.map((r) => r.total_epochs)), 0)} | ${fixed(median(rs.map((r) => r.wall_s)), 2)} | ` +
        `${qcell(rs.map((r) => r.idle_share), pct)} | ${qcell(rs.map((r) => r.idle_share_steady), pct)} | ${qcell(rs.map((r) => r.work_share), pct)} | ` +
        `${Math.max(...rs.map((r) => r.max_in_flight))} | ${qcell(rs.map((r) => r.regret ?? Infinity))} |`,
    );
  }
  return L;
}

export function mlpTable(rows: readonly { label: string; records: readonly MlpRecord[] }[], mults: readonly number[]): string[] {
  const L: string[] = [];
  const hdr = "| method | seeds | " + mults.map((m) => `val. error@${m}x`).join(" | ") + " | trials run | complete | wall s |";
  L.push(hdr);
  L.push("|" + "---|".repeat(hdr.split("|").length - 2));
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "none");
  for (const row of rows) {
    const rs = row.records;
    if (rs.length === 0) continue;
    const cells = mults.map((m) => qcell(rs.map((r) => r.best_at[String(m)] ?? Infinity), pct));
    L.push(
      `| ${row.label} | ${rs.length} | ${cells.join(" | ")} | ${fixed(median(rs.map((r) => r.n_trials)), 0)} | ${fixed(median(rs.map((r) => r.n_complete)), 0)} | ${fixed(median(rs.map((r) => r.wall_s)), 1)} |`,
    );
  }
  return L;
}

/** Median across seeds of the time inside report() per reported step (ms); NaN without the field (Optuna rows). */
export function reportMsPerStep(row: MfRow): number {
  const rs = row.records.filter((r) => r.report_ms !== undefined);
  return rs.length ? median(rs.map((r) => r.report_ms! / r.total_epochs)) : NaN;
}

/** Where tunelab's overhead goes: time inside ask(), report() and tell() (median across seeds). */
export function engineTable(variant: string, rows: readonly MfRow[]): string[] {
  const L: string[] = [];
  L.push(`\nEngine cost (${variant}, tunelab rows): time inside the Study API calls, median across seeds.\n`);
  L.push("| method | report() ms per reported step | ask() ms per trial | tell() ms per trial | all overhead ms per epoch |");
  L.push("|---|---|---|---|---|");
  const g = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 0.1 ? x.toFixed(3) : x.toPrecision(2)) : "");
  for (const row of rows) {
    const rs = row.records.filter((r) => r.report_ms !== undefined);
    if (rs.length === 0) continue;
    L.push(
      `| ${row.label} | ${g(reportMsPerStep(row))} | ${g(median(rs.map((r) => r.ask_ms! / r.n_trials)))} | ${g(median(rs.map((r) => r.tell_ms! / r.n_trials)))} | ${g(msPerEpoch({ label: "", records: rs }))} |`,
    );
  }
  return L;
}
