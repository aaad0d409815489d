/**
 * Hyperband's bracket arithmetic (Li et al. 2018, Alg. 1, in the asynchronous form of ASHA,
 * Li et al. 2020): the resources at which trials are judged, the brackets, and which bracket
 * each trial belongs to.
 *
 * With minimum resource r, maximum R and reduction factor η, the rungs are r·η^k for
 * k = 0..sMax, sMax = the largest k with r·η^k <= R (an integer loop: Math.log(243)/Math.log(3)
 * is 4.999..., which would lose a rung). Bracket b (0..sMax) judges its trials first at
 * r·η^b, then at every later rung below R, and lets the survivors run to R; bracket 0 is the
 * most aggressive, bracket sMax runs every trial to the full budget (plain random search).
 *
 * Each bracket gets a share of the trials that gives every bracket about the same total
 * budget, Hyperband's `n = ceil((sMax+1)·η^s/(s+1))` with s = sMax - b (R = 81, η = 3:
 * 81, 34, 15, 8, 5 trials per round of 143). Trials are dealt to brackets by smooth weighted
 * round robin over that round, so every prefix of trial numbers holds the brackets in about
 * their proportions and the full-budget brackets finish trials early in the study. The
 * bracket depends only on the trial number: nothing to store, the same in every process,
 * and a resumed study continues exactly.
 */
export class HyperbandBrackets {
  /** Every rung resource r·η^k <= maxResource, ascending. */
  readonly rungs: readonly number[];
  /** Trials per bracket in one round (index = bracket). */
  readonly sizes: readonly number[];
  /** The bracket of each position in a round. */
  private readonly round: Uint16Array;

  constructor(
    readonly minResource: number,
    readonly maxResource: number,
    readonly eta: number,
    /** Brackets to use: all (Hyperband) or one, starting at `firstBracket` (ASHA). */
    options: { readonly firstBracket?: number; readonly count?: number } = {},
  ) {
    const rungs: number[] = [];
    for (let r = minResource; r <= maxResource; r *= eta) rungs.push(r);
    this.rungs = rungs;
    const sMax = rungs.length - 1;
    const first = Math.min(options.firstBracket ?? 0, sMax);
    const count = Math.min(options.count ?? sMax + 1 - first, sMax + 1 - first);
    this.firstBracket = first;
    const sizes: number[] = [];
    for (let b = 0; b < sMax + 1; b++) {
      const s = sMax - b;
      sizes.push(b >= first && b < first + count ? Math.ceil(((sMax + 1) * eta ** s) / (s + 1)) : 0);
    }
    this.sizes = sizes;
    this.round = smoothRoundRobin(sizes);
  }

  /** The first bracket in use (ASHA's minimum early-stopping rate). */
  readonly firstBracket: number;

  get bracketCount(): number {
    return this.rungs.length;
  }

  /** The bracket of trial `n`. */
  bracketOf(n: number): number {
    return this.round[n % this.round.length]!;
  }

  /** The resources at which a trial of bracket `b` is judged: r·η^(b+k) below maxResource. */
  decisionRungs(b: number): number[] {
    const out: number[] = [];
    for (let k = b; k < this.rungs.length; k++) if (this.rungs[k]! < this.maxResource) out.push(this.rungs[k]!);
    return out;
  }
}

/**
 * Smooth weighted round robin (as in nginx's upstream balancer): each step every bracket
 * gains its weight, the richest is picked and pays the total. Deterministic; every prefix is
 * close to the weights' proportions, and the heaviest bracket never runs in a long block.
 */
function smoothRoundRobin(weights: readonly number[]): Uint16Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const out = new Uint16Array(total);
  const current = weights.map(() => 0);
  for (let i = 0; i < total; i++) {
    let best = -1;
    for (let b = 0; b < weights.length; b++) {
      if (weights[b] === 0) continue;
      current[b]! += weights[b]!;
      if (best < 0 || current[b]! > current[best]!) best = b;
    }
    current[best]! -= total;
    out[i] = best;
  }
  return out;
}
