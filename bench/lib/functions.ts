/**
 * The five synthetic functions of the Optuna baseline (shared/bench/optuna/bench.py),
 * ported formula for formula (same constants, same order of operations), with the same
 * search spaces and parameter names. Each function takes the argument tuple that its
 * `args` builds from a configuration; bench.py's suggest_* calls correspond to `args`
 * (counted as overhead), the function call itself is the timed evaluation.
 */
import { choice, float, int } from "../../src/index";
import type { Config, SpaceDef } from "../../src/index";

export interface BenchFunction {
  readonly name: string;
  /** bench.py's `desc`. */
  readonly desc: string;
  readonly optimum: number;
  readonly continuous: boolean;
  readonly space: SpaceDef;
  /** Configuration → the function's argument (bench.py: the tuple that suggest(trial) returns). */
  readonly args: (p: Readonly<Config>) => unknown;
  /** The benchmark function itself (the timed part). */
  readonly f: (a: never) => number;
}

export function branin(x1: number, x2: number): number {
  const a = 1.0;
  const b = 5.1 / (4 * (Math.PI * Math.PI));
  const c = 5.0 / Math.PI;
  const r = 6.0;
  const s = 10.0;
  const t = 1.0 / (8 * Math.PI);
  const u = x2 - b * (x1 * x1) + c * x1 - r;
  return a * (u * u) + s * (1 - t) * Math.cos(x1) + s;
}

/** Hartmann6's constants (bench.py's _H6_ALPHA, _H6_A, _H6_P); mf_bench.py's MFHartmann6 uses them too. */
export const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
export const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
// bench.py: 1e-4 * np.array([...]) (the product, not the decimal literal).
export const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => 1e-4 * v));

/** Hartmann6's term i before the exponential: sum_j A[i][j] (x_j - P[i][j])^2. */
export function h6Inner(x: ArrayLike<number>, i: number): number {
  const A = H6_A[i]!;
  const P = H6_P[i]!;
  let inner = 0;
  for (let j = 0; j < 6; j++) {
    const d = x[j]! - P[j]!;
    inner += A[j]! * (d * d);
  }
  return inner;
}

export function hartmann6(x: readonly number[]): number {
  let outer = 0;
  for (let i = 0; i < 4; i++) outer += H6_ALPHA[i]! * Math.exp(-h6Inner(x, i));
  return -outer;
}

export function rosenbrock(x: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!;
    const b = 1.0 - x[i]!;
    s += 100.0 * (a * a) + b * b;
  }
  return s;
}

export function ackley(x: readonly number[]): number {
  const d = x.length;
  const twoPi = 2 * Math.PI;
  let sq = 0;
  let cs = 0;
  for (let i = 0; i < d; i++) sq += x[i]! * x[i]!;
  for (let i = 0; i < d; i++) cs += Math.cos(twoPi * x[i]!);
  return -20.0 * Math.exp(-0.2 * Math.sqrt(sq / d)) - Math.exp(cs / d) + 20.0 + Math.E;
}

const CAT: Readonly<Record<string, number>> = { a: 0.0, b: 0.5, c: 1.0 };

export function mixed(x: number, y: number, n: number, c: string): number {
  const u = x - 0.3;
  const v = Math.log10(y) + 2.0;
  const w = n - 7;
  return u * u + v * v + 0.1 * (w * w) + CAT[c]!;
}

function box(lo: number, hi: number, d: number): SpaceDef {
  const s: Record<string, ReturnType<typeof float>> = {};
  for (let i = 0; i < d; i++) s[`x${i}`] = float(lo, hi);
  return s;
}

function boxArgs(d: number): (p: Readonly<Config>) => number[] {
  const names = Array.from({ length: d }, (_, i) => `x${i}`);
  return (p) => names.map((k) => p[k] as number);
}

export const FUNCTIONS: Readonly<Record<string, BenchFunction>> = {
  branin: {
    name: "branin",
    desc: "Branin 2D, x1 in [-5,10], x2 in [0,15]",
    optimum: 0.397887,
    continuous: true,
    space: { x1: float(-5.0, 10.0), x2: float(0.0, 15.0) },
    args: (p) => [p["x1"] as number, p["x2"] as number],
    f: ((a: [number, number]) => branin(a[0], a[1])) as (a: never) => number,
  },
  hartmann6: {
    name: "hartmann6",
    desc: "Hartmann6, [0,1]^6",
    optimum: -3.32237,
    continuous: true,
    space: box(0.0, 1.0, 6),
    args: boxArgs(6),
    f: hartmann6 as (a: never) => number,
  },
  rosenbrock5: {
    name: "rosenbrock5",
    desc: "Rosenbrock 5D, [-2,2]^5",
    optimum: 0.0,
    continuous: true,
    space: box(-2.0, 2.0, 5),
    args: boxArgs(5),
    f: rosenbrock as (a: never) => number,
  },
  ackley5: {
    name: "ackley5",
    desc: "Ackley 5D, [-32.768,32.768]^5",
    optimum: 0.0,
    continuous: true,
    space: box(-32.768, 32.768, 5),
    args: boxArgs(5),
    f: ackley as (a: never) => number,
  },
  mixed: {
    name: "mixed",
    desc: "mixed: x float [0,1], y float [1e-5,1] log, n int [1,20], c cat {a,b,c}",
    optimum: 0.0,
    continuous: false,
    space: { x: float(0.0, 1.0), y: float(1e-5, 1.0, { scale: "log" }), n: int(1, 20), c: choice(["a", "b", "c"]) },
    args: (p) => [p["x"] as number, p["y"] as number, p["n"] as number, p["c"] as string],
    f: ((a: [number, number, number, string]) => mixed(a[0], a[1], a[2], a[3])) as (a: never) => number,
  },
};

export const FUNCTION_NAMES = Object.keys(FUNCTIONS);
