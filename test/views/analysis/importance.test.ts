// Parameter importance (src/views/analysis): functions of known structure give the known order
// for both methods, whatever the seed and the order of the trials (fast-check).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { choice, float, int, when } from "../../../src/space/builders";
import type { Config, SpaceDef } from "../../../src/space/types";
import { importance, ImportanceMethods, type ImportanceMethod } from "../../../src/views/analysis/importance";
import { MAX_FANOVA_TRIALS } from "../../../src/views/analysis/fanova";
import { isTunelabError } from "../../../src/util/errors";
import { thrown } from "../../helpers/thrown";
import { sampleTrials, shuffled } from "./sample";

const n = (c: Config, k: string) => c[k] as number;
/** Runs per property: PED-ANOVA takes milliseconds, fANOVA a forest of 32 trees. */
const RUNS: Record<ImportanceMethod, number> = { "ped-anova": 12, fanova: 4 };

function order(r: readonly { param: string }[]): string[] {
  return r.map((x) => x.param);
}
function share(r: readonly { param: string; importance: number }[], p: string): number {
  return r.find((x) => x.param === p)!.importance;
}

/** For every seed and every order of the trials, `check` holds on the importance of `f`. */
function holdsFor(method: ImportanceMethod, space: SpaceDef, f: (c: Config) => number, trials: number, check: (r: ReturnType<typeof importance>) => void): void {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer(), (seed, shuffle) => {
      const r = importance(shuffled(sampleTrials(seed, trials, space, f), shuffle), space, { method, seed });
      check(r);
    }),
    { numRuns: RUNS[method] },
  );
}

describe.each(ImportanceMethods)("importance, %s", (method) => {
  it("ranks a strong parameter first, a weaker one (which interacts with a third) next, and an irrelevant one below both", () => {
    const space = { z: float(0, 1), c: float(0, 1), b: float(0, 1), a: float(0, 1) };
    const f = (p: Config) => 10 * (n(p, "a") - 0.3) ** 2 + (n(p, "b") - 0.6) ** 2 * (1 + n(p, "c"));
    // For every sample: a first, b above the irrelevant z. b above c (whose effect is real, through
    // b) is the usual order, not a certainty: PED-ANOVA puts c second in about 1 sample of 1,300
    // of 240 trials (measured over 4,000), so it is checked on a fixed set of samples instead.
    holdsFor(method, space, f, 240, (r) => {
      expect(order(r)[0]).toBe("a");
      expect(share(r, "b")).toBeGreaterThan(share(r, "z"));
    });
    const seeds = Array.from({ length: method === "fanova" ? 8 : 40 }, (_, i) => i);
    const second = seeds.filter((seed) => order(importance(sampleTrials(seed, 240, space, f), space, { method, seed }))[1] === "b").length;
    expect(second).toBeGreaterThanOrEqual(Math.ceil(0.9 * seeds.length));
  });

  it("reads a log parameter in log space and ints as numbers", () => {
    const space = { noise: float(0, 1), layers: int(1, 8), lr: float(1e-5, 1, { scale: "log" }) };
    const f = (p: Config) => (Math.log10(n(p, "lr")) + 2.5) ** 2 + 0.05 * (n(p, "layers") - 3) ** 2;
    holdsFor(method, space, f, 240, (r) => expect(order(r)).toEqual(["lr", "layers", "noise"]));
  });

  // (Not a numeric parameter with a small effect: PED-ANOVA asks what it takes to be in the top
  // 10%, and among the best choice's trials the small effect decides that.)
  it("ranks a categorical parameter that decides the value above an irrelevant numeric one", () => {
    const space = { x: float(-1, 1), opt: choice(["sgd", "adam", "rmsprop"]) };
    const f = (p: Config) => ({ sgd: 2, adam: 0, rmsprop: 1 })[p.opt as string]!;
    holdsFor(method, space, f, 150, (r) => expect(order(r)).toEqual(["opt", "x"]));
  });

  it("handles a conditional parameter (absent from some trials): one that matters where it exists ranks above an irrelevant one", () => {
    const space = { noise: float(0, 1), opt: choice(["sgd", "adam"]), momentum: when({ opt: ["sgd"] }, float(0, 1)) };
    const f = (p: Config) => (p.opt === "sgd" ? 20 * (n(p, "momentum") - 0.8) ** 2 : 0.6) + 0.01 * n(p, "noise");
    holdsFor(method, space, f, 240, (r) => {
      expect(share(r, "momentum")).toBeGreaterThan(share(r, "noise"));
      expect(r.every((x) => Number.isFinite(x.importance))).toBe(true);
    });
  });

  it("gives shares that sum to 1, one per parameter, and skips failed trials", () => {
    const space = { a: float(0, 1), b: int(0, 3), c: choice([true, false]) };
    const f = (p: Config) => n(p, "a") + 0.1 * n(p, "b") + (p.c ? 0 : 0.5);
    const clean = sampleTrials(5, 80, space, f);
    const r = importance(clean, space, { method, seed: 3 });
    expect(order(r).sort()).toEqual(["a", "b", "c"]);
    expect(r.reduce((s, x) => s + x.importance, 0)).toBeCloseTo(1, 12);
    expect(r.every((x) => x.importance >= 0)).toBe(true);
    const withFailed = [...clean, ...sampleTrials(6, 0, space, f, 7).map((t, i) => ({ ...t, number: 100 + i }))];
    expect(importance(withFailed, space, { method, seed: 3 })).toEqual(r);
  });

  it("is the same for a maximised objective as for the minimised negation, and the same again for the same seed", () => {
    const space = { a: float(0, 1), b: float(0, 1) };
    const trials = sampleTrials(8, 100, space, (p) => n(p, "a") ** 2 + 0.2 * n(p, "b"));
    const negated = trials.map((t) => ({ ...t, value: -t.value! }));
    const min = importance(trials, space, { method, seed: 4, direction: "minimize" });
    expect(importance(negated, space, { method, seed: 4, direction: "maximize" })).toEqual(min);
    expect(importance(trials, space, { method, seed: 4 })).toEqual(min);
  });

  it("says nothing (all zeros) with too few complete trials", () => {
    const space = { a: float(0, 1), b: float(0, 1) };
    const r = importance(sampleTrials(1, 1, space, (p) => n(p, "a")), space, { method });
    expect(r.map((x) => x.importance)).toEqual([0, 0]);
  });
});

describe("importance options", () => {
  it("rejects an unknown method with importance.bad_method", () => {
    const e = thrown(() => importance([], { a: float(0, 1) }, { method: "shap" as never }));
    expect(isTunelabError(e, "importance.bad_method")).toBe(true);
  });

  it("fANOVA at 10,000 trials grows its forest on a subsample and still finds the known order", () => {
    const space = { z: float(0, 1), b: float(0, 1), a: float(0, 1) };
    const trials = sampleTrials(11, 10 * MAX_FANOVA_TRIALS, space, (p) => 10 * (n(p, "a") - 0.3) ** 2 + (n(p, "b") - 0.6) ** 2);
    expect(order(importance(trials, space, { method: "fanova", seed: 2 }))).toEqual(["a", "b", "z"]);
  });
});
