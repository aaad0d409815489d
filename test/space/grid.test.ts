import { describe, expect, it } from "vitest";
import { choice, float, int } from "../../src/space/builders";
import { Grid } from "../../src/space/grid";
import { SearchSpace } from "../../src/space/space";
import type { Config, SpaceDef } from "../../src/space/types";
import { TunelabError } from "../../src/util/errors";

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
