/**
 * Cell formatters of the hyperband suite's tables (bench/lib/mfsuite/report.ts, bench/suites/
 * hyperband.ts), printing numbers as the Python side of the benchmarks does (bench.py's `_fmt`,
 * Python's `f"{x:.Nf}"`, numpy's quartiles), and the 4-worker idle-time table (mf-parallel.ts).
 */
import type { ParallelRecord } from "./mf-parallel";
import { fmt, median, quartiles } from "./stats";

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

/** bench.py's `_fmt`, with Python's spelling of infinities (a seed where no trial completed). */
export function fmtRegret(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  return fmt(x);
}

/** "median [q25, q75]" of the values (numpy's linear percentiles), each printed by f. */
export function qcell(vals: readonly number[], f: (x: number) => string = fmtRegret): string {
  const q = quartiles(vals);
  return `${f(q.median)} [${f(q.q25)}, ${f(q.q75)}]`;
}

/** The 4-worker idle-time table: one row per strategy, medians (and quartiles) across seeds. */
export function parallelTable(rows: readonly { label: string; records: readonly ParallelRecord[] }[]): string[] {
  const L: string[] = [];
  L.push("| strategy | seeds | trials | epochs | wall s | idle share (whole run) | idle share until the last trial started | epoch waits / (4 x wall) | most in flight | regret (lc_h6) |");
  L.push("|---|---|---|---|---|---|---|---|---|---|");
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  for (const row of rows) {
    const rs = row.records;
    if (rs.length === 0) continue;
    L.push(
      `| ${row.label} | ${rs.length} | ${pyFixed(median(rs.map((r) => r.n_trials)), 0)} | ${pyFixed(median(rs.map((r) => r.total_epochs)), 0)} | ${pyFixed(median(rs.map((r) => r.wall_s)), 2)} | ` +
        `${qcell(rs.map((r) => r.idle_share), pct)} | ${qcell(rs.map((r) => r.idle_share_steady), pct)} | ${qcell(rs.map((r) => r.work_share), pct)} | ` +
        `${Math.max(...rs.map((r) => r.max_in_flight))} | ${qcell(rs.map((r) => r.regret ?? Infinity))} |`,
    );
  }
  return L;
}
