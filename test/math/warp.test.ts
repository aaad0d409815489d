import { describe, expect, it } from "vitest";
import { fitYeoJohnson, standardize, warpOutputs, yeoJohnson, yeoJohnsonLogLikelihood } from "../../src/math/warp";

describe("Yeo-Johnson", () => {
  it("matches the closed form in each branch and is the identity at λ = 1", () => {
    expect(yeoJohnson(3, 0.5)).toBeCloseTo((Math.sqrt(4) - 1) / 0.5, 14);
    expect(yeoJohnson(3, 0)).toBeCloseTo(Math.log(4), 14);
    expect(yeoJohnson(-3, 0.5)).toBeCloseTo(-(Math.pow(4, 1.5) - 1) / 1.5, 14);
    expect(yeoJohnson(-3, 2)).toBeCloseTo(-Math.log(4), 14);
    for (const y of [-2.5, -0.1, 0, 0.7, 4]) expect(yeoJohnson(y, 1)).toBeCloseTo(y, 14);
  });

  it("is strictly increasing in y for any λ (the order of values is kept)", () => {
    for (const lam of [-2, -0.5, 0, 0.5, 1, 1.7, 2, 3]) {
      let prev = -Infinity;
      for (let y = -5; y <= 5; y += 0.13) {
        const v = yeoJohnson(y, lam);
        expect(v).toBeGreaterThan(prev);
        prev = v;
      }
    }
  });

  it("fits λ < 1 to right-skewed values and λ > 1 to left-skewed ones, maximising the likelihood", () => {
    const right = Float64Array.from({ length: 200 }, (_, i) => Math.exp(((i + 0.5) / 200) * 4)); // log-uniform: long right tail
    standardize(right);
    const lr = fitYeoJohnson(right);
    expect(lr).toBeLessThan(1);
    for (const other of [lr - 0.2, lr + 0.2, 1]) expect(yeoJohnsonLogLikelihood(right, lr)).toBeGreaterThan(yeoJohnsonLogLikelihood(right, other));
    const left = right.map((v) => -v);
    expect(fitYeoJohnson(left)).toBeGreaterThan(1);
  });

  it("warpOutputs keeps the argmax, standardises, and leaves constant values alone", () => {
    const y = Float64Array.from([0, 0.1, 0.05, 0.2, 9, 0.15, 0.12]);
    const lam = warpOutputs(y);
    expect(lam).not.toBe(1);
    expect(y.indexOf(Math.max(...y))).toBe(4);
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    const sd = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / y.length);
    expect(mean).toBeCloseTo(0, 12);
    expect(sd).toBeCloseTo(1, 12);
    // The outlier is pulled in: fewer standard deviations above the rest than before.
    const raw = Float64Array.from([0, 0.1, 0.05, 0.2, 9, 0.15, 0.12]);
    standardize(raw);
    expect(y[4]!).toBeLessThan(raw[4]!);
    const flat = Float64Array.from([3, 3, 3]);
    expect(warpOutputs(flat)).toBe(1);
    expect(Array.from(flat)).toEqual([0, 0, 0]);
  });
});

describe("standardize and warpOutputs with values near ±1.8e308", () => {
  it("give finite values, in the same order, as the same values scaled down (their sums overflowed to NaN)", () => {
    const M = 1.7e308;
    const huge = [M, 0.1 * M, -M, 0.5 * M, -0.3 * M, M];
    const y = Float64Array.from(huge);
    warpOutputs(y);
    const small = Float64Array.from(huge, (v) => v / M);
    warpOutputs(small);
    for (let i = 0; i < y.length; i++) {
      expect(Number.isFinite(y[i]!)).toBe(true);
      expect(y[i]).toBeCloseTo(small[i]!, 9);
    }
    const same = Float64Array.from([M, M, M]);
    expect(standardize(same)).toBe(false);
    expect(Array.from(same)).toStrictEqual([0, 0, 0]);
  });
});
