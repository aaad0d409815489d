/**
 * The multi-fidelity suite's report (bench/lib/mfsuite/report.ts) on synthetic records: cells,
 * rank aggregation (ties, missing records, "no complete trial yet") and the targets' counting.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { averageRanks, cellAt, medianCell, ranksAt, rankTable, targets, valueAt, type ProblemInfo } from "../../bench/lib/mfsuite/report";
import type { SuiteRecord } from "../../bench/lib/mfsuite/run";
import { mannWhitneyP } from "../../bench/lib/stats";

const P: ProblemInfo = { name: "p", set: "dev", maxResource: 10, fStar: -1 };
const Q: ProblemInfo = { name: "q", set: "validation", maxResource: 5 };

function rec(problem: ProblemInfo, method: string, seed: number, complete: [number, number][], extra: Partial<SuiteRecord> = {}): SuiteRecord {
  return {
    side: method.startsWith("tl_") ? "tunelab" : "optuna",
    problem: problem.name,
    set: problem.set,
    method,
    seed,
    max_resource: problem.maxResource,
    budget_mult: 100,
    n_trials: complete.length,
    n_complete: complete.length,
    total_steps: complete.at(-1)?.[0] ?? 0,
    complete,
    wall_s: 1,
    eval_s: 0.5,
    overhead_ms_per_trial: 0.1,
    overhead_ms_per_step: 0.01,
    ask_ms_median: 0.1,
    ask_ms_max: 0.2,
    workers: 1,
    ...extra,
  };
}

describe("cells", () => {
  it("value at K x R = the best final loss among complete trials that ended within K x R steps; regret subtracts fStar", () => {
    const r = rec(P, "a", 0, [[10, 5], [25, 3], [30, 4], [100, 1], [1000, -0.5]]);
    expect(valueAt(r, 1)).toBe(5);
    expect(valueAt(r, 3)).toBe(3);
    expect(valueAt(r, 10)).toBe(1);
    expect(valueAt(r, 100)).toBe(-0.5);
    expect(cellAt(r, 100, P.fStar)).toBe(0.5);
    expect(valueAt(rec(P, "a", 0, [[11, 2]]), 1)).toBe(Infinity); // ended past 1 x R
    expect(cellAt(rec(Q, "a", 0, [[5, 2]]), 1, undefined)).toBe(2);
  });
});

describe("averageRanks", () => {
  it("ties share the average rank, +inf ties included", () => {
    expect(averageRanks([3, 1, 2])).toEqual([3, 1, 2]);
    expect(averageRanks([1, 1, 5])).toEqual([1.5, 1.5, 3]);
    expect(averageRanks([Infinity, 0, Infinity, 0])).toEqual([3.5, 1.5, 3.5, 1.5]);
  });

  it("ranks sum to n(n+1)/2 and respect the order of the values (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(Infinity)), { minLength: 1, maxLength: 12 }), (vs) => {
        const r = averageRanks(vs);
        const n = vs.length;
        expect(r.reduce((s, x) => s + x, 0)).toBeCloseTo((n * (n + 1)) / 2, 9);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            if (vs[i]! < vs[j]!) expect(r[i]!).toBeLessThan(r[j]!);
            if (vs[i] === vs[j]) expect(r[i]).toBe(r[j]);
          }
      }),
      { numRuns: 200 },
    );
  });
});

describe("ranksAt", () => {
  it("ranks per problem x seed; a method without a record for a seed is left out of that cell; 4-worker records are not ranked", () => {
    const rs = [
      rec(P, "a", 0, [[10, 0]]),
      rec(P, "b", 0, [[10, 1]]),
      rec(P, "c", 0, [[10, 1]]),
      rec(P, "a", 1, [[10, 2]]),
      rec(P, "b", 1, [[10, 1]]),
      // c has no seed-1 record
      rec(P, "a", 2, [[10, 2]]), // alone in its cell: not ranked
      rec(P, "b", 0, [[10, -9]], { workers: 4 }),
      rec(Q, "a", 0, [[50, 0]]),
      rec(Q, "b", 0, []), // no complete trial: +inf
    ];
    const r = ranksAt(rs, ["a", "b", "c"], [P], 1);
    expect(r.get("a")).toEqual([1, 2]);
    expect(r.get("b")).toEqual([2.5, 1]);
    expect(r.get("c")).toEqual([2.5]);
    const q = ranksAt(rs, ["a", "b", "c"], [P, Q], 10);
    expect(q.get("a")).toEqual([1, 2, 1]);
    expect(q.get("b")).toEqual([2.5, 1, 2]);
    const table = rankTable("dev", rs, [{ key: "a", label: "A" }, { key: "b", label: "B" }, { key: "c", label: "C" }], [P]).join("\n");
    expect(table).toMatch(/\| A \| 2 \|/);
    expect(table).toMatch(/\| C \| 1 \|/);
  });
});

describe("targets", () => {
  it("counts problems where the default's median meets the bar, per set, and says met or missed", () => {
    const probs: ProblemInfo[] = Array.from({ length: 8 }, (_, i) => ({ name: `d${i}`, set: "dev", maxResource: 10, fStar: 0 }));
    const rs: SuiteRecord[] = [];
    probs.forEach((p, i) => {
      for (const seed of [0, 1, 2]) {
        rs.push(rec(p, "tl_hb", seed, [[100, i === 0 ? 5 : 1]])); // worse than random search on d0 only
        rs.push(rec(p, "random_full", seed, [[300, 2]]));
        rs.push(rec(p, "tpe_hb", seed, [[100, i < 3 ? 0.5 : 3]])); // better than tl_hb on d0..d2 at 10x
      }
    });
    const t = targets({ records: rs, problems: probs, defaults: [], samplerOf: () => undefined, parallelKey: "tl_hb" }).join("\n");
    expect(t).toMatch(/random search \(no pruning\) at 30x, on >= 7 of 8 problems: 7 of 8 problems \(need 7\).*\*\*met\*\*/);
    expect(t).toMatch(/HyperbandPruner at 10x, on >= 6 of 8 problems: 5 of 8 problems \(need 6\).*\*\*missed\*\*/);
    expect(medianCell(rs, probs[0]!, "tl_hb", 10)).toBe(5);
    // every method's own count against the same bar: tpe_hb is <= 2 at 10x on d0..d2 only
    expect(t).toMatch(/every method measured \(its 10x against random_full at 30x\): tl_hb 7 of 8; tpe_hb 3 of 8/);
  });

  it("gives each miss between two samples the Mann-Whitney p-value of its seeds, and counts the significant ones", () => {
    const probs: ProblemInfo[] = [
      { name: "far", set: "dev", maxResource: 10, fStar: 0 },
      { name: "near", set: "dev", maxResource: 10, fStar: 0 },
    ];
    const rs: SuiteRecord[] = [];
    for (let seed = 0; seed < 10; seed++) {
      // far: every tl_hb seed is worse than every tpe_hb seed (exact p = 2/C(20,10)); near: interleaved.
      rs.push(rec(probs[0]!, "tl_hb", seed, [[100, 10 + seed]]));
      rs.push(rec(probs[0]!, "tpe_hb", seed, [[100, seed]]));
      rs.push(rec(probs[1]!, "tl_hb", seed, [[100, seed + 0.5]]));
      rs.push(rec(probs[1]!, "tpe_hb", seed, [[100, seed]]));
    }
    const t = targets({ records: rs, problems: probs, defaults: [], samplerOf: () => undefined, parallelKey: "tl_hb" }).join("\n");
    const line = t.split("\n").find((l) => l.includes("HyperbandPruner at 10x"))!;
    expect(line).toMatch(/far 14\.5 vs 4\.5 ✗ \(p < 0\.001\)/);
    expect(line).toMatch(/near 5 vs 4\.5 ✗ \(p 0\.7\d\d\)/);
    expect(line).toMatch(/\(1 of the 2 misses significant at p < 0\.05\)/);
  });

  it("the 4-worker check: tunelab's runs against 1.3x its sequential ones, with its own and the Optuna anchor's ratios beside", () => {
    const probs: ProblemInfo[] = [{ name: "h", set: "dev", maxResource: 10, fStar: 0 }];
    const rs: SuiteRecord[] = [];
    for (const seed of [0, 1, 2]) {
      rs.push(rec(probs[0]!, "tl_hb", seed, [[200, 1]])); // sequential: 1 at 30x
      rs.push(rec(probs[0]!, "tl_hb", seed, [[250, 1.5]], { workers: 4, budget_mult: 30 })); // 4 workers: 1.5 (> 1.3)
      rs.push(rec(probs[0]!, "tpe_hb", seed, [[100, 2]]));
      rs.push(rec(probs[0]!, "tpe_hb", seed, [[290, 3]], { workers: 4, budget_mult: 30 }));
    }
    const base = { records: rs, problems: probs, defaults: [], samplerOf: () => undefined, parallelKey: "tl_hb" };
    const withAnchor = targets({ ...base, parallelAnchor: "tpe_hb" }).join("\n");
    expect(withAnchor).toMatch(/4 workers .* 0 of 1 problems \(need 1\): h 1\.5 vs 1\.3 ✗: \*\*missed\*\*/);
    expect(withAnchor).toContain("sequential median): h tl_hb 1.5 (1.50x), tpe_hb 3 (1.50x)");
    // the 4-worker runs stay out of the sequential cells
    expect(medianCell(rs, probs[0]!, "tpe_hb", 30)).toBe(2);
    const without = targets({ ...base, parallelAnchor: "tpe_sha" }).join("\n");
    expect(without).toContain("h tl_hb 1.5 (1.50x) (the Optuna anchor was not run)");
  });

  it("reads the engine-cost targets from the runs made alone when there are any", () => {
    const probs: ProblemInfo[] = [P];
    const slow = [0, 1].map((seed) => rec(P, "tl_hb", seed, [[100, 1]], { report_ms_per_step: 0.5, overhead_ms_per_step: 0.6 }));
    const alone = [0, 1].map((seed) => rec(P, "tl_hb", seed, [[100, 1]], { report_ms_per_step: 0.005, overhead_ms_per_step: 0.01 }));
    const base = { records: slow, problems: probs, defaults: [], samplerOf: () => "tpe", parallelKey: "tl_hb" };
    const contended = targets(base).join("\n");
    expect(contended).toMatch(/from the suite's runs/);
    expect(contended).toMatch(/report\(\): tl_hb 0\.500 ms: \*\*missed\*\*/);
    const measured = targets({ ...base, costRecords: alone, costNote: "x" }).join("\n");
    expect(measured).toMatch(/measured alone after the suite \(x\)/);
    expect(measured).toMatch(/report\(\): tl_hb 0\.0050 ms: \*\*met\*\*/);
  });
});

describe("mannWhitneyP", () => {
  /** The two-sided p-value by enumerating every split of the pooled values (small samples only). */
  function bruteP(a: readonly number[], b: readonly number[]): number {
    const all = [...a, ...b];
    const n = all.length;
    const uOf = (xs: readonly number[], ys: readonly number[]) => {
      let u = 0;
      for (const x of xs) for (const y of ys) u += x > y ? 1 : x === y ? 0.5 : 0;
      return u;
    };
    const mid = (a.length * b.length) / 2;
    const d0 = Math.abs(uOf(a, b) - mid);
    let hit = 0;
    let total = 0;
    for (let mask = 0; mask < 1 << n; mask++) {
      let bits = 0;
      for (let i = 0; i < n; i++) if (mask & (1 << i)) bits++;
      if (bits !== a.length) continue;
      const xs = all.filter((_, i) => mask & (1 << i));
      const ys = all.filter((_, i) => !(mask & (1 << i)));
      total++;
      if (Math.abs(uOf(xs, ys) - mid) >= d0 - 1e-9) hit++;
    }
    return hit / total;
  }

  it("is the exact permutation p-value for samples without ties (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: 12 }), fc.integer({ min: 1, max: 11 }), (vals, k) => {
        const m = Math.min(k, vals.length - 1);
        const a = vals.slice(0, m);
        const b = vals.slice(m);
        expect(mannWhitneyP(a, b)).toBeCloseTo(bruteP(a, b), 10);
      }),
      { numRuns: 200 },
    );
  });

  it("is a probability, symmetric in its samples, with ties and +inf (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(Infinity)), { minLength: 1, maxLength: 15 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant(Infinity)), { minLength: 1, maxLength: 15 }),
        (a, b) => {
          const p = mannWhitneyP(a, b);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          expect(p).toBeCloseTo(mannWhitneyP(b, a), 12);
        },
      ),
    );
    expect(mannWhitneyP([], [1])).toBeNaN();
    expect(mannWhitneyP([1, 1], [1, 1])).toBe(1);
  });
});
