import { describe, expect, it } from "vitest";
import { decode, encode, fromUnit, gridSize, gridValue, toUnit } from "../../src/space/encoding";
import { SearchSpace, type ParamSpec } from "../../src/space/space";
import type { ParamDef } from "../../src/space/types";
import { Rng } from "../../src/util/rng";

/** The one parameter of a one-parameter space. */
function param(def: ParamDef): ParamSpec {
  return SearchSpace.parse({ x: def }).params[0]!;
}
type NumSpec = Exclude<ParamSpec, { type: "categorical" }>;
const numeric = (def: ParamDef) => param(def) as NumSpec;

/** Counts of each value over n uniform draws from a fixed seed. */
function histogram(p: ParamSpec, n: number, seed = 1): Map<unknown, number> {
  const rng = Rng.fromSeed(seed);
  const h = new Map<unknown, number>();
  for (let i = 0; i < n; i++) {
    const v = fromUnit(p, rng.next());
    h.set(v, (h.get(v) ?? 0) + 1);
  }
  return h;
}

/** Counts over the centres of n equal cells of [0,1]: exact shares of the unit interval. */
function cellCounts(p: ParamSpec, n: number): Map<unknown, number> {
  const h = new Map<unknown, number>();
  for (let j = 0; j < n; j++) {
    const v = fromUnit(p, (j + 0.5) / n);
    h.set(v, (h.get(v) ?? 0) + 1);
  }
  return h;
}

describe("log scale", () => {
  it("maps the geometric middle to 0.5, and the ends to 0 and 1", () => {
    const p = param({ type: "float", low: 1e-4, high: 1, scale: "log" });
    expect(fromUnit(p, 0.5)).toBeCloseTo(1e-2, 14);
    expect(toUnit(p, 1e-2)).toBeCloseTo(0.5, 14);
    expect(fromUnit(p, 0)).toBeCloseTo(1e-4, 15);
    expect(fromUnit(p, 1)).toBeCloseTo(1, 14);
    expect(fromUnit(p, 1)).toBeLessThanOrEqual(1);
    expect(toUnit(p, 1e-4)).toBe(0);
    expect(toUnit(p, 1)).toBe(1);
    const q = param({ type: "float", low: 2, high: 8, scale: "log" });
    expect(fromUnit(q, 0.5)).toBeCloseTo(4, 12);
    expect(fromUnit(q, 0.25)).toBeCloseTo(Math.sqrt(8), 12);
  });

  it("draws each decade equally often", () => {
    const p = param({ type: "float", low: 1e-3, high: 1, scale: "log" });
    const rng = Rng.fromSeed(3);
    const decades = [0, 0, 0];
    for (let i = 0; i < 30000; i++) decades[Math.min(2, Math.floor(-Math.log10(fromUnit(p, rng.next()) as number)))]!++;
    for (const d of decades) expect(d / 30000).toBeCloseTo(1 / 3, 1);
  });
});

describe("reverse-log scale", () => {
  const p = param({ type: "float", low: 0, high: 0.999, scale: "reverse-log" });

  it("is dense near 1: most uniform draws of [0, 0.999] are above 0.9", () => {
    const rng = Rng.fromSeed(7);
    let above = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) if ((fromUnit(p, rng.next()) as number) > 0.9) above++;
    // 1 - v is log-uniform on [0.001, 1]: P(v > 0.9) = P(1 - v < 0.1) = 2/3.
    expect(above / n).toBeGreaterThan(0.6);
    expect(above / n).toBeCloseTo(2 / 3, 1);
  });

  it("is log scale mirrored at 1: 1 - v has its geometric middle at 0.5", () => {
    expect(1 - (fromUnit(p, 0.5) as number)).toBeCloseTo(Math.sqrt(0.001), 12);
    expect(toUnit(p, 0.9)).toBeCloseTo(1 / 3, 12);
    expect(toUnit(p, 0.99)).toBeCloseTo(2 / 3, 12);
    expect(fromUnit(p, 0)).toBe(0);
    expect(fromUnit(p, 1)).toBeCloseTo(0.999, 14);
    expect(fromUnit(p, 1)).toBeLessThanOrEqual(0.999);
  });
});

describe("ints sit at the centres of equal cells", () => {
  it("each value of int(1, 4) owns a quarter of the cube", () => {
    const p = param({ type: "int", low: 1, high: 4 });
    expect([...cellCounts(p, 1000).entries()].sort()).toEqual([
      [1, 250],
      [2, 250],
      [3, 250],
      [4, 250],
    ]);
    const h = histogram(p, 40000);
    for (const v of [1, 2, 3, 4]) expect(h.get(v)! / 40000).toBeCloseTo(0.25, 2);
    expect([1, 2, 3, 4].map((v) => toUnit(p, v))).toEqual([0.125, 0.375, 0.625, 0.875]);
    expect(fromUnit(p, 0)).toBe(1);
    expect(fromUnit(p, 1)).toBe(4);
  });

  it("the cells follow the step, and a single value takes the whole cube", () => {
    const p = param({ type: "int", low: 0, high: 11, step: 5 }); // 0, 5, 10
    expect([...cellCounts(p, 300).entries()].sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual([
      [0, 100],
      [5, 100],
      [10, 100],
    ]);
    const one = param({ type: "int", low: 3, high: 3 });
    expect(fromUnit(one, 0)).toBe(3);
    expect(fromUnit(one, 1)).toBe(3);
    expect(toUnit(one, 3)).toBe(0.5);
  });

  it("log ints give every value in range, small values more often", () => {
    const p = param({ type: "int", low: 1, high: 1000, scale: "log" });
    const h = histogram(p, 20000);
    for (const v of h.keys()) expect(Number.isInteger(v)).toBe(true);
    expect(h.get(1)! > h.get(500)! * 10).toBe(true);
    let below32 = 0;
    for (const [v, c] of h) if ((v as number) <= 31) below32 += c;
    expect(below32 / 20000).toBeGreaterThan(0.4);
  });
});

describe("stepped floats give only low + k*step", () => {
  it("float(0, 1, step 0.1) gives the eleven decimals exactly, in equal shares", () => {
    const p = numeric({ type: "float", low: 0, high: 1, step: 0.1 });
    const decimals = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];
    expect(gridSize(p)).toBe(11);
    expect(decimals.map((_, k) => gridValue(p, k))).toEqual(decimals);
    expect(gridValue(p, 3)).toBe(0.3); // not 0.30000000000000004
    const counts = cellCounts(p, 1100);
    expect([...counts.keys()].sort()).toEqual(decimals);
    for (const c of counts.values()) expect(c).toBe(100);
    for (const v of histogram(p, 2000).keys()) expect(decimals).toContain(v);
  });

  it("stops at the last step below high and keeps decimals exact elsewhere too", () => {
    const p = numeric({ type: "float", low: 0, high: 1, step: 0.3 });
    expect([...cellCounts(p, 400).keys()].sort()).toEqual([0, 0.3, 0.6, 0.9]);
    const q = numeric({ type: "float", low: 0.1, high: 0.7, step: 0.2 });
    expect(Array.from({ length: gridSize(q) }, (_, k) => gridValue(q, k))).toEqual([0.1, 0.3, 0.5, 0.7]);
    const r = numeric({ type: "float", low: -1, high: 1, step: 0.25 });
    expect(Array.from({ length: gridSize(r) }, (_, k) => gridValue(r, k))).toEqual([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1]);
  });

  it("counts the top value of decimal grids far from zero", () => {
    const p = numeric({ type: "float", low: 10000.37, high: 10000.38, step: 0.001 });
    expect(gridSize(p)).toBe(11);
    expect(gridValue(p, 10)).toBe(10000.38);
    expect(fromUnit(p, 1)).toBe(10000.38);
    const q = numeric({ type: "float", low: -1.001, high: -1, step: 0.001 });
    expect(gridSize(q)).toBe(2);
    expect(fromUnit(q, 1)).toBe(-1);
  });

  it("log and reverse-log stepped floats stay on the steps", () => {
    for (const def of [
      { type: "float", low: 0.01, high: 10, scale: "log", step: 0.01 },
      { type: "float", low: 0.5, high: 0.99, scale: "reverse-log", step: 0.01 },
    ] as const) {
      const p = numeric(def);
      const on = new Set(Array.from({ length: gridSize(p) }, (_, k) => gridValue(p, k)));
      for (const v of histogram(p, 3000).keys()) expect(on.has(v as number), `${String(v)}`).toBe(true);
    }
  });
});

describe("ranges at the edges of the doubles", () => {
  it("a log range too narrow for its logarithms is encoded linearly: both of two adjacent doubles, in halves", () => {
    // ln(1e-300) and ln of the next double are the same double: every point decoded to high.
    const low = 1e-300;
    const high = low + 2 ** -1049; // the next double
    const p = param({ type: "float", low, high, scale: "log" });
    const h = cellCounts(p, 1000);
    expect(h.get(low)).toBe(500);
    expect(h.get(high)).toBe(500);
    expect(toUnit(p, low)).toBe(0);
    expect(toUnit(p, high)).toBe(1);
  });

  it("log ints a few integers wide near 2^52 give each integer a cell (about equal: ±0.5 is at the doubles' precision there)", () => {
    const p = param({ type: "int", low: 2 ** 52, high: 2 ** 52 + 3, scale: "log" });
    const h = cellCounts(p, 400);
    expect([...h.keys()].sort()).toStrictEqual([0, 1, 2, 3].map((k) => 2 ** 52 + k));
    for (const n of h.values()) expect(n).toBeGreaterThan(80);
  });

  it("a stepped range reaching -1.8e308 is widened only where the width stays a number", () => {
    const p = numeric({ type: "float", low: -Number.MAX_VALUE, high: 0, step: 1e307 });
    const h = cellCounts(p, 1800);
    expect(h.size).toBe(gridSize(p));
    for (const v of h.keys()) expect(Number.isFinite(v)).toBe(true);
    for (let k = 0; k < gridSize(p); k++) {
      const u = toUnit(p, gridValue(p, k));
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThanOrEqual(1);
      expect(fromUnit(p, u)).toBe(gridValue(p, k));
    }
  });

  it("reverse-log up to 1 - 2^-53 reaches every decade below 1", () => {
    const p = param({ type: "float", low: 0, high: 1 - 2 ** -53, scale: "reverse-log" });
    const decades = new Set([...histogram(p, 4000).keys()].map((v) => Math.floor(-Math.log10(1 - (v as number)))));
    for (let d = 0; d <= 15; d++) expect(decades.has(d), `1 - v near 1e-${d}`).toBe(true);
  });
});

describe("signed zeros", () => {
  it("never gives -0, even for low = -0 (as JSON's -0 parses)", () => {
    const def = JSON.parse('{"type": "float", "low": -0, "high": 1}');
    expect(Object.is(fromUnit(param(def), 0), 0)).toBe(true);
    expect(Object.is(fromUnit(param({ ...def, step: 0.1 }), 0), 0)).toBe(true);
    expect(Object.is(fromUnit(param({ ...def, type: "int", step: 1 }), 0), 0)).toBe(true);
  });
});

describe("categoricals", () => {
  const p = param({ type: "categorical", choices: ["a", 1, "1", true] });

  it("choice i owns [i/C, (i+1)/C) and encodes to its centre", () => {
    expect([0, 0.24, 0.25, 0.49, 0.5, 0.74, 0.75, 1].map((u) => fromUnit(p, u))).toEqual(["a", "a", 1, 1, "1", "1", true, true]);
    expect(["a", 1, "1", true].map((c) => toUnit(p, c))).toEqual([0.125, 0.375, 0.625, 0.875]);
  });

  it("clamps coordinates outside [0, 1]", () => {
    expect(fromUnit(p, -0.5)).toBe("a");
    expect(fromUnit(p, 1.5)).toBe(true);
    expect(fromUnit(param({ type: "float", low: 2, high: 3 }), 7)).toBe(3);
  });
});

describe("encode and decode", () => {
  const s = SearchSpace.parse({
    momentum: { type: "float", low: 0.5, high: 0.999, scale: "reverse-log", when: { optimizer: ["sgd"] } },
    optimizer: { type: "categorical", choices: ["sgd", "adam"] },
    lr: { type: "float", low: 1e-5, high: 1, scale: "log" },
  });

  it("encodes one coordinate per parameter in declaration order, NaN where inactive", () => {
    const x = encode(s, { optimizer: "adam", lr: 1e-3 });
    expect(x).toHaveLength(3);
    expect(x[0]).toBeNaN();
    expect(x[1]).toBe(0.75);
    expect(x[2]).toBeCloseTo(0.4, 12);
  });

  it("leaves out parameters whose condition fails, whatever their coordinate", () => {
    expect(decode(s, [0.3, 0.9, 0.4])).toEqual({ optimizer: "adam", lr: expect.closeTo(1e-3, 12) });
    const c = decode(s, [0.3, 0.1, 0.4]);
    expect(Object.keys(c)).toEqual(["momentum", "optimizer", "lr"]);
    expect(c["optimizer"]).toBe("sgd");
    expect(s.check(c)).toEqual(c);
  });

  it("round-trips a configuration", () => {
    const c = { momentum: 0.9, optimizer: "sgd", lr: 3e-4 };
    const back = decode(s, encode(s, c));
    expect(back["optimizer"]).toBe("sgd");
    expect(back["momentum"]).toBeCloseTo(0.9, 12);
    expect(back["lr"]).toBeCloseTo(3e-4, 15);
  });
});
