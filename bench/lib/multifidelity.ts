/**
 * The two synthetic multi-fidelity problems of shared/bench/multifidelity/mf_bench.py, ported
 * formula for formula (same constants, same order of operations), with its deterministic
 * noise: `z(x, b, salt)` = BLAKE2b (16-byte digest) of x's float64 little-endian bytes followed
 * by struct.pack("<ii", b, salt), turned into two uniforms and one Box-Muller normal draw.
 *
 *   lc_h6     f(x, b) = H6(x) + c(x) (b^-a(x) - 81^-a(x)) / (1 - 81^-a(x)) + 0.05 (1 - s(b)) z(x, b, 1)
 *             a(x) = 0.3 + 1.7 x0, c(x) = 0.5 + 1.5 (1 - x0)
 *   mfh6_bad  f(x, b) = -sum_i (alpha_i - 2 (1 - s(b))) exp(-inner_i(x)) + |z(x, b, 2)| 0.4 (1 - s(b))
 *
 * with s(b) = ln b / ln 81, b = 1..81 epochs; both equal Hartmann6 at b = 81 (f* = -3.32237).
 * Results agree with Python's to the last bit or so (Math.exp/log/pow/cos may differ from
 * glibc's in the last ulp); the hash itself is exact.
 */
import { float } from "../../src/index";
import type { SpaceDef } from "../../src/index";
import { blake2b } from "./blake2b";
import { H6_ALPHA, h6Inner, hartmann6 } from "./functions";

export const B_MAX = 81;
export const F_STAR = -3.32237;
const LN_BMAX = Math.log(B_MAX);


const zBytes = new Uint8Array(56);
const zView = new DataView(zBytes.buffer);
const TWO64 = 2 ** 64;
const TWO32 = 2 ** 32;

/** mf_bench.py's `_z`: a deterministic standard-normal draw for (x, b, salt). */
export function z(x: ArrayLike<number>, b: number, salt: number): number {
  if (x.length !== 6) throw new RangeError(`z: x must have 6 coordinates, not ${x.length}`);
  for (let i = 0; i < 6; i++) zView.setFloat64(8 * i, x[i]!, true);
  zView.setInt32(48, b, true);
  zView.setInt32(52, salt, true);
  const h = blake2b(zBytes, 16);
  const hv = new DataView(h.buffer);
  // int.from_bytes(h[:8], "little") as a double: hi * 2^32 is exact, the sum rounds once
  // (to nearest, ties to even), which is Python's int -> float conversion.
  const n1 = hv.getUint32(4, true) * TWO32 + hv.getUint32(0, true);
  const n2 = hv.getUint32(12, true) * TWO32 + hv.getUint32(8, true);
  const u1 = (n1 + 0.5) / TWO64;
  const u2 = n2 / TWO64;
  return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
}

/** Learning-curve Hartmann6: the global optimum's curve crosses the second basin's between epochs 9 and 27. */
export function lcH6(x: ArrayLike<number>, b: number): number {
  const g = hartmann6(x as readonly number[]);
  const x0 = x[0]!;
  const a = 0.3 + 1.7 * x0;
  const c = 0.5 + 1.5 * (1.0 - x0);
  const floor = B_MAX ** -a;
  const r = (b ** -a - floor) / (1.0 - floor);
  const s = Math.log(b) / LN_BMAX;
  return g + c * r + 0.05 * (1.0 - s) * z(x, b, 1);
}

/** MFHartmann6 of mfpbench, 'bad' preset (fidelity bias 2.0, noise 0.4), fidelity b = 1..81 log-scaled. */
export function mfh6Bad(x: ArrayLike<number>, b: number, bias = 2.0, noise = 0.4): number {
  const s = Math.log(b) / LN_BMAX;
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += (H6_ALPHA[i]! - bias * (1.0 - s)) * Math.exp(-h6Inner(x, i));
  const h = -sum;
  return h + Math.abs(z(x, b, 2)) * noise * (1.0 - s);
}

export interface MfProblem {
  readonly name: string;
  /** mf_bench.py's `desc`. */
  readonly desc: string;
  /** f(x, b): the value after epoch b of configuration x. */
  readonly f: (x: ArrayLike<number>, b: number) => number;
  /** The full-budget value f(x, 81) (= Hartmann6, exactly). */
  readonly final: (x: ArrayLike<number>) => number;
  readonly optimum: number;
  readonly maxResource: number;
  readonly space: SpaceDef;
  /** Configuration -> x (counted as overhead, like mf_bench.py's suggest_float calls). */
  readonly args: (p: Readonly<Record<string, unknown>>) => Float64Array;
}

const BOX: SpaceDef = { x0: float(0, 1), x1: float(0, 1), x2: float(0, 1), x3: float(0, 1), x4: float(0, 1), x5: float(0, 1) };
const NAMES = ["x0", "x1", "x2", "x3", "x4", "x5"];
const boxArgs = (p: Readonly<Record<string, unknown>>): Float64Array => Float64Array.from(NAMES, (k) => p[k] as number);
const final = (x: ArrayLike<number>) => hartmann6(x as readonly number[]);

export const MF_PROBLEMS: Readonly<Record<string, MfProblem>> = {
  lc_h6: {
    name: "lc_h6",
    desc: "learning-curve Hartmann6: H6(x) + c(x)*(b^-a(x) - 81^-a(x))/(1 - 81^-a(x)) + noise",
    f: lcH6,
    final,
    optimum: F_STAR,
    maxResource: B_MAX,
    space: BOX,
    args: boxArgs,
  },
  mfh6_bad: {
    name: "mfh6_bad",
    desc: "mfpbench MFHartmann6 'bad' preset (bias 2.0, noise 0.4), fidelity 1..81",
    f: (x, b) => mfh6Bad(x, b),
    final,
    optimum: F_STAR,
    maxResource: B_MAX,
    space: BOX,
    args: boxArgs,
  },
};
