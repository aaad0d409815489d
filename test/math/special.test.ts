import { describe, expect, it } from "vitest";
import {
  erf,
  erfc,
  erfcinv,
  erfcx,
  erfinv,
  log1mexp,
  logNdtr,
  logNormPdf,
  ndtr,
  ndtri,
  normPdf,
} from "../../src/math/special";

// Reference values: mpmath at 50 digits, rounded to 17 significant digits.
type Case = readonly [number, number];

function expectRel(actual: number, expected: number, rel: number): void {
  if (expected === 0) {
    expect(Math.abs(actual)).toBeLessThanOrEqual(rel);
    return;
  }
  const err = Math.abs(actual - expected) / Math.abs(expected);
  if (!(err <= rel)) throw new Error(`got ${actual}, expected ${expected} (relative error ${err} > ${rel})`);
}

function table(name: string, fn: (x: number) => number, cases: readonly Case[], rel: number): void {
  it.each(cases)(`${name}(%s)`, (x, y) => expectRel(fn(x), y, rel));
}

describe("erf", () => {
  table("erf", erf, [
    [-3, -0.99997790950300141],
    [-1, -0.84270079294971487],
    [-0.3, -0.32862675945912742],
    [1e-10, 1.1283791670955126e-10],
    [0.1, 0.1124629160182849],
    [0.49, 0.51166826118852309],
    [0.5, 0.52049987781304654],
    [1, 0.84270079294971487],
    [2, 0.99532226501895273],
    [3.5, 0.99999925690162766],
    [6, 0.99999999999999998],
  ], 1e-15);
  it("is odd, 0 at 0, ±1 at ±Infinity, NaN on NaN", () => {
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erf(-0.7)).toBe(-erf(0.7));
    expect(erf(NaN)).toBeNaN();
  });
});

describe("erfc", () => {
  table("erfc", erfc, [
    [-2, 1.9953222650189527],
    [-0.5, 1.5204998778130465],
    [0, 1],
    [0.3, 0.67137324054087258],
    [1, 0.15729920705028513],
    [2.5, 4.0695201744495894e-4],
    [5, 1.5374597944280349e-12],
    [10, 2.0884875837625448e-45],
    [26, 5.6631924088561428e-296],
  ], 1e-15);
  it("limits", () => {
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(30)).toBe(0);
    expect(erfc(NaN)).toBeNaN();
  });
});

describe("erfcx", () => {
  table("erfcx", erfcx, [
    [-5, 1.4400979867466104e11],
    [-1, 5.0089800807622835],
    [0, 1],
    [0.2, 0.80901951990158073],
    [1, 0.427583576155807],
    [3, 0.17900115118138995],
    [10, 0.056140992743822586],
    [30, 0.018795888861416751],
    [1e3, 5.6418930145338765e-4],
    [1e10, 5.6418958354775629e-11],
  ], 1e-15);
  it("limits", () => {
    expect(erfcx(Infinity)).toBe(0);
    expect(erfcx(-30)).toBe(Infinity);
  });
  it("agrees with exp(x²)·erfc(x) across the Chebyshev range", () => {
    for (let x = 0; x < 6; x += 0.0371) {
      expectRel(erfcx(x), Math.exp(x * x) * erfc(x), 1e-13);
    }
  });
});

describe("normal distribution", () => {
  table("ndtr", ndtr, [
    [-40, 0], // 3.66e-350 underflows in float64
    [-10, 7.6198530241605261e-24],
    [-3, 1.3498980316300945e-3],
    [-1, 0.15865525393145705],
    [0, 0.5],
    [0.5, 0.6914624612740131],
    [2, 0.97724986805182079],
    [8, 0.99999999999999938],
  ], 1e-15);
  table("logNdtr", logNdtr, [
    [-1e6, -5.0000000001473445e11],
    [-1e3, -5.0000782669481218e5],
    [-40, -804.60844201375379],
    [-10, -53.231285150512471],
    [-3, -6.6077262215103495],
    [-1.5, -2.7059444008238898],
    [-1, -1.8410216450092635],
    [-0.5, -1.1759117615936186],
    [0, -0.69314718055994531],
    [1, -0.17275377902344989],
    [3, -1.3508099647481938e-3],
    [6, -9.8658764552437573e-10],
    [10, -7.6198530241605261e-24],
    [20, -2.7536241186062337e-89],
  ], 2e-15);
  it("logNdtr stays finite and monotone far in the left tail", () => {
    expect(logNdtr(-1e200)).toBe(-Infinity); // −x²/2 overflows: the true value is below −1e308
    expectRel(logNdtr(-1e100), -5e199, 1e-15);
    let prev = -Infinity;
    for (let x = -200; x < 10; x += 0.37) {
      const v = logNdtr(x);
      expect(v).toBeGreaterThan(prev);
      prev = v;
    }
    expect(logNdtr(-Infinity)).toBe(-Infinity);
    expect(logNdtr(Infinity)).toBe(0);
  });
  it("density", () => {
    expectRel(normPdf(0), 0.3989422804014327, 1e-16);
    expectRel(normPdf(-2), 0.05399096651318806, 1e-15);
    expectRel(logNormPdf(3), -5.418938533204673, 1e-15);
    expectRel(logNormPdf(-40), -800.9189385332047, 1e-15);
  });
});

describe("inverses", () => {
  table("erfinv", erfinv, [
    [-0.999, -2.3267537655135245],
    [-0.5, -0.47693627620446987],
    [1e-12, 8.86226925452758e-13],
    [0.1, 0.088855990494257692],
    [0.5, 0.47693627620446987],
    [0.75, 0.81341984759761854],
    [0.9999999, 3.7665625816384709],
    [1 - 2 ** -52, 5.8050186831934533],
  ], 2e-15);
  table("erfcinv", erfcinv, [
    [1e-300, 26.209469960516124],
    [1e-20, 6.6015806223551426],
    [1e-5, 3.123413274340875],
    [0.3, 0.73286907795921687],
    [1, 0],
    [1.7, -0.73286907795921678],
  ], 2e-15);
  table("ndtri", ndtri, [
    [1e-300, -37.047096299361199],
    [1e-10, -6.3613409024040562],
    [0.025, -1.9599639845400542],
    [0.5, 0],
    [0.975, 1.9599639845400539],
    [1 - 1e-10, 6.3613408896974219],
  ], 2e-15);
  it("edges", () => {
    expect(erfinv(1)).toBe(Infinity);
    expect(erfinv(-1)).toBe(-Infinity);
    expect(erfinv(0)).toBe(0);
    expect(erfinv(1.5)).toBeNaN();
    expect(erfcinv(0)).toBe(Infinity);
    expect(erfcinv(2)).toBe(-Infinity);
    expect(ndtri(0)).toBe(-Infinity);
    expect(ndtri(1)).toBe(Infinity);
  });
  it("round-trips erf and ndtr", () => {
    for (let y = -0.995; y < 1; y += 0.0173) expectRel(erf(erfinv(y)), y, 1e-14);
    for (let p = 0.001; p < 1; p += 0.0131) expectRel(ndtr(ndtri(p)), p, 1e-14);
  });
});

describe("log1mexp", () => {
  table("log1mexp", log1mexp, [
    [-1e-20, -46.051701859880914],
    [-1e-5, -11.512930464966062],
    [-0.5, -0.93275212956718857],
    [-0.6931, -0.69319436334600084],
    [-1, -0.45867514538708189],
    [-5, -6.7607494494885578e-3],
    [-50, -1.9287498479639178e-22],
  ], 1e-15);
  it("edges", () => {
    expect(log1mexp(0)).toBe(-Infinity);
    expect(log1mexp(-Infinity) === 0).toBe(true);
    expect(log1mexp(0.1)).toBeNaN();
  });
});
