import { describe, expect, it } from "vitest";
import { dLogH, logEI, logEIWithGradient, logH, logPI, VARIANCE_FLOOR } from "../../src/math/acquisition";
import { ndtr, normPdf } from "../../src/math/special";

function expectRel(a: number, b: number, rel: number): void {
  const err = Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
  if (!(err <= rel)) throw new Error(`got ${a}, expected ${b} (relative error ${err})`);
}

// log h(z) and Φ(z)/h(z), h(z) = φ(z) + zΦ(z): mpmath at 60 digits.
const CASES: [number, number, number][] = [
  [3, 1.0987396653277078, 0.33284096845179524],
  [0, -0.91893853320467274, 1.2533141373155003],
  [-0.5, -1.6205162643873199, 1.5598731483480797],
  [-1, -2.4851210257126413, 1.9042712333296918],
  [-5, -16.74430116266099, 5.3618162412880885],
  [-30, -457.724653760598, 30.066446154162419],
  [-500, -125013.34816672988, 500.00399995200134],
  [-5000, -12500017.953325036, 5000.000399999952],
  [-1e10, -5.0e19, 1e10],
];

describe("log h", () => {
  it.each(CASES)("logH(%s) and its derivative", (z, lh, d) => {
    expectRel(logH(z), lh, 1e-13);
    expectRel(dLogH(z), d, z > -1e3 && z < -100 ? 1e-9 : 1e-12);
  });

  it("is continuous and increasing across the branch points", () => {
    for (const b of [-1, -1e3]) {
      const eps = 1e-9 * Math.abs(b);
      expectRel(logH(b - eps), logH(b + eps), 1e-8);
      expectRel(dLogH(b - eps), dLogH(b + eps), 1e-6);
    }
    let prev = -Infinity;
    for (let z = -2000; z < 10; z += 0.731) {
      const v = logH(z);
      expect(v).toBeGreaterThan(prev);
      prev = v;
    }
  });

  it("the derivative matches finite differences", () => {
    for (const z of [2, 0.3, -0.99, -1.01, -7, -60, -800]) {
      const h = 1e-6 * Math.max(1, Math.abs(z));
      expectRel(dLogH(z), (logH(z + h) - logH(z - h)) / (2 * h), 1e-6);
    }
  });
});

describe("logEI", () => {
  it("equals log of the closed-form EI where that is representable", () => {
    for (const [m, v, b] of [[0.3, 0.5, 0], [-1, 0.04, 0.5], [2, 1, 1], [0, 1e-4, 0.01]]) {
      const s = Math.sqrt(v! + VARIANCE_FLOOR);
      const z = (m! - b!) / s;
      expectRel(logEI(m!, v!, b!), Math.log(s * (normPdf(z) + z * ndtr(z))), 1e-12);
    }
  });

  it("stays finite where EI underflows, and prefers the better of two hopeless points", () => {
    const a = logEI(-50, 0.01, 0);
    const b = logEI(-40, 0.01, 0);
    expect(Number.isFinite(a)).toBe(true);
    expect(b).toBeGreaterThan(a);
    expect(Number.isFinite(logEI(0, 0, 0))).toBe(true); // at an observed point (σ² floor)
  });

  it("gives partial derivatives that match finite differences", () => {
    for (const [m, v, b] of [[0.3, 0.5, 0], [-2, 0.01, 0.5], [-30, 0.2, 0]]) {
      const g = logEIWithGradient(m!, v!, b!);
      expect(g.value).toBe(logEI(m!, v!, b!));
      const h = 1e-6;
      expectRel(g.dMean, (logEI(m! + h, v!, b!) - logEI(m! - h, v!, b!)) / (2 * h), 1e-5);
      const hv = 1e-6 * v!;
      expectRel(g.dVariance, (logEI(m!, v! + hv, b!) - logEI(m!, v! - hv, b!)) / (2 * hv), 1e-5);
    }
  });

  it("logPI is log Φ(z)", () => {
    expectRel(logPI(1, 4, 0), Math.log(ndtr(0.5)), 1e-9);
  });
});
