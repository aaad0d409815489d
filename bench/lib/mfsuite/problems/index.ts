/** The multi-fidelity problem suite (issue 15 part 1); see README.md in this folder. */
import type { MfProblem } from "../problem";
import { COND_ARCH, EXP3_NOISY, ILOG2_2D, MMF_RESNET, POW3_MLP, WEIBULL_ADAM } from "./families";
import { GBRT_DIGITS } from "./gbrt-digits";
import { LC_H6, MFH6_BAD } from "./hartmann";
import { MLP_DIGITS } from "./mlp-digits";

/** Dev problems first (defaults may be chosen on them), then the held-back validation set. */
export const MF_SUITE: readonly MfProblem[] = [
  LC_H6,
  MFH6_BAD,
  MLP_DIGITS,
  POW3_MLP,
  MMF_RESNET,
  EXP3_NOISY,
  GBRT_DIGITS,
  WEIBULL_ADAM,
  ILOG2_2D,
  COND_ARCH,
];

/** The problem called `name`, or an error naming the ones there are. */
export function mfProblem(name: string): MfProblem {
  const p = MF_SUITE.find((q) => q.name === name);
  if (!p) throw new Error(`no multi-fidelity problem "${name}"; there are ${MF_SUITE.map((q) => q.name).join(", ")}`);
  return p;
}
