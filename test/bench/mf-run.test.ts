/**
 * The hyperband suite's study driver (bench/lib/mf-run.ts): stops exactly as mf_bench.py's
 * callback does, and computes its record fields consistently with the stored trials.
 */
import { describe, expect, it } from "vitest";
import { runMfOne } from "../../bench/lib/mf-run";
import { F_STAR } from "../../bench/lib/multifidelity";

describe("runMfOne", () => {
  it("full-budget random search: one 81-epoch trial per 81 epochs, regret at K x 81 = the best of the first K", async () => {
    const r = await runMfOne("lc_h6", "tl_random_full", 3, 10 * 81);
    expect(r.n_trials).toBe(10);
    expect(r.epochs).toEqual(Array(10).fill(81));
    expect(r.trials_at).toEqual({ "1": 1, "3": 3, "10": 10, "30": 10, "100": 10 });
    expect(r.regret_at["10"]).toBeCloseTo(r.best_value! - F_STAR, 12);
    expect(r.regret_at["1"]!).toBeGreaterThanOrEqual(r.regret_at["3"]!);
    expect(r.fooled).toBe(0);
    expect(r.overhead_ms).toHaveLength(10);
  });

  it.each(["lc_h6", "mfh6_bad"])("hyperband on %s: stops at the first trial that reaches the budget; trials stop only at rungs", async (variant) => {
    const budget = 5 * 81;
    const r = await runMfOne(variant, "tl_random_hb", 0, budget);
    const total = r.epochs.reduce((s, e) => s + e, 0);
    expect(total).toBe(r.total_epochs);
    expect(total).toBeGreaterThanOrEqual(budget);
    expect(total - r.epochs[r.epochs.length - 1]!).toBeLessThan(budget);
    for (const e of r.epochs) expect([1, 3, 9, 27, 81]).toContain(e);
    expect(r.n_complete).toBe(r.epochs.filter((e) => e === 81).length);
    expect(r.stopped_by?.["rung"] ?? 0).toBe(r.n_trials - r.n_complete);
    expect(Object.values(r.epochs_hist).reduce((s, c) => s + c, 0)).toBe(r.n_trials);
  });
});
