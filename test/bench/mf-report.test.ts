/**
 * The hyperband suite's cell formatters (bench/lib/mf-report.ts) print numbers as the Python
 * side does: fed the reference run records (shared/bench/multifidelity/runs_mf.jsonl, Optuna's
 * runs), qcell / fmtRegret / pyFixed reproduce the regret, trials-run and 'fooled' cells that
 * mf_report.py wrote into shared/bench/multifidelity/multifidelity.md. Both files are copied
 * into test/bench/fixtures/ (the records gzipped), so the test runs wherever the repo is cloned.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { pyFixed, qcell } from "../../bench/lib/mf-report";

const FIXTURES = path.join(__dirname, "fixtures");

/** The fields of mf_bench.py's run records that the checked cells come from. */
interface RefRecord {
  readonly variant: string;
  readonly method: string;
  readonly n_trials: number;
  readonly fooled: number;
  /** Regret at K x 81 epochs; null while no trial had completed. */
  readonly regret_at: Readonly<Record<string, number | null>>;
}

/** mf_bench.py's method keys and the labels multifidelity.md's rows carry. */
const LABELS: Readonly<Record<string, string>> = {
  random_full: "RandomSampler, no pruning",
  tpe_full: "TPESampler, no pruning",
  random_hb: "RandomSampler + HyperbandPruner(1, 81, eta=3)",
  tpe_hb: "TPESampler + HyperbandPruner(1, 81, eta=3)",
  tpe_sha: "TPESampler + SuccessiveHalvingPruner(1, eta=3, rate=0)",
  tpe_median: "TPESampler + MedianPruner (defaults)",
  tpe_sha_default: "TPESampler + SuccessiveHalvingPruner() defaults (min_resource='auto', eta=4)",
};

describe("mf-report's formatters against mf_report.py's output", () => {
  const runs = gunzipSync(fs.readFileSync(path.join(FIXTURES, "runs_mf.jsonl.gz")))
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RefRecord);
  const md = fs.readFileSync(path.join(FIXTURES, "multifidelity.md"), "utf8").split("\n");
  /** The table rows (cells split, label first) of the variant's results or diagnostics table. */
  const tableRows = (variant: string, table: "results" | "diagnostics"): string[][] => {
    const start = md.findIndex((l) => l.startsWith(`### ${variant}:`));
    const diag = md.findIndex((l, i) => i > start && l.startsWith(`Diagnostics (${variant})`));
    const end = md.findIndex((l, i) => i > diag && (l.startsWith("### ") || l.startsWith("## ")));
    const section = table === "results" ? md.slice(start, diag) : md.slice(diag, end);
    return section.filter((l) => l.startsWith("| ") && !l.startsWith("| method")).map((l) => l.slice(2, -2).split(" | "));
  };

  it.each(["lc_h6", "mfh6_bad"])("%s: every method's regret, trials-run and 'fooled' cells are multifidelity.md's", (variant) => {
    const results = tableRows(variant, "results");
    const diagnostics = tableRows(variant, "diagnostics");
    expect(results).toHaveLength(Object.keys(LABELS).length);
    expect(diagnostics).toHaveLength(Object.keys(LABELS).length);
    for (const [method, label] of Object.entries(LABELS)) {
      const rs = runs.filter((r) => r.variant === variant && r.method === method);
      expect(rs, method).toHaveLength(10);
      const row = results.find((c) => c[0] === label);
      expect(row, label).toBeDefined();
      // | method | seeds | regret@1x .. regret@100x | trials run | ...
      const regrets = ["1", "3", "10", "30", "100"].map((k) => qcell(rs.map((r) => r.regret_at[k] ?? Infinity)));
      expect(row!.slice(2, 7), `${variant} ${method}`).toEqual(regrets);
      expect(row![7], `${variant} ${method} trials run`).toBe(qcell(rs.map((r) => r.n_trials), (x) => pyFixed(x, 0)));
      // | method | regret@100x | oracle regret@100x | fooled (per run) | ...
      const diag = diagnostics.find((c) => c[0] === label);
      expect(diag![3], `${variant} ${method} fooled`).toBe(qcell(rs.map((r) => r.fooled), (x) => pyFixed(x, 1)));
    }
  });

  it("prints medians with quartiles as bench.py's _fmt does, infinities as Python does", () => {
    expect(qcell([1, 2, 3, 4])).toBe("2.5 [1.75, 3.25]");
    expect(qcell([Infinity, Infinity, Infinity])).toBe("inf [nan, nan]"); // numpy: inf - inf in its lerp
    expect(qcell([0.000123, 0.5, 250.5])).toBe("0.5 [0.25, 126]");
  });
});

describe("pyFixed", () => {
  it("rounds exact ties to even like Python's format, everything else like toFixed", () => {
    // Python 3.11: f"{0.25:.1f} {1.25:.1f} {0.15:.1f} {2.5:.0f} {0.125:.2f} {3.5:.0f} {0.35:.1f}"
    expect([pyFixed(0.25, 1), pyFixed(1.25, 1), pyFixed(0.15, 1), pyFixed(2.5, 0), pyFixed(0.125, 2), pyFixed(3.5, 0), pyFixed(0.35, 1)]).toEqual(["0.2", "1.2", "0.1", "2", "0.12", "4", "0.3"]);
    expect([pyFixed(654.5, 0), pyFixed(-0.25, 1), pyFixed(Infinity, 0), pyFixed(12.3456, 2)]).toEqual(["654", "-0.2", "inf", "12.35"]);
  });
});
