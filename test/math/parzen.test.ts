import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParzenEstimator, parzenBandwidths, type ParzenDim, type UnitGrid } from "../../src/math/parzen";
import { truncnormLogPdf } from "../../src/math/truncnorm";
import { Rng } from "../../src/util/rng";

/** A grid of cells [edges[k], edges[k+1]] of [0, 1], each valued at its `centres[k]`. */
function gridOf(edges: number[], centres: number[]): UnitGrid {
  const index = (c: number) => {
    let k = 0;
    while (k < centres.length - 1 && c >= edges[k + 1]!) k++;
    return k;
  };
  return {
    snap: (u) => centres[index(u)]!,
    cell(c, out) {
      const k = index(c);
      out[0] = edges[k]!;
      out[1] = edges[k + 1]!;
    },
  };
}

const EVEN5 = gridOf([0, 0.2, 0.4, 0.6, 0.8, 1], [0.1, 0.3, 0.5, 0.7, 0.9]);
// Log-like: narrow cells at the bottom, centres off-centre within their cells.
const UNEVEN4 = gridOf([0, 0.05, 0.25, 0.6, 1], [0.02, 0.12, 0.4, 0.9]);

/** Simpson's rule weights on n+1 points of [0, 1]. */
function simpson(n: number): Float64Array {
  const w = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) w[i] = (i === 0 || i === n ? 1 : i % 2 ? 4 : 2) / (3 * n);
  return w;
}

function logPdfAt(pe: ParzenEstimator, rows: number[][]): Float64Array {
  const d = pe.dims.length;
  const xs = new Float64Array(rows.length * d);
  rows.forEach((r, i) => xs.set(r, i * d));
  return pe.logPdf(xs, rows.length);
}

function estimator(dims: ParzenDim[], obs: number[][], weights?: number[]): ParzenEstimator {
  const d = dims.length;
  const x = new Float64Array(obs.length * d);
  obs.forEach((r, i) => x.set(r, i * d));
  return new ParzenEstimator(dims, x, obs.length, weights ?? obs.map(() => 1));
}

describe("parzenBandwidths", () => {
  it("takes the larger neighbour gap, the inner gap at the extremes, clipped to [max(0.01, (n+2)^-1.5), 1]", () => {
    // n = 3: floor 5^-1.5 = 0.089; 0.6's inner gap 0.1 stays.
    expect([...parzenBandwidths([0.5, 0.2, 0.6])]).toEqual([expect.closeTo(0.3, 15), 0.3, expect.closeTo(0.1, 15)]);
    expect([...parzenBandwidths([0.5, 0.2, 0.55])]).toEqual([expect.closeTo(0.3, 15), 0.3, expect.closeTo(5 ** -1.5, 15)]);
    // Optuna's floor (exponent 1): 1/min(100, n + 2) = 1/5.
    expect([...parzenBandwidths([0.5, 0.2, 0.6], undefined, 1)]).toEqual([expect.closeTo(0.3, 15), 0.3, 0.2]);
    // One observation: both sentinels count.
    expect([...parzenBandwidths([0.3])]).toEqual([0.7]);
    // Duplicates: zero gaps are lifted to the floor.
    const many = parzenBandwidths(new Array(300).fill(0.4));
    expect(Math.min(...many)).toBeCloseTo(0.01, 15);
    expect(Math.max(...many)).toBeCloseTo(0.01, 15);
    expect(parzenBandwidths([]).length).toBe(0);
  });
});

describe("ParzenEstimator densities", () => {
  const C = { kind: "continuous" } as const;

  it("is the truncated prior N(1/2, 1) on [0, 1] with no observations", () => {
    const pe = estimator([C], []);
    for (const x of [0, 0.1, 0.5, 0.93, 1]) expect(logPdfAt(pe, [[x]])[0]).toBeCloseTo(truncnormLogPdf(x, 0.5, 1, 0, 1), 12);
  });

  it("is the weighted mixture of its kernels (one dimension, by hand)", () => {
    const pe = estimator([C], [[0.2], [0.7]], [1, 3]);
    // Bandwidths: 0.2 → its inner gap 0.5; 0.7 → its inner gap 0.5; floor 4^-1.5.
    const x = 0.33;
    const want = Math.log(
      (1 / 5) * Math.exp(truncnormLogPdf(x, 0.2, 0.5, 0, 1)) + (3 / 5) * Math.exp(truncnormLogPdf(x, 0.7, 0.5, 0, 1)) + (1 / 5) * Math.exp(truncnormLogPdf(x, 0.5, 1, 0, 1)),
    );
    expect(logPdfAt(pe, [[x]])[0]).toBeCloseTo(want, 12);
  });

  it("integrates to 1 in one and two continuous dimensions, with narrow kernels at the edges", () => {
    const one = estimator([C], [[0], [0.01], [0.5], [0.98], [1]]);
    const n = 2000;
    const w = simpson(n);
    const xs = Float64Array.from({ length: n + 1 }, (_, i) => i / n);
    const lp = one.logPdf(xs, n + 1);
    let s = 0;
    for (let i = 0; i <= n; i++) s += w[i]! * Math.exp(lp[i]!);
    expect(s).toBeCloseTo(1, 6);

    const two = estimator(
      [C, C],
      [
        [0.1, 0.9],
        [0.15, 0.85],
        [0.6, 0.3],
        [0.99, 0.01],
      ],
    );
    const m = 400;
    const w2 = simpson(m);
    const pts = new Float64Array((m + 1) * (m + 1) * 2);
    for (let i = 0; i <= m; i++) for (let j = 0; j <= m; j++) pts.set([i / m, j / m], 2 * (i * (m + 1) + j));
    const lp2 = two.logPdf(pts, (m + 1) * (m + 1));
    let s2 = 0;
    for (let i = 0; i <= m; i++) for (let j = 0; j <= m; j++) s2 += w2[i]! * w2[j]! * Math.exp(lp2[i * (m + 1) + j]!);
    expect(s2).toBeCloseTo(1, 4);
  });

  it("gives discrete cells masses that sum to 1, on even and uneven grids", () => {
    for (const grid of [EVEN5, UNEVEN4]) {
      const dim = { kind: "discrete", grid } as const;
      const centres = [0.1, 0.3, 0.5, 0.7, 0.9].map((u) => grid.snap(u));
      const uniq = [...new Set([0.01, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.9, 0.99].map((u) => grid.snap(u)))];
      const pe = estimator([dim], [[centres[0]!], [centres[2]!], [centres[4]!]]);
      const lp = logPdfAt(
        pe,
        uniq.map((c) => [c]),
      );
      expect(lp.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 12);
    }
  });

  it("gives categorical kernels the prior-smoothed weights (by hand) and sums to 1 across mixed dimensions", () => {
    const cat = { kind: "categorical", choices: 3 } as const;
    // One observation of choice 0, prior weight 1, K = 2 kernels: its row is (1 + 1/2, 1/2, 1/2)/2.5.
    const pe = estimator([cat], [[0]]);
    const lp = logPdfAt(pe, [[0], [1], [2]]);
    expect(Math.exp(lp[0]!)).toBeCloseTo(0.5 * 0.6 + 0.5 / 3, 14);
    expect(Math.exp(lp[1]!)).toBeCloseTo(0.5 * 0.2 + 0.5 / 3, 14);

    // categorical × discrete × continuous: sum over the first two, integrate the third.
    const dims: ParzenDim[] = [cat, { kind: "discrete", grid: UNEVEN4 }, C];
    const mixed = estimator(
      dims,
      [
        [2, 0.02, 0.3],
        [0, 0.9, 0.95],
        [2, 0.4, 0.31],
      ],
      [0.5, 1, 1],
    );
    const n = 1000;
    const w = simpson(n);
    let s = 0;
    for (const c of [0, 1, 2]) {
      for (const g of [0.02, 0.12, 0.4, 0.9]) {
        const xs = new Float64Array((n + 1) * 3);
        for (let i = 0; i <= n; i++) xs.set([c, g, i / n], 3 * i);
        const lp3 = mixed.logPdf(xs, n + 1);
        for (let i = 0; i <= n; i++) s += w[i]! * Math.exp(lp3[i]!);
      }
    }
    expect(s).toBeCloseTo(1, 6);
  });

  it("stays finite for a candidate far (in kernel widths) from every observation", () => {
    const obs = Array.from({ length: 98 }, (_, i) => [0.9 + (i % 10) * 0.001]);
    const pe = estimator([C], obs);
    const lp = logPdfAt(pe, [[0], [0.001]]);
    expect(Number.isFinite(lp[0]!)).toBe(true);
    expect(lp[0]!).toBeLessThan(lp[1]! + 1e-9);
  });
});

describe("ParzenEstimator sampling", () => {
  it("keeps every draw inside the space: [0, 1], on the grid, a valid category", () => {
    const arbDims = fc.array(
      fc.oneof(
        fc.constant<ParzenDim>({ kind: "continuous" }),
        fc.constantFrom<ParzenDim>({ kind: "discrete", grid: EVEN5 }, { kind: "discrete", grid: UNEVEN4 }),
        fc.integer({ min: 2, max: 6 }).map<ParzenDim>((c) => ({ kind: "categorical", choices: c })),
      ),
      { minLength: 1, maxLength: 5 },
    );
    fc.assert(
      fc.property(arbDims, fc.integer({ min: 0, max: 30 }), fc.integer(), (dims, n, seed) => {
        const rng = Rng.derive(seed);
        const obs = Array.from({ length: n }, () =>
          dims.map((d) => (d.kind === "categorical" ? rng.int(d.choices) : d.kind === "discrete" ? d.grid.snap(rng.next()) : rng.next())),
        );
        const pe = estimator(
          dims,
          obs,
          obs.map(() => 0.1 + rng.next()),
        );
        const xs = pe.sample(rng, 50);
        const lp = pe.logPdf(xs, 50);
        for (let c = 0; c < 50; c++) {
          expect(Number.isFinite(lp[c]!)).toBe(true);
          dims.forEach((d, j) => {
            const v = xs[c * dims.length + j]!;
            if (d.kind === "categorical") expect(Number.isInteger(v) && v >= 0 && v < d.choices).toBe(true);
            else if (d.kind === "discrete") expect(d.grid.snap(v)).toBe(v);
            else expect(v >= 0 && v <= 1).toBe(true);
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("draws from its own density (histogram against the integrated density)", () => {
    const pe = estimator([{ kind: "continuous" }], [[0.1], [0.15], [0.8]], [1, 1, 2]);
    const rng = Rng.derive(7);
    const N = 40000;
    const xs = pe.sample(rng, N);
    const bins = 10;
    const counts = new Array(bins).fill(0);
    for (let i = 0; i < N; i++) counts[Math.min(bins - 1, Math.floor(xs[i]! * bins))]++;
    const n = 100;
    const w = simpson(n);
    for (let b = 0; b < bins; b++) {
      const pts = Float64Array.from({ length: n + 1 }, (_, i) => (b + i / n) / bins);
      const lp = pe.logPdf(pts, n + 1);
      let mass = 0;
      for (let i = 0; i <= n; i++) mass += (w[i]! * Math.exp(lp[i]!)) / bins;
      expect(Math.abs(counts[b] / N - mass)).toBeLessThan(0.01);
    }
  });

  it("draws categories with the mixture's probabilities", () => {
    const pe = estimator([{ kind: "categorical", choices: 3 }], [[0], [0], [2]]);
    const rng = Rng.derive(3);
    const N = 30000;
    const xs = pe.sample(rng, N);
    const lp = logPdfAt(pe, [[0], [1], [2]]);
    for (const c of [0, 1, 2]) {
      const frac = xs.filter((v) => v === c).length / N;
      expect(Math.abs(frac - Math.exp(lp[c]!))).toBeLessThan(0.01);
    }
  });
});
