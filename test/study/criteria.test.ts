// Completion criteria (issue 17 part 1): limits.patience with a least improvement, and
// limits.convergence. Objectives return scripted sequences, so each criterion's stopping point is
// known in advance and checked against a reference written here from the documented rule.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../../src/storage/base";
import { resolveLimits, type Limits } from "../../src/study/limits";
import { runStudy } from "../../src/study/runner";
import { Study } from "../../src/study/study";
import { isTunelabError } from "../../src/util/errors";
import { Rng } from "../../src/util/rng";

type Dir = "minimize" | "maximize";
/** A scripted result: a value, or a failed trial. */
type Step = number | "fail";

const SPACE = { x: { type: "float", low: 0, high: 1 }, y: { type: "float", low: 0, high: 1 } } as const;

async function runScript(script: readonly Step[], direction: Dir, limits: Limits, strategy = "random") {
  const study = await Study.open({ name: "c", space: SPACE, direction, seed: 5, strategy: { name: strategy }, storage: new MemoryStorage() });
  let i = 0;
  const summary = await runStudy(
    study,
    () => {
      const s = script[i++];
      if (s === undefined) throw new Error("script exhausted");
      if (s === "fail") throw new Error("scripted failure");
      return s;
    },
    { trials: script.length, ...limits },
    { handleSigint: false },
  );
  return { study, summary };
}

/**
 * Reference: the number of finished trials after which patience stops, or undefined. After k
 * finished trials (one at a time, so in script order): b(k - N) must exist, and the
 * improvement from it to b(k) must be > 0 and >= max(minImprovement·|b(k - N)|, minDelta).
 */
function patienceStop(script: readonly Step[], direction: Dir, N: number, minImprovement: number, minDelta: number): number | undefined {
  const bestOf = (k: number): number | undefined => {
    let b: number | undefined;
    for (const s of script.slice(0, k)) if (s !== "fail" && (b === undefined || (direction === "minimize" ? s < b : s > b))) b = s;
    return b;
  };
  for (let k = 1; k <= script.length; k++) {
    if (k - N < 1) continue;
    const ref = bestOf(k - N);
    if (ref === undefined) continue;
    const now = bestOf(k)!;
    const gain = direction === "minimize" ? ref - now : now - ref;
    if (gain <= 0 || gain < Math.max(minImprovement * Math.abs(ref), minDelta)) return k;
  }
  return undefined;
}

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -20, max: 20 }).map((v) => v / 4) },
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant("fail" as const) },
);

describe("limits.patience { trials, minImprovement, minDelta }", () => {
  it("property: the run stops at the first finished trial where the rule holds, never before", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 1, maxLength: 30 }),
        fc.constantFrom<Dir>("minimize", "maximize"),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(0, 0.01, 0.1, 0.5),
        fc.constantFrom(0, 0.25, 1),
        async (script, direction, N, minImprovement, minDelta) => {
          const { study, summary } = await runScript(script, direction, { patience: { trials: N, minImprovement, minDelta } });
          const expected = patienceStop(script, direction, N, minImprovement, minDelta);
          expect(study.trials.length).toBe(expected ?? script.length);
          expect(summary.reason).toBe(expected === undefined ? "trials" : "patience");
        },
      ),
      { numRuns: 120 },
    );
  });

  it("property: the plain number keeps its meaning (the object form with minImprovement 0)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), fc.constantFrom<Dir>("minimize", "maximize"), fc.integer({ min: 1, max: 4 }), async (script, direction, N) => {
        const plain = await runScript(script, direction, { patience: N });
        const zero = await runScript(script, direction, { patience: { trials: N, minImprovement: 0 } });
        expect(plain.study.trials.length).toBe(zero.study.trials.length);
        expect(plain.study.trials.length).toBe(patienceStop(script, direction, N, 0, 0) ?? script.length);
      }),
      { numRuns: 60 },
    );
  });

  it("SageMaker's example: improvements under 1% over 3 trials end the run; the default minImprovement is 1%", async () => {
    // 10 → 9.95 → 9.92 → 9.91: 0.9% over the 3 trials after the 10 (b(1) = 10, b(4) = 9.91).
    const { study, summary } = await runScript([10, 9.95, 9.92, 9.91, 5, 4], "minimize", { patience: { trials: 3 } });
    expect(summary.reason).toBe("patience");
    expect(study.trials.length).toBe(4);
    expect(summary.detail).toMatch(/from 10 to 9.91 over the last 3 finished trials, less than 1%/);
    // With the plain count each of those improvements resets it.
    expect((await runScript([10, 9.95, 9.92, 9.91, 5, 4], "minimize", { patience: 3 })).summary.reason).toBe("trials");
  });

  it("near zero and below: relative to |best|, with minDelta as the floor", async () => {
    // Best 0: 1% of 0 is 0, so any gain counts without a floor ...
    expect((await runScript([0, -1e-9, -2e-9, -3e-9], "minimize", { patience: { trials: 1 } })).summary.reason).toBe("trials");
    // ... and minDelta sets the least gain that counts.
    const floor = await runScript([0, -1e-9, -2e-9, -3e-9], "minimize", { patience: { trials: 1, minDelta: 1e-6 } });
    expect(floor.study.trials.length).toBe(2);
    // Negative values: -10 → -10.05 is 0.5% of |-10|, under 1%.
    expect((await runScript([-10, -10.05, -20], "minimize", { patience: { trials: 1 } })).study.trials.length).toBe(2);
  });

  it("refuses bad options through the catalog, naming the field", () => {
    const bad: [unknown, string][] = [
      [{ minImprovement: 0.1 }, "limits.patience.trials"],
      [{ trials: 0 }, "limits.patience.trials"],
      [{ trials: 3, minImprovement: -0.1 }, "limits.patience.minImprovement"],
      [{ trials: 3, minImprovement: 101 }, "limits.patience.minImprovement"],
      [{ trials: 3, minImprovement: NaN }, "limits.patience.minImprovement"],
      [{ trials: 3, minDelta: -1 }, "limits.patience.minDelta"],
      [{ trials: 3, minDelta: Infinity }, "limits.patience.minDelta"],
      [{ trials: 3, within: 2 }, "limits.patience.within"],
      ["3", "limits.patience"],
    ];
    for (const [patience, field] of bad) {
      let e: unknown;
      try {
        resolveLimits({ patience });
      } catch (x) {
        e = x;
      }
      expect(isTunelabError(e), JSON.stringify(patience)).toBe(true);
      expect((e as { field: string }).field).toBe(field);
      expect(["option.bad_value", "option.unknown"]).toContain((e as { code: string }).code);
    }
  });
});

// ---- convergence ---------------------------------------------------------------------------

/** Reference of the forecast rule (README): max(recent gain over `window`, window/(n+window) × mean gap of the 6 best). */
function forecastRef(values: readonly number[], window: number): number {
  const n = values.length;
  const best = (k: number) => Math.min(...values.slice(0, k));
  const recent = best(Math.max(1, n - window)) - best(n);
  const s = [...values].sort((a, b) => a - b);
  const m = Math.min(5, n - 1);
  const gap = m > 0 ? (s[m]! - s[0]!) / m : 0;
  return Math.max(recent, (window / (n + window)) * gap);
}

function iqrRef(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = p * (s.length - 1);
    const lo = Math.floor(pos);
    return s[lo]! + (pos - lo) * (s[Math.min(s.length - 1, lo + 1)]! - s[lo]!);
  };
  return q(0.75) - q(0.25);
}

/** Reference: the first n (complete trials, minimised) at which the forecast rule fires. */
function convergenceStop(values: readonly number[], minTrials: number, window: number, relative: number, tolerance?: number): number | undefined {
  for (let n = minTrials; n <= values.length; n++) {
    const head = values.slice(0, n);
    if (forecastRef(head, window) <= (tolerance ?? relative * iqrRef(head))) return n;
  }
  return undefined;
}

describe("limits.convergence (forecast rule: strategies without a model)", () => {
  it("fires on a flat plateau as soon as minTrials trials are complete", async () => {
    const script = [5, 4, 3, ...Array.from({ length: 60 }, () => 2)];
    const { study, summary } = await runScript(script, "minimize", { convergence: { minTrials: 25 } });
    expect(summary.reason).toBe("convergence");
    expect(study.trials.length).toBe(25);
    expect(summary.detail).toMatch(/forecast improvement/);
  });

  it("fires on a noisy plateau exactly where the documented rule first holds, not before", async () => {
    for (const seed of [1, 2, 3]) {
      const rng = Rng.fromSeed(seed);
      const values = Array.from({ length: 400 }, () => 3 + rng.normal());
      const expected = convergenceStop(values, 20, 10, 0.05);
      expect(expected, `seed ${seed}`).toBeDefined();
      const { study, summary } = await runScript(values, "minimize", { convergence: { relative: 0.05 } });
      expect(summary.reason).toBe("convergence");
      expect(study.trials.length).toBe(expected);
    }
  });

  it("does not fire while a steady improvement continues, in either direction", async () => {
    const down = Array.from({ length: 150 }, (_, i) => 100 - i + 0.3 * Math.sin(i));
    expect((await runScript(down, "minimize", { convergence: true })).summary.reason).toBe("trials");
    const up = down.map((v) => -v);
    expect((await runScript(up, "maximize", { convergence: true })).summary.reason).toBe("trials");
    // Improving by diminishing steps that stay above the tolerance: still not converged.
    const slowing = Array.from({ length: 120 }, (_, i) => 10 / Math.sqrt(i + 1));
    expect((await runScript(slowing, "minimize", { convergence: { tolerance: 1e-3 } })).summary.reason).toBe("trials");
  });

  it("property: with failures among the trials, it stops where the reference (complete trials only) says", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 60 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 1, max: 8 }), async (script, minTrials, window) => {
        const { study, summary } = await runScript(script, "minimize", { convergence: { minTrials, window, tolerance: 0.3 } });
        const values = script.filter((s): s is number => s !== "fail");
        const n = convergenceStop(values, minTrials, window, 0, 0.3);
        if (n === undefined) {
          expect(summary.reason).toBe("trials");
        } else {
          expect(summary.reason).toBe("convergence");
          // Stopped right after the n-th complete trial.
          const complete = study.trials.filter((t) => t.state === "complete");
          expect(complete.length).toBe(n);
          expect(study.trials[study.trials.length - 1]!.state).toBe("complete");
        }
      }),
      { numRuns: 80 },
    );
  });

  it("refuses bad options through the catalog", () => {
    const bad: [unknown, string][] = [
      [{ tolerance: 0 }, "limits.convergence.tolerance"],
      [{ tolerance: 1, relative: 0.1 }, "limits.convergence.relative"],
      [{ relative: 2 }, "limits.convergence.relative"],
      [{ minTrials: 1 }, "limits.convergence.minTrials"],
      [{ window: 0 }, "limits.convergence.window"],
      [{ window: 1e9 }, "limits.convergence.window"],
      [{ every: 3 }, "limits.convergence.every"],
      ["yes", "limits.convergence"],
    ];
    for (const [convergence, field] of bad) {
      let e: unknown;
      try {
        resolveLimits({ convergence });
      } catch (x) {
        e = x;
      }
      expect(isTunelabError(e), JSON.stringify(convergence)).toBe(true);
      expect((e as { field: string }).field).toBe(field);
    }
    expect(resolveLimits({ convergence: false }).convergence).toBeUndefined();
  });
});

describe("limits.convergence (regret bound: the bayesian strategy)", () => {
  const bowl = (p: { x: number; y: number }) => (p.x - 0.3) ** 2 + (p.y - 0.7) ** 2;

  it("stops a bayesian study on a smooth bowl by the GP's regret bound, well before the trials limit", async () => {
    const study = await Study.open({ name: "b", space: SPACE, direction: "minimize", seed: 2, strategy: { name: "bayesian" }, storage: new MemoryStorage() });
    const summary = await runStudy(study, (p) => bowl(p as { x: number; y: number }), { trials: 80, convergence: { tolerance: 1e-3 } }, { handleSigint: false });
    expect(summary.reason).toBe("convergence");
    expect(summary.detail).toMatch(/GP regret bound/);
    expect(study.trials.length).toBeLessThan(80);
    expect(study.trials.length).toBeGreaterThanOrEqual(20);
    expect(study.best!.value!).toBeLessThan(1e-2);
  }, 60_000);

  it("does not stop a bayesian study whose values keep improving regardless of the model", async () => {
    const values = Array.from({ length: 45 }, (_, i) => 100 - 2 * i);
    const { summary } = await runScript(values, "minimize", { convergence: true }, "bayesian");
    expect(summary.reason).toBe("trials");
  }, 60_000);
});
