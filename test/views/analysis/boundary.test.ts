// Range warnings (src/views/analysis/boundary.ts): a study whose optimum lies at or beyond a
// bound warns (low and high, linear, log and int), one whose optimum is inside never does
// (fast-check over interior optima), categorical parameters never warn.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { choice, float, int, when } from "../../../src/space/builders";
import type { ParamDef } from "../../../src/space/types";
import { BOUNDARY_RULE, boundaryShort, boundaryWarnings } from "../../../src/views/analysis/boundary";
import { optimiserTrials as study } from "./sample";

describe("boundaryWarnings", () => {
  const cases: { name: string; def: ParamDef; optimum: number; bound: "low" | "high"; code: string | null }[] = [
    { name: "lr", def: float(1e-5, 1, { scale: "log" }), optimum: -0.3, bound: "low", code: 'study.extendSpace({ lr: float(1e-6, 1, { scale: "log" }) })' },
    { name: "lr", def: float(1e-5, 1e-2, { scale: "log" }), optimum: 1.3, bound: "high", code: 'study.extendSpace({ lr: float(1e-5, 0.1, { scale: "log" }) })' },
    { name: "x", def: float(-2, 3), optimum: -0.5, bound: "low", code: "study.extendSpace({ x: float(-7, 3) })" },
    { name: "x", def: float(0, 1, { step: 0.1 }), optimum: 1.4, bound: "high", code: "study.extendSpace({ x: float(0, 2, { step: 0.1 }) })" },
    { name: "units", def: int(16, 64), optimum: 1.5, bound: "high", code: "study.extendSpace({ units: int(16, 112) })" },
    { name: "units", def: int(8, 512, { scale: "log" }), optimum: -0.5, bound: "low", code: 'study.extendSpace({ units: int(1, 512, { scale: "log" }) })' },
    // A log int at 1 can go no lower: the warning stays, without code.
    { name: "layers", def: int(1, 64, { scale: "log" }), optimum: -0.5, bound: "low", code: null },
  ];
  it.each(cases)("warns for $name $bound ($code)", ({ name, def, optimum, bound, code }) => {
    const space = { other: float(0, 1), [name]: def };
    const w = boundaryWarnings(study(3, space, { [name]: optimum, other: 0.4 }), space, "minimize");
    expect(w.map((x) => [x.param, x.bound, x.code])).toEqual([[name, bound, code]]);
    expect(w[0]!.near).toBeGreaterThanOrEqual(BOUNDARY_RULE.crowd * w[0]!.best);
    expect(w[0]!.message).toContain(bound === "low" ? "lower" : "higher");
    if (code) expect(w[0]!.message).toContain(code);
  });

  it("keeps a conditional parameter's condition in the code, and looks only at trials where it is active", () => {
    const space = { opt: choice(["sgd", "adam"]), momentum: when({ opt: ["sgd"] }, float(0.5, 0.9)) };
    const trials = study(4, space, { momentum: 1.3 }, 400);
    const w = boundaryWarnings(trials, space, "minimize");
    expect(w.map((x) => x.code)).toEqual(['study.extendSpace({ momentum: float(0.5, 1.3, { when: {"opt":["sgd"]} }) })']);
    expect(boundaryShort(w)).toBe("momentum at high");
  });

  it("reads the direction: the same trials maximised point the other way", () => {
    const space = { x: float(0, 1) };
    const trials = study(5, space, { x: 1.2 }).map((t) => ({ ...t, value: -t.value! }));
    expect(boundaryWarnings(trials, space, "maximize").map((w) => w.bound)).toEqual(["high"]);
  });

  it("never warns for an optimum inside the range (any scales, any interior optimum)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.double({ min: 0.2, max: 0.8, noNaN: true }), fc.double({ min: 0.2, max: 0.8, noNaN: true }), fc.double({ min: 0.2, max: 0.8, noNaN: true }), (seed, a, b, c) => {
        const space = { a: float(1e-4, 1, { scale: "log" }), b: int(0, 40), c: float(-1, 1), d: int(1, 1024, { scale: "log" }) };
        expect(boundaryWarnings(study(seed, space, { a, b, c, d: (a + b) / 2 }), space, "minimize")).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });

  it("never warns for a categorical parameter, even when every best trial took its first choice", () => {
    const space = { opt: choice(["a", "b", "c"]), x: float(0, 1) };
    const trials = study(6, space, { x: 0.5 }).map((t) => ({ ...t, value: t.params.opt === "a" ? t.value! : t.value! + 10 }));
    expect(boundaryWarnings(trials, space, "minimize")).toEqual([]);
  });

  it(`says nothing before ${BOUNDARY_RULE.minTrials} complete trials have the parameter, and skips failed ones`, () => {
    const space = { x: float(0, 1) };
    const trials = study(7, space, { x: -1 }, BOUNDARY_RULE.minTrials - 1);
    expect(boundaryWarnings(trials, space, "minimize")).toEqual([]);
    const failed = study(8, space, { x: -1 }, 40).map((t) => ({ ...t, state: "failed" as const, value: undefined }));
    expect(boundaryWarnings([...trials, ...failed], space, "minimize")).toEqual([]);
    expect(boundaryWarnings(study(7, space, { x: -1 }, BOUNDARY_RULE.minTrials), space, "minimize").map((w) => w.bound)).toEqual(["low"]);
  });

  it("writes a parameter name that is not an identifier as a quoted key", () => {
    const space = { "learning rate": float(0, 1) };
    const w = boundaryWarnings(study(9, space, { "learning rate": 1.5 }), space, "minimize");
    expect(w[0]!.code).toBe('study.extendSpace({ "learning rate": float(0, 2) })');
  });
});
