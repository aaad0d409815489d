import type { Choice, Config } from "./types";
import type { ParamSpec, SearchSpace } from "./space";

/**
 * The one mapping between configurations and the unit cube [0,1]^d, one
 * dimension per parameter in declaration order. Random and quasi-random
 * strategies decode uniform points; model-based strategies encode history.
 *
 * - float/int: the value is transformed by its scale (log: ln v;
 *   reverse-log: -ln(1 - v)), then scaled linearly to [0,1]. Discrete
 *   parameters (ints, stepped floats) widen their bounds by half a step, so
 *   every grid value owns an equal cell of the cube (as Optuna's GP does).
 * - categorical with C choices: choice i owns [i/C, (i+1)/C); it encodes to
 *   the cell's centre.
 * - a parameter whose condition fails encodes to NaN and is left out when
 *   decoding.
 */

interface Bounds {
  lo: number; // transformed (unless linear)
  hi: number; // transformed (unless linear)
  /**
   * The scale's transform is left out: a log or reverse-log range narrower than NARROW of
   * its scale's variable (low=1e-300, high=1.0000001e-300) has transformed bounds a few ulps
   * apart, or equal, while the two distributions differ there by less than NARROW.
   */
  linear: boolean;
}

/** Relative width below which log and reverse-log ranges are encoded linearly (2^-20 ≈ 1e-6). */
const NARROW = 2 ** -20;

/** Monotone transform for a scale, and its inverse. */
function fwd(p: NumericSpec, b: Bounds, v: number): number {
  if (b.linear) return v;
  if (p.scale === "log") return Math.log(v);
  return -Math.log1p(-v); // reverse-log
}
function inv(p: NumericSpec, b: Bounds, t: number): number {
  if (b.linear) return t;
  if (p.scale === "log") return Math.exp(t);
  return -Math.expm1(-t); // reverse-log
}

type NumericSpec = Exclude<ParamSpec, { type: "categorical" }>;

const boundsCache = new WeakMap<ParamSpec, Bounds>();

function bounds(p: NumericSpec): Bounds {
  let b = boundsCache.get(p);
  if (b) return b;
  const step = p.step;
  let lo = p.low;
  let hi = p.high;
  if (step !== undefined) {
    const top = lastGridValue(p);
    // Widen by half a step where the scale's domain allows it (and the width stays a number).
    const wlo = p.low - step / 2;
    const whi = top + step / 2;
    lo = inDomain(p, wlo) ? wlo : p.low;
    hi = inDomain(p, whi) ? whi : top;
    if (!Number.isFinite(hi - lo)) {
      lo = p.low;
      hi = top;
    }
  }
  const linear = p.scale === "linear" || (p.scale === "log" ? hi - lo <= NARROW * lo : hi - lo <= NARROW * (1 - hi));
  b = { lo, hi, linear };
  if (!linear) {
    b.lo = fwd(p, b, lo);
    b.hi = fwd(p, b, hi);
  }
  boundsCache.set(p, b);
  return b;
}

function inDomain(p: NumericSpec, v: number): boolean {
  if (!Number.isFinite(v)) return false;
  if (p.scale === "log") return v > 0;
  if (p.scale === "reverse-log") return v < 1;
  return true;
}

/** Number of grid values of a discrete numeric parameter. */
export function gridSize(p: ParamSpec): number {
  if (p.type === "categorical") return p.choices.length;
  if (p.step === undefined) return Infinity;
  const r = (p.high - p.low) / p.step;
  if (p.type === "int") return Math.floor(r) + 1;
  // Decimal bounds and steps are only approximated by doubles, with errors of a few ulps of the
  // bounds' magnitude: counted in steps that can exceed 1e-9 (low=10000.37, step=0.001), and the
  // top value low + n*step = high must still count.
  const slack = 1e-9 + 4 * Number.EPSILON * (r + Math.max(Math.abs(p.low), Math.abs(p.high)) / p.step);
  return Math.floor(r + slack) + 1;
}

/** The k-th grid value, rounded to the decimals of low and step so 0.1*3 prints as 0.3. */
export function gridValue(p: NumericSpec, k: number): number {
  const step = p.step!;
  const v = p.low + k * step;
  if (p.type === "int") return v;
  const d = Math.max(decimals(p.low), decimals(step));
  const r = d <= 15 ? Number(v.toFixed(d)) : v;
  return Math.min(Math.max(r, p.low), p.high);
}

function lastGridValue(p: NumericSpec): number {
  return gridValue(p, gridSize(p) - 1);
}

function decimals(x: number): number {
  if (Number.isInteger(x)) return 0;
  const s = String(x);
  const e = s.indexOf("e-");
  if (e >= 0) {
    const mant = s.slice(0, e);
    const dot = mant.indexOf(".");
    return Number(s.slice(e + 2)) + (dot >= 0 ? mant.length - dot - 1 : 0);
  }
  const dot = s.indexOf(".");
  return dot >= 0 ? s.length - dot - 1 : 0;
}

/** The value of `p` at cube coordinate u ∈ [0,1] (u = 1 is allowed). */
export function fromUnit(p: ParamSpec, u: number): Choice {
  const x = u < 0 ? 0 : u > 1 ? 1 : u;
  if (p.type === "categorical") {
    const n = p.choices.length;
    return p.choices[Math.min(n - 1, Math.floor(x * n))]!;
  }
  const b = bounds(p);
  // The cube's faces are the bounds exactly (exp(log(low)) need not be low).
  let v = p.step === undefined && (x === 0 || x === 1) ? (x === 0 ? p.low : p.high) : inv(p, b, b.lo + x * (b.hi - b.lo));
  if (p.step !== undefined) {
    const k = Math.round((v - p.low) / p.step);
    const kmax = gridSize(p) - 1;
    // k <= 0, not k < 0: Math.round(-0.5) is -0, and -0 must not leak into configurations.
    return gridValue(p, k <= 0 ? 0 : k > kmax ? kmax : k);
  }
  if (v < p.low) v = p.low;
  if (v > p.high) v = p.high;
  return v === 0 ? 0 : v;
}

/** The cube coordinate of a value of `p` (a categorical choice → its cell's centre). */
export function toUnit(p: ParamSpec, v: Choice): number {
  if (p.type === "categorical") {
    const i = p.choices.findIndex((c) => c === v);
    return (i + 0.5) / p.choices.length;
  }
  const b = bounds(p);
  if (b.hi === b.lo) return 0.5;
  const u = (fwd(p, b, v as number) - b.lo) / (b.hi - b.lo);
  return u < 0 ? 0 : u > 1 ? 1 : u;
}

/** Encodes a configuration: one coordinate per parameter, NaN where inactive. */
export function encode(space: SearchSpace, config: Readonly<Config>): Float64Array {
  const out = new Float64Array(space.size);
  for (const p of space.params) {
    const v = config[p.name];
    out[p.index] = v === undefined ? NaN : toUnit(p, v);
  }
  return out;
}

/**
 * Decodes a point of the cube into a valid configuration: parameters are
 * visited dependencies-first and those whose condition fails are left out.
 */
export function decode(space: SearchSpace, u: ArrayLike<number>): Config {
  const out: Config = {};
  // Whether any parameter is conditional (space.hasConditions), noted on the way: that
  // getter scans the parameters with a new closure on every call, once per proposal.
  let conditional = false;
  const order = space.evalOrder;
  for (let i = 0; i < order.length; i++) {
    const p = order[i]!;
    if (p.when) {
      conditional = true;
      if (!space.isActive(p, out)) continue;
    }
    out[p.name] = fromUnit(p, u[p.index]!);
  }
  return conditional ? space.ordered(out) : out;
}
