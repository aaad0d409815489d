/**
 * lc_h6 and mfh6_bad: the two problems of shared/bench/multifidelity/mf_bench.py, through the
 * existing ports in bench/lib/multifidelity.ts (same formulas, same BLAKE2b noise keyed by x and
 * the epoch, so the values match mf_bench.py's and the table). Their noise does not
 * depend on the seed or trial: mf_bench.py's curves are a function of x alone.
 */
import { B_MAX, F_STAR, lcH6, mfh6Bad } from "../../multifidelity";
import type { MfProblem, MfRun } from "../problem";

const NAMES = ["x0", "x1", "x2", "x3", "x4", "x5"] as const;
const SPACE: Record<string, unknown> = Object.fromEntries(NAMES.map((k) => [k, { type: "float", low: 0, high: 1 }]));

function curve(f: (x: ArrayLike<number>, b: number) => number) {
  return (x: Record<string, unknown>): MfRun => {
    const xs = Float64Array.from(NAMES, (k) => x[k] as number);
    let b = 0;
    return { next: () => f(xs, Math.min(++b, B_MAX)) };
  };
}

export const LC_H6: MfProblem = {
  name: "lc_h6",
  set: "dev",
  source:
    "mf_bench.py's learning-curve Hartmann6 (ported in bench/lib/multifidelity.ts): the 6-d Hartmann function " +
    "(Dixon & Szegö 1978) reached at epoch 81 along a power-law curve whose rate and height depend on x0, so the " +
    "global optimum's curve crosses the second basin's between epochs 9 and 27; noise 0.05 (1 - ln b / ln 81) " +
    "from BLAKE2b of (x, b). Synthetic; fStar is Hartmann6's minimum.",
  space: SPACE,
  maxResource: B_MAX,
  fStar: F_STAR,
  open: curve(lcH6),
};

export const MFH6_BAD: MfProblem = {
  name: "mfh6_bad",
  set: "dev",
  source:
    "mfpbench's MFHartmann6 'bad' preset (Mallik et al. 2023, PriorBand; ported from mf_bench.py): low fidelities " +
    "are biased away from the optimum (bias 2.0) with |noise| 0.4 (1 - ln b / ln 81), so low-rung rankings " +
    "mislead; fidelity b = 1..81 on a log scale. Synthetic; equals Hartmann6 at b = 81.",
  space: SPACE,
  maxResource: B_MAX,
  fStar: F_STAR,
  open: curve((x, b) => mfh6Bad(x, b)),
};
