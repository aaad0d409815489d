/** The multi-fidelity problem suite (issue 15 part 1); see README.md in this folder. */
import { SearchSpace } from "../../../../src/index";
import type { MfProblem } from "../problem";
import { COND_ARCH, EXP3_NOISY, ILOG2_2D, MMF_RESNET, POW3_MLP, WEIBULL_ADAM } from "./families";
import { GBRT_DIGITS } from "./gbrt-digits";
import { LC_H6, MFH6_BAD } from "./hartmann";
import { MLP_DIGITS } from "./mlp-digits";

/**
 * The problem with its configurations checked against its space: a missing, extra or
 * out-of-range parameter (a harness or Optuna-side naming slip) throws tunelab's config.* error
 * instead of training on NaN.
 */
function checked(p: MfProblem): MfProblem {
  const space = SearchSpace.parse(p.space, `${p.name}.space`);
  return { ...p, open: (x, seed, trial) => p.open(space.check(x, `${p.name}(x)`), seed, trial) };
}

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
].map(checked);

/** The problem called `name`, or an error naming the ones there are. */
export function mfProblem(name: string): MfProblem {
  const p = MF_SUITE.find((q) => q.name === name);
  if (!p) throw new Error(`no multi-fidelity problem "${name}"; there are ${MF_SUITE.map((q) => q.name).join(", ")}`);
  return p;
}
