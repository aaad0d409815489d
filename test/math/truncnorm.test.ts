import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { logNdtr, logNormPdf } from "../../src/math/special";
import { logCellMass, logGaussMass, ndtriExp, truncnormDraw, truncnormLogCellMass, truncnormLogPdf, truncnormPpf, truncnormSample } from "../../src/math/truncnorm";
import { Rng } from "../../src/util/rng";

/**
 * log ∫_a^b φ(x) dx by Simpson's rule, independent of the code under test: the integrand is
 * scaled by φ at the end nearest 0 (m), so it stays in (0, 1] however far out [a, b] lies.
 */
function quadLogMass(a: number, b: number, n?: number): number {
  const m = a > 0 ? a : b < 0 ? b : 0;
  // Enough points to resolve the integrand's decay, of scale 1/max(1, |m|), over [a, b].
  n ??= 2 * Math.min(20000, Math.ceil(200 + 20 * (b - a) * Math.max(1, Math.abs(m))));
  const h = (b - a) / n;
  const f = (x: number) => Math.exp(-0.5 * (x * x - m * m));
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return logNormPdf(m) + Math.log((s * h) / 3);
}

/** Simpson's rule for ∫ exp(logf) over [a, b]. */
function integrate(logf: (x: number) => number, a: number, b: number, n = 4000): number {
  const h = (b - a) / n;
  let s = Math.exp(logf(a)) + Math.exp(logf(b));
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(logf(a + i * h));
  return (s * h) / 3;
}

describe("logGaussMass", () => {
  const cases: [number, number][] = [
    [-1, 1],
    [0, 2],
    [-3, -2],
    [2.5, 7],
    [-100, -99],
    [99, 100.5],
    [-40, -39.999],
    [-1e-9, 1e-9],
    [-1e-9, 3],
    [1e-12, 2e-12],
    [-9, 12],
    [7, 30],
  ];
  it.each(cases)("matches quadrature on [%d, %d], tails included", (a, b) => {
    const got = logGaussMass(a, b);
    expect(Number.isFinite(got)).toBe(true);
    expect(Math.abs(got - quadLogMass(a, b))).toBeLessThan(1e-8 * Math.max(1, Math.abs(got)));
  });

  it("is log Φ at an infinite left end and 0 over the whole line", () => {
    for (const x of [-300, -20, -1, 0, 2, 9]) expect(logGaussMass(-Infinity, x)).toBeCloseTo(logNdtr(x), 12);
    expect(logGaussMass(-Infinity, Infinity)).toBe(0);
    expect(logGaussMass(5, Infinity)).toBeCloseTo(logNdtr(-5), 12);
  });

  it("is -Infinity for an empty interval", () => {
    expect(logGaussMass(1, 1)).toBe(-Infinity);
    expect(logGaussMass(2, 1)).toBe(-Infinity);
  });
});

describe("ndtriExp", () => {
  it("inverts log Φ from the far left tail to the right", () => {
    for (const x of [-1000, -200, -38, -37, -10, -1, -0.3, 0, 0.4, 1, 3, 6, 8]) {
      const y = logNdtr(x);
      expect(ndtriExp(y)).toBeCloseTo(x, x < -30 ? 8 : 10);
    }
  });

  it("answers ±Infinity at the ends", () => {
    expect(ndtriExp(0)).toBe(Infinity);
    expect(ndtriExp(-Infinity)).toBe(-Infinity);
    expect(ndtriExp(0.1)).toBeNaN();
  });
});

/** The quantile by bisection on the quadrature CDF (from the nearer end, in log space). */
function refPpf(q: number, a: number, b: number): number {
  const total = quadLogMass(a, b);
  let lo = a;
  let hi = b;
  for (let i = 0; i < 90; i++) {
    const mid = 0.5 * (lo + hi);
    if (mid === lo || mid === hi) break;
    const below = q <= 0.5 ? quadLogMass(a, mid) - total < Math.log(q) : quadLogMass(mid, b) - total > Math.log(1 - q);
    if (below) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

describe("truncnormPpf", () => {
  const intervals: [number, number][] = [
    [-2, 2],
    [-60, -59],
    [40, 45],
    [-1e-9, 1e-9],
    [-1e-9, 3],
    [-100, 0.5],
    [0.5, 100],
    [-0.5, -0.1],
    [-80, -30],
    [3, 60],
  ];
  it.each(intervals)("is the inverse of the truncated CDF on [%d, %d] (against bisection on quadrature)", (a, b) => {
    for (const q of [1e-12, 0.001, 0.1, 0.37, 0.5, 0.8, 0.999, 1 - 1e-12]) {
      const x = truncnormPpf(q, a, b);
      expect(x).toBeGreaterThanOrEqual(a);
      expect(x).toBeLessThanOrEqual(b);
      expect(Math.abs(x - refPpf(q, a, b)), `q=${q}`).toBeLessThanOrEqual(1e-8 * Math.min(Math.max(1, Math.abs(x)), b - a));
    }
  });

  it("handles infinite ends", () => {
    expect(truncnormPpf(0.5, -Infinity, Infinity)).toBeCloseTo(0, 14);
    expect(truncnormPpf(0.975, -Infinity, Infinity)).toBeCloseTo(1.959963984540054, 12);
    const x = truncnormPpf(0.5, 3, Infinity);
    expect(logGaussMass(3, x) - logGaussMass(3, Infinity)).toBeCloseTo(Math.log(0.5), 10);
    const y = truncnormPpf(0.25, -Infinity, -30);
    expect(logGaussMass(-Infinity, y) - logNdtr(-30)).toBeCloseTo(Math.log(0.25), 8);
  });

  it("keeps every draw inside [low, high], whatever the kernel and interval", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -50, max: 50, noNaN: true }),
        fc.double({ min: 1e-4, max: 20, noNaN: true }),
        fc.double({ min: -60, max: 60, noNaN: true }),
        fc.double({ min: 1e-9, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (mu, sigma, low, width, u) => {
          const x = truncnormSample(u, mu, sigma, low, low + width);
          return x >= low && x <= low + width && Number.isFinite(x);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("is monotone in q", () => {
    for (const [a, b] of intervals) {
      let prev = -Infinity;
      for (let i = 0; i <= 200; i++) {
        const x = truncnormPpf(i / 200, a, b);
        expect(x).toBeGreaterThanOrEqual(prev);
        prev = x;
      }
    }
  });
});

describe("truncnormLogPdf", () => {
  const cases: [number, number, number, number][] = [
    [0.5, 1, 0, 1],
    [0.9, 0.01, 0, 1],
    [0, 0.05, 0.4, 1], // the interval lies 8 sigmas out
    [-3, 0.5, 0, 1], // 6+ sigmas out
    [2, 3, -10, 10],
  ];
  it.each(cases)("integrates to 1 (mu=%d, sigma=%d, [%d, %d])", (mu, sigma, low, high) => {
    expect(integrate((x) => truncnormLogPdf(x, mu, sigma, low, high), low, high)).toBeCloseTo(1, 6);
  });

  it("is -Infinity outside the interval", () => {
    expect(truncnormLogPdf(-0.1, 0.5, 1, 0, 1)).toBe(-Infinity);
    expect(truncnormLogPdf(1.1, 0.5, 1, 0, 1)).toBe(-Infinity);
  });

  it("gives cells that partition the interval masses summing to 1", () => {
    for (const [mu, sigma] of [
      [0.3, 0.05],
      [0.95, 0.01],
      [0.5, 1],
      [0, 0.2],
    ] as const) {
      const edges = [0, 0.05, 0.2, 0.21, 0.5, 0.77, 1];
      let s = 0;
      for (let i = 0; i + 1 < edges.length; i++) s += Math.exp(truncnormLogCellMass(edges[i]!, edges[i + 1]!, mu, sigma, 0, 1));
      expect(s).toBeCloseTo(1, 10);
    }
  });

  it("matches the empirical distribution of its own samples", () => {
    // Inverse-CDF sampling on an even grid of u: the fraction below a point is its CDF.
    const mu = 0.8;
    const sigma = 0.15;
    const xs = Array.from({ length: 2000 }, (_, i) => truncnormSample((i + 0.5) / 2000, mu, sigma, 0, 1));
    for (const t of [0.3, 0.6, 0.8, 0.95]) {
      const frac = xs.filter((x) => x <= t).length / xs.length;
      expect(frac).toBeCloseTo(Math.exp(truncnormLogCellMass(0, t, mu, sigma, 0, 1)), 2);
    }
  });
});

describe("truncnormDraw", () => {
  it("keeps every draw inside [low, high]", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 1e-4, max: 5, noNaN: true }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 1e-6, max: 5, noNaN: true }),
        fc.integer(),
        (mu, sigma, low, width, seed) => {
          const rng = Rng.derive(seed);
          for (let i = 0; i < 20; i++) {
            const x = truncnormDraw(rng, mu, sigma, low, low + width);
            if (!(x >= low && x <= low + width)) return false;
          }
          return true;
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    [0.5, 1, 0, 1], // the prior kernel: rejection, about 2.6 normals a draw
    [0.97, 0.05, 0, 1], // a narrow kernel at the edge
    [3, 1, 0, 1], // mass 0.02: by inverse CDF
  ])("follows the truncated CDF (mu=%d, sigma=%d, [%d, %d]; Kolmogorov-Smirnov)", (mu, sigma, low, high) => {
    const rng = Rng.derive(11);
    const N = 20000;
    const xs = Array.from({ length: N }, () => truncnormDraw(rng, mu, sigma, low, high)).sort((a, b) => a - b);
    const total = logGaussMass((low - mu) / sigma, (high - mu) / sigma);
    let dmax = 0;
    for (let i = 0; i < N; i += 97) {
      const cdf = Math.exp(logGaussMass((low - mu) / sigma, (xs[i]! - mu) / sigma) - total);
      dmax = Math.max(dmax, Math.abs(cdf - (i + 0.5) / N));
    }
    // The KS statistic's 99.9% point for N = 20000 is 1.95/sqrt(N) = 0.0138.
    expect(dmax).toBeLessThan(0.0138);
  });
});

describe("logCellMass", () => {
  /** log of the standard normal mass of [a, b] by composite Simpson (64 panels): for a narrow cell, exact to ~1e-14 relative. */
  const simpson = (a: number, b: number): number => {
    const n = 64;
    const h = (b - a) / n;
    const m = 0.5 * (a + b);
    // Factor φ(m) out so nothing underflows far in the tails.
    const f = (z: number) => Math.exp(-0.5 * (z - m) * (z + m));
    let s = f(a) + f(b);
    for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
    return logNormPdf(m) + Math.log((s * h) / 3);
  };

  it("is within 1e-7 (relative mass) of the exact mass on narrow cells, and is logGaussMass on the rest (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: -60, max: 60, noNaN: true }), fc.double({ min: 1e-9, max: 0.05, noNaN: true }), (m, w) => {
        const a = m - w / 2;
        const b = m + w / 2;
        if (!(a < b)) return;
        const fast = logCellMass(a, b);
        if (b - a < 0.02) expect(Math.abs(fast - simpson(a, b))).toBeLessThan(1e-7);
        else expect(fast).toBe(logGaussMass(a, b));
      }),
      { numRuns: 2000 },
    );
    // A cell of a 1,009-value log-scaled integer under a kernel of width 0.1; an empty cell.
    for (const m of [-40, -3, -0.5, 0, 0.7, 2.5, 12]) expect(Math.abs(logCellMass(m, m + 0.005) - logGaussMass(m, m + 0.005))).toBeLessThan(1e-7);
    expect(logCellMass(1, 1)).toBe(-Infinity);
  });
});
