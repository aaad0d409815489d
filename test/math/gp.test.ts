import { describe, expect, it } from "vitest";
import {
  defaultTheta,
  fitKernel,
  GpPosterior,
  kernelMatrix,
  matern52,
  negLogPosterior,
  paramsFromTheta,
  type GpInputs,
  type KernelParams,
} from "../../src/math/gp";
import { Rng } from "../../src/util/rng";

function inputs(X: number[][], y: number[], categorical: number[]): GpInputs {
  return {
    n: X.length,
    d: X[0]!.length,
    X: Float64Array.from(X.flat()),
    y: Float64Array.from(y),
    categorical: Uint8Array.from(categorical),
  };
}

function randomInputs(n: number, d: number, cat: number[], seed: number): GpInputs {
  const rng = Rng.fromSeed(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (let a = 0; a < n; a++) {
    const row = Array.from({ length: d }, (_, i) => (cat[i] ? rng.int(3) : rng.next()));
    X.push(row);
    y.push(Math.sin(5 * row[0]!) + 0.3 * row[1]! + (cat[2] ? 0.5 * row[2]! : 0) + 0.05 * (rng.next() - 0.5));
  }
  return inputs(X, y, cat);
}

describe("Matérn-5/2 kernel", () => {
  it("has the closed form at known distances", () => {
    expect(matern52(0)).toBe(1);
    // r = √5·0.2 at d² = 0.04·... : d² = 0.2 → r = 1
    expect(matern52(0.2)).toBeCloseTo((1 + 1 + 1 / 3) * Math.exp(-1), 15);
  });

  it("uses a Hamming distance on categorical dimensions", () => {
    const p: KernelParams = { invSq: Float64Array.from([4, 2]), scale: 1.5, noise: 1e-6 };
    const K = kernelMatrix(inputs([[0.1, 0], [0.1, 2], [0.1, 1], [0.6, 0]], [0, 0, 0, 0], [0, 1]), p);
    // Choices 0 vs 2 and 0 vs 1 are equally far apart: not ordered.
    expect(K[0 * 4 + 1]).toBe(K[0 * 4 + 2]);
    expect(K[0 * 4 + 1]).toBeCloseTo(1.5 * matern52(2), 15);
    expect(K[0 * 4 + 3]).toBeCloseTo(1.5 * matern52(4 * 0.25), 15);
    expect(K[0]).toBe(1.5);
  });
});

describe("GpPosterior", () => {
  it("matches a hand-computed posterior for two observations", () => {
    // 1-D, ρ = 2, s = 1.5, σ² = 0.1; observations y(0.2) = 1, y(0.7) = −0.5; test point 0.4.
    const rho = 2;
    const s = 1.5;
    const noise = 0.1;
    const gp = new GpPosterior(inputs([[0.2], [0.7]], [1, -0.5], [0]), { invSq: Float64Array.from([rho]), scale: s, noise });
    const k = (a: number, b: number) => {
      const r = Math.sqrt(5 * rho * (a - b) ** 2);
      return s * (1 + r + (r * r) / 3) * Math.exp(-r);
    };
    // C = [[c11, c12], [c12, c22]], C⁻¹ = [[c22, −c12], [−c12, c11]] / det
    const c11 = s + noise;
    const c22 = s + noise;
    const c12 = k(0.2, 0.7);
    const det = c11 * c22 - c12 * c12;
    const a1 = (c22 * 1 - c12 * -0.5) / det;
    const a2 = (-c12 * 1 + c11 * -0.5) / det;
    const k1 = k(0.4, 0.2);
    const k2 = k(0.4, 0.7);
    const mean = k1 * a1 + k2 * a2;
    const variance = s - (k1 * (c22 * k1 - c12 * k2) + k2 * (-c12 * k1 + c11 * k2)) / det;
    const p = gp.predict([0.4]);
    expect(p.mean).toBeCloseTo(mean, 13);
    expect(p.variance).toBeCloseTo(variance, 13);
    // Far from the data: prior mean 0 and variance s.
    const far = gp.predict([40]);
    expect(far.mean).toBeCloseTo(0, 12);
    expect(far.variance).toBeCloseTo(s, 12);
  });

  it("batched predictions equal single-point ones", () => {
    const inp = randomInputs(15, 3, [0, 0, 1], 4);
    const gp = new GpPosterior(inp, paramsFromTheta([1, 0.5, -0.3, 0.2, -4], 3));
    const pts = [[0.3, 0.9, 1], [0.05, 0.5, 0], [0.99, 0.01, 2], [0.5, 0.5, 1]];
    const mean = new Float64Array(4);
    const variance = new Float64Array(4);
    gp.predictMany(Float64Array.from(pts.flat()), 4, mean, variance);
    pts.forEach((x, c) => {
      const p = gp.predict(x);
      expect(mean[c]).toBeCloseTo(p.mean, 12);
      expect(variance[c]).toBeCloseTo(p.variance, 12);
    });
  });

  it("gives gradients of mean and variance in x that match finite differences", () => {
    const inp = randomInputs(20, 3, [0, 0, 1], 5);
    const gp = new GpPosterior(inp, paramsFromTheta([2, 1, 0, 0.3, -5], 3));
    const x = [0.37, 0.61, 1];
    const gm = new Float64Array(3);
    const gv = new Float64Array(3);
    gp.predict(x, gm, gv);
    const h = 1e-6;
    for (let i = 0; i < 2; i++) {
      const xp = x.slice();
      const xm = x.slice();
      xp[i] += h;
      xm[i] -= h;
      const pp = gp.predict(xp);
      const pm = gp.predict(xm);
      expect(gm[i]).toBeCloseTo((pp.mean - pm.mean) / (2 * h), 6);
      expect(gv[i]).toBeCloseTo((pp.variance - pm.variance) / (2 * h), 6);
    }
    expect(gm[2]).toBe(0);
    expect(gv[2]).toBe(0);
  });

  it("conditioning on a point by appending equals refitting with it", () => {
    const inp = randomInputs(12, 2, [0, 0], 6);
    const params = paramsFromTheta([1, 1.5, 0, -3], 2);
    const gp = new GpPosterior(inp, params, { capacity: 12 }); // no spare room: must grow
    gp.addObservation([0.42, 0.17], 0.8);
    const full = new GpPosterior(
      { ...inp, n: 13, X: Float64Array.from([...inp.X, 0.42, 0.17]), y: Float64Array.from([...inp.y, 0.8]) },
      params,
    );
    for (const x of [[0.4, 0.2], [0.9, 0.9], [0.1, 0.6]]) {
      expect(gp.predict(x).mean).toBeCloseTo(full.predict(x).mean, 10);
      expect(gp.predict(x).variance).toBeCloseTo(full.predict(x).variance, 10);
    }
    expect(gp.n).toBe(13);
  });

  it("absorbs a duplicate pending point with a noiseless model", () => {
    const inp = inputs([[0.1], [0.5]], [0, 1], [0]);
    const gp = new GpPosterior(inp, { invSq: Float64Array.from([1]), scale: 1, noise: 0 }, { fixedNoise: true, minNoise: 0 });
    gp.addObservation([0.5], 1);
    expect(Number.isFinite(gp.predict([0.3]).mean)).toBe(true);
  });
});

describe("negLogPosterior", () => {
  it("has an analytic gradient that matches central finite differences", () => {
    for (const [cat, seed] of [[[0, 0, 0], 7], [[0, 0, 1], 8]] as const) {
      const inp = randomInputs(18, 3, [...cat], seed);
      const theta = Float64Array.from([0.7, -0.4, 1.2, 0.3, -2.5]);
      const g = new Float64Array(5);
      negLogPosterior(theta, inp, g);
      const h = 1e-5;
      for (let j = 0; j < 5; j++) {
        const tp = theta.slice();
        const tm = theta.slice();
        tp[j] += h;
        tm[j] -= h;
        const fd = (negLogPosterior(tp, inp) - negLogPosterior(tm, inp)) / (2 * h);
        expect(Math.abs(g[j]! - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
      }
    }
  });

  it("with a fixed noise, the noise gradient is 0 and the value ignores θ_noise", () => {
    const inp = randomInputs(10, 2, [0, 0], 9);
    const g = new Float64Array(4);
    const a = negLogPosterior([0, 0, 0, -1], inp, g, { fixedNoise: true });
    const b = negLogPosterior([0, 0, 0, 3], inp, undefined, { fixedNoise: true });
    expect(g[3]).toBe(0);
    expect(a).toBe(b);
  });
});

describe("fitKernel", () => {
  it("finds a shorter length scale on the dimension that matters and a small noise", () => {
    const rng = Rng.fromSeed(11);
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 40; i++) {
      const x = [rng.next(), rng.next()];
      X.push(x);
      y.push(Math.sin(6 * x[0]!));
    }
    const m = y.reduce((s, v) => s + v, 0) / y.length;
    const sd = Math.sqrt(y.reduce((s, v) => s + (v - m) ** 2, 0) / y.length);
    const inp = inputs(X, y.map((v) => (v - m) / sd), [0, 0]);
    const r = fitKernel(inp);
    expect(r.params.invSq[0]).toBeGreaterThan(5 * r.params.invSq[1]!);
    expect(r.params.noise).toBeLessThan(0.01);
    expect(r.value).toBeLessThan(negLogPosterior(defaultTheta(2), inp));
    // A warm start at the optimum converges at once to the same point.
    const again = fitKernel(inp, { starts: [r.theta] });
    expect(again.value).toBeCloseTo(r.value, 6);
  });
});
