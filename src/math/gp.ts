/**
 * Gaussian-process regression with an ARD Matérn-5/2 kernel, fitted by
 * maximum a posteriori on its log hyperparameters with analytic gradients.
 *
 * Inputs live in "model coordinates" (built by the Bayesian strategy from the
 * unit-cube encoding): numeric dimensions in [0, 1], categorical dimensions as
 * a choice index. The kernel is
 *
 *     k(x, x') = s · M(d²),   d² = Σ_numeric ρ_i (x_i − x'_i)² + Σ_categorical ρ_i · 1[x_i ≠ x'_i],
 *     M(d²) = (1 + r + r²/3)·e^(−r),   r = √(5 d²),
 *
 * one inverse squared length scale ρ_i per dimension (ARD), a Hamming distance
 * for categorical dimensions (so choices are never treated as ordered), and a
 * signal variance s. Observations y are standardised by the caller; the prior
 * mean is 0 and the likelihood Gaussian with variance σ² ≥ minNoise.
 *
 * Hyperparameters θ = [log ρ_1..ρ_d, log s, log(σ² − minNoise)] maximise
 *
 *     log p(y | θ) + log p(θ),
 *     log p(y | θ) = −½ yᵀC⁻¹y − ½ log det C − (n/2) log 2π,   C = K + σ²I,
 *     log p(θ) = Σ_i −(0.1/ρ_i + 0.1 ρ_i)  +  (log s − s)  +  (0.1 log σ² − 30 σ²),
 *
 * weak priors (the ones Optuna's GPSampler uses): ρ has its mode at 1 (a length
 * scale of the whole unit range), s ~ Gamma(2, 1), σ² ~ Gamma(1.1, 30) with
 * its mode near 0.003. The gradient is exact:
 * ∂ log p(y|θ)/∂θ_j = ½ tr((ααᵀ − C⁻¹) ∂C/∂θ_j), α = C⁻¹y, with
 * ∂C/∂log ρ_i = s·M'(d²)·ρ_i·δ_i², ∂C/∂log s = K, ∂C/∂θ_noise = (σ² − minNoise)·I.
 * (M'(d²) = −(5/6)(1 + r)e^(−r) is finite at d² = 0, unlike a derivative taken
 * through r.)
 *
 * Cost: one objective-and-gradient evaluation is a Cholesky (n³/3 flops), the
 * inverse (≈ 2n³/3) and O(n²d) for the kernel and its derivatives.
 */
import { CholeskyFactor } from "./linalg";
import { minimizeLbfgs } from "./optimize";

/** The smallest noise variance of the model (observations are standardised). */
export const MIN_NOISE = 1e-6;

export interface GpInputs {
  /** Number of observations. */
  readonly n: number;
  /** Number of dimensions. */
  readonly d: number;
  /** Observations' coordinates, n×d row-major. */
  readonly X: Float64Array;
  /** Standardised observed values, length n. */
  readonly y: Float64Array;
  /** Per dimension: 1 where the dimension is categorical (Hamming distance). */
  readonly categorical: Uint8Array;
}

export interface KernelParams {
  /** Inverse squared length scale ρ_i per dimension. */
  readonly invSq: Float64Array;
  /** Signal variance s. */
  readonly scale: number;
  /** Noise variance σ² (≥ MIN_NOISE). */
  readonly noise: number;
}

/** θ → kernel parameters. */
export function paramsFromTheta(theta: ArrayLike<number>, d: number, minNoise = MIN_NOISE): KernelParams {
  const invSq = new Float64Array(d);
  for (let i = 0; i < d; i++) invSq[i] = Math.exp(theta[i]!);
  return { invSq, scale: Math.exp(theta[d]!), noise: Math.exp(theta[d + 1]!) + minNoise };
}

/** Kernel parameters → θ. */
export function thetaFromParams(p: KernelParams, minNoise = MIN_NOISE): Float64Array {
  const d = p.invSq.length;
  const t = new Float64Array(d + 2);
  for (let i = 0; i < d; i++) t[i] = Math.log(p.invSq[i]!);
  t[d] = Math.log(p.scale);
  t[d + 1] = Math.log(Math.max(p.noise - minNoise, 1e-300));
  return t;
}

/** Optuna's cold start: ρ = 1, s = 1, σ² = 1. */
export function defaultTheta(d: number, minNoise = MIN_NOISE): Float64Array {
  const t = new Float64Array(d + 2);
  t[d + 1] = Math.log(1 - 0.99 * minNoise);
  return t;
}

/** Matérn-5/2 profile M(d²). */
export function matern52(d2: number): number {
  const r = Math.sqrt(5 * d2);
  return (1 + r + (5 / 3) * d2) * Math.exp(-r);
}

/** dM/d(d²) = −(5/6)(1 + r)e^(−r). */
export function matern52Deriv(d2: number): number {
  const r = Math.sqrt(5 * d2);
  return (-5 / 6) * (1 + r) * Math.exp(-r);
}

/** Weighted squared distance between row a of A and row b of B (both with d columns). */
function sqDist(A: Float64Array, a: number, B: Float64Array, b: number, d: number, rho: Float64Array, cat: Uint8Array): number {
  let s = 0;
  const oa = a * d;
  const ob = b * d;
  for (let i = 0; i < d; i++) {
    const diff = A[oa + i]! - B[ob + i]!;
    if (cat[i]) {
      if (diff !== 0) s += rho[i]!;
    } else s += rho[i]! * diff * diff;
  }
  return s;
}

/** The n×n kernel matrix without noise, row-major. */
export function kernelMatrix(inp: GpInputs, p: KernelParams, out = new Float64Array(inp.n * inp.n)): Float64Array {
  const { n, d, X, categorical } = inp;
  for (let a = 0; a < n; a++) {
    out[a * n + a] = p.scale;
    for (let b = 0; b < a; b++) {
      const k = p.scale * matern52(sqDist(X, a, X, b, d, p.invSq, categorical));
      out[a * n + b] = k;
      out[b * n + a] = k;
    }
  }
  return out;
}

export interface PosteriorObjectiveOptions {
  readonly minNoise?: number;
  /** Keep σ² at minNoise (a deterministic objective); the noise gradient is then 0. */
  readonly fixedNoise?: boolean;
}

/**
 * The negative log posterior −(log p(y|θ) + log p(θ)) (constants dropped) and,
 * when `grad` is given, its gradient in θ. Returns Infinity if C cannot be
 * factored even with jitter.
 */
export function negLogPosterior(theta: ArrayLike<number>, inp: GpInputs, grad?: Float64Array, opts: PosteriorObjectiveOptions = {}): number {
  const { n, d, X, y, categorical } = inp;
  const minNoise = opts.minNoise ?? MIN_NOISE;
  const p = paramsFromTheta(theta, d, minNoise);
  const noise = opts.fixedNoise ? minNoise : p.noise;
  const C = kernelMatrix(inp, p);
  for (let i = 0; i < n; i++) C[i * n + i] += noise;
  let f: CholeskyFactor;
  try {
    f = CholeskyFactor.factor(C, n);
  } catch {
    if (grad) grad.fill(0);
    return Infinity;
  }
  const alpha = f.solve(y);
  let value = 0;
  for (let i = 0; i < n; i++) value += 0.5 * y[i]! * alpha[i]!;
  value += 0.5 * f.logDet();

  // Prior (added with a minus sign: we minimise).
  const rho = p.invSq;
  for (let i = 0; i < d; i++) value += 0.1 / rho[i]! + 0.1 * rho[i]!;
  value -= Math.log(p.scale) - p.scale;
  if (!opts.fixedNoise) value -= 0.1 * Math.log(noise) - 30 * noise;

  if (!grad) return value;

  // W = C⁻¹ − ααᵀ; ∂value/∂θ_j = ½ tr(W ∂C/∂θ_j) − ∂ log p(θ)/∂θ_j.
  const W = f.inverse();
  for (let a = 0; a < n; a++) {
    const aa = alpha[a]!;
    for (let b = 0; b < n; b++) W[a * n + b] -= aa * alpha[b]!;
  }
  grad.fill(0);
  let gScale = 0;
  let trace = 0;
  for (let a = 0; a < n; a++) {
    trace += W[a * n + a]!;
    gScale += 0.5 * W[a * n + a]! * p.scale;
    const oa = a * d;
    for (let b = 0; b < a; b++) {
      const ob = b * d;
      const d2 = sqDist(X, a, X, b, d, rho, categorical);
      const wab = W[a * n + b]!;
      // Off-diagonal pairs count twice in the trace: ½·2 = 1.
      gScale += wab * p.scale * matern52(d2);
      const c = wab * p.scale * matern52Deriv(d2);
      if (c === 0) continue;
      for (let i = 0; i < d; i++) {
        const diff = X[oa + i]! - X[ob + i]!;
        const dd = categorical[i] ? (diff !== 0 ? 1 : 0) : diff * diff;
        grad[i] += c * rho[i]! * dd;
      }
    }
  }
  for (let i = 0; i < d; i++) grad[i] += -0.1 / rho[i]! + 0.1 * rho[i]!;
  grad[d] = gScale - (1 - p.scale);
  if (opts.fixedNoise) grad[d + 1] = 0;
  else {
    const e = noise - minNoise;
    grad[d + 1] = 0.5 * trace * e - (0.1 / noise - 30) * e;
  }
  return value;
}

export interface FitOptions extends PosteriorObjectiveOptions {
  /** Starting points (θ vectors); the default start is always tried as well. */
  readonly starts?: readonly ArrayLike<number>[];
  /** L-BFGS stopping tolerance on the gradient (default 1e-2, as Optuna). */
  readonly pgtol?: number;
  /** L-BFGS iteration limit per start (default 200). */
  readonly maxIter?: number;
}

export interface FitResult {
  readonly theta: Float64Array;
  readonly params: KernelParams;
  /** The negative log posterior at theta. */
  readonly value: number;
  /** Total objective evaluations over all starts. */
  readonly evaluations: number;
}

/**
 * MAP hyperparameters: L-BFGS from each start (the given ones, then the
 * default), keeping the best. If every run fails (non-finite), the default θ
 * is returned unfitted, as Optuna does.
 */
export function fitKernel(inp: GpInputs, opts: FitOptions = {}): FitResult {
  const d = inp.d;
  const minNoise = opts.minNoise ?? MIN_NOISE;
  const starts: ArrayLike<number>[] = [...(opts.starts ?? []), defaultTheta(d, minNoise)];
  const fixed = new Array<boolean>(d + 2).fill(false);
  if (opts.fixedNoise) fixed[d + 1] = true;
  // Keep θ in a range where exp() is finite and the kernel meaningful.
  const lower = new Float64Array(d + 2).fill(-20);
  const upper = new Float64Array(d + 2).fill(20);
  let best: { theta: Float64Array; value: number } | undefined;
  let evaluations = 0;
  const seen: Float64Array[] = [];
  for (const s of starts) {
    const x0 = Float64Array.from(s as ArrayLike<number>);
    if (x0.length !== d + 2 || !x0.every(Number.isFinite)) continue;
    if (seen.some((t) => t.every((v, i) => v === x0[i]))) continue;
    seen.push(x0);
    const r = minimizeLbfgs((t, g) => negLogPosterior(t, inp, g, opts), x0, {
      lower,
      upper,
      fixed,
      pgtol: opts.pgtol ?? 1e-2,
      maxIter: opts.maxIter ?? 200,
    });
    evaluations += r.evaluations;
    if (Number.isFinite(r.f) && (!best || r.f < best.value)) best = { theta: r.x, value: r.f };
  }
  const theta = best?.theta ?? defaultTheta(d, minNoise);
  return { theta, params: paramsFromTheta(theta, d, minNoise), value: best?.value ?? Infinity, evaluations };
}

/**
 * The posterior of a fitted GP: predictions (batched, or one point with
 * gradients), and conditioning on extra points by appending rows to the
 * Cholesky factor (used for pending trials).
 */
export class GpPosterior {
  readonly d: number;
  readonly params: KernelParams;
  readonly categorical: Uint8Array;
  /** Observations' coordinates (n×d, with room for appended points). */
  private X: Float64Array;
  private y: Float64Array;
  private factor: CholeskyFactor;
  /** α = C⁻¹y. */
  private alpha: Float64Array;
  private readonly noise: number;
  // Scratch buffers for single-point predictions.
  private kx: Float64Array;
  private d2: Float64Array;

  constructor(inp: GpInputs, params: KernelParams, opts: { readonly fixedNoise?: boolean; readonly minNoise?: number; readonly capacity?: number } = {}) {
    const { n, d } = inp;
    this.d = d;
    this.params = params;
    this.categorical = inp.categorical;
    this.noise = opts.fixedNoise ? (opts.minNoise ?? MIN_NOISE) : params.noise;
    const cap = Math.max(n, opts.capacity ?? n);
    this.X = new Float64Array(cap * d);
    this.X.set(inp.X.subarray(0, n * d));
    this.y = new Float64Array(cap);
    this.y.set(inp.y.subarray(0, n));
    const C = kernelMatrix(inp, params);
    for (let i = 0; i < n; i++) C[i * n + i] += this.noise;
    this.factor = CholeskyFactor.factor(C, n, { capacity: cap });
    this.alpha = this.factor.solve(this.y);
    this.kx = new Float64Array(cap);
    this.d2 = new Float64Array(cap);
  }

  get n(): number {
    return this.factor.n;
  }

  /**
   * Conditions on an extra observation (x, value) — e.g. a pending trial with
   * a "lie" for its value. O(n²). A point that duplicates an observation is
   * absorbed with extra noise on its own diagonal entry.
   */
  addObservation(x: ArrayLike<number>, value: number): void {
    const n = this.n;
    const d = this.d;
    if (n >= this.factor.capacity) {
      this.factor = this.factor.clone(2 * this.factor.capacity + 1);
      const X = new Float64Array(this.factor.capacity * d);
      X.set(this.X);
      this.X = X;
      const y = new Float64Array(this.factor.capacity);
      y.set(this.y);
      this.y = y;
      this.kx = new Float64Array(this.factor.capacity);
      this.d2 = new Float64Array(this.factor.capacity);
    }
    for (let i = 0; i < d; i++) this.X[n * d + i] = x[i]!;
    const col = new Float64Array(n);
    const xs = this.X;
    for (let j = 0; j < n; j++) col[j] = this.params.scale * matern52(sqDist(xs, n, xs, j, d, this.params.invSq, this.categorical));
    let extra = 0;
    while (!this.factor.append(col, this.params.scale + this.noise + extra)) {
      extra = extra === 0 ? 1e-6 * this.params.scale : extra * 10;
    }
    this.y[n] = value;
    this.alpha = this.factor.solve(this.y.subarray(0, n + 1));
  }

  /**
   * Posterior mean and variance of the latent function at m points (m×d
   * row-major), batched: the triangular solve runs over all points at once.
   */
  predictMany(P: Float64Array, m: number, mean: Float64Array, variance: Float64Array): void {
    const n = this.n;
    const d = this.d;
    const { invSq, scale } = this.params;
    const cat = this.categorical;
    const K = new Float64Array(n * m);
    for (let j = 0; j < n; j++) {
      const row = j * m;
      for (let c = 0; c < m; c++) K[row + c] = scale * matern52(sqDist(P, c, this.X, j, d, invSq, cat));
    }
    mean.fill(0, 0, m);
    for (let j = 0; j < n; j++) {
      const a = this.alpha[j]!;
      const row = j * m;
      for (let c = 0; c < m; c++) mean[c] += K[row + c]! * a;
    }
    this.factor.solveLowerMany(K, m);
    for (let c = 0; c < m; c++) variance[c] = scale;
    for (let j = 0; j < n; j++) {
      const row = j * m;
      for (let c = 0; c < m; c++) {
        const v = K[row + c]!;
        variance[c] -= v * v;
      }
    }
    for (let c = 0; c < m; c++) if (!(variance[c]! > 0)) variance[c] = 0;
  }

  /**
   * Posterior mean and variance at one point, and (when the gradient arrays
   * are given) their gradients in x. Categorical dimensions get gradient 0.
   */
  predict(x: ArrayLike<number>, gradMean?: Float64Array, gradVar?: Float64Array): { mean: number; variance: number } {
    const n = this.n;
    const d = this.d;
    const { invSq, scale } = this.params;
    const cat = this.categorical;
    const X = this.X;
    const kx = this.kx;
    let mean = 0;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const oj = j * d;
      for (let i = 0; i < d; i++) {
        const diff = x[i]! - X[oj + i]!;
        if (cat[i]) {
          if (diff !== 0) s += invSq[i]!;
        } else s += invSq[i]! * diff * diff;
      }
      const k = scale * matern52(s);
      kx[j] = k;
      mean += k * this.alpha[j]!;
      this.d2[j] = s; // kept for the gradient pass
    }
    const v = Float64Array.from(kx.subarray(0, n));
    this.factor.solveLowerInPlace(v);
    let variance = scale;
    for (let j = 0; j < n; j++) variance -= v[j]! * v[j]!;
    if (!(variance > 0)) variance = 0;
    if (gradMean && gradVar) {
      // w = C⁻¹k = L⁻ᵀ v; ∂μ/∂x = Σ_j ∂k_j/∂x α_j, ∂σ²/∂x = −2 Σ_j ∂k_j/∂x w_j.
      const w = this.factor.solveUpperInPlace(v);
      gradMean.fill(0);
      gradVar.fill(0);
      for (let j = 0; j < n; j++) {
        const c = scale * matern52Deriv(this.d2[j]!) * 2;
        const ca = c * this.alpha[j]!;
        const cw = -2 * c * w[j]!;
        const oj = j * d;
        for (let i = 0; i < d; i++) {
          if (cat[i]) continue;
          const g = invSq[i]! * (x[i]! - X[oj + i]!);
          gradMean[i] += ca * g;
          gradVar[i] += cw * g;
        }
      }
    }
    return { mean, variance };
  }
}
