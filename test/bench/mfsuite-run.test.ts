/**
 * The multi-fidelity suite's tunelab side (bench/lib/mfsuite/run.ts): a tiny end-to-end run per
 * kind of method whose record is consistent with what ran.
 */
import { describe, expect, it } from "vitest";
import { runParallelOne, runTunelabOne } from "../../bench/lib/mfsuite/run";
import { TL_METHODS } from "../../bench/lib/mfsuite/methods";
import type { MfProblem } from "../../bench/lib/mfsuite/problem";
import { MF_SUITE } from "../../bench/lib/mfsuite/problems/index";

const lc = MF_SUITE.find((p) => p.name === "lc_h6")!;

describe("runTunelabOne", () => {
  it.each(["tl_hb", "tl_hb_classic", "tl_asha", "tl_random_full"])("%s on lc_h6, 6 x R: steps add up, complete trials ran R steps, the study stops at the first trial past the budget", async (key) => {
    const R = lc.maxResource;
    const r = await runTunelabOne(lc, key, TL_METHODS[key]!, 0, 6);
    expect(r.total_steps).toBeGreaterThanOrEqual(6 * R);
    expect(r.n_complete).toBe(r.complete.length);
    expect(r.n_trials).toBeGreaterThanOrEqual(r.n_complete);
    // Steps at the end of each complete trial: increasing, at least R apart from the study start.
    let prev = 0;
    for (const [steps, loss] of r.complete) {
      expect(steps).toBeGreaterThanOrEqual(prev + R);
      expect(steps).toBeLessThanOrEqual(r.total_steps);
      expect(Number.isFinite(loss)).toBe(true);
      prev = steps;
    }
    // The last trial took the study past the budget, the one before it did not.
    const last = r.complete.at(-1);
    if (key === "tl_random_full") {
      expect(r.complete.map((c) => c[0])).toEqual(Array.from({ length: 6 }, (_, i) => (i + 1) * R));
      expect(last![0]).toBe(r.total_steps);
    }
    expect(r.overhead_ms_per_step).toBeGreaterThan(0);
    expect(r.ask_ms_max).toBeGreaterThanOrEqual(r.ask_ms_median);
  });

  it("the complete trials' losses are the problem's step-R losses for their configurations (noise keyed by seed and trial)", async () => {
    // A problem whose loss records (seed, trial, step): the record must carry exactly those of complete trials.
    const seen: [number, number][] = [];
    const probe: MfProblem = {
      name: "probe",
      set: "dev",
      source: "test",
      space: { a: { type: "float", low: 0, high: 1 }, k: { type: "categorical", choices: ["p", "q"] }, m: { type: "float", low: 0, high: 1, when: { k: ["q"] } } },
      maxResource: 9,
      fStar: 0,
      open(x, seed, trial) {
        if (x["k"] === "p" && "m" in x) throw new Error("inactive parameter given");
        let b = 0;
        return {
          next: () => {
            b++;
            const v = 1000 * seed + trial + b / 100;
            if (b === 9) seen.push([trial, v]);
            return v;
          },
        };
      },
    };
    const r = await runTunelabOne(probe, "tl_hb", TL_METHODS["tl_hb"]!, 3, 20);
    expect(r.complete.map((c) => c[1])).toEqual(seen.map((s) => s[1]));
    for (const [, v] of r.complete) expect(Math.floor(v / 1000)).toBe(3);
  });
});

describe("runParallelOne", () => {
  it("4 workers through the DSL runner: complete trials counted within the budget only", async () => {
    const R = lc.maxResource;
    const r = await runParallelOne(lc, "tl_hb", TL_METHODS["tl_hb"]!, 1, 5, 4);
    expect(r.workers).toBe(4);
    expect(r.total_steps).toBeGreaterThanOrEqual(5 * R);
    for (const [steps] of r.complete) expect(steps).toBeLessThanOrEqual(5 * R);
    expect(r.complete.length).toBeGreaterThan(0);
  });
});
