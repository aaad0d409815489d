import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { choice, float, int } from "../../src/space/builders";
import { gridSize, gridValue } from "../../src/space/encoding";
import { Grid, MAX_GRID_SIZE, MAX_GRID_STATES } from "../../src/space/grid";
import { SearchSpace } from "../../src/space/space";
import type { Config, SpaceDef } from "../../src/space/types";
import { TunelabError } from "../../src/util/errors";
import { thrown as caught } from "../helpers/thrown";
import { arbGridSpace } from "./arbitrary";

const gridOf = (def: SpaceDef) => new Grid(SearchSpace.parse(def));
const all = (g: Grid): Config[] => Array.from({ length: g.size }, (_, i) => g.at(i));


describe("Grid without conditions", () => {
  const def = {
    opt: choice(["sgd", "adam", "rmsprop"]),
    layers: int(1, 4),
    frac: float(0, 1, { step: 0.25 }),
    width: int(16, 64, { step: 16, scale: "log" }),
  };

  it("has the product of the parameters' value counts", () => {
    expect(gridOf(def).size).toBe(3 * 4 * 5 * 4);
  });

  it("holds every configuration exactly once, each valid", () => {
    const s = SearchSpace.parse(def);
    const g = new Grid(s);
    const configs = all(g);
    expect(new Set(configs.map((c) => JSON.stringify(c))).size).toBe(g.size);
    for (const c of configs) expect(s.check(c)).toStrictEqual(c);
    expect(new Set(configs.map((c) => c["frac"]))).toEqual(new Set([0, 0.25, 0.5, 0.75, 1]));
    expect(new Set(configs.map((c) => c["width"]))).toEqual(new Set([16, 32, 48, 64]));
  });

  it("lists in a stable order: the first parameter varies slowest, keys in declaration order", () => {
    expect(all(gridOf({ a: choice(["x", "y"]), b: int(1, 3) }))).toStrictEqual([
      { a: "x", b: 1 },
      { a: "x", b: 2 },
      { a: "x", b: 3 },
      { a: "y", b: 1 },
      { a: "y", b: 2 },
      { a: "y", b: 3 },
    ]);
    const g = gridOf(def);
    expect(g.at(0)).toStrictEqual({ opt: "sgd", layers: 1, frac: 0, width: 16 });
    expect(g.at(1)).toStrictEqual({ opt: "sgd", layers: 1, frac: 0, width: 32 });
    expect(g.at(4)).toStrictEqual({ opt: "sgd", layers: 1, frac: 0.25, width: 16 });
    expect(g.at(g.size - 1)).toStrictEqual({ opt: "rmsprop", layers: 4, frac: 1, width: 64 });
    expect(all(gridOf(def))).toStrictEqual(all(g));
  });

  it("indexes huge grids directly", () => {
    const digits: Record<string, ReturnType<typeof int>> = {};
    for (let i = 0; i < 12; i++) digits[`d${i}`] = int(0, 9);
    const g = gridOf(digits);
    expect(g.size).toBe(1e12);
    const c = g.at(123456789012);
    expect(Object.values(c).join("")).toBe("123456789012");
    expect(Object.values(g.at(g.size - 1)).join("")).toBe("999999999999");
  });

  it("rejects a float without step, naming it", () => {
    let caught: unknown;
    try {
      gridOf({ opt: choice(["a"]), lr: float(1e-4, 1, { scale: "log" }), frac: float(0, 1, { step: 0.5 }) });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TunelabError);
    expect(caught).toMatchObject({ code: "grid.float_without_step", field: "space.lr.step" });
    expect((caught as Error).message).toContain('"lr"');
  });
});

describe("Grid with conditions", () => {
  // Hand count, by optimizer × layers:
  //   sgd:     momentum 5 × nesterov (true → 1, false → damp 3) = 20;   adam, rmsprop: 1 each
  //   layers:  1 → 1;  2 → width 4;  3 → width 4 × dropout (3 unless sgd, else 1)
  //   sgd: 20 × (1 + 4 + 4) = 180;  adam: 1 × (1 + 4 + 12) = 17;  rmsprop: 17   → 214
  const def = {
    opt: choice(["sgd", "adam", "rmsprop"]),
    momentum: float(0.5, 0.9, { step: 0.1, when: { opt: ["sgd"] } }),
    nesterov: choice([true, false], { when: { opt: ["sgd"] } }),
    damp: float(0, 0.2, { step: 0.1, when: { nesterov: [false] } }),
    layers: int(1, 3),
    width: int(16, 64, { step: 16, when: { layers: [2, 3] } }),
    dropout: float(0, 0.5, { step: 0.25, when: { layers: [3], opt: ["adam", "rmsprop"] } }),
  };

  it("counts only the configurations where each condition holds (hand-computed)", () => {
    expect(gridOf(def).size).toBe(214);
  });

  it("holds every valid configuration exactly once", () => {
    const s = SearchSpace.parse(def);
    const configs = all(new Grid(s));
    expect(new Set(configs.map((c) => JSON.stringify(c))).size).toBe(214);
    for (const c of configs) expect(s.check(c)).toStrictEqual(c);
    expect(configs.filter((c) => c["opt"] === "sgd")).toHaveLength(180);
    expect(configs.filter((c) => "dropout" in c)).toHaveLength(2 * 4 * 3);
    expect(configs.filter((c) => "damp" in c)).toHaveLength(5 * 3 * 9);
  });

  it("lists in a stable order with keys in declaration order, even when a parameter precedes its condition", () => {
    const g = gridOf({ m: float(0.1, 0.2, { step: 0.1, when: { opt: ["sgd"] } }), opt: choice(["sgd", "adam"]) });
    expect(all(g)).toStrictEqual([{ m: 0.1, opt: "sgd" }, { m: 0.2, opt: "sgd" }, { opt: "adam" }]);
    expect(Object.keys(g.at(0))).toEqual(["m", "opt"]);
    expect(all(gridOf(def))).toStrictEqual(all(gridOf(def)));
  });

  it("gives copies: changing one configuration does not change the grid", () => {
    const g = gridOf(def);
    const c = g.at(3);
    const before = JSON.stringify(c);
    c["opt"] = "changed";
    expect(JSON.stringify(g.at(3))).toBe(before);
  });
});

describe("Grid without listing (issue 11: a grid over 0..1e9 ran out of memory)", () => {
  it("counts and indexes a billion-value int and a float with step 1e-9 at once", () => {
    const g = gridOf({ x: int(0, 1e9) });
    expect(g.size).toBe(1e9 + 1);
    expect(g.at(123456789)).toStrictEqual({ x: 123456789 });
    expect(g.at(g.size - 1)).toStrictEqual({ x: 1e9 });
    const f = gridOf({ y: float(0, 1, { step: 1e-9 }) });
    expect(f.size).toBe(1e9 + 1);
    expect(f.at(5e8)).toStrictEqual({ y: 0.5 });
    expect(f.at(f.size - 1)).toStrictEqual({ y: 1 });
  });

  it("counts and indexes a conditional grid of a billion configurations", () => {
    const s = SearchSpace.parse({
      opt: choice(["a", "b"]),
      x: int(0, 1e9, { when: { opt: ["a"] } }),
      y: float(0, 1, { step: 1e-6, when: { opt: ["b"] } }),
    });
    const g = new Grid(s);
    expect(g.size).toBe(1e9 + 1 + 1e6 + 1);
    expect(g.at(0)).toStrictEqual({ opt: "a", x: 0 });
    expect(g.at(1e9)).toStrictEqual({ opt: "a", x: 1e9 });
    expect(g.at(1e9 + 1)).toStrictEqual({ opt: "b", y: 0 });
    expect(g.at(g.size - 1)).toStrictEqual({ opt: "b", y: 1 });
    for (const i of [7, 999_999_999, 1e9 + 12345]) expect(s.check(g.at(i))).toStrictEqual(g.at(i));
  });

  it("indexes through a parent's named values, whatever their order and classes", () => {
    // n's values 0..9: 2 and 7 switch on "a", 7 and 9 switch on "b"; others switch on nothing.
    const s = SearchSpace.parse({
      a: choice(["p", "q", "r"], { when: { n: [7, 2] } }),
      n: int(0, 9),
      b: int(1, 4, { when: { n: [9, 7] } }),
    });
    const g = new Grid(s);
    // n=0,1: 1 each; n=2: 3; n=3..6: 1 each; n=7: 3 × 4; n=8: 1; n=9: 4  →  2 + 3 + 4 + 12 + 1 + 4
    expect(g.size).toBe(26);
    const all = Array.from({ length: g.size }, (_, i) => g.at(i));
    expect(all.map((c) => c["n"])).toStrictEqual([0, 1, 2, 2, 2, 3, 4, 5, 6, ...Array(12).fill(7), 8, 9, 9, 9, 9]);
    expect(all[2]).toStrictEqual({ a: "p", n: 2 });
    expect(all[9]).toStrictEqual({ a: "p", n: 7, b: 1 });
    expect(all[20]).toStrictEqual({ a: "r", n: 7, b: 4 });
    expect(all[25]).toStrictEqual({ n: 9, b: 4 });
    expect(() => g.at(26)).toThrow(RangeError);
    expect(() => g.at(-1)).toThrow(RangeError);
  });

  it("refuses grids of more than 2^53 - 1 configurations, naming the bound", () => {
    const e = caught(() => gridOf({ a: int(0, 1e9), b: int(0, 1e9) }));
    expect(e).toMatchObject({ code: "grid.too_large", field: "space" });
    expect((e as Error).message).toContain(String(MAX_GRID_SIZE));
    expect(caught(() => gridOf({ opt: choice(["a", "b"]), a: int(0, 1e9, { when: { opt: ["a"] } }), b: int(0, 1e9) }))).toMatchObject({ code: "grid.too_large" });
    // Just below the bound is fine, and exact to the last position.
    const g = gridOf({ a: int(0, 2 ** 26 - 1), b: int(0, 2 ** 27 - 2) });
    expect(g.size).toBe(2 ** 53 - 2 ** 26);
    expect(g.at(g.size - 1)).toStrictEqual({ a: 2 ** 26 - 1, b: 2 ** 27 - 2 });
    expect(g.at(g.size - 2)).toStrictEqual({ a: 2 ** 26 - 1, b: 2 ** 27 - 3 });
  });

  it("refuses conditions too tangled to count (more than MAX_GRID_STATES states), with its own code", () => {
    // 18 parents that the last parameters all look at: 2^18 condition states before them.
    const def: Record<string, unknown> = {};
    for (let i = 0; i < 18; i++) def[`s${i}`] = choice([0, 1]);
    for (let i = 0; i < 18; i++) def[`t${i}`] = int(0, 1, { when: { [`s${i}`]: [1] } });
    expect(caught(() => gridOf(def as SpaceDef))).toMatchObject({ code: "grid.too_complex", field: "space" });
    expect(MAX_GRID_STATES).toBeLessThan(2 ** 18);
    // With the dependents next to their parents, the same grid is easy.
    const near: Record<string, unknown> = {};
    for (let i = 0; i < 18; i++) Object.assign(near, { [`s${i}`]: choice([0, 1]), [`t${i}`]: int(0, 1, { when: { [`s${i}`]: [1] } }) });
    expect(gridOf(near as SpaceDef).size).toBe(3 ** 18);
  });

  it("lists every conditional grid in the order of a depth-first walk over the parameters (the order it always had)", () => {
    /** The order before the grid stopped listing: depth-first over evalOrder, values in order. */
    function walkOrder(s: SearchSpace): Config[] {
      const out: Config[] = [];
      const cur: Config = {};
      const rec = (k: number): void => {
        if (k === s.evalOrder.length) {
          out.push(s.ordered({ ...cur }));
          return;
        }
        const p = s.evalOrder[k]!;
        if (!s.isActive(p, cur)) return rec(k + 1);
        const n = p.type === "categorical" ? p.choices.length : gridSize(p);
        for (let i = 0; i < n; i++) {
          cur[p.name] = p.type === "categorical" ? p.choices[i]! : gridValue(p, i);
          rec(k + 1);
        }
        delete cur[p.name];
      };
      rec(0);
      return out;
    }
    const small = arbGridSpace.filter((json) => SearchSpace.parse(json).params.reduce((n, p) => n * gridSize(p), 1) <= 3000);
    fc.assert(
      fc.property(small, (json) => {
        const s = SearchSpace.parse(json);
        const g = new Grid(s);
        expect(Array.from({ length: g.size }, (_, i) => g.at(i))).toStrictEqual(walkOrder(s));
      }),
      { numRuns: 200 },
    );
  });
});
