/**
 * Inner optimisers for Bayesian optimisation:
 *
 * - `minimizeLbfgs`: limited-memory BFGS with optional box bounds. Used
 *   unbounded for the GP's hyperparameters (log space) and bounded for the
 *   acquisition function on the unit cube. Bounds are handled by projection
 *   (a two-metric projected quasi-Newton method, Bertsekas 1982): variables
 *   sitting on a bound whose gradient pushes outward are frozen for the
 *   iteration, the L-BFGS direction is computed on the others, and the line
 *   search backtracks along the projected path P(x + t·d). This keeps
 *   L-BFGS-B's behaviour where it matters here (few active bounds, smooth
 *   objective) without its generalised-Cauchy-point machinery.
 * - `discreteCoordinateSearch`: one sweep over discrete coordinates, each
 *   tried at every value (small sets) or by an expanding pattern search over
 *   its sorted values (large sets).
 *
 * Both minimise; negate to maximise.
 */

export interface LbfgsOptions {
  /** Lower bounds (default: none). */
  readonly lower?: ArrayLike<number>;
  /** Upper bounds (default: none). */
  readonly upper?: ArrayLike<number>;
  /** Number of correction pairs kept (default 10). */
  readonly memory?: number;
  /** Iteration limit (default 200). */
  readonly maxIter?: number;
  /** Function-evaluation limit (default 20·maxIter). */
  readonly maxEvals?: number;
  /** Stop when the projected gradient's largest entry is at most this (default 1e-5). */
  readonly pgtol?: number;
  /** Stop when an iteration lowers f by at most ftol·max(|f|, 1) (default 2.2e-9, SciPy's factr 1e7). */
  readonly ftol?: number;
  /** Stop when an iteration lowers f by at most this much, in absolute terms (default 0: off). */
  readonly fatol?: number;
  /** Coordinates to keep fixed (true = frozen). */
  readonly fixed?: ArrayLike<boolean>;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  readonly evaluations: number;
  /** Why it stopped. */
  readonly reason: "pgtol" | "ftol" | "maxIter" | "maxEvals" | "lineSearch";
}

/** f(x), writing ∇f(x) into `grad`. */
export type ValueAndGradient = (x: Float64Array, grad: Float64Array) => number;

/**
 * Minimises `fg` from `x0` (clipped into the bounds).
 *
 * @example
 * const r = minimizeLbfgs((x, g) => { g[0] = 2 * (x[0] - 3); return (x[0] - 3) ** 2; }, [0], { upper: [2] });
 * // r.x[0] === 2
 */
export function minimizeLbfgs(fg: ValueAndGradient, x0: ArrayLike<number>, opts: LbfgsOptions = {}): LbfgsResult {
  const n = x0.length;
  const lo = opts.lower;
  const hi = opts.upper;
  const fixed = opts.fixed;
  const m = opts.memory ?? 10;
  const maxIter = opts.maxIter ?? 200;
  const maxEvals = opts.maxEvals ?? 20 * maxIter;
  const pgtol = opts.pgtol ?? 1e-5;
  const ftol = opts.ftol ?? 2.220446049250313e-9;
  const fatol = opts.fatol ?? 0;

  const clip = (v: number, i: number): number => {
    if (lo !== undefined && v < lo[i]!) v = lo[i]!;
    if (hi !== undefined && v > hi[i]!) v = hi[i]!;
    return v;
  };

  let x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = clip(x0[i]!, i);
  let g = new Float64Array(n);
  let f = fg(x, g);
  let evals = 1;
  if (!Number.isFinite(f)) return { x, f, iterations: 0, evaluations: evals, reason: "lineSearch" };

  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const free = new Uint8Array(n);
  const d = new Float64Array(n);
  let xt = new Float64Array(n);
  let gt = new Float64Array(n);

  let iter = 0;
  let reason: LbfgsResult["reason"] = "maxIter";
  for (; iter < maxIter; iter++) {
    // Free variables and the projected gradient.
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      let isFree = !(fixed && fixed[i]);
      if (isFree && lo !== undefined && x[i]! <= lo[i]! && g[i]! > 0) isFree = false;
      if (isFree && hi !== undefined && x[i]! >= hi[i]! && g[i]! < 0) isFree = false;
      free[i] = isFree ? 1 : 0;
      if (isFree) pgMax = Math.max(pgMax, Math.abs(g[i]!));
    }
    if (pgMax <= pgtol) {
      reason = "pgtol";
      break;
    }

    let accepted = false;
    let ft = f;
    for (let attempt = 0; attempt < 2 && !accepted; attempt++) {
      // Direction: −H·g on the free variables (two-loop recursion).
      for (let i = 0; i < n; i++) d[i] = free[i] ? -g[i]! : 0;
      const k = S.length;
      if (k > 0) {
        for (let j = k - 1; j >= 0; j--) {
          const a = rho[j]! * dotMasked(S[j]!, d, free);
          alpha[j] = a;
          axpyMasked(-a, Y[j]!, d, free);
        }
        const sl = S[k - 1]!;
        const yl = Y[k - 1]!;
        const gamma = dot(sl, yl) / dot(yl, yl);
        for (let i = 0; i < n; i++) d[i] *= gamma;
        for (let j = 0; j < k; j++) {
          const b = rho[j]! * dotMasked(Y[j]!, d, free);
          axpyMasked(alpha[j]! - b, S[j]!, d, free);
        }
        // The recursion is linear and started from q = −g, so d = −H·g on the free set.
      }
      let gd = 0;
      for (let i = 0; i < n; i++) gd += g[i]! * d[i]!;
      if (!(gd < 0)) {
        S.length = 0;
        Y.length = 0;
        rho.length = 0;
        for (let i = 0; i < n; i++) d[i] = free[i] ? -g[i]! : 0;
        gd = 0;
        for (let i = 0; i < n; i++) gd += g[i]! * d[i]!;
      }
      // First step of a fresh memory: move at most one unit in any coordinate.
      let t = 1;
      if (S.length === 0) {
        let dmax = 0;
        for (let i = 0; i < n; i++) dmax = Math.max(dmax, Math.abs(d[i]!));
        if (dmax > 1) t = 1 / dmax;
      }
      for (let ls = 0; ls < 25; ls++) {
        if (evals >= maxEvals) break;
        let moved = false;
        let gs = 0;
        for (let i = 0; i < n; i++) {
          const v = free[i] ? clip(x[i]! + t * d[i]!, i) : x[i]!;
          xt[i] = v;
          if (v !== x[i]) moved = true;
          gs += g[i]! * (v - x[i]!);
        }
        if (!moved) break;
        ft = fg(xt, gt);
        evals++;
        if (Number.isFinite(ft) && ft <= f + 1e-4 * gs) {
          accepted = true;
          break;
        }
        // Quadratic interpolation of the step, safeguarded to [0.1t, 0.5t].
        let tn = 0.5 * t;
        if (Number.isFinite(ft)) {
          const denom = 2 * (ft - f - gs);
          if (denom > 0) tn = Math.min(0.5 * t, Math.max(0.1 * t, (-gs * t) / denom));
        } else tn = 0.1 * t;
        t = tn;
      }
      if (!accepted) {
        if (S.length === 0) break;
        S.length = 0;
        Y.length = 0;
        rho.length = 0;
      }
    }
    if (!accepted) {
      reason = evals >= maxEvals ? "maxEvals" : "lineSearch";
      break;
    }

    // Curvature pair.
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xt[i]! - x[i]!;
      y[i] = gt[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-10 * dot(y, y)) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const decrease = f - ft;
    [x, xt] = [xt, x];
    [g, gt] = [gt, g];
    f = ft;
    if (decrease <= ftol * Math.max(Math.abs(f), 1) || decrease <= fatol) {
      iter++;
      reason = "ftol";
      break;
    }
    if (evals >= maxEvals) {
      iter++;
      reason = "maxEvals";
      break;
    }
  }
  return { x, f, iterations: iter, evaluations: evals, reason };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Σ a_i·q_i over the free set. */
function dotMasked(a: Float64Array, q: Float64Array, free: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (free[i]) s += a[i]! * q[i]!;
  return s;
}

/** q += c·a on the free set. */
function axpyMasked(c: number, a: Float64Array, q: Float64Array, free: Uint8Array): void {
  for (let i = 0; i < a.length; i++) if (free[i]) q[i] += c * a[i]!;
}

/** A discrete coordinate: its index in x and its allowed values, sorted ascending. */
export interface DiscreteCoordinate {
  readonly index: number;
  readonly values: ArrayLike<number>;
}

/**
 * One sweep of coordinate search over discrete coordinates, minimising `f`
 * (x is updated in place to the best point found; its value is returned).
 * A coordinate with at most `exhaustive` values is tried at all of them;
 * a larger one by a pattern search: steps of 1, 2, 4, … grid positions in the
 * improving direction, until one fails to improve.
 */
export function discreteCoordinateSearch(
  f: (x: Float64Array) => number,
  x: Float64Array,
  coords: readonly DiscreteCoordinate[],
  fx: number = f(x),
  exhaustive = 16,
): number {
  let best = fx;
  for (const c of coords) {
    const vals = c.values;
    const cur = x[c.index]!;
    if (vals.length <= exhaustive) {
      let bestV = cur;
      for (let k = 0; k < vals.length; k++) {
        const v = vals[k]!;
        if (v === cur) continue;
        x[c.index] = v;
        const fv = f(x);
        if (fv < best) {
          best = fv;
          bestV = v;
        }
      }
      x[c.index] = bestV;
      continue;
    }
    const pos = nearestIndex(vals, cur);
    let bestPos = pos;
    for (const dir of [1, -1]) {
      let step = 1;
      for (;;) {
        const p = bestPos + dir * step;
        if (p < 0 || p >= vals.length) break;
        x[c.index] = vals[p]!;
        const fv = f(x);
        if (fv < best) {
          best = fv;
          bestPos = p;
          step *= 2;
        } else break;
      }
      if (bestPos !== pos) break; // improved in the first direction: done with this coordinate
    }
    x[c.index] = bestPos === pos ? cur : vals[bestPos]!;
  }
  return best;
}

/** Index of the value nearest to v in a sorted array (binary search). */
export function nearestIndex(vals: ArrayLike<number>, v: number): number {
  let a = 0;
  let b = vals.length - 1;
  while (b - a > 1) {
    const mid = (a + b) >> 1;
    if (vals[mid]! <= v) a = mid;
    else b = mid;
  }
  return Math.abs(vals[a]! - v) <= Math.abs(vals[b]! - v) ? a : b;
}
