import { describe, expect, it } from "vitest";
import type { FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { SOBOL_MAX_DIM } from "../../src/math/sobol";
import { choice, float, int } from "../../src/space/builders";
import { SearchSpace } from "../../src/space/space";
import type { Config } from "../../src/space/types";
import { RandomStrategy } from "../../src/strategies/random";
import { isDone, proposeContext } from "../../src/strategies/strategy";
import { TunelabError } from "../../src/util/errors";

function snapshotOf(space: SearchSpace, trials: FrozenTrial[] = []): StudySnapshot {
  return {
    spec: { name: "s", space: space.toJSON(), direction: "minimize", metric: "value", strategy: { name: "random", options: {} }, seed: 0, createdAt: 0 },
    trials,
    queue: [],
  };
}

function trial(number: number, params: Config): FrozenTrial {
  return { number, state: "complete", params, value: number, metrics: {}, intermediate: [], curves: {}, startedAt: 0, system: {} };
}

/** Proposal of trial n by a (fresh or given) random strategy. */
function propose(space: SearchSpace, seed: number, n: number, options?: unknown, strategy = new RandomStrategy(space, options), snap = snapshotOf(space)): Config {
  const r = strategy.propose(proposeContext(snap, space, n, seed));
  if (isDone(r)) throw new Error("random search never ends");
  return r.params;
}

const mixed = SearchSpace.parse({
  lr: float(1e-5, 1, { scale: "log" }),
  layers: int(1, 4),
  optimizer: choice(["sgd", "adam"]),
  momentum: float(0.5, 0.999, { scale: "reverse-log", when: { optimizer: ["sgd"] } }),
  frac: float(0, 1, { step: 0.1 }),
});

describe("RandomStrategy: reproducible", () => {
  it("gives the same proposals for the same seed", () => {
    const a = Array.from({ length: 20 }, (_, n) => propose(mixed, 42, n));
    const s = new RandomStrategy(mixed, {});
    const b = Array.from({ length: 20 }, (_, n) => propose(mixed, 42, n, undefined, s));
    expect(b).toStrictEqual(a);
  });

  it("trial n depends only on the seed and n: not on call order, instance, or history", () => {
    const inOrder = Array.from({ length: 20 }, (_, n) => propose(mixed, 7, n));
    const s = new RandomStrategy(mixed);
    const reversed = Array.from({ length: 20 }, (_, i) => propose(mixed, 7, 19 - i, undefined, s)).reverse();
    expect(reversed).toStrictEqual(inOrder);
    const history = snapshotOf(mixed, inOrder.slice(0, 5).map((c, i) => trial(i, c)));
    expect(propose(mixed, 7, 12, undefined, s, history)).toStrictEqual(inOrder[12]);
  });

  it("differs between seeds and between trials", () => {
    const space = SearchSpace.parse({ x: float(0, 1) });
    const a = Array.from({ length: 10 }, (_, n) => propose(space, 1, n)["x"]);
    const b = Array.from({ length: 10 }, (_, n) => propose(space, 2, n)["x"]);
    for (let n = 0; n < 10; n++) expect(a[n]).not.toBe(b[n]);
    expect(new Set(a).size).toBe(10);
    // Large seeds are not truncated to 32 bits.
    expect(propose(space, 2 ** 40 + 1, 0)).not.toStrictEqual(propose(space, 1, 0));
  });

  it("proposes only valid configurations", () => {
    for (let n = 0; n < 200; n++) {
      const c = propose(mixed, 3, n);
      expect(mixed.check(c)).toStrictEqual(c);
    }
  });

  it("covers a float uniformly (deciles of 2000 draws)", () => {
    const space = SearchSpace.parse({ x: float(0, 1) });
    const deciles = new Array<number>(10).fill(0);
    for (let n = 0; n < 2000; n++) deciles[Math.floor((propose(space, 11, n)["x"] as number) * 10)]!++;
    for (const d of deciles) {
      expect(d).toBeGreaterThan(140);
      expect(d).toBeLessThan(260);
    }
  });
});

describe('RandomStrategy: quasi "sobol"', () => {
  const sobol = { quasi: "sobol" } as const;

  it("hits each 1-D stratum exactly once in the first 2^k trials", () => {
    const space = SearchSpace.parse({ x: float(2, 10) });
    const xs = Array.from({ length: 256 }, (_, n) => propose(space, 5, n, sobol)["x"] as number);
    for (const k of [1, 2, 4, 6, 8]) {
      const m = 2 ** k;
      const strata = new Set(xs.slice(0, m).map((x) => Math.floor(((x - 2) / 8) * m)));
      expect(strata.size, `first ${m} points`).toBe(m);
    }
    // Plain random draws do not: 256 draws into 256 strata leave many empty.
    const plain = new Set(Array.from({ length: 256 }, (_, n) => Math.floor(((propose(space, 5, n)["x"] as number) - 2) / 8 * 256)));
    expect(plain.size).toBeLessThan(200);
  });

  it("puts one of the first 16 points in each cell of a 4 × 4 grid (2-D net)", () => {
    const space = SearchSpace.parse({ x: float(0, 1), y: float(0, 1) });
    const cells = new Set<number>();
    for (let n = 0; n < 16; n++) {
      const c = propose(space, 9, n, sobol);
      cells.add(Math.floor((c["x"] as number) * 4) * 4 + Math.floor((c["y"] as number) * 4));
    }
    expect(cells.size).toBe(16);
  });

  it("gives each value of an int once in the first 8 trials", () => {
    const space = SearchSpace.parse({ n: int(1, 8) });
    const values = Array.from({ length: 8 }, (_, n) => propose(space, 1, n, sobol)["n"]);
    expect([...values].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("is valid, reproducible, order-independent and seed-dependent", () => {
    const a = Array.from({ length: 64 }, (_, n) => propose(mixed, 4, n, sobol));
    for (const c of a) expect(mixed.check(c)).toStrictEqual(c);
    const s = new RandomStrategy(mixed, sobol);
    expect(propose(mixed, 4, 40, undefined, s)).toStrictEqual(a[40]);
    expect(propose(mixed, 4, 3, undefined, s)).toStrictEqual(a[3]);
    expect(propose(mixed, 5, 3, undefined, s)).not.toStrictEqual(a[3]);
    expect(propose(mixed, 4, 3, undefined, s)).toStrictEqual(a[3]);
    expect(a).not.toStrictEqual(Array.from({ length: 64 }, (_, n) => propose(mixed, 4, n)));
  });

  it("switches to plain draws after quasiTrials", () => {
    const opts = { quasi: "sobol", quasiTrials: 4 };
    for (let n = 4; n < 10; n++) expect(propose(mixed, 8, n, opts)).toStrictEqual(propose(mixed, 8, n));
    expect(propose(mixed, 8, 0, opts)).toStrictEqual(propose(mixed, 8, 0, sobol));
    expect(propose(mixed, 8, 0, { quasi: "sobol", quasiTrials: 0 })).toStrictEqual(propose(mixed, 8, 0));
  });
});

describe("RandomStrategy: options", () => {
  function expectOptionError(options: unknown, code: string, field: string, ...inMessage: string[]): void {
    let caught: unknown;
    try {
      new RandomStrategy(mixed, options);
    } catch (e) {
      caught = e;
    }
    expect(caught, JSON.stringify(options)).toBeInstanceOf(TunelabError);
    expect(caught).toMatchObject({ code, field });
    for (const s of inMessage) expect((caught as Error).message).toContain(s);
  }

  it("accepts the documented options", () => {
    for (const o of [undefined, null, {}, { seed: 3 }, { seed: -3 }, { quasi: "none" }, { quasi: "sobol", quasiTrials: 16 }, { quasi: undefined }]) {
      expect(() => new RandomStrategy(mixed, o), JSON.stringify(o)).not.toThrow();
    }
  });

  it("rejects unknown option keys, naming the key and the allowed ones", () => {
    expectOptionError({ bogus: 1 }, "option.unknown", "options.bogus", "bogus", "quasi", "quasiTrials", "seed");
    expectOptionError({ quasi: "sobol", Quasi: "sobol" }, "option.unknown", "options.Quasi", "Quasi");
  });

  it("rejects bad option values, naming the option", () => {
    expectOptionError({ quasi: "halton" }, "option.bad_value", "options.quasi", "options.quasi", "halton", "sobol");
    expectOptionError({ quasi: true }, "option.bad_value", "options.quasi", "options.quasi");
    for (const q of [-1, 1.5, "10", Infinity]) expectOptionError({ quasi: "sobol", quasiTrials: q }, "option.bad_value", "options.quasiTrials", "options.quasiTrials");
    for (const seed of ["1", 1.5, NaN, 2 ** 60]) expectOptionError({ seed }, "option.bad_value", "options.seed", "options.seed");
  });

  it("rejects sobol for more dimensions than the sequence has, naming the option", () => {
    const wide: Record<string, ReturnType<typeof int>> = {};
    for (let i = 0; i <= SOBOL_MAX_DIM; i++) wide[`p${i}`] = int(0, 1);
    const space = SearchSpace.parse(wide);
    expect(() => new RandomStrategy(space, { quasi: "sobol" })).toThrow(expect.objectContaining({ code: "option.bad_value", field: "options.quasi" }));
    expect(() => new RandomStrategy(space, { quasi: "none" })).not.toThrow();
  });

  it("rejects options that are not an object", () => {
    for (const o of ["sobol", 1, [], true]) expectOptionError(o, "option.bad_value", "options", "options");
  });
});
