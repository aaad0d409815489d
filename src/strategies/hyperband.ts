import type { SearchSpace } from "../space/space";
import { Msg } from "../util/messages";
import { isPlainObject, type JsonObject } from "../util/json";
import { HyperbandBrackets } from "./multifidelity/brackets";
import { countAtLevel, MODEL_KEY, snapshotAtLevel, snapshotByProgress } from "./multifidelity/levels";
import { bracketProbabilities, rungTrustOf } from "./multifidelity/trust";
import { Rng, RngPurpose } from "../util/rng";
import { stoppedBy } from "../record/system";
import { directionSign, HYPERBAND_KEY, promotable, rungRecord, rungSystem } from "./multifidelity/rungs";
import { optBool, optEnum, optInt, optSeed, readOptions, STEP_MAX, TRIAL_COUNT_MAX, type Range } from "./options";
import { RandomStrategy } from "./random";
import { isDone, type ProposeContext, type ProposeResult, type StopContext, type StopDecision, type Strategy } from "./strategy";

/** How new configurations are chosen: at random (Hyperband, ASHA) or by a model (BOHB-like). */
export const SAMPLERS = ["random", "tpe", "bayesian"] as const;
export type MultiFidelitySampler = (typeof SAMPLERS)[number];
/** What a model sampler is fitted on (see HyperbandOptions.modelData). */
export const MODEL_DATA = ["auto", "level", "progress"] as const;

export interface HyperbandOptions {
  /** The study's seed (the same as `.seed()`). */
  readonly seed?: number;
  /** The fewest steps (epochs, ...) a trial runs before it can be stopped (default 1). */
  readonly minResource?: number;
  /** The most steps a trial runs: its `budget` (required). */
  readonly maxResource: number;
  /** Reduction factor: about 1/eta of the trials at a rung go on to the next (default 3). */
  readonly eta?: number;
  /**
   * How new configurations are chosen (default "tpe"): a model ("tpe" or "bayesian") fitted on
   * the trials as `modelData` says, or "random" (classic Hyperband / ASHA). The default was
   * chosen on the multi-fidelity suite's aggregate ranks (bench/README.md, docs/multifidelity.md).
   */
  readonly sampler?: MultiFidelitySampler;
  /**
   * What the model sampler is fitted on. "level" (BOHB's rule; asha's default): the trials that
   * reached the largest budget level at least `minObservations` trials reached, with their values
   * there. "progress" (Optuna's TPE with a pruner does this): every trial, ranked by the furthest
   * level it reached and then by its value there. "auto" (hyperband's default): "progress" until
   * `minObservations` trials have run the full budget, then only those, with their final values —
   * so the model is never fitted on a low rung alone, where fast learners look best.
   */
  readonly modelData?: (typeof MODEL_DATA)[number];
  /** Options of the model's strategy ("tpe" or "bayesian"), e.g. `{ startupTrials: 10 }`. */
  readonly samplerOptions?: Readonly<Record<string, unknown>>;
  /**
   * Trials a budget level needs before the model is fitted on it (default: the larger of the
   * number of parameters + 2 and the model's startup trials, 10 unless set).
   */
  readonly minObservations?: number;
  /**
   * How trials are dealt to brackets. "fixed" (default): Hyperband's own proportions, which
   * give every bracket about the same budget (R = 81, eta = 3: 81, 34, 15, 8, 5 of every 143
   * trials). "adaptive": by how far each bracket's first rung has been seen to rank
   * configurations as the full budget does (multifidelity/trust.ts): trials start in the most
   * aggressive bracket and move to brackets that judge later as complete trials show early
   * rankings mislead. Measured (bench/README.md): better early in a study, and with random
   * sampling at every budget; with the GP model it can end worse, because the model's
   * proposals are then mostly judged at the first rung.
   */
  readonly brackets?: "adaptive" | "fixed";
  /**
   * Hedged stopping (asha's default; hyperband's brackets hedge already, default false): a
   * trial that a rung would stop goes on with probability 1 − τ, where τ is how well that
   * rung has ranked the complete trials so far (Kendall's τ between their values at the rung
   * and their final values, clamped to [0, 1], with one agreeing pair as the prior:
   * multifidelity/trust.ts). While complete trials agree with a rung's ranking it stops as
   * ASHA does; where they show it ranks no better than chance, most trials it would stop run
   * on, so pruning cannot cost the end result much more than it saves. The draw comes from
   * the seed, the trial and the rung: the same in every process and on resume.
   * Measured on the multi-fidelity suite (docs/multifidelity.md, run F). `false`: stop
   * exactly as published.
   */
  readonly hedge?: boolean;
}

export interface AshaOptions extends HyperbandOptions {
  /**
   * ASHA's minimum early-stopping rate s: trials are first judged at minResource·eta^s
   * (default 1: at minResource·eta, when that is below maxResource; else 0). Chosen on the
   * multi-fidelity suite (docs/multifidelity.md): judging at the very first step, where curves
   * are noisiest and fast learners lead, ranked worse at every budget; 0 is ASHA as published.
   */
  readonly minEarlyStoppingRate?: number;
}

/** asha's default minEarlyStoppingRate: 1 when minResource·eta is a rung below maxResource, else 0. */
export function defaultAshaRate(minResource: number, maxResource: number, eta: number): number {
  return minResource * eta < maxResource ? 1 : 0;
}

const COMMON_OPTIONS = ["seed", "minResource", "maxResource", "eta", "sampler", "samplerOptions", "minObservations", "modelData", "hedge"] as const;

/**
 * Bounds of the integer options. Brackets deal trials in rounds of about 2–3 ×
 * maxResource/minResource positions (multifidelity/brackets.ts), kept in memory: the
 * ratio is bounded by MAX_RESOURCE_RATIO.
 */
export const HYPERBAND_BOUNDS = {
  minResource: [1, 1e9],
  eta: [2, 100],
  minObservations: [2, TRIAL_COUNT_MAX],
} as const satisfies Record<string, Range>;
/** maxResource is at most this many times minResource. */
export const MAX_RESOURCE_RATIO = 1_000_000;
export const HYPERBAND_OPTIONS = [...COMMON_OPTIONS, "brackets"] as const;
export const ASHA_OPTIONS = [...COMMON_OPTIONS, "minEarlyStoppingRate"] as const;

type Factory = (name: string, space: SearchSpace, options: unknown, field: string) => Strategy;

/**
 * Hyperband (Li et al. 2018) and ASHA (Li et al. 2020), in the asynchronous stopping form
 * that Optuna's pruners, SageMaker and Ray use: every trial is given the full budget
 * (`trial.budget` = maxResource) and reports as it trains; at each rung of its bracket
 * (multifidelity/brackets.ts) it goes on only while it is among the best 1/eta of the values
 * that rung has seen (multifidelity/rungs.ts), otherwise `report` answers "stop" and the
 * trial is recorded as pruned. Nobody waits for a rung to fill, so parallel workers are never
 * idle; stopped trials cost only the steps they ran.
 *
 * Hyperband spreads trials over every bracket (from "judge at the first step" to "never stop
 * early") so no single guess of how early curves can be trusted decides the result; ASHA uses
 * one bracket. With `sampler: "tpe"` or `"bayesian"`, configurations come from that model
 * fitted on the largest budget level that enough trials reached, with each trial's value at
 * that level (multifidelity/levels.ts; BOHB's rule, with our TPE or GP as the model).
 *
 * Everything is kept in each trial's `system` record: `hyperband` = { bracket, rungs, values }
 * and, when stopped, `stopped: "rung"`. The bracket comes from the trial number, so parallel
 * processes and a resumed study agree without any other state.
 */
export class HyperbandStrategy implements Strategy {
  readonly brackets: HyperbandBrackets;
  private readonly random: RandomStrategy;
  private readonly model?: Strategy;
  /** With a model sampler, proposals fit it (Strategy.costly). */
  readonly costly: boolean;
  private readonly minObservations: number;
  private readonly adaptive: boolean;
  private readonly modelData: (typeof MODEL_DATA)[number];
  /** Budget levels a model can be fitted on, largest first. */
  private readonly levels: readonly number[];
  /** Hedged stopping (HyperbandOptions.hedge). */
  readonly hedge: boolean;

  constructor(
    readonly name: "hyperband" | "asha",
    private readonly space: SearchSpace,
    options: unknown,
    modelFactory: Factory,
  ) {
    if (options === undefined || options === null) throw Msg.badOption("options.maxResource", undefined, "an integer >= 2: the most steps (epochs, ...) a trial runs");
    const o = readOptions("options", options, name === "asha" ? ASHA_OPTIONS : HYPERBAND_OPTIONS);
    optSeed("options.seed", o["seed"]);
    const minResource = optInt("options.minResource", o["minResource"], HYPERBAND_BOUNDS.minResource, 1);
    const eta = optInt("options.eta", o["eta"], HYPERBAND_BOUNDS.eta, 3);
    if (o["maxResource"] === undefined) throw Msg.badOption("options.maxResource", undefined, "an integer: the most steps (epochs, ...) a trial runs");
    const maxResource = optInt("options.maxResource", o["maxResource"], [minResource * eta, minResource * MAX_RESOURCE_RATIO], 0);
    const rate = name === "asha" ? optInt("options.minEarlyStoppingRate", o["minEarlyStoppingRate"], [0, STEP_MAX], defaultAshaRate(minResource, maxResource, eta)) : 0;
    this.brackets = new HyperbandBrackets(minResource, maxResource, eta, name === "asha" ? { firstBracket: rate, count: 1 } : {});
    if (name === "asha" && this.brackets.decisionRungs(rate).length === 0) {
      throw Msg.badOption("options.minEarlyStoppingRate", rate, `an integer from 0 to ${this.brackets.bracketCount - 2}, so that trials have a rung below maxResource=${maxResource} to be judged at`);
    }
    this.adaptive = name === "hyperband" && optEnum("options.brackets", o["brackets"], ["fixed", "adaptive"] as const, "fixed") === "adaptive";
    const sampler = optEnum("options.sampler", o["sampler"], SAMPLERS, "tpe");
    const so = o["samplerOptions"];
    if (so !== undefined && !isPlainObject(so)) throw Msg.badOption("options.samplerOptions", so, "an object (the options of the sampler's strategy)");
    if (so !== undefined && sampler === "random") throw Msg.badOption("options.samplerOptions", so, 'absent with sampler "random" (it has no options)');
    this.random = new RandomStrategy(space);
    const startup = isPlainObject(so) && typeof so["startupTrials"] === "number" ? (so["startupTrials"] as number) : 10;
    this.minObservations = optInt("options.minObservations", o["minObservations"], HYPERBAND_BOUNDS.minObservations, Math.max(space.size + 2, startup));
    if (sampler !== "random") {
      this.model = modelFactory(sampler, space, { ...(so ?? {}), ...(o["seed"] !== undefined ? { seed: o["seed"] } : {}) }, "options.samplerOptions");
    }
    this.modelData = optEnum("options.modelData", o["modelData"], MODEL_DATA, name === "asha" ? "level" : "auto");
    this.costly = this.model !== undefined;
    this.hedge = optBool("options.hedge", o["hedge"], name === "asha");
    const levels = this.brackets.decisionRungs(this.brackets.firstBracket);
    this.levels = [maxResource, ...levels.reverse()];
  }

  propose(ctx: ProposeContext): ProposeResult {
    const b = this.brackets;
    const bracket = this.adaptive ? this.adaptiveBracket(ctx) : b.bracketOf(ctx.trialNumber);
    const record: JsonObject = { [HYPERBAND_KEY]: { bracket, rungs: b.decisionRungs(bracket), values: [] } };
    if (!this.model) {
      const p = this.random.propose(ctx);
      return { params: p.params, system: record, budget: b.maxResource };
    }
    // "auto": by progress until the full budget has enough trials for the level rule.
    const top = this.modelData === "progress" ? b.maxResource : this.modelLevel(ctx);
    const byProgress = this.modelData === "progress" || (this.modelData === "auto" && top < b.maxResource);
    const level = byProgress ? b.maxResource : top;
    const view = byProgress ? snapshotByProgress(ctx.snapshot, this.levels, b.maxResource) : snapshotAtLevel(ctx.snapshot, level, b.maxResource);
    const r = this.model.propose({ ...ctx, snapshot: view });
    if (isDone(r)) return { params: this.random.propose(ctx).params, system: record, budget: b.maxResource };
    const fitted: JsonObject = byProgress ? { budget: level, data: "progress" } : { budget: level };
    return { params: r.params, system: { ...record, [MODEL_KEY]: { ...(r.system ?? {}), ...fitted } }, budget: b.maxResource };
  }

  /** A bracket drawn from the rungs' trust (see `brackets: "adaptive"`), reproducibly from the seed and trial number. */
  private adaptiveBracket(ctx: ProposeContext): number {
    const b = this.brackets;
    const trust: number[] = [];
    for (let k = 0; k < b.bracketCount - 1; k++) trust.push(rungTrustOf(ctx.snapshot, b.rungs[k]!, b.maxResource));
    const p = bracketProbabilities(trust);
    let u = ctx.rng(RngPurpose.bracket).next();
    for (let k = 0; k < p.length - 1; k++) {
      u -= p[k]!;
      if (u < 0) return k;
    }
    return p.length - 1;
  }

  /** The largest budget level at least `minObservations` trials reached; else the smallest. */
  private modelLevel(ctx: ProposeContext): number {
    const trials = ctx.snapshot.trials;
    for (const level of this.levels) {
      if (countAtLevel(trials, level, this.brackets.maxResource) >= this.minObservations) return level;
    }
    return this.levels[this.levels.length - 1]!;
  }

  /** With `hedge`: whether a trial rung `rung` would stop goes on anyway (probability 1 − the rung's trust). */
  private hedged(ctx: StopContext, rung: number, k: number): boolean {
    if (!this.hedge) return false;
    const tau = rungTrustOf(ctx.snapshot, rung, this.brackets.maxResource);
    if (tau >= 1) return false;
    return Rng.derive(ctx.seed, ctx.trial.number, RngPurpose.prune, k).next() >= tau;
  }

  shouldStop(ctx: StopContext): StopDecision {
    const rec = rungRecord(ctx.trial);
    if (!rec) return NO;
    let k = rec.values.length;
    const rungs = rec.rungs;
    if (k >= rungs.length || ctx.step < rungs[k]!) return NO;
    const values = [...rec.values];
    const hedged = [...(rec.hedged ?? [])];
    const sign = directionSign(ctx.snapshot.spec.direction);
    const eta = this.brackets.eta;
    while (k < rungs.length && ctx.step >= rungs[k]!) {
      values.push(ctx.value);
      if (!promotable(ctx.snapshot, ctx.trial.number, rec.bracket, k, ctx.value, eta, sign)) {
        if (!this.hedged(ctx, rungs[k]!, k)) return { stop: true, system: { [HYPERBAND_KEY]: rungSystem({ ...rec, values, hedged }), ...stoppedBy("rung") } };
        hedged.push(k);
      }
      k++;
    }
    return { stop: false, system: { [HYPERBAND_KEY]: rungSystem({ ...rec, values, hedged }) } };
  }
}

const NO: StopDecision = { stop: false };
