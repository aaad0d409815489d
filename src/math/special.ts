/**
 * Special functions JavaScript lacks: the error function family, the normal
 * distribution in linear and log space, inverse error functions, log1mexp.
 *
 * Shared by the GP (log expected improvement), TPE (truncated normals) and
 * qLogEI (Sobol points → normal base samples). All float64, no tables
 * beyond one Chebyshev series.
 *
 * The core is the scaled complementary error function erfcx(z) = exp(z²)·erfc(z)
 * for z ≥ 0, written as
 *
 *     erfcx(z) = t · exp(h(s)),   t = 2/(2+z),   s = 2t − 1 = (2−z)/(2+z) ∈ (−1, 1],
 *
 * with h a smooth function of s (h → log(1/(2√π)) as z → ∞, h = 0 at z = 0)
 * expanded in 31 Chebyshev polynomials. The coefficients below were computed
 * for this file with mpmath at 40 digits (Chebyshev interpolation at 80 nodes of
 * h(s) = log(erfc(z)·exp(z²)/t)); the dropped terms are below 1e-19, so
 * erfcx, and with it erfc in the tail, has a relative error of a few ulps
 * for every z ≥ 0 — no cancellation, no separate asymptotic branch, and it
 * costs one Clenshaw sum and one exp. (Same idea as the Numerical Recipes
 * erfc; the coefficients are our own.)
 *
 * Everything else is built on it: erfc(z) = erfcx(z)·exp(−z²) with z² split
 * exactly so the exponent carries no rounding error; erf from its Taylor
 * series near 0 (for relative accuracy at tiny arguments) and 1 − erfc
 * elsewhere; logNdtr uses log(erfcx) − x²/2 on the left tail, which is the
 * exact asymptotic behaviour, so it never underflows to −∞ for finite x.
 */

const SQRT2 = Math.SQRT2;
const SQRT_PI = Math.sqrt(Math.PI);
const TWO_OVER_SQRT_PI = 2 / SQRT_PI;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const LN2 = Math.LN2;

/** Chebyshev coefficients of h(s) (see file comment); c[0] is NOT halved here. */
const ERFCX_CHEB = [
  -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2, -9.5615147868086316e-3,
  -9.4659534448203687e-4, 3.6683949785276145e-4, 4.2523324806907772e-5, -2.0278578112534243e-5,
  -1.6242900046470255e-6, 1.3036558355805232e-6, 1.5626441722066143e-8, -8.5238095914926543e-8,
  6.5290544390988515e-9, 5.0593434955514689e-9, -9.9136415649303309e-10, -2.2736512229318359e-10,
  9.6467911020155268e-11, 2.3940380830391147e-12, -6.8860275264975534e-12, 8.9448792730907257e-13,
  3.1309213993429581e-13, -1.1270822361367252e-13, 3.8109052551892321e-16, 7.106097613609237e-15,
  -1.5230282014571043e-15, -9.457494571291234e-17, 1.210237189224279e-16, -2.816663087747177e-17,
  5.0030055594459073e-20, 2.3281042579529252e-18, -8.4460776825090061e-19,
];

/** h(s) by Clenshaw's recurrence: Σ' c_k T_k(s) (first term halved). */
function chebH(s: number): number {
  const c = ERFCX_CHEB;
  let b1 = 0;
  let b2 = 0;
  const s2 = 2 * s;
  for (let k = c.length - 1; k >= 1; k--) {
    const b0 = s2 * b1 - b2 + c[k]!;
    b2 = b1;
    b1 = b0;
  }
  return s * b1 - b2 + 0.5 * c[0]!;
}

/** erfcx for z ≥ 0 (no checks). */
function erfcxPos(z: number): number {
  if (z === Infinity) return 0;
  const t = 2 / (2 + z);
  return t * Math.exp(chebH(2 * t - 1));
}

/**
 * exp(−z²) without the rounding error of z²: z = hi + lo with hi holding
 * 24 bits, so hi² is exact and the small remainder goes to a second exp.
 */
function expNegSquare(z: number): number {
  const hi = Math.fround(z);
  const lo = z - hi;
  return Math.exp(-hi * hi) * Math.exp(-lo * (z + hi));
}

/** erfc for z ≥ 0 (no checks). */
function erfcPos(z: number): number {
  if (z > 27.3) return 0; // erfc(27.3) < 1e-325: below the smallest double
  const t = 2 / (2 + z);
  const hi = Math.fround(z);
  const lo = z - hi;
  return t * Math.exp(-hi * hi) * Math.exp(chebH(2 * t - 1) - lo * (z + hi));
}

/**
 * Scaled complementary error function exp(x²)·erfc(x).
 * @example erfcx(30) ≈ 0.018795888861416751 (≈ 1/(30√π)); erfcx(-30) = Infinity (overflow)
 */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0) return erfcxPos(x);
  if (x < -26.7) return Infinity; // 2·exp(x²) overflows
  // erfc(x) = 2 − erfc(−x)  ⇒  erfcx(x) = 2·exp(x²) − erfcx(−x)
  const hi = Math.fround(x);
  const lo = x - hi;
  return 2 * Math.exp(hi * hi) * Math.exp(lo * (x + hi)) - erfcxPos(-x);
}

/**
 * Complementary error function 1 − erf(x), accurate relative to its value in
 * the right tail (erfc(10) ≈ 2.088e-45).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0) return erfcPos(x);
  return 2 - erfcPos(-x);
}

/** Error function, accurate relative to its value near 0 as well. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.5) {
    // Taylor: 2/√π Σ (−1)^n x^(2n+1) / (n!(2n+1)); 0.25^13/13! < 1e-17.
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n <= 13; n++) {
      term *= -x2 / n;
      sum += term / (2 * n + 1);
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  const r = 1 - erfcPos(ax);
  return x < 0 ? -r : r;
}

/** Standard normal density φ(x). */
export function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** log φ(x) = −x²/2 − log√(2π). */
export function logNormPdf(x: number): number {
  return -0.5 * x * x - LOG_SQRT_2PI;
}

/**
 * Φ(x) for x ≤ 0 as ½·t·exp(h(s))·exp(−x²/2), u = −x/√2. The exponent is taken
 * from x itself (split so x² is exact): going through u = −x/√2 would round u
 * and cost ~u²·1e-16 relative accuracy in the tail (1e-14 at x = −10).
 */
function ndtrLeft(x: number): number {
  if (x < -38.5) return 0; // Φ(−38.5) < 1e-324
  const u = -x / SQRT2;
  const t = 2 / (2 + u);
  const hi = Math.fround(x);
  const lo = x - hi;
  return 0.5 * t * Math.exp(-0.5 * hi * hi) * Math.exp(chebH(2 * t - 1) - 0.5 * lo * (x + hi));
}

/** Standard normal CDF Φ(x) = ½·erfc(−x/√2), accurate relative to its value in the left tail. */
export function ndtr(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x <= 0 ? ndtrLeft(x) : 1 - ndtrLeft(-x);
}

/**
 * log Φ(x), finite for every finite x. Left tail: Φ(x) = ½·erfcx(u)·exp(−u²)
 * with u = −x/√2, so log Φ(x) = log(½·erfcx(u)) − x²/2 — the asymptotic form
 * −x²/2 − log(−x) − log√(2π) + O(1/x²) comes out exactly. Right tail:
 * log1p(−Φ(−x)) so tiny deficits are not lost to rounding.
 * @example logNdtr(-40) ≈ -804.60844201651
 */
export function logNdtr(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return -Infinity;
  if (x < -1) {
    const u = -x / SQRT2;
    if (u > 1e150) {
      // t = 2/(2+u) nears the subnormal range: use the asymptotic series.
      const x2 = x * x;
      return -0.5 * x2 - Math.log(-x) - LOG_SQRT_2PI + Math.log1p(-1 / x2);
    }
    return Math.log(0.5 * erfcxPos(u)) - 0.5 * x * x;
  }
  if (x > 0) return Math.log1p(-ndtrLeft(-x));
  return Math.log(ndtrLeft(x));
}

/**
 * log(1 − exp(x)) for x ≤ 0 (−Infinity at 0, NaN above), the two-branch form
 * of Mächler (2012): expm1 near 0, log1p far from it.
 * Typical use: log(a − b) = log a + log1mexp(log b − log a).
 */
export function log1mexp(x: number): number {
  if (Number.isNaN(x) || x > 0) return NaN;
  return x > -LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/**
 * Inverse of erfc on [0, 2]: erfcinv(erfc(w)) = w. erfcinv(0) = Infinity,
 * erfcinv(2) = −Infinity. Accurate for q down to the smallest doubles.
 */
export function erfcinv(q: number): number {
  if (Number.isNaN(q) || q < 0 || q > 2) return NaN;
  if (q === 0) return Infinity;
  if (q === 2) return -Infinity;
  if (q > 1) return -erfcinv(2 - q);
  if (q > 0.5) return erfinvSmall(1 - q);
  // Tail: Newton on g(w) = log erfc(w) − log q = log erfcx(w) − w² − log q,
  // g'(w) = −2/(√π·erfcx(w)): well scaled however small q is.
  let w = initialErfinv(Math.log(q * (2 - q)));
  const logQ = Math.log(q);
  for (let i = 0; i < 8; i++) {
    const ex = erfcxPos(w);
    const g = Math.log(ex) - w * w - logQ;
    const step = g / (-2 / (SQRT_PI * ex));
    w -= step;
    if (Math.abs(step) <= 1e-16 * w) break;
  }
  return w;
}

/** Inverse error function on [−1, 1]: erfinv(±1) = ±Infinity. */
export function erfinv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y < 0) return -erfinv(-y);
  if (y > 0.5) return erfcinv(1 - y); // 1 − y is exact here (Sterbenz)
  return erfinvSmall(y);
}

/** Inverse normal CDF Φ⁻¹(p) for p in [0, 1], accurate in both tails. */
export function ndtri(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return NaN;
  return -SQRT2 * erfcinv(2 * p);
}

/** erfinv for 0 ≤ y ≤ 0.5: Halley's method on erf(w) − y from Winitzki's guess. */
function erfinvSmall(y: number): number {
  if (y === 0) return 0;
  let w = initialErfinv(Math.log1p(-y * y));
  for (let i = 0; i < 6; i++) {
    const f = erf(w) - y;
    const d = f / (TWO_OVER_SQRT_PI * expNegSquare(w)); // f/f'
    const step = d / (1 + w * d); // Halley: f''/f' = −2w
    w -= step;
    if (Math.abs(step) <= 1e-17 * w) break;
  }
  return w;
}

/**
 * Winitzki's closed-form approximation of erfinv (relative error < 2e-3),
 * given ln(1 − y²); used only as the starting point of the iterations.
 */
function initialErfinv(log1my2: number): number {
  const a = 0.147;
  const b = 2 / (Math.PI * a) + 0.5 * log1my2;
  return Math.sqrt(Math.sqrt(b * b - log1my2 / a) - b);
}
