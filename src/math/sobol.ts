/**
 * Scrambled Sobol' low-discrepancy sequence (base 2, Gray-code order).
 *
 * Used for the first quasi-random trials of a search (`pointAt(trialIndex)`)
 * and for acquisition candidates / qLogEI base samples in Bayesian
 * optimisation (`sobolPoints(n, dim, rng)`).
 *
 * Construction
 * ------------
 * - Direction numbers: Joe & Kuo `new-joe-kuo-6.21201`, dimensions 1..1111
 *   (see `sobol-directions.ts`; dimension 1 is the van der Corput sequence).
 * - 32 bits of precision: every coordinate is an unsigned 32-bit integer
 *   `x`, so at most 2^32 points can be drawn (index 0 .. 2^32 - 1).
 * - Point `i` is the XOR of the direction numbers selected by the bits of the
 *   Gray code `i ^ (i >>> 1)`; `next()` updates incrementally (one XOR per
 *   coordinate) and `pointAt(i)` evaluates the direct formula in
 *   O(popcount(i) * dim) <= O(32 * dim).
 *
 * Scrambling (as SciPy's `qmc.Sobol(scramble=True)`)
 * ---------------------------------------------------
 * Linear matrix scramble plus digital shift: per dimension a random 32x32
 * lower-triangular binary matrix `L` with unit diagonal (bit k of the output,
 * counted from the most significant bit, is bit k of the input XOR a random
 * combination of the more significant input bits) is applied to every
 * direction number, and the result is XORed with a random 32-bit shift.
 * Because `L` is lower triangular with unit diagonal, it is a bijection on
 * each set of leading digits, so the (t,m,s)-net properties of the first 2^m
 * points are preserved exactly, while each point becomes uniform on [0,1)^d.
 *
 * Randomness comes only from the injected `UintSource` (never Math.random).
 * It is consumed in a fixed order, dimension by dimension: for dimension j,
 * one word for the shift, then 31 words for rows 1..31 of `L` (row 0 is the
 * bare diagonal). So for the same seed the first d coordinates of a
 * (d+k)-dimensional sequence equal those of the d-dimensional one. The
 * numbers differ from SciPy's (different RNG), the distribution is the same.
 *
 * Conversion to doubles
 * ---------------------
 * - Unscrambled: `x / 2^32`, exact dyadic rationals in [0, 1); point 0 is the
 *   origin, exactly as in the classical tables.
 * - Scrambled: `(x + 0.5) / 2^32`, the centre of the finest 2^-32 cell, so
 *   values lie in [2^-33, 1 - 2^-33]: never exactly 0 or 1. This matters when
 *   the points are pushed through an inverse CDF (e.g. normal quantiles for
 *   qLogEI base samples, log-uniform parameters), where 0 would give -Infinity.
 *   The offset is far below one cell at any m <= 32 and so does not change
 *   which elementary interval a point falls in.
 *
 * Balance properties hold for blocks of 2^m points starting at an index that
 * is a multiple of 2^m (e.g. the first 2048 or 128 points); prefer powers of
 * two for `n` when the points are used for integration.
 */
import { JOE_KUO_ROWS, SOBOL_MAX_DIM } from "./sobol-directions";

export { SOBOL_MAX_DIM };

/** Minimal source of uniformly distributed 32-bit unsigned integers. */
export interface UintSource {
  /** An integer in [0, 2^32) (signed 32-bit integers are also accepted). */
  nextUint32(): number;
}

export interface SobolOptions {
  /** RNG driving the linear matrix scramble + digital shift; omit or `false` for the plain sequence. */
  scramble?: UintSource | false;
}

/** Bits of precision of each coordinate (and log2 of the maximum number of points). */
export const SOBOL_BITS = 32;

const BITS = SOBOL_BITS;
const MAX_POINTS = 2 ** BITS;
const INV_2_32 = 2 ** -32;

/** Unscrambled direction numbers, `BITS` per dimension, built lazily and shared. */
let directionTable: Uint32Array | null = null;
let directionDims = 0;

function buildDirections(upToDim: number): Uint32Array {
  if (directionTable !== null && directionDims >= upToDim) return directionTable;
  const table = new Uint32Array(upToDim * BITS);
  if (directionTable !== null) table.set(directionTable);
  for (let j = directionDims; j < upToDim; j++) {
    const base = j * BITS;
    if (j === 0) {
      // van der Corput: all m_k = 1.
      for (let k = 0; k < BITS; k++) table[base + k] = (1 << (BITS - 1 - k)) >>> 0;
      continue;
    }
    const fields = JOE_KUO_ROWS[j - 1].split(" ");
    const s = Number(fields[0]);
    const a = Number(fields[1]);
    const top = Math.min(s, BITS);
    for (let k = 0; k < top; k++) {
      table[base + k] = (Number(fields[2 + k]) << (BITS - 1 - k)) >>> 0;
    }
    for (let k = s; k < BITS; k++) {
      let v = table[base + k - s];
      v ^= v >>> s;
      for (let i = 1; i < s; i++) {
        if ((a >>> (s - 1 - i)) & 1) v ^= table[base + k - i];
      }
      table[base + k] = v >>> 0;
    }
  }
  directionTable = table;
  directionDims = upToDim;
  return table;
}

function checkDim(dim: number): void {
  if (!Number.isInteger(dim) || dim < 1 || dim > SOBOL_MAX_DIM) {
    throw new Error(`Sobol dimension must be an integer in [1, ${SOBOL_MAX_DIM}], got ${dim}`);
  }
}

function checkIndex(index: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_POINTS) {
    throw new Error(`Sobol ${what} must be an integer in [0, 2^${BITS}), got ${index}`);
  }
}

function drawUint32(src: UintSource): number {
  const u = src.nextUint32();
  if (!Number.isInteger(u) || u < -0x80000000 || u > 0xffffffff) {
    throw new Error(`UintSource.nextUint32() must return a 32-bit integer, got ${u}`);
  }
  return u >>> 0;
}

function parity32(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** Index (0 = least significant) of the lowest set bit of a nonzero 32-bit value. */
function lowestSetBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

export class SobolSequence {
  readonly dim: number;
  readonly scrambled: boolean;
  /** Direction numbers (scrambled if requested), `BITS` per dimension; entry k is v_{k+1}. */
  private readonly v: Uint32Array;
  /** Digital shift per dimension (zero when unscrambled). */
  private readonly shift: Uint32Array;
  /** Integer coordinates of the point at `index`. */
  private readonly state: Uint32Array;
  /** Index of the point the next call to `next()` returns. */
  private index = 0;
  private readonly offset: number;

  constructor(dim: number, opts: SobolOptions = {}) {
    checkDim(dim);
    this.dim = dim;
    const base = buildDirections(dim);
    this.v = base.slice(0, dim * BITS);
    this.shift = new Uint32Array(dim);
    this.state = new Uint32Array(dim);
    const rng = opts.scramble;
    this.scrambled = rng !== undefined && rng !== false;
    this.offset = this.scrambled ? 0.5 : 0;
    if (rng !== undefined && rng !== false) {
      if (typeof rng.nextUint32 !== "function") {
        throw new Error("Sobol scramble source must provide nextUint32()");
      }
      const rows = new Uint32Array(BITS);
      for (let j = 0; j < dim; j++) {
        this.shift[j] = drawUint32(rng);
        // Row k (k = 0 is the most significant output bit): unit diagonal at
        // bit (31 - k) plus random bits strictly above it.
        rows[0] = 0x80000000;
        for (let k = 1; k < BITS; k++) {
          const above = (0xffffffff << (BITS - k)) >>> 0;
          rows[k] = ((drawUint32(rng) & above) | (1 << (BITS - 1 - k))) >>> 0;
        }
        const o = j * BITS;
        for (let b = 0; b < BITS; b++) {
          const vin = this.v[o + b];
          let out = 0;
          for (let k = 0; k < BITS; k++) {
            if (parity32(rows[k] & vin)) out |= 1 << (BITS - 1 - k);
          }
          this.v[o + b] = out >>> 0;
        }
      }
    }
    this.state.set(this.shift);
  }

  /** Index of the point that the next call to `next()` returns. */
  get position(): number {
    return this.index;
  }

  /** The next point of the sequence (a fresh array of length `dim`). */
  next(): Float64Array {
    const i = this.index;
    if (i >= MAX_POINTS) throw new Error(`Sobol sequence exhausted after 2^${BITS} points`);
    const out = this.toDoubles(this.state);
    const n = i + 1;
    if (n < MAX_POINTS) {
      // Gray code of n differs from that of i in the lowest set bit of n.
      const c = lowestSetBit(n);
      const v = this.v;
      const state = this.state;
      for (let j = 0, o = c; j < this.dim; j++, o += BITS) state[j] ^= v[o];
    }
    this.index = n;
    return out;
  }

  /** Position the sequence so that the next call to `next()` returns point `index`. */
  skipTo(index: number): void {
    checkIndex(index, "index");
    this.fillPoint(index, this.state);
    this.index = index;
  }

  /** The point with the given index (0-based), without changing the sequence position. */
  pointAt(index: number): Float64Array {
    checkIndex(index, "index");
    const ints = new Uint32Array(this.dim);
    this.fillPoint(index, ints);
    return this.toDoubles(ints);
  }

  private fillPoint(index: number, target: Uint32Array): void {
    target.set(this.shift);
    let g = (index ^ (index >>> 1)) >>> 0;
    const v = this.v;
    while (g !== 0) {
      const b = lowestSetBit(g);
      for (let j = 0, o = b; j < this.dim; j++, o += BITS) target[j] ^= v[o];
      g = (g & (g - 1)) >>> 0;
    }
  }

  private toDoubles(ints: Uint32Array): Float64Array {
    const out = new Float64Array(this.dim);
    const off = this.offset;
    for (let j = 0; j < this.dim; j++) out[j] = (ints[j] + off) * INV_2_32;
    return out;
  }
}

/**
 * The first `n` points of a `dim`-dimensional Sobol' sequence, scrambled with
 * `scramble` if given. Use a power of two for `n` (e.g. 128, 2048) to keep
 * the net's balance properties.
 */
export function sobolPoints(n: number, dim: number, scramble?: UintSource): Float64Array[] {
  checkDim(dim);
  if (!Number.isInteger(n) || n < 0 || n > MAX_POINTS) {
    throw new Error(`Sobol point count must be an integer in [0, 2^${BITS}], got ${n}`);
  }
  const seq = new SobolSequence(dim, { scramble: scramble ?? false });
  const pts: Float64Array[] = new Array(n);
  for (let i = 0; i < n; i++) pts[i] = seq.next();
  return pts;
}
