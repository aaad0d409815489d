// Every space and every set of trials: importance answers one finite share per parameter
// (summing to 1, or all 0) and boundaryWarnings never throws and names only numeric parameters.
import fc from "fast-check";
import { expect, it } from "vitest";
import type { FrozenTrial } from "../../../src/model/trial";
import type { ParamDef, SpaceDef } from "../../../src/space/types";
import { Rng } from "../../../src/util/rng";
import { boundaryWarnings } from "../../../src/views/analysis/boundary";
import { importance } from "../../../src/views/analysis/importance";
import { drawConfig } from "./sample";

const param: fc.Arbitrary<ParamDef> = fc.oneof(
  fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-9, max: 1e6, noNaN: true })).map(([low, w]): ParamDef => ({ type: "float", low, high: low + w })),
  fc.tuple(fc.double({ min: 1e-8, max: 10, noNaN: true }), fc.integer({ min: 1, max: 8 })).map(([low, decades]): ParamDef => ({ type: "float", low, high: low * 10 ** decades, scale: "log" })),
  fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 7 })).map(([low, w, step]): ParamDef => ({ type: "int", low, high: low + w, ...(step > 1 ? { step } : {}) })),
  fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 1000 })).map(([low, w]): ParamDef => ({ type: "int", low, high: low + w, scale: "log" })),
  fc.tuple(fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 0.6, max: 0.999, noNaN: true })).map(([low, high]): ParamDef => ({ type: "float", low, high, scale: "reverse-log" })),
  fc.integer({ min: 1, max: 5 }).map((k): ParamDef => ({ type: "categorical", choices: Array.from({ length: k }, (_, i) => `c${i}`) })),
);

const spaceArb: fc.Arbitrary<SpaceDef> = fc.array(param, { minLength: 1, maxLength: 5 }).chain((defs) =>
  fc.boolean().map((conditional) => {
    const space: Record<string, ParamDef> = { gate: { type: "categorical", choices: ["on", "off"] } };
    defs.forEach((d, i) => (space[`p${i}`] = conditional && i === 0 ? { ...d, when: { gate: ["on"] } } : d));
    return space;
  }),
);

it("importance and boundaryWarnings hold for any space and any trials", () => {
  fc.assert(
    fc.property(
      spaceArb,
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.array(fc.oneof(fc.double({ min: -1e300, max: 1e300, noNaN: true }), fc.constant(Number.NaN), fc.constant(Infinity), fc.constant(0)), { maxLength: 60 }),
      fc.constantFrom("minimize" as const, "maximize" as const),
      (space, seed, values, direction) => {
        const rng = Rng.fromSeed(seed);
        const trials: FrozenTrial[] = values.map((v, i) => ({
          number: i,
          state: Number.isFinite(v) ? "complete" : "failed",
          params: drawConfig(rng, space),
          ...(Number.isFinite(v) ? { value: v } : {}),
          metrics: {},
          intermediate: [],
          curves: {},
          startedAt: 0,
          system: {},
        }));
        for (const method of ["ped-anova", "fanova"] as const) {
          const r = importance(trials, space, { method, direction, seed });
          expect(r.map((x) => x.param).sort()).toEqual(Object.keys(space).sort());
          expect(r.every((x) => Number.isFinite(x.importance) && x.importance >= 0 && x.importance <= 1)).toBe(true);
          const sum = r.reduce((s, x) => s + x.importance, 0);
          expect(sum === 0 || Math.abs(sum - 1) < 1e-9).toBe(true);
        }
        for (const w of boundaryWarnings(trials, space, direction)) expect(space[w.param]!.type).not.toBe("categorical");
      },
    ),
    { numRuns: 40 },
  );
}, 60_000);
