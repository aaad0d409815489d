/**
 * Dense linear algebra on Float64Array for the Gaussian process: Cholesky
 * factorisation with jitter escalation, triangular solves (one or many
 * right-hand sides), the inverse of a factored matrix, and appending rows to
 * a factor without refactoring.
 *
 * Layout: square matrices are row-major with an explicit row stride, so a
 * factor can be allocated with spare capacity and grow a row at a time
 * (`CholeskyFactor.append`, O(n²) instead of O(n³)). Only the lower triangle
 * of a factor is read or written.
 *
 * The explicit inverse is never used to solve systems (two triangular solves
 * are cheaper and more accurate); it is only formed where its entries are
 * needed themselves, for the trace term of the marginal-likelihood gradient.
 */

/** Thrown when a matrix is not positive definite even after the largest jitter. */
export class NotPositiveDefiniteError extends Error {
  constructor(readonly pivot: number, readonly jitter: number) {
    super(`matrix is not positive definite (pivot ${pivot}, jitter ${jitter})`);
    this.name = "NotPositiveDefiniteError";
  }
}

/**
 * In-place Cholesky of the n×n symmetric matrix `a` (row stride `stride`):
 * on success its lower triangle holds L with A = L·Lᵀ and the return value
 * is -1; otherwise the index of the failing pivot (a is then garbage).
 * Adds `jitter` to the diagonal as it goes.
 */
function choleskyInPlace(a: Float64Array, n: number, stride: number, jitter: number): number {
  for (let j = 0; j < n; j++) {
    const rj = j * stride;
    let d = a[rj + j]! + jitter;
    for (let k = 0; k < j; k++) {
      const v = a[rj + k]!;
      d -= v * v;
    }
    if (!(d > 0) || !Number.isFinite(d)) return j;
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * stride;
      // Four accumulators break the add-latency chain of a single running sum.
      let s0 = a[ri + j]!;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k + 3 < j; k += 4) {
        s0 -= a[ri + k]! * a[rj + k]!;
        s1 -= a[ri + k + 1]! * a[rj + k + 1]!;
        s2 -= a[ri + k + 2]! * a[rj + k + 2]!;
        s3 -= a[ri + k + 3]! * a[rj + k + 3]!;
      }
      for (; k < j; k++) s0 -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = (s0 + s1 + s2 + s3) * inv;
    }
  }
  return -1;
}

export interface CholeskyOptions {
  /** Row capacity to allocate (≥ n) so rows can be appended later. */
  readonly capacity?: number;
  /**
   * First jitter tried after a failure, relative to the mean diagonal
   * (default 1e-10); each retry multiplies it by 10.
   */
  readonly jitterStart?: number;
  /** Largest relative jitter before giving up (default 1e-4). */
  readonly jitterMax?: number;
}

/**
 * A Cholesky factor L (lower triangular, C = L·Lᵀ) with room to grow.
 *
 * @example
 * const f = CholeskyFactor.factor(C, n);   // C: n×n row-major
 * const x = f.solve(b);                    // C x = b
 */
export class CholeskyFactor {
  /** Lower-triangular factor, row-major with row stride `capacity`. */
  readonly L: Float64Array;
  readonly capacity: number;
  n: number;
  /** Absolute jitter added to the diagonal to make the matrix positive definite (0 if none). */
  readonly jitter: number;

  private constructor(L: Float64Array, n: number, capacity: number, jitter: number) {
    this.L = L;
    this.n = n;
    this.capacity = capacity;
    this.jitter = jitter;
  }

  /**
   * Factors the n×n symmetric positive (semi-)definite matrix `a` (row-major,
   * row stride n; not modified). If it is not numerically positive definite,
   * retries with jitter·mean(diag) added to the diagonal, escalating by 10×
   * from `jitterStart` to `jitterMax`; throws NotPositiveDefiniteError after.
   */
  static factor(a: Float64Array, n: number, opts: CholeskyOptions = {}): CholeskyFactor {
    const cap = Math.max(n, opts.capacity ?? n);
    const L = new Float64Array(cap * cap);
    let meanDiag = 0;
    for (let i = 0; i < n; i++) meanDiag += a[i * n + i]!;
    meanDiag = n > 0 ? Math.abs(meanDiag / n) : 1;
    if (!(meanDiag > 0) || !Number.isFinite(meanDiag)) meanDiag = 1;
    const start = opts.jitterStart ?? 1e-10;
    const max = opts.jitterMax ?? 1e-4;
    let jitter = 0;
    let failed = -1;
    for (;;) {
      for (let i = 0; i < n; i++) {
        const src = i * n;
        const dst = i * cap;
        for (let k = 0; k <= i; k++) L[dst + k] = a[src + k]!;
      }
      failed = choleskyInPlace(L, n, cap, jitter);
      if (failed < 0) return new CholeskyFactor(L, n, cap, jitter);
      const next = jitter === 0 ? start * meanDiag : jitter * 10;
      if (next > max * meanDiag * (1 + 1e-12)) break;
      jitter = next;
    }
    throw new NotPositiveDefiniteError(failed, jitter);
  }

  /**
   * Appends one row and column to the factored matrix: `col` holds the new
   * off-diagonal entries C[n][0..n-1], `diag` the new diagonal entry (the
   * factor's jitter is added to it too). O(n²). Returns false — and leaves
   * the factor unchanged — if the extended matrix is not positive definite
   * (the new point duplicates old ones); the caller may add noise and retry.
   */
  append(col: ArrayLike<number>, diag: number): boolean {
    const n = this.n;
    if (n >= this.capacity) throw new Error("CholeskyFactor.append: capacity exhausted");
    const L = this.L;
    const cap = this.capacity;
    const row = n * cap;
    let d = diag + this.jitter;
    for (let j = 0; j < n; j++) {
      const rj = j * cap;
      let s = col[j]!;
      for (let k = 0; k < j; k++) s -= L[row + k]! * L[rj + k]!;
      const v = s / L[rj + j]!;
      L[row + j] = v;
      d -= v * v;
    }
    if (!(d > 0) || !Number.isFinite(d)) {
      L.fill(0, row, row + n);
      return false;
    }
    L[row + n] = Math.sqrt(d);
    this.n = n + 1;
    return true;
  }

  /** A copy with its own storage (and at least `capacity` rows of room). */
  clone(capacity = this.capacity): CholeskyFactor {
    const cap = Math.max(capacity, this.n);
    const L = new Float64Array(cap * cap);
    for (let i = 0; i < this.n; i++) {
      for (let k = 0; k <= i; k++) L[i * cap + k] = this.L[i * this.capacity + k]!;
    }
    return new CholeskyFactor(L, this.n, cap, this.jitter);
  }

  /** Solves L x = b in place (b has length ≥ n; entries past n are ignored). */
  solveLowerInPlace(b: Float64Array): Float64Array {
    const { L, n, capacity: cap } = this;
    for (let i = 0; i < n; i++) {
      const ri = i * cap;
      let s = b[i]!;
      for (let k = 0; k < i; k++) s -= L[ri + k]! * b[k]!;
      b[i] = s / L[ri + i]!;
    }
    return b;
  }

  /** Solves Lᵀ x = b in place. */
  solveUpperInPlace(b: Float64Array): Float64Array {
    const { L, n, capacity: cap } = this;
    for (let i = n - 1; i >= 0; i--) {
      const s = b[i]! / L[i * cap + i]!;
      b[i] = s;
      // Column i of Lᵀ above the diagonal is row i of L left of the diagonal.
      const ri = i * cap;
      for (let k = 0; k < i; k++) b[k] -= L[ri + k]! * s;
    }
    return b;
  }

  /** Solves C x = b (a fresh array). */
  solve(b: ArrayLike<number>): Float64Array {
    const x = Float64Array.from({ length: this.n }, (_, i) => b[i]!);
    this.solveLowerInPlace(x);
    return this.solveUpperInPlace(x);
  }

  /**
   * Solves L X = B for m right-hand sides at once, in place: B is n×m
   * row-major (row i holds entry i of every right-hand side), so the inner
   * loop runs over contiguous memory.
   */
  solveLowerMany(B: Float64Array, m: number): Float64Array {
    const { L, n, capacity: cap } = this;
    // Column blocks keep the rows being combined in cache.
    const BLOCK = 256;
    for (let c0 = 0; c0 < m; c0 += BLOCK) {
      const c1 = Math.min(m, c0 + BLOCK);
      for (let i = 0; i < n; i++) {
        const ri = i * cap;
        const bi = i * m;
        for (let k = 0; k < i; k++) {
          const l = L[ri + k]!;
          if (l === 0) continue;
          const bk = k * m;
          for (let c = c0; c < c1; c++) B[bi + c] -= l * B[bk + c]!;
        }
        const inv = 1 / L[ri + i]!;
        for (let c = c0; c < c1; c++) B[bi + c] *= inv;
      }
    }
    return B;
  }

  /** log det C = 2 Σ log L_ii. */
  logDet(): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += Math.log(this.L[i * this.capacity + i]!);
    return 2 * s;
  }

  /**
   * C⁻¹ (n×n row-major, full symmetric) from the factor: L⁻¹ by forward
   * substitution, then C⁻¹ = L⁻ᵀ L⁻¹. About n³/3 multiply-adds in all.
   */
  inverse(out: Float64Array = new Float64Array(this.n * this.n)): Float64Array {
    const { L, n, capacity: cap } = this;
    // T = (L⁻¹)ᵀ, upper triangular, row-major stride n: T[j][i] = (L⁻¹)[i][j]. Both loops
    // below are then dot products over contiguous rows.
    // (L⁻¹)[i][j] = −(Σ_{k=j}^{i−1} L[i][k]·(L⁻¹)[k][j]) / L[i][i]
    const T = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      const ri = i * cap;
      const inv = 1 / L[ri + i]!;
      T[i * n + i] = inv;
      for (let j = 0; j < i; j++) {
        const tj = j * n;
        let s0 = 0;
        let s1 = 0;
        let k = j;
        for (; k + 1 < i; k += 2) {
          s0 += L[ri + k]! * T[tj + k]!;
          s1 += L[ri + k + 1]! * T[tj + k + 1]!;
        }
        if (k < i) s0 += L[ri + k]! * T[tj + k]!;
        T[tj + i] = -(s0 + s1) * inv;
      }
    }
    // C⁻¹[i][j] = Σ_k (L⁻¹)[k][i]·(L⁻¹)[k][j] = Σ_{k ≥ max(i,j)} T[i][k]·T[j][k]
    for (let i = 0; i < n; i++) {
      const ti = i * n;
      for (let j = 0; j <= i; j++) {
        const tj = j * n;
        let s0 = 0;
        let s1 = 0;
        let k = i;
        for (; k + 1 < n; k += 2) {
          s0 += T[ti + k]! * T[tj + k]!;
          s1 += T[ti + k + 1]! * T[tj + k + 1]!;
        }
        if (k < n) s0 += T[ti + k]! * T[tj + k]!;
        const s = s0 + s1;
        out[i * n + j] = s;
        out[j * n + i] = s;
      }
    }
    return out;
  }

}
