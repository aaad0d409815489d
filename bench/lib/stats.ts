/**
 * The statistics and number formatting of bench.py's report, reproduced so that tunelab's
 * rows and Optuna's rows (read from bench.py's JSONL) are summarised by the same code:
 * numpy's mean (pairwise summation), median and linear-interpolation percentiles, and
 * bench.py's `_fmt`.
 */

import { ndtr } from "../../src/math/special";

/** numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src), for contiguous float64. */
function pairwiseSum(a: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = [0, 0, 0, 0, 0, 0, 0, 0];
    for (let j = 0; j < 8; j++) r[j] = a[start + j]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[start + i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** np.mean of a 1-D float array. */
export function mean(a: readonly number[]): number {
  if (a.length === 0) return NaN;
  return pairwiseSum(a, 0, a.length) / a.length;
}

/** numpy's _lerp (the form np.percentile uses, exact at both ends). */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** np.percentile(a, q) with the default "linear" method. */
export function percentile(values: readonly number[], q: number): number {
  const a = [...values].sort((x, y) => x - y);
  const n = a.length;
  if (n === 0) return NaN;
  const v = (n - 1) * (q / 100);
  const lo = Math.floor(v);
  if (lo >= n - 1) return a[n - 1]!;
  return lerp(a[lo]!, a[lo + 1]!, v - lo);
}

/** np.median. */
export function median(values: readonly number[]): number {
  const a = [...values].sort((x, y) => x - y);
  const n = a.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 === 1 ? a[h]! : (a[h - 1]! + a[h]!) / 2;
}

export interface Quartiles {
  readonly median: number;
  readonly q25: number;
  readonly q75: number;
  readonly n: number;
}

/** bench.py's `_q` (the parts the tables use). */
export function quartiles(values: readonly number[]): Quartiles {
  return { median: median(values), q25: percentile(values, 25), q75: percentile(values, 75), n: values.length };
}

/** Python's `f"{x:.0f}"`: round half to even on the exact binary value. */
function fixed0(x: number): string {
  const f = Math.floor(x);
  const d = x - f; // exact for |x| < 2^52
  let r = d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  if (r === 0) r = 0; // no "-0"
  const s = r.toFixed(0);
  return x < 0 && s === "0" ? "-0" : s;
}

/** Python's `f"{x:.1e}"` (two-digit exponent at least). */
function exp1(x: number): string {
  const s = x.toExponential(1); // e.g. "3.6e-5"
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

/** Python's `f"{x:.3g}"` for 1e-3 <= |x| < 100 (always positional there). */
function general3(x: number): string {
  let s = x.toPrecision(3);
  if (s.includes("e")) s = Number(s).toString();
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

/** bench.py's `_fmt` (regret cells). */
export function fmt(x: number): string {
  if (x === 0) return "0";
  const ax = Math.abs(x);
  if (ax >= 100) return fixed0(x);
  if (ax >= 1e-3) return general3(x);
  return exp1(x);
}

/**
 * Overhead cells (ms). bench.py prints them with `.2f`; that is kept for values of 0.1 ms
 * and more (every Optuna cell), while smaller values (tunelab's) get two significant digits,
 * since `.2f` would print them all as 0.00 or 0.01.
 */
export function fmtMs(x: number): string {
  if (!Number.isFinite(x)) return "";
  if (Math.abs(x) >= 0.1 || x === 0) return x.toFixed(2);
  return x.toPrecision(2);
}

/** A ratio, e.g. "37x". */
export function fmtRatio(x: number): string {
  if (!Number.isFinite(x)) return "";
  return `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(0) : x.toFixed(1)}x`;
}

/** Python's repr of a float (the optimum in the section headings: 0.0, -3.32237). */
export function pyFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** Python's `round(x, 4)`-style rounding used for the per-trial overhead records. */
export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/**
 * Two-sided p-value of the Mann-Whitney U test (Wilcoxon rank-sum) that samples `a` and `b`
 * come from the same distribution, against either being shifted. Exact (the count of the
 * orderings with each U, by the recurrence N(m, n, u) = N(m-1, n, u-n) + N(m, n-1, u)) when no
 * value is shared between or within the samples and both have at most 50 values; otherwise
 * the normal approximation with the tie correction and a continuity correction of 1/2. +inf
 * (no complete trial yet) is a value like any other: ties with other +inf. NaN when either
 * sample is empty.
 */
export function mannWhitneyP(a: readonly number[], b: readonly number[]): number {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) return NaN;
  const all = [...a.map((v) => ({ v, s: 0 })), ...b.map((v) => ({ v, s: 1 }))].sort((x, y) => (x.v < y.v ? -1 : x.v > y.v ? 1 : 0));
  // Mid-ranks, and the tie correction's sum of t³ - t over the groups of equal values.
  let rankA = 0;
  let tieSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (all[k]!.s === 0) rankA += r;
    const t = j - i + 1;
    tieSum += t * t * t - t;
    i = j + 1;
  }
  const u = rankA - (m * (m + 1)) / 2;
  const mu = (m * n) / 2;
  if (tieSum === 0 && m <= 50 && n <= 50) {
    // counts[k][u]: orderings of k values of a among the first values with statistic u, built up over n.
    const exact = exactUCounts(m, n);
    const total = exact.reduce((s, c) => s + c, 0);
    const lo = Math.min(u, m * n - u);
    let tail = 0;
    for (let k = 0; k <= lo; k++) tail += exact[k]!;
    return Math.min(1, (2 * tail) / total);
  }
  const N = m + n;
  const variance = ((m * n) / 12) * (N + 1 - tieSum / (N * (N - 1)));
  if (variance <= 0) return 1;
  const z = Math.max(0, Math.abs(u - mu) - 0.5) / Math.sqrt(variance);
  return Math.min(1, 2 * ndtr(-z));
}

/** The number of orderings of m values of one sample among n of another with each U = 0..m·n. */
function exactUCounts(m: number, n: number): number[] {
  // f[i][j] as an array over u, rolled over i: f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u).
  let prev: number[][] = [];
  for (let j = 0; j <= n; j++) prev.push([1]);
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]];
    for (let j = 1; j <= n; j++) {
      const len = i * j + 1;
      const row = new Array<number>(len).fill(0);
      const left = cur[j - 1]!;
      for (let u = 0; u < left.length; u++) row[u]! += left[u]!;
      const up = prev[j]!;
      for (let u = 0; u < up.length; u++) row[u + j]! += up[u]!;
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n]!;
}
