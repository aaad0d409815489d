/**
 * Every strategy, driven through the Study's ask/tell API (in-memory storage) over generated
 * spaces — every parameter type, scale and step, conditions, and ranges at the edges of the
 * doubles (test/space/arbitrary.ts) — proposes only valid configurations: `space.check`
 * passes, every number is finite, inside its bounds and on its step, nothing turns into NaN
 * or null on the way through JSON, and a continuous parameter with room to move is not
 * proposed the same value every time.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Grid } from "../../src/space/grid";
import { SearchSpace } from "../../src/space/space";
import type { Config, SpaceDef } from "../../src/space/types";
import { MemoryStorage } from "../../src/storage/base";
import { Study } from "../../src/study/study";
import { TunelabError } from "../../src/util/errors";
import { arbGridSpace, arbSpace, doublesBetween } from "../space/arbitrary";
import { expectInDomain } from "../space/domain";

const TRIALS = 24;

/** Values an objective might return: ordinary ones, or ones near ±1.8e308. */
type Values = "plain" | "huge";

function objective(params: Config, i: number, values: Values): number {
  let s = 0;
  for (const v of Object.values(params)) s += typeof v === "number" ? Math.atan(v) : String(v).length;
  if (values === "plain") return s + (i % 5) * 0.1;
  return (i % 2 ? 1 : -1) * 1.7e308 * (0.5 + Math.atan(s + i) / 4);
}

/** Where the space leaves a strategy nothing to vary: one value, or too few doubles to expect two draws to differ. */
function roomy(def: SpaceDef[string]): boolean {
  return def.type === "float" && def.step === undefined && doublesBetween(def.low, def.high) >= 1000;
}

/** Runs a study of up to TRIALS trials and checks every proposal; returns them. */
async function drive(json: SpaceDef, name: string, options: object, seed: number, values: Values): Promise<Config[]> {
  const space = SearchSpace.parse(json);
  const study = await Study.open({ name: "p", space, direction: "minimize", strategy: { name, options }, storage: new MemoryStorage(), seed });
  const seen: Config[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const t = await study.ask();
    if (!t) break;
    expect(space.check(t.params)).toStrictEqual(t.params);
    // What serve sends: nothing may become null (NaN, Infinity) or disappear.
    expect(JSON.parse(JSON.stringify(t.params))).toStrictEqual(t.params);
    for (const [k, v] of Object.entries(t.params)) expectInDomain(json, k, v);
    seen.push(t.params);
    const value = objective(t.params, i, values);
    if (i % 9 === 8) {
      await study.tell(t.number, { state: "failed", error: "boom" });
      continue;
    }
    let stopped = false;
    for (let step = 1; t.budget !== undefined && step <= t.budget && !stopped; step++) stopped = await study.report(t.number, step, value + 1 / step);
    await study.tell(t.number, stopped ? { state: "pruned" } : { value });
  }
  return seen;
}

function expectSpread(json: SpaceDef, seen: readonly Config[]): void {
  for (const [name, def] of Object.entries(json)) {
    if (!roomy(def)) continue;
    const vs = seen.flatMap((c) => (name in c ? [c[name]] : []));
    if (vs.length >= 6) expect(new Set(vs).size, `${name} ${JSON.stringify(def)} took one value in ${vs.length} proposals`).toBeGreaterThan(1);
  }
}

const STRATEGIES: [label: string, name: string, options: object, runs: number][] = [
  ["random", "random", {}, 30],
  ["random (sobol)", "random", { quasi: "sobol" }, 30],
  ["tpe", "tpe", { startupTrials: 5 }, 20],
  ["tpe (independent)", "tpe", { startupTrials: 3, multivariate: false, quasi: "none" }, 15],
  ["bayesian", "bayesian", { startupTrials: 5, candidates: 64, localSearches: 2 }, 12],
  ["hyperband", "hyperband", { maxResource: 9 }, 20],
  ["asha", "asha", { maxResource: 9 }, 20],
  ["hyperband (tpe)", "hyperband", { maxResource: 9, sampler: "tpe", samplerOptions: { startupTrials: 3 }, minObservations: 3 }, 12],
];

describe.each(STRATEGIES)("every proposal over generated spaces is valid: %s", (_label, name, options, runs) => {
  it("valid, finite, in bounds, on its step, JSON-safe, and spread for roomy continuous parameters", async () => {
    await fc.assert(
      fc.asyncProperty(arbSpace, fc.integer(), fc.constantFrom<Values>("plain", "huge"), async (json, seed, values) => {
        const seen = await drive(json, name, options, seed, values);
        expect(seen.length).toBe(TRIALS);
        expectSpread(json, seen);
      }),
      { numRuns: runs },
    );
  }, 60_000);
});

describe("grid over generated spaces", () => {
  const allStepped = (json: SpaceDef) => Object.values(json).every((d) => d.type !== "float" || d.step !== undefined);

  it("proposes the grid's configurations in order, each once, each valid; or refuses the grid with a clear error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(arbGridSpace, arbSpace.filter(allStepped)), fc.integer(), async (json, seed) => {
        let seen: Config[];
        try {
          seen = await drive(json, "grid", {}, seed, "plain");
        } catch (e) {
          // Only a grid too large to number exactly (or with too tangled conditions) may be refused.
          expect(e).toBeInstanceOf(TunelabError);
          expect(["grid.too_large", "grid.too_complex"]).toContain((e as TunelabError).code);
          return;
        }
        const grid = new Grid(SearchSpace.parse(json));
        expect(seen).toStrictEqual(Array.from({ length: Math.min(TRIALS, grid.size) }, (_, i) => grid.at(i)));
        expect(new Set(seen.map((c) => JSON.stringify(c))).size).toBe(seen.length);
      }),
      { numRuns: 30 },
    );
  }, 60_000);
});
