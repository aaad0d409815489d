/**
 * Ranges at the edges of the doubles, each through every strategy (issue 11, class 3): before,
 * a range [-1.7e308, 1.7e308] made random always propose `high`, tpe propose NaN (sent as
 * null) and bayesian fail with an internal error; a log range a few ulps wide gave one value;
 * a stepped range reaching -1.8e308 gave NaN. Now such ranges are refused (wider than a double
 * can measure) or searched with valid, spread values.
 */
import { describe, expect, it } from "vitest";
import { SearchSpace, type CategoricalSpec } from "../../src/space/space";
import type { SpaceDef } from "../../src/space/types";
import { MemoryStorage } from "../../src/storage/base";
import { Study } from "../../src/study/study";
import { nextUp } from "../space/arbitrary";
import { expectInDomain } from "../space/domain";

const STRATEGIES: [string, object][] = [
  ["random", {}],
  ["random", { quasi: "sobol" }],
  ["tpe", { startupTrials: 4 }],
  ["bayesian", { startupTrials: 4, candidates: 128, localSearches: 2 }],
  ["hyperband", { maxResource: 9 }],
];

const MAX = Number.MAX_VALUE;

/** Each space, and how many distinct values of x 16 proposals must at least show. */
const SPACES: [label: string, space: SpaceDef, distinct: number][] = [
  ["as wide as a double can measure", { x: { type: "float", low: -MAX / 2, high: MAX / 2 } }, 8],
  ["from 0 to the largest double", { x: { type: "float", low: 0, high: MAX } }, 8],
  ["stepped, reaching -1.8e308", { x: { type: "float", low: -MAX, high: 0, step: 1e307 } }, 4],
  ["log, 1e-7 wide at 1e-300", { x: { type: "float", low: 1e-300, high: 1.0000001e-300, scale: "log" } }, 8],
  ["log, two adjacent doubles", { x: { type: "float", low: 1e-300, high: nextUp(1e-300), scale: "log" } }, 2],
  ["log, 20 ulps wide", { x: { type: "float", low: 3, high: 3 + 20 * 2 ** -51, scale: "log" } }, 4],
  ["log, from the smallest subnormal to the largest double", { x: { type: "float", low: Number.MIN_VALUE, high: MAX, scale: "log" } }, 8],
  ["linear, the first two doubles", { x: { type: "float", low: 0, high: Number.MIN_VALUE } }, 2],
  ["reverse-log up to 1 - 2^-53", { x: { type: "float", low: 0, high: 1 - 2 ** -53, scale: "reverse-log" } }, 8],
  ["reverse-log, 2^-40 wide", { x: { type: "float", low: 0.5, high: 0.5 + 2 ** -40, scale: "reverse-log" } }, 8],
  ["int, the top 2^53 - 1 integers", { x: { type: "int", low: 0, high: Number.MAX_SAFE_INTEGER } }, 8],
  ["int log, four integers near 2^52", { x: { type: "int", low: 2 ** 52, high: 2 ** 52 + 3, scale: "log" } }, 2],
  ["-0 as the low bound", { x: { type: "float", low: -0, high: 1 } }, 8],
];

describe("-0 never reaches a configuration", () => {
  it("a choice declared as -0 is proposed as 0 (JSON would turn it into 0 anyway)", async () => {
    const json: SpaceDef = { c: { type: "categorical", choices: [-0, "a"] }, x: { type: "float", low: -0, high: 0.5 } };
    const space = SearchSpace.parse(json);
    expect(Object.is((space.param("c") as CategoricalSpec).choices[0], 0)).toBe(true);
    for (const [name, options] of STRATEGIES) {
      const study = await Study.open({ name: "z", space, direction: "minimize", strategy: { name, options }, storage: new MemoryStorage(), seed: 2 });
      for (let i = 0; i < 8; i++) {
        const t = (await study.ask())!;
        for (const v of Object.values(t.params)) expect(Object.is(v, -0)).toBe(false);
        await study.tell(t.number, { value: i });
      }
    }
  });
});

describe.each(STRATEGIES)("extreme ranges: %s %j", (name, options) => {
  it.each(SPACES)("%s: valid, finite, JSON-safe and spread", async (_label, json, distinct) => {
    const space = SearchSpace.parse(json);
    const study = await Study.open({ name: "x", space, direction: "minimize", strategy: { name, options }, storage: new MemoryStorage(), seed: 11 });
    const xs: number[] = [];
    for (let i = 0; i < 16; i++) {
      const t = (await study.ask())!;
      expect(space.check(t.params)).toStrictEqual(t.params);
      expect(JSON.parse(JSON.stringify(t.params))).toStrictEqual(t.params);
      expectInDomain(json, "x", t.params["x"]!);
      expect(Object.is(t.params["x"], -0)).toBe(false);
      xs.push(t.params["x"] as number);
      // Values near ±1.8e308 too: the GP's standardisation summed them to NaN.
      await study.tell(t.number, { value: i % 3 === 0 ? 1.7e308 : i % 3 === 1 ? -1.7e308 : xs[i]! / 2 ** 1000 });
    }
    expect(new Set(xs).size).toBeGreaterThanOrEqual(distinct);
  });
});
