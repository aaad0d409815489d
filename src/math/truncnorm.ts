/**
 * The truncated normal distribution: N(mu, sigma²) restricted to [low, high]
 * and renormalised. TPE's Parzen estimators are mixtures of these, so the
 * three operations here — the log of a Gaussian mass over an interval, the
 * log density, and sampling by inverse CDF — must stay finite and accurate
 * however far the interval lies in a tail (a kernel of width 0.01 scored 0.9
 * away is 90 sigmas out: Φ underflows there, log Φ does not).
 *
 * Standard-normal work happens on z = (x − mu)/sigma. Every interval [a, b]
 * is treated by where it lies:
 *   - right of 0 (a ≥ 0): mirrored to the left (Φ(b) − Φ(a) = Φ(−a) − Φ(−b));
 *   - in the left tail (b ≤ −1): in log space, log(Φ(b) − Φ(a)) =
 *     log Φ(b) + log(1 − exp(log Φ(a) − log Φ(b)));
 *   - near or around 0: ½(erf(b/√2) + erf(−a/√2)), erf being accurate relative
 *     to its value near 0 (a sum of two positive terms when b > 0).
 * Quantiles are as accurate as a double can place them; in the far tails the
 * CDF at the returned point can still differ from q by the density times an
 * ulp of x (x = −40 has ulps of 7e-15, the density there is 40× the mass).
 */
import { erf, erfinv, log1mexp, logNdtr, logNormPdf, ndtr, ndtri } from "./special";

const SQRT1_2 = Math.SQRT1_2;

/**
 * log(Φ(b) − Φ(a)), the log of the standard normal mass of [a, b]
 * (−Infinity when a ≥ b).
 * @example logGaussMass(-100, -99) ≈ -4907.8 (Φ itself underflows there)
 */
export function logGaussMass(a: number, b: number): number {
  if (!(a < b)) return Number.isNaN(a) || Number.isNaN(b) ? NaN : -Infinity;
  if (a >= 0) return logGaussMass(-b, -a);
  if (b <= -1) return logDiffLeft(a, b);
  // Near 0 or straddling it: erf is accurate relative to its value there, and for
  // b > 0 the two terms are both positive.
  return Math.log(0.5 * (erf(b * SQRT1_2) + erf(-a * SQRT1_2)));
}

/** Widths and offsets below which `logCellMass` integrates by the midpoint rule (see there). */
const NARROW_WIDTH = 0.02;
const NARROW_SLOPE = 0.1;

/**
 * logGaussMass(a, b) for the cells of a discrete parameter, faster where the cell is narrow
 * against the kernel (w = b − a < 0.02; elsewhere logGaussMass): near the kernel (|m|·w < 0.1,
 * m the midpoint) the mass is w·φ(m)·(1 + (m² − 1)·w²/24), the midpoint rule with its first
 * correction, whose relative error is below (|m|·w)⁴/1920 + w⁴·3/1920 ≈ 6e-8 there (the next
 * term of the series); further out, see below. A parameter with hundreds of values (a layer
 * width, a log-scaled integer) has cells that narrow under every kernel but the very narrowest,
 * and the erf differences were about a quarter of TPE's time per proposal on such spaces.
 */
export function logCellMass(a: number, b: number): number {
  const w = b - a;
  const m = 0.5 * (a + b);
  if (!(w > 0 && w < NARROW_WIDTH)) return logGaussMass(a, b);
  const am = Math.abs(m);
  if (am * w < NARROW_SLOPE) return logNormPdf(m) + Math.log(w) + Math.log1p(((m * m - 1) * w * w) / 24);
  // Further out φ changes by a factor e^(|m|·w) across the cell: φ(m)·∫ e^(−mδ − δ²/2) over
  // |δ| ≤ h = w/2, the exponential exactly (2·sinh(|m|h)/|m|) and e^(−δ²/2) by its mean
  // under that weight to first order, −E[δ²]/2 (E[δ²] = h² + 2/m² − 2h·coth(|m|h)/|m|); the
  // error is of order h⁴/8 < 2e-9.
  const h = 0.5 * w;
  const x = am * h;
  const e2 = h * h + 2 / (m * m) - (2 * h) / (am * Math.tanh(x));
  return logNormPdf(m) + x + Math.log1p(-Math.exp(-2 * x)) - Math.log(am) - 0.5 * e2;
}

/** log(Φ(b) − Φ(a)) for a < b ≤ 0. */
function logDiffLeft(a: number, b: number): number {
  const lb = logNdtr(b);
  if (a === -Infinity) return lb;
  const la = logNdtr(a);
  // la < lb strictly in exact arithmetic; rounding can tie them for a tiny interval far out.
  return la < lb ? lb + log1mexp(la - lb) : -Infinity;
}

/**
 * The x with log Φ(x) = y (y ≤ 0): the standard normal quantile taken from a
 * log probability, so probabilities far below the smallest double still work.
 */
export function ndtriExp(y: number): number {
  if (Number.isNaN(y) || y > 0) return NaN;
  if (y === 0) return Infinity;
  if (y === -Infinity) return -Infinity;
  if (y > -Math.LN2) return -ndtri(-Math.expm1(y)); // p > 1/2: from 1 − p, computed without cancellation
  if (y > -700) return ndtri(Math.exp(y));
  // Beyond exp's range: log Φ(x) ≈ −x²/2 − log(−x) − log√(2π); start there, then Newton on log Φ.
  const t = -2 * y;
  let x = -Math.sqrt(t - Math.log(2 * Math.PI * t));
  for (let i = 0; i < 20; i++) {
    const lf = logNdtr(x);
    // d/dx log Φ(x) = φ(x)/Φ(x)
    const step = (lf - y) / Math.exp(logNormPdf(x) - lf);
    x -= step;
    if (Math.abs(step) <= 1e-15 * Math.abs(x)) break;
  }
  return x;
}

/**
 * The q-quantile (q ∈ [0, 1]) of the standard normal truncated to [a, b]
 * (a < b; either may be infinite). The answer always lies in [a, b].
 */
export function truncnormPpf(q: number, a: number, b: number): number {
  // Right of 0: mirror, so the arithmetic happens where Φ is small and accurate; the
  // complement 1 − q is carried exactly (q itself) rather than recomputed from 1 − (1 − q).
  const x = a >= 0 ? -leftOrCentralPpf(1 - q, q, -b, -a) : leftOrCentralPpf(q, 1 - q, a, b);
  return x < a ? a : x > b ? b : x;
}

/** truncnormPpf for a < 0, given q and its complement qc = 1 − q. */
function leftOrCentralPpf(q: number, qc: number, a: number, b: number): number {
  if (b <= -1) {
    // Both ends in the left tail: log Φ(x) = log(Φ(a) + q·(Φ(b) − Φ(a))) = log(Φ(b) − qc·(Φ(b) − Φ(a))), in log space.
    const lb = logNdtr(b);
    const lmass = logDiffLeft(a, b);
    if (lmass === -Infinity) return 0.5 * (a + b);
    let y: number;
    if (q <= 0.5) {
      const la = logNdtr(a);
      const lq = Math.log(q) + lmass;
      y = la === -Infinity ? lq : logAddExp(la, lq);
    } else {
      y = lb + log1mexp(Math.min(0, Math.log(qc) + lmass - lb));
    }
    return ndtriExp(Math.min(y, 0));
  }
  // Near or around 0: erf(x/√2) = q·erf(b/√2) − qc·erf(−a/√2), accurate in absolute terms
  // near x = 0 (where erfinv is accurate too); further out the quantile is taken from a
  // tail probability below 1/4, which Φ gives to full relative accuracy.
  const ea = erf(-a * SQRT1_2);
  const eb = erf(b * SQRT1_2);
  const target = q * eb - qc * ea;
  if (Math.abs(target) <= 0.5) return Math.SQRT2 * erfinv(target);
  const mass = 0.5 * (eb + ea);
  if (target < 0) return ndtri(ndtr(a) + q * mass);
  return -ndtri(ndtr(-b) + qc * mass);
}

function logAddExp(x: number, y: number): number {
  const m = x > y ? x : y;
  if (m === -Infinity) return -Infinity;
  return m + Math.log1p(Math.exp(-Math.abs(x - y)));
}

/**
 * A draw from N(mu, sigma²) truncated to [low, high], given a uniform u ∈ [0, 1)
 * (the caller's RNG), by inverse CDF; always inside [low, high].
 */
export function truncnormSample(u: number, mu: number, sigma: number, low: number, high: number): number {
  const z = truncnormPpf(u, (low - mu) / sigma, (high - mu) / sigma);
  const x = mu + sigma * z;
  return x < low ? low : x > high ? high : x;
}

/** Uniform draws in [0, 1). */
export interface UniformSource {
  next(): number;
}

/** Below this truncated mass, rejection would waste draws: invert the CDF instead. */
const LOG_REJECTION_MASS = Math.log(0.2);

/**
 * A draw from N(mu, sigma²) truncated to [low, high], always inside it. Where
 * the interval holds at least a fifth of the mass (every TPE kernel: its centre
 * lies in the interval and sigma is at most the interval's width, so at least
 * a third), by rejection from Box–Muller normals, which needs only log, sqrt
 * and cos; otherwise, or after 32 misses, by inverse CDF.
 * @param logMass log of the mass of [low, high] if the caller has it (it is computed otherwise).
 */
export function truncnormDraw(rng: UniformSource, mu: number, sigma: number, low: number, high: number, logMass?: number): number {
  const lm = logMass ?? logGaussMass((low - mu) / sigma, (high - mu) / sigma);
  if (lm >= LOG_REJECTION_MASS) {
    for (let i = 0; i < 16; i++) {
      let u = rng.next();
      while (u === 0) u = rng.next();
      const r = sigma * Math.sqrt(-2 * Math.log(u));
      const t = 2 * Math.PI * rng.next();
      const x1 = mu + r * Math.cos(t);
      if (x1 >= low && x1 <= high) return x1;
      const x2 = mu + r * Math.sin(t);
      if (x2 >= low && x2 <= high) return x2;
    }
  }
  return truncnormSample(rng.next(), mu, sigma, low, high);
}

/**
 * log density of N(mu, sigma²) truncated to [low, high] at x (−Infinity
 * outside the interval).
 */
export function truncnormLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  if (x < low || x > high) return -Infinity;
  return logNormPdf((x - mu) / sigma) - Math.log(sigma) - logGaussMass((low - mu) / sigma, (high - mu) / sigma);
}

/**
 * log probability that a draw from N(mu, sigma²) truncated to [low, high]
 * lands in the cell [lo, hi] ⊆ [low, high]: how a discrete value (an int, a
 * stepped float) is scored, as the mass of the cell it rounds from.
 */
export function truncnormLogCellMass(lo: number, hi: number, mu: number, sigma: number, low: number, high: number): number {
  const l = lo < low ? low : lo;
  const h = hi > high ? high : hi;
  return logGaussMass((l - mu) / sigma, (h - mu) / sigma) - logGaussMass((low - mu) / sigma, (high - mu) / sigma);
}
