/** The multi-fidelity problem suite (issue 15 part 1); see README.md in this folder. */
import type { MfProblem } from "../problem";
import { LC_H6, MFH6_BAD } from "./hartmann";

export const MF_SUITE: readonly MfProblem[] = [LC_H6, MFH6_BAD];

/** The problem called `name`, or an error naming the ones there are. */
export function mfProblem(name: string): MfProblem {
  const p = MF_SUITE.find((q) => q.name === name);
  if (!p) throw new Error(`no multi-fidelity problem "${name}"; there are ${MF_SUITE.map((q) => q.name).join(", ")}`);
  return p;
}
