import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, encode, gridSize } from "../../src/space/encoding";
import { Grid } from "../../src/space/grid";
import { SearchSpace, type ParamSpec } from "../../src/space/space";
import type { Choice, Config, SpaceDef } from "../../src/space/types";
import { RandomStrategy } from "../../src/strategies/random";
import { proposeContext, type Proposal } from "../../src/strategies/strategy";
import type { StudySnapshot } from "../../src/model/trial";
import { arbGridSpace, arbSpace, arbUnit } from "./arbitrary";
import { expectInDomain } from "./domain";

const RUNS = { numRuns: 300 };

/** Which parameters a configuration must hold, computed from the JSON alone (not via the space). */
function expectedActive(json: SpaceDef, config: Config): string[] {
  return Object.keys(json).filter((name) =>
    Object.entries(json[name]!.when ?? {}).every(([other, allowed]) => Object.prototype.hasOwnProperty.call(config, other) && allowed.includes(config[other]!)),
  );
}

/** The tolerance of a continuous round trip: 1e-9 relative, in the scale's own sense. */
function closeEnough(p: ParamSpec, a: number, b: number): boolean {
  if (p.type !== "float") return a === b;
  if (p.step !== undefined) return a === b;
  const rel = p.scale === "log" ? Math.abs(a) : p.scale === "reverse-log" ? 1 - a : Math.max(Math.abs(p.low), Math.abs(p.high));
  return Math.abs(a - b) <= 1e-9 * rel;
}

const emptySnapshot = (space: SearchSpace): StudySnapshot => ({
  spec: {
    name: "s",
    space: space.toJSON(),
    direction: "minimize",
    metric: "value",
    strategy: { name: "random", options: {} },
    seed: 0,
    createdAt: 0,
  },
  trials: [],
  queue: [],
});

describe("generated spaces", () => {
  it("parse, and survive toJSON → parse unchanged", () => {
    fc.assert(
      fc.property(arbSpace, (json) => {
        const s = SearchSpace.parse(json);
        const again = SearchSpace.parse(JSON.parse(JSON.stringify(s.toJSON())));
        expect(again.equals(s)).toBe(true);
        expect(again.toJSON()).toStrictEqual(s.toJSON());
        expect(Object.keys(s.toJSON())).toEqual(Object.keys(json));
      }),
      RUNS,
    );
  });

  it("decode any point of the cube into a configuration that passes check, with exactly the active parameters", () => {
    const arb = arbSpace.chain((json) => fc.tuple(fc.constant(json), arbUnit(Object.keys(json).length)));
    fc.assert(
      fc.property(arb, ([json, u]) => {
        const s = SearchSpace.parse(json);
        const c = decode(s, u);
        expect(s.check(c)).toStrictEqual(c);
        expect(Object.keys(c).sort()).toEqual(expectedActive(json, c).sort());
        for (const [name, v] of Object.entries(c)) expectInDomain(json, name, v);
      }),
      RUNS,
    );
  });

  it("encode → decode returns the configuration (exactly for discrete parameters, within 1e-9 for continuous ones)", () => {
    const arb = arbSpace.chain((json) => fc.tuple(fc.constant(json), arbUnit(Object.keys(json).length)));
    fc.assert(
      fc.property(arb, ([json, u]) => {
        const s = SearchSpace.parse(json);
        const c = decode(s, u);
        const x = encode(s, c);
        for (const p of s.params) {
          if (c[p.name] === undefined) expect(x[p.index]).toBeNaN();
          else {
            expect(x[p.index]).toBeGreaterThanOrEqual(0);
            expect(x[p.index]).toBeLessThanOrEqual(1);
          }
        }
        const back = decode(s, x);
        expect(Object.keys(back)).toEqual(Object.keys(c));
        for (const p of s.params) {
          if (!(p.name in c)) continue;
          const a = c[p.name]!;
          const b = back[p.name]!;
          if (p.type === "float" && p.step === undefined) {
            expect(closeEnough(p, a as number, b as number), `${p.name}: ${String(a)} vs ${String(b)}`).toBe(true);
          } else {
            expect(b, p.name).toBe(a);
          }
        }
      }),
      RUNS,
    );
  });

  it("random proposals (plain and Sobol) are always valid", () => {
    const arb = fc.tuple(arbSpace, fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.nat({ max: 1000 }));
    fc.assert(
      fc.property(arb, ([json, seed, start]) => {
        const s = SearchSpace.parse(json);
        const snap = emptySnapshot(s);
        for (const quasi of ["none", "sobol"] as const) {
          const strategy = new RandomStrategy(s, { quasi });
          for (let n = start; n < start + 6; n++) {
            const r = strategy.propose(proposeContext(snap, s, n, seed)) as Proposal;
            expect(s.check(r.params)).toStrictEqual(r.params);
            for (const [name, v] of Object.entries(r.params)) expectInDomain(json, name, v);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("generated grids", () => {
  /** The grid's configurations by definition: every full assignment, cut down to its active parameters. */
  function oracle(s: SearchSpace): Set<string> {
    const values = s.params.map((p) => (p.type === "categorical" ? [...p.choices] : Array.from({ length: gridSize(p) }, (_, k) => p.low + k * p.step!)));
    const out = new Set<string>();
    const cur: Config = {};
    const rec = (i: number): void => {
      if (i === s.params.length) {
        const c: Config = {};
        for (const p of s.evalOrder) if (s.isActive(p, c)) c[p.name] = cur[p.name]!;
        out.add(key(s, c));
        return;
      }
      for (const v of values[i]!) {
        cur[s.params[i]!.name] = v;
        rec(i + 1);
      }
    };
    rec(0);
    return out;
  }
  /** A configuration as the index of each active value (k of low + k*step, or the choice's position). */
  const key = (s: SearchSpace, c: Config) =>
    JSON.stringify(
      s.params
        .filter((p) => p.name in c)
        .map((p) => [p.name, p.type === "categorical" ? p.choices.indexOf(c[p.name]!) : Math.round(((c[p.name] as number) - p.low) / p.step!)]),
    );

  it("hold every valid configuration exactly once", () => {
    const small = arbGridSpace.filter((json) => {
      const s = SearchSpace.parse(json);
      return s.params.reduce((n, p) => n * gridSize(p), 1) <= 3000;
    });
    fc.assert(
      fc.property(small, (json) => {
        const s = SearchSpace.parse(json);
        const g = new Grid(s);
        const expected = oracle(s);
        expect(g.size).toBe(expected.size);
        const seen = new Set<string>();
        for (let i = 0; i < g.size; i++) {
          const c = g.at(i);
          expect(s.check(c)).toStrictEqual(c);
          const k = key(s, c);
          expect(seen.has(k), `configuration ${i} repeats`).toBe(false);
          seen.add(k);
          expect(expected.has(k)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
