/**
 * Acquisition functions for GP-based optimisation (maximisation convention:
 * larger y is better).
 *
 * Log expected improvement (Ament et al. 2023, "Unexpected Improvements to
 * Expected Improvement"): with f ~ N(μ, σ²) and incumbent f*,
 *
 *     EI = σ·h(z),  z = (μ − f*)/σ,  h(z) = φ(z) + zΦ(z),
 *     logEI = log h(z) + log σ.
 *
 * EI itself underflows to 0 once z < −38, so a plain EI surface is flat (and
 * its gradient zero) over most of the space late in a search; log h stays
 * finite and informative for every z. log h is evaluated in three regimes:
 *
 * - z > −1: log(φ(z) + zΦ(z)) directly (no cancellation: h(z) > 0.08).
 * - −1e3 < z ≤ −1: h(z) = φ(z)·(1 − |z|·R(z)), R the Mills-type ratio
 *   Φ(z)/φ(z) = √(π/2)·erfcx(|z|/√2), so
 *   log h = log φ(z) + log1mexp(log(|z|·√(π/2)·erfcx(|z|/√2))); erfcx keeps
 *   full relative accuracy here, log1mexp handles 1 − (number near 1).
 * - z ≤ −1e3: the asymptotic series h(z) = φ(z)/z²·(1 − 3/z² + 15/z⁴ − …).
 *
 * The derivative is d log h/dz = Φ(z)/h(z), and
 * ∂logEI/∂μ = (Φ/h)/σ, ∂logEI/∂σ = (1 − z·Φ/h)/σ.
 */
import { erfcx, log1mexp, logNdtr, logNormPdf, ndtr, normPdf } from "./special";

const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);
const INV_SQRT2 = Math.SQRT1_2;

/** log h(z) = log(φ(z) + zΦ(z)), finite for every finite z. */
export function logH(z: number): number {
  if (z > -1) return Math.log(normPdf(z) + z * ndtr(z));
  if (z > -1e3) {
    const a = -z;
    return logNormPdf(z) + log1mexp(Math.log(a * SQRT_HALF_PI * erfcx(a * INV_SQRT2)));
  }
  const w = 1 / (z * z);
  return logNormPdf(z) + Math.log(w) + Math.log1p(w * (-3 + 15 * w));
}

/** d log h/dz = Φ(z)/h(z) (> 0). */
export function dLogH(z: number): number {
  if (z > -1) return ndtr(z) / (normPdf(z) + z * ndtr(z));
  if (z > -1e3) {
    // Φ/h = 1/(z + φ/Φ), φ/Φ = 1/(√(π/2)·erfcx(−z/√2)).
    return 1 / (z + 1 / (SQRT_HALF_PI * erfcx(-z * INV_SQRT2)));
  }
  // From log h ≈ log φ(z) − 2 log|z| + log(1 − 3/z² + 15/z⁴).
  const w = 1 / (z * z);
  const q = 1 + w * (-3 + 15 * w);
  return -z - 2 / z + ((6 * w) / z - (60 * w * w) / z) / q;
}

/** Variance added before the square root (as Optuna), so σ > 0 at observed points. */
export const VARIANCE_FLOOR = 1e-12;

/** log EI(μ, σ²; f*). */
export function logEI(mean: number, variance: number, best: number): number {
  const sigma = Math.sqrt(variance + VARIANCE_FLOOR);
  return logH((mean - best) / sigma) + Math.log(sigma);
}

export interface LogEIGradient {
  value: number;
  /** ∂logEI/∂μ */
  dMean: number;
  /** ∂logEI/∂σ² */
  dVariance: number;
}

/** log EI and its partial derivatives in the mean and the variance. */
export function logEIWithGradient(mean: number, variance: number, best: number, out: LogEIGradient = { value: 0, dMean: 0, dVariance: 0 }): LogEIGradient {
  const sigma = Math.sqrt(variance + VARIANCE_FLOOR);
  const z = (mean - best) / sigma;
  const r = dLogH(z);
  out.value = logH(z) + Math.log(sigma);
  out.dMean = r / sigma;
  const dSigma = (1 - z * r) / sigma;
  out.dVariance = dSigma / (2 * sigma);
  return out;
}

/** log Φ((μ − f*)/σ): log probability of improvement (for reference and tests). */
export function logPI(mean: number, variance: number, best: number): number {
  return logNdtr((mean - best) / Math.sqrt(variance + VARIANCE_FLOOR));
}
