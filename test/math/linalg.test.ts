import { describe, expect, it } from "vitest";
import { CholeskyFactor, NotPositiveDefiniteError } from "../../src/math/linalg";
import { Rng } from "../../src/util/rng";

/** A random SPD matrix B·Bᵀ + εI (n×n row-major). */
function spd(n: number, seed: number, eps = 0.1): Float64Array {
  const rng = Rng.fromSeed(seed);
  const B = Float64Array.from({ length: n * n }, () => rng.next() * 2 - 1);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += B[i * n + k]! * B[j * n + k]!;
      A[i * n + j] = s + (i === j ? eps : 0);
    }
  return A;
}

function matVec(A: Float64Array, n: number, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i] += A[i * n + j]! * x[j]!;
  return out;
}

function reconstruct(f: CholeskyFactor): Float64Array {
  const n = f.n;
  const c = f.capacity;
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k <= Math.min(i, j); k++) s += f.L[i * c + k]! * f.L[j * c + k]!;
      A[i * n + j] = s;
    }
  return A;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe("CholeskyFactor", () => {
  it("factors a known 3×3 matrix", () => {
    // A = L Lᵀ with L = [[2,0,0],[1,3,0],[-1,0.5,1]]
    const A = Float64Array.from([4, 2, -2, 2, 10, 0.5, -2, 0.5, 2.25]);
    const f = CholeskyFactor.factor(A, 3);
    expect(f.jitter).toBe(0);
    expect(Array.from(f.L)).toEqual([2, 0, 0, 1, 3, 0, -1, 0.5, 1]);
    expect(f.logDet()).toBeCloseTo(2 * Math.log(6), 12);
  });

  it("reconstructs, solves and inverts a random SPD matrix", () => {
    const n = 12;
    const A = spd(n, 1);
    const f = CholeskyFactor.factor(A, n);
    expect(maxAbsDiff(reconstruct(f), A)).toBeLessThan(1e-12);
    const b = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
    const x = f.solve(b);
    expect(maxAbsDiff(matVec(A, n, x), b)).toBeLessThan(1e-10);
    const inv = f.inverse();
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      for (let i = 0; i < n; i++) e[i] = inv[i * n + j]!;
      const col = matVec(A, n, e);
      col[j] -= 1;
      expect(maxAbsDiff(col, new Float64Array(n))).toBeLessThan(1e-10);
    }
  });

  it("solves many right-hand sides like one at a time", () => {
    const n = 9;
    const m = 5;
    const f = CholeskyFactor.factor(spd(n, 2), n);
    const B = Float64Array.from({ length: n * m }, (_, i) => Math.cos(i));
    const cols = Array.from({ length: m }, (_, c) => f.solveLowerInPlace(Float64Array.from({ length: n }, (_, i) => B[i * m + c]!)));
    f.solveLowerMany(B, m);
    for (let c = 0; c < m; c++) for (let i = 0; i < n; i++) expect(B[i * m + c]).toBeCloseTo(cols[c]![i]!, 12);
  });

  it("appending rows gives the factor of the extended matrix", () => {
    const n = 10;
    const A = spd(n, 3);
    const k = 7;
    const sub = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) sub[i * k + j] = A[i * n + j]!;
    const f = CholeskyFactor.factor(sub, k, { capacity: n });
    for (let r = k; r < n; r++) {
      const col = Array.from({ length: r }, (_, j) => A[r * n + j]!);
      expect(f.append(col, A[r * n + r]!)).toBe(true);
    }
    const full = CholeskyFactor.factor(A, n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) expect(f.L[i * n + j]).toBeCloseTo(full.L[i * n + j]!, 10);
  });

  it("refuses to append a duplicate point without noise, and leaves the factor intact", () => {
    const A = Float64Array.from([1, 0.5, 0.5, 1]);
    const f = CholeskyFactor.factor(A, 2, { capacity: 3 });
    const before = Array.from(f.L);
    expect(f.append([1, 0.5], 1)).toBe(false); // a copy of row 0
    expect(f.n).toBe(2);
    expect(Array.from(f.L)).toEqual(before);
  });

  it("factors a near-singular matrix by escalating the jitter", () => {
    // Rank one: every entry 1 (a GP kernel matrix of repeated points, no noise).
    const n = 6;
    const A = new Float64Array(n * n).fill(1);
    const f = CholeskyFactor.factor(A, n);
    expect(f.jitter).toBeGreaterThan(0);
    expect(f.jitter).toBeLessThanOrEqual(1e-4);
    // The factor is that of A + jitter·I.
    const J = A.slice();
    for (let i = 0; i < n; i++) J[i * n + i] += f.jitter;
    expect(maxAbsDiff(reconstruct(f), J)).toBeLessThan(1e-12);
    // Nearly duplicate points (smooth kernel on close inputs) are rescued too.
    const xs = [0, 1e-9, 2e-9, 0.5, 0.5 + 1e-10];
    const m = xs.length;
    const K = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) K[i * m + j] = Math.exp(-((xs[i]! - xs[j]!) ** 2) / 0.02);
    const g = CholeskyFactor.factor(K, m);
    expect(Number.isFinite(g.logDet())).toBe(true);
  });

  it("throws NotPositiveDefiniteError on an indefinite matrix", () => {
    const A = Float64Array.from([1, 2, 2, 1]); // eigenvalues 3 and −1
    expect(() => CholeskyFactor.factor(A, 2)).toThrow(NotPositiveDefiniteError);
  });
});
