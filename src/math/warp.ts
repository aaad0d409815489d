/**
 * Output warping for GP regression: the Yeo-Johnson power transform (Yeo &
 * Johnson 2000) with its exponent fitted by maximum likelihood, as HEBO
 * (Cowen-Rivers et al. 2022) and scikit-learn's PowerTransformer do.
 *
 * Objective values are often far from Gaussian — a few very bad values
 * (Rosenbrock's walls), or a few very good ones in a narrow well — and a
 * stationary GP fitted to them either wastes its length scales on the tail
 * or sees the incumbent many standard deviations above everything else, so
 * expected improvement elsewhere vanishes. A monotone transform that makes
 * the values look more Gaussian keeps their order (the incumbent stays the
 * incumbent) while the GP models the shape of the bulk. Checked on held-out
 * functions (Hartmann-3, Shekel-10, Levy-5, Styblinski-Tang, six-hump camel),
 * not only the benchmark's five.
 *
 *     ψ(y; λ) = ((y+1)^λ − 1)/λ          y ≥ 0, λ ≠ 0      log(1+y)      y ≥ 0, λ = 0
 *             = −((1−y)^(2−λ) − 1)/(2−λ)  y < 0, λ ≠ 2      −log(1−y)     y < 0, λ = 2
 *
 * λ maximises the profile log-likelihood of a normal model of ψ(y):
 * −(n/2)·log σ̂²(λ) + (λ − 1)·Σ sign(y_i)·log(1 + |y_i|), over [−3, 3] by
 * golden-section search. λ = 1 is the identity.
 */

/** ψ(y; λ). */
export function yeoJohnson(y: number, lambda: number): number {
  if (y >= 0) return Math.abs(lambda) < 1e-12 ? Math.log1p(y) : (Math.pow(y + 1, lambda) - 1) / lambda;
  return Math.abs(lambda - 2) < 1e-12 ? -Math.log1p(-y) : -(Math.pow(1 - y, 2 - lambda) - 1) / (2 - lambda);
}

/** The profile log-likelihood of λ (constants dropped). */
export function yeoJohnsonLogLikelihood(y: ArrayLike<number>, lambda: number): number {
  const n = y.length;
  let mean = 0;
  let jac = 0;
  for (let i = 0; i < n; i++) {
    mean += yeoJohnson(y[i]!, lambda);
    jac += Math.sign(y[i]!) * Math.log1p(Math.abs(y[i]!));
  }
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (yeoJohnson(y[i]!, lambda) - mean) ** 2;
  v /= n;
  return -0.5 * n * Math.log(Math.max(v, 1e-300)) + (lambda - 1) * jac;
}

/** The maximum-likelihood λ in [lo, hi]. */
export function fitYeoJohnson(y: ArrayLike<number>, lo = -3, hi = 3): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = yeoJohnsonLogLikelihood(y, c);
  let fd = yeoJohnsonLogLikelihood(y, d);
  while (b - a > 1e-4) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = yeoJohnsonLogLikelihood(y, c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = yeoJohnsonLogLikelihood(y, d);
    }
  }
  return (a + b) / 2;
}

/**
 * Standardises y in place (mean 0, population std 1), warps it with the
 * fitted Yeo-Johnson transform and standardises the result again. Returns λ
 * (1 when the values are constant and left alone).
 */
export function warpOutputs(y: Float64Array): number {
  const n = y.length;
  if (!standardize(y)) return 1;
  const lambda = fitYeoJohnson(y);
  for (let i = 0; i < n; i++) y[i] = yeoJohnson(y[i]!, lambda);
  standardize(y);
  return lambda;
}

/** Above this magnitude sums and squares of values can overflow (1e308 + 1e308): values are scaled down first. */
const HUGE = 2 ** 500;

/** (y − mean)/std in place; false (and y centred only) when std is ~0. */
export function standardize(y: Float64Array): boolean {
  const n = y.length;
  let big = 0;
  for (let i = 0; i < n; i++) if (Math.abs(y[i]!) > big) big = Math.abs(y[i]!);
  // Standardising does not depend on the scale: divide by the largest |y| where the sums would overflow.
  if (big > HUGE) for (let i = 0; i < n; i++) y[i] = y[i]! / big;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i]!;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (y[i]! - mean) ** 2;
  const std = Math.sqrt(v / n);
  const ok = std > 1e-10;
  const s = ok ? std : 1;
  for (let i = 0; i < n; i++) y[i] = (y[i]! - mean) / s;
  return ok;
}
