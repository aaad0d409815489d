import { SOBOL_MAX_DIM, SobolSequence } from "../math/sobol";
import { decode } from "../space/encoding";
import type { SearchSpace } from "../space/space";
import { Msg } from "../util/messages";
import { Rng, RngPurpose } from "../util/rng";
import { optEnum, optInt, optSeed, readOptions, type Range } from "./options";
import type { ProposeContext, Proposal, Strategy } from "./strategy";

export interface RandomOptions {
  /** The study's seed (the same as `.seed()`): the same seed gives the same trials. */
  readonly seed?: number;
  /**
   * "none" (default): independent uniform draws. "sobol": a scrambled Sobol
   * low-discrepancy sequence, which covers the space more evenly in the
   * first trials.
   */
  readonly quasi?: "none" | "sobol";
  /** With quasi: how many trials follow the sequence before plain draws (default: all, at most 2^32). */
  readonly quasiTrials?: number;
}

export const RANDOM_OPTIONS = ["seed", "quasi", "quasiTrials"] as const;

/** Bounds of the integer options: the Sobol sequence has 2^32 points. */
export const RANDOM_BOUNDS = { quasiTrials: [0, 2 ** 32] } as const satisfies Record<string, Range>;

/**
 * Random search: each trial an independent draw from the space's prior
 * (uniform in the unit-cube encoding: log-uniform for log parameters), or a
 * point of a scrambled Sobol sequence. Trial n's point depends only on the
 * seed and n.
 */
export class RandomStrategy implements Strategy {
  readonly name = "random";
  private readonly quasi: "none" | "sobol";
  private readonly quasiTrials: number;
  private sobol?: { seed: number; seq: SobolSequence };
  private readonly buf: Float64Array;

  /** `field`: where the options sit in the request (TPE passes its own for its startup draws). */
  constructor(private readonly space: SearchSpace, options?: unknown, field = "options") {
    const o = readOptions(field, options, RANDOM_OPTIONS);
    // The seed itself is the study's (ctx.seed); it is only checked here.
    optSeed(`${field}.seed`, o["seed"]);
    this.quasi = optEnum(`${field}.quasi`, o["quasi"], ["none", "sobol"] as const, "none");
    this.quasiTrials = optInt(`${field}.quasiTrials`, o["quasiTrials"], RANDOM_BOUNDS.quasiTrials, 2 ** 32);
    // Say so now, not with a plain Error from the sequence at the first ask.
    if (this.quasi === "sobol" && space.size > SOBOL_MAX_DIM) {
      throw Msg.badOption(`${field}.quasi`, "sobol", `"none" for spaces of more than ${SOBOL_MAX_DIM} parameters (this one has ${space.size})`);
    }
    this.buf = new Float64Array(space.size);
  }

  propose(ctx: ProposeContext): Proposal {
    const n = ctx.trialNumber;
    // (quasiTrials is at most 2^32, the sequence's length.)
    if (this.quasi === "sobol" && n < this.quasiTrials) {
      return { params: decode(this.space, this.sequence(ctx.seed).pointAt(n)) };
    }
    const rng = ctx.rng(RngPurpose.sample);
    const u = this.buf;
    for (let i = 0; i < u.length; i++) u[i] = rng.next();
    return { params: decode(this.space, u) };
  }

  private sequence(seed: number): SobolSequence {
    if (!this.sobol || this.sobol.seed !== seed) {
      this.sobol = { seed, seq: new SobolSequence(this.space.size, { scramble: Rng.derive(seed, RngPurpose.quasi) }) };
    }
    return this.sobol.seq;
  }
}
