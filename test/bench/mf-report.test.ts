/**
 * The hyperband suite's tables (bench/lib/mf-report.ts) reproduce mf_report.py: fed the
 * reference run records (shared/bench/multifidelity/runs_mf.jsonl), they print the rows of
 * shared/bench/multifidelity/multifidelity.md cell for cell. Both files are copied into
 * test/bench/fixtures/ (the records gzipped), so the test runs wherever the repo is cloned.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { diagnosticsTable, problemTable, qcell, type MfRow } from "../../bench/lib/mf-report";
import { OPTUNA_MF_LABELS, OPTUNA_MF_METHODS } from "../../bench/lib/mf-python";
import type { MfRecord } from "../../bench/lib/mf-run";

const FIXTURES = path.join(__dirname, "fixtures");
const RUNS = path.join(FIXTURES, "runs_mf.jsonl.gz");
const MD = path.join(FIXTURES, "multifidelity.md");

describe("mf-report against mf_report.py's output", () => {
  const runs = gunzipSync(fs.readFileSync(RUNS)).toString("utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as MfRecord);
  const md = fs.readFileSync(MD, "utf8").split("\n");
  const rows = (variant: string): MfRow[] =>
    OPTUNA_MF_METHODS.map((m) => ({ label: OPTUNA_MF_LABELS[m]!, records: runs.filter((r) => r.variant === variant && r.method === m) }));

  it.each(["lc_h6", "mfh6_bad"])("%s: the results and diagnostics rows are multifidelity.md's", (variant) => {
    const lines = [...problemTable(variant, rows(variant)), ...diagnosticsTable(variant, rows(variant))].filter((l) => l.startsWith("| ") && !l.startsWith("| method"));
    expect(lines.length).toBe(14);
    // Each row appears in the reference file, in the section of this variant.
    const start = md.findIndex((l) => l.startsWith(`### ${variant}:`));
    const end = md.findIndex((l, i) => i > start && (l.startsWith("### ") || l.startsWith("## ")));
    const section = md.slice(start, end < 0 ? undefined : end);
    for (const l of lines) expect(section, l).toContain(l);
  });

  it("prints medians with quartiles as bench.py's _fmt does, infinities as Python does", () => {
    expect(qcell([1, 2, 3, 4])).toBe("2.5 [1.75, 3.25]");
    expect(qcell([Infinity, Infinity, Infinity])).toBe("inf [nan, nan]"); // numpy: inf - inf in its lerp
    expect(qcell([0.000123, 0.5, 250.5])).toBe("0.5 [0.25, 126]");
  });
});

describe("pyFixed", () => {
  it("rounds exact ties to even like Python's format, everything else like toFixed", async () => {
    const { pyFixed } = await import("../../bench/lib/mf-report");
    // Python 3.11: f"{0.25:.1f} {1.25:.1f} {0.15:.1f} {2.5:.0f} {0.125:.2f} {3.5:.0f} {0.35:.1f}"
    expect([pyFixed(0.25, 1), pyFixed(1.25, 1), pyFixed(0.15, 1), pyFixed(2.5, 0), pyFixed(0.125, 2), pyFixed(3.5, 0), pyFixed(0.35, 1)]).toEqual(["0.2", "1.2", "0.1", "2", "0.12", "4", "0.3"]);
    expect([pyFixed(654.5, 0), pyFixed(-0.25, 1), pyFixed(Infinity, 0), pyFixed(12.3456, 2)]).toEqual(["654", "-0.2", "inf", "12.35"]);
  });
});
