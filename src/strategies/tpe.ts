import { ParzenEstimator, type ParzenDim, type UnitGrid } from "../math/parzen";
import type { Direction, FrozenTrial } from "../model/trial";
import { encode, decode, fromUnit, gridSize, toUnit } from "../space/encoding";
import type { ParamSpec, SearchSpace } from "../space/space";
import type { Config } from "../space/types";
import { type Rng, RngPurpose } from "../util/rng";
import { optBool, optEnum, optInt, optSeed, readOptions, TRIAL_COUNT_MAX, type Range } from "./options";
import { RandomStrategy } from "./random";
import type { PriorTrial, ProposeContext, Proposal, Strategy } from "./strategy";
import { priorAsTrials, transferWorth } from "./prior";

export interface TpeOptions {
  /** The study's seed (the same as `.seed()`): the same seed gives the same trials. */
  readonly seed?: number;
  /** Finished (complete or pruned) trials drawn at random before the model takes over (default 10). */
  readonly startupTrials?: number;
  /** How the startup trials are drawn: "sobol" (default, a scrambled Sobol sequence) or "none" (independent uniform draws). */
  readonly quasi?: "none" | "sobol";
  /** Candidates drawn from the good density per proposal, the best l(x)/g(x) kept (default 24). */
  readonly candidates?: number;
  /** Model the parameters jointly (default true) or one at a time (false, Optuna 4's default). */
  readonly multivariate?: boolean;
  /** Count running trials as bad ones, so trials in flight at once differ (default true). */
  readonly constantLiar?: boolean;
}

export const TPE_OPTIONS = ["seed", "startupTrials", "quasi", "candidates", "multivariate", "constantLiar"] as const;

/** Bounds of the integer options (a proposal costs O(candidates · trials · parameters)). */
export const TPE_BOUNDS = { startupTrials: [0, TRIAL_COUNT_MAX], candidates: [1, 10_000] } as const satisfies Record<string, Range>;

/** Most trials in the good group (Optuna's γ cap). */
const MAX_BELOW = 25;
/** The newest trials keep full weight; older ones ramp down linearly (linear forgetting). */
const FLAT_WEIGHTS = 25;
/** Attempts at a configuration that no running trial has, and the RNG purposes they use. */
const MODEL_RETRIES = 8;
const PRIOR_RETRIES = 64;
const RETRY_PURPOSE = 0x7e00;
/** Candidates drawn and scored at a time. */
const CANDIDATE_BLOCK = 256;

/** How one parameter enters the model; parameters with a single possible value stay out. */
interface ModelDim {
  readonly param: ParamSpec;
  readonly dim: ParzenDim;
}

/** A trial as the model sees it: its unit-cube coordinates, NaN where a parameter is inactive. */
type Observation = Float64Array;

/**
 * Tree-structured Parzen estimator (Bergstra et al. 2011), as Optuna 5's
 * default `TPESampler`: multivariate, with the constant liar. Two departures,
 * both chosen on test functions other than the benchmark's: the startup
 * trials follow a scrambled Sobol sequence, and kernels may narrow to 1/100
 * of a parameter's range once enough trials back them (Optuna stops at 1/27
 * with its 25 good trials; see src/math/parzen.ts).
 *
 * Each proposal after the startup trials:
 * 1. splits the finished trials into good ("below") and bad ("above"): the
 *    best `min(ceil(0.1·n), 25)` of the n complete and pruned trials are
 *    good — complete trials by value first, then pruned ones by how far they
 *    got (deepest step first, then their last value); running trials count
 *    as bad (constant liar), so proposals made while they run move away;
 * 2. fits a Parzen estimator l(x) to the good trials and g(x) to the bad ones
 *    (src/math/parzen.ts: truncated-normal kernels in the encoded, log-scaled
 *    space, cell masses for ints and steps, smoothed categorical kernels; old
 *    trials beyond the newest 25 ramp down in weight; a prior component);
 * 3. draws 24 candidates from l and keeps the one with the largest
 *    log l(x) − log g(x), which maximises expected improvement under TPE's
 *    model.
 *
 * Conditional spaces are modelled by group decomposition: parameters that
 * were active in exactly the same trials form a group (so each group is
 * present wholly or not at all in every trial), and each group gets its own
 * l and g from the trials that contain it, with the good/bad split made once
 * over all trials. The groups' choices are merged and decoded, which drops
 * the parameters whose conditions fail. This is sound because a group's
 * density is only ever fitted to trials where all its parameters were
 * active, so no value is imputed; what it gives up is the dependence between
 * groups (a child's value is not modelled jointly with its parent's). A
 * parameter never yet active in any trial is drawn from its prior (uniform
 * in the encoding).
 *
 * Randomness comes from `ctx.rng`, so the same snapshot, seed and trial
 * number give the same proposal in any process.
 */
export class TpeStrategy implements Strategy {
  readonly name = "tpe";
  /** Parzen estimators fitted per proposal: proposed before the storage's write (Strategy.costly). */
  readonly costly = true;
  private readonly startupTrials: number;
  private readonly candidates: number;
  private readonly multivariate: boolean;
  private readonly constantLiar: boolean;
  private readonly startup: RandomStrategy;
  private readonly model: (ModelDim | undefined)[];
  private readonly conditional: boolean;
  /** Encodings by params object: trials are immutable, so a trial's params encode once. */
  private readonly encoded = new WeakMap<object, Float64Array>();

  /** `field`: where the options sit in the request ("options", or "options.samplerOptions" under Hyperband). */
  constructor(private readonly space: SearchSpace, options?: unknown, field = "options") {
    const o = readOptions(field, options, TPE_OPTIONS);
    optSeed(`${field}.seed`, o["seed"]);
    this.startupTrials = optInt(`${field}.startupTrials`, o["startupTrials"], TPE_BOUNDS.startupTrials, 10);
    const quasi = optEnum(`${field}.quasi`, o["quasi"], ["none", "sobol"] as const, "sobol");
    this.candidates = optInt(`${field}.candidates`, o["candidates"], TPE_BOUNDS.candidates, 24);
    this.multivariate = optBool(`${field}.multivariate`, o["multivariate"], true);
    this.constantLiar = optBool(`${field}.constantLiar`, o["constantLiar"], true);
    this.startup = new RandomStrategy(space, { quasi }, field);
    this.model = space.params.map(modelDim);
    this.conditional = space.hasConditions;
  }

  propose(ctx: ProposeContext): Proposal {
    const split = this.split(ctx);
    const groups = split ? this.groups(split.below, split.above) : [];
    const draw = (rng: Rng): Config => (split ? this.modelProposal(split, groups, rng) : this.prior(rng));
    let params = split ? draw(ctx.rng(RngPurpose.model)) : this.startup.propose(ctx).params;
    const running = this.runningKeys(ctx);
    if (!running.has(this.key(params))) return { params };
    // A trial in flight already has this configuration (possible where parameters are
    // discrete): fresh candidates, then draws from the prior, until one differs.
    for (let a = 1; a <= MODEL_RETRIES + PRIOR_RETRIES; a++) {
      params = a <= MODEL_RETRIES ? draw(ctx.rng(RETRY_PURPOSE + a)) : this.prior(ctx.rng(RETRY_PURPOSE + a));
      if (!running.has(this.key(params))) break;
    }
    // (If all tries collide, the space has hardly a configuration that is not running: keep the last.)
    return { params };
  }

  /** One proposal from the model: each group's best candidate, merged and decoded. */
  private modelProposal(split: Split, groups: readonly number[][], rng: Rng): Config {
    const u = new Float64Array(this.space.size).fill(0.5);
    const modelled = new Uint8Array(this.space.size);
    for (const g of groups) {
      for (const j of g) modelled[j] = 1;
      this.proposeGroup(g, split, rng, u);
    }
    // Parameters the model cannot say anything about yet: from the prior.
    for (let j = 0; j < u.length; j++) if (this.model[j] && !modelled[j]) u[j] = rng.next();
    return decode(this.space, u);
  }

  /** A draw from the prior: uniform in the encoding. */
  private prior(rng: Rng): Config {
    const u = new Float64Array(this.space.size);
    for (let j = 0; j < u.length; j++) u[j] = rng.next();
    return decode(this.space, u);
  }

  private runningKeys(ctx: ProposeContext): Set<string> {
    const keys = new Set<string>();
    for (const t of ctx.snapshot.trials) if (t.state === "running") keys.add(this.key(t.params));
    return keys;
  }

  /** Equal for equal configurations, whatever their key order. */
  private key(config: Readonly<Config>): string {
    let k = "";
    for (const p of this.space.params) k += (p.name in config ? JSON.stringify(config[p.name]) : "-") + ",";
    return k;
  }

  /**
   * The observations of the good/bad split, or undefined while fewer than `startupTrials` have
   * finished. Warm-started (ctx.prior, issue 17 part 2): "identical" parents' trials are trials
   * like the study's own (older than all of them); "transfer" parents' trials are split by their
   * own parent's ranking (its best γ good) and enter l and g as a weighted prior worth
   * `transferWorth` trials in each group, so they shape where to look without their values
   * being compared with this objective's. Either way they count toward the startup trials.
   */
  private split(ctx: ProposeContext): Split | undefined {
    const prior = ctx.prior;
    const direction = ctx.snapshot.spec.direction;
    if (prior?.type === "identical") {
      const s = splitTrials([...priorAsTrials(prior), ...ctx.snapshot.trials], direction, this.constantLiar);
      if (s.finished < this.startupTrials || s.finished === 0) return undefined;
      return { below: s.below.map((t) => this.observe(t)), above: s.above.map((t) => this.observe(t)), priorBelow: 0, priorAbove: 0, priorWeight: 0 };
    }
    const s = splitTrials(ctx.snapshot.trials, direction, this.constantLiar);
    const extra = prior ? prior.trials.length : 0;
    if (s.finished + extra < this.startupTrials || s.finished + extra === 0) return undefined;
    if (!prior) return { below: s.below.map((t) => this.observe(t)), above: s.above.map((t) => this.observe(t)), priorBelow: 0, priorAbove: 0, priorWeight: 0 };
    const pBelow: Observation[] = [];
    const pAbove: Observation[] = [];
    const bySource = new Map<number, PriorTrial[]>();
    for (const t of prior.trials) {
      const l = bySource.get(t.source);
      if (l) l.push(t);
      else bySource.set(t.source, [t]);
    }
    for (const list of bySource.values()) {
      const ranked = [...list].sort((a, b) => b.score - a.score);
      const nGood = Math.min(Math.ceil(0.1 * ranked.length), MAX_BELOW);
      ranked.forEach((t, i) => (i < nGood ? pBelow : pAbove).push(this.observe({ params: t.params })));
    }
    return {
      below: [...pBelow, ...s.below.map((t) => this.observe(t))],
      above: [...pAbove, ...s.above.map((t) => this.observe(t))],
      priorBelow: pBelow.length,
      priorAbove: pAbove.length,
      priorWeight: transferWorth(s.finished),
    };
  }

  private observe(t: { readonly params: Readonly<Config> }): Observation {
    let u = this.encoded.get(t.params);
    if (!u) {
      u = encode(this.space, t.params);
      this.encoded.set(t.params, u);
    }
    return u;
  }

  /**
   * The groups of modelled parameters (indices, each group ascending, groups
   * by their first index): all of them at once when the space has no
   * conditions; otherwise those active in exactly the same trials.
   */
  private groups(below: readonly Observation[], above: readonly Observation[]): number[][] {
    const dims: number[] = [];
    for (let j = 0; j < this.model.length; j++) if (this.model[j]) dims.push(j);
    if (!this.multivariate) return dims.map((j) => [j]);
    if (!this.conditional) return dims.length ? [dims] : [];
    // A signature per parameter: two hashes of the positions of the trials where it is active, and their count.
    const byKey = new Map<string, number[]>();
    const all = [...below, ...above];
    for (const j of dims) {
      let h1 = 0x811c9dc5 | 0;
      let h2 = 0x1b873593 | 0;
      let count = 0;
      for (let i = 0; i < all.length; i++) {
        if (Number.isNaN(all[i]![j]!)) continue;
        count++;
        h1 = Math.imul(h1 ^ i, 0x01000193);
        h2 = Math.imul(h2 ^ (i + 0x9e3779b9), 0x85ebca6b) ^ (h2 >>> 13);
      }
      if (count === 0) continue;
      const key = `${count}:${h1}:${h2}`;
      const g = byKey.get(key);
      if (g) g.push(j);
      else byKey.set(key, [j]);
    }
    return [...byKey.values()];
  }

  /** Fits l and g over one group's parameters and writes the best candidate's coordinates into `u`. */
  private proposeGroup(group: readonly number[], split: Split, rng: Rng, u: Float64Array): void {
    const dims = group.map((j) => this.model[j]!.dim);
    const l = this.estimator(group, dims, split.below, split.priorBelow, split.priorWeight);
    const g = this.estimator(group, dims, split.above, split.priorAbove, split.priorWeight);
    // Candidates in blocks (drawn in the same order from rng as all at once), so memory
    // stays O(block · parameters) however many candidates there are.
    const d = group.length;
    let best: Float64Array | undefined;
    let bestScore = -Infinity;
    for (let c0 = 0; c0 < this.candidates; c0 += CANDIDATE_BLOCK) {
      const m = Math.min(CANDIDATE_BLOCK, this.candidates - c0);
      const cand = l.sample(rng, m);
      const ll = l.logPdf(cand, m);
      const lg = g.logPdf(cand, m);
      for (let c = 0; c < m; c++) {
        const s = ll[c]! - lg[c]!;
        if (s > bestScore || !best) {
          if (s > bestScore) bestScore = s;
          best = cand.subarray(c * d, (c + 1) * d);
        }
      }
    }
    for (let i = 0; i < d; i++) {
      const j = group[i]!;
      const v = best![i]!;
      const dim = dims[i]!;
      u[j] = dim.kind === "categorical" ? (v + 0.5) / dim.choices : v;
    }
  }

  /**
   * A Parzen estimator over the group from the observations where all its parameters are
   * active. The first `nPrior` observations are a transfer prior: together they weigh `worth`
   * trials (each trial of the study weighs up to 1, by recency).
   */
  private estimator(group: readonly number[], dims: readonly ParzenDim[], obs: readonly Observation[], nPrior = 0, worth = 0): ParzenEstimator {
    const d = group.length;
    const active = (o: Observation): boolean => group.every((j) => !Number.isNaN(o[j]!));
    const rows = this.conditional ? obs.filter(active) : obs;
    const n = rows.length;
    let weights: Float64Array;
    if (nPrior === 0) {
      weights = recencyWeights(n);
    } else {
      const p = this.conditional ? obs.slice(0, nPrior).filter(active).length : nPrior;
      weights = new Float64Array(n);
      weights.fill(p > 0 ? worth / p : 0, 0, p);
      weights.set(recencyWeights(n - p), p);
    }
    const x = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const ui = rows[i]!;
      for (let k = 0; k < d; k++) {
        const dim = dims[k]!;
        const v = ui[group[k]!]!;
        x[i * d + k] = dim.kind === "categorical" ? Math.min(dim.choices - 1, Math.floor(v * dim.choices)) : v;
      }
    }
    return new ParzenEstimator(dims, x, n, weights);
  }
}

/** The observations l and g are fitted to; the first `priorBelow`/`priorAbove` of each are a transfer prior weighing `priorWeight` trials. */
interface Split {
  readonly below: readonly Observation[];
  readonly above: readonly Observation[];
  readonly priorBelow: number;
  readonly priorAbove: number;
  readonly priorWeight: number;
}

export interface TrialSplit {
  /** The good trials, by number. */
  readonly below: FrozenTrial[];
  /** The other finished trials and, with the constant liar, the running ones, by number. */
  readonly above: FrozenTrial[];
  /** Complete and pruned trials: the n of γ(n). */
  readonly finished: number;
}

/**
 * TPE's good/bad split: of the n complete and pruned trials, the best
 * `min(ceil(0.1·n), 25)` are good — complete trials ranked by value, then
 * pruned ones by the last step they reported (deeper first), then by their
 * last value; a pruned trial that reported nothing ranks last. Everything else
 * is bad, and so are running trials when `constantLiar` is on. Failed trials
 * are left out.
 */
export function splitTrials(trials: readonly FrozenTrial[], direction: Direction, constantLiar: boolean): TrialSplit {
  const sign = direction === "maximize" ? -1 : 1;
  const complete: { t: FrozenTrial; key: number }[] = [];
  const pruned: { t: FrozenTrial; step: number; key: number }[] = [];
  for (const t of trials) {
    if (t.state === "complete") complete.push({ t, key: rankKey(sign, t.value) });
    else if (t.state === "pruned") {
      const last = t.intermediate[t.intermediate.length - 1];
      pruned.push(last ? { t, step: last[0], key: rankKey(sign, last[1]) } : { t, step: -Infinity, key: Infinity });
    }
  }
  const n = complete.length + pruned.length;
  complete.sort((a, b) => a.key - b.key || a.t.number - b.t.number);
  pruned.sort((a, b) => b.step - a.step || a.key - b.key || a.t.number - b.t.number);
  const nBelow = Math.min(Math.ceil(0.1 * n), MAX_BELOW);
  const good = new Set<FrozenTrial>();
  for (let i = 0; i < nBelow; i++) good.add(i < complete.length ? complete[i]!.t : pruned[i - complete.length]!.t);
  // Both groups in trial-number order (recency weights depend on it); snapshots list trials by number already.
  const below: FrozenTrial[] = [];
  const above: FrozenTrial[] = [];
  for (const t of inNumberOrder(trials)) {
    if (good.has(t)) below.push(t);
    else if (t.state === "complete" || t.state === "pruned" || (t.state === "running" && constantLiar)) above.push(t);
  }
  return { below, above, finished: n };
}

function inNumberOrder(trials: readonly FrozenTrial[]): readonly FrozenTrial[] {
  for (let i = 1; i < trials.length; i++) if (trials[i]!.number < trials[i - 1]!.number) return [...trials].sort((a, b) => a.number - b.number);
  return trials;
}

/** Sort key: smaller is better; NaN and missing values are worst. */
function rankKey(sign: number, v: number | undefined): number {
  return v === undefined || Number.isNaN(v) ? Infinity : sign * v;
}

/**
 * Weights of k trials in trial order: 1 for the newest 25, a linear ramp from
 * 1/k up to 1 for the older ones (Optuna's `default_weights`).
 */
export function recencyWeights(k: number): Float64Array {
  const w = new Float64Array(k).fill(1);
  const ramp = k - FLAT_WEIGHTS;
  if (ramp <= 0) return w;
  const lo = 1 / k;
  for (let i = 0; i < ramp; i++) w[i] = ramp === 1 ? lo : lo + ((1 - lo) * i) / (ramp - 1);
  return w;
}

function modelDim(p: ParamSpec): ModelDim | undefined {
  if (p.type === "categorical") {
    return p.choices.length > 1 ? { param: p, dim: { kind: "categorical", choices: p.choices.length } } : undefined;
  }
  if (p.step === undefined) return { param: p, dim: { kind: "continuous" } };
  const size = gridSize(p);
  return size > 1 ? { param: p, dim: { kind: "discrete", grid: unitGrid(p, size) } } : undefined;
}

/**
 * The cells of a discrete parameter in the unit cube: grid value k owns the
 * points that decode to it, [low + (k − ½)·step, low + (k + ½)·step] mapped by
 * the encoding, with the first and last cells reaching 0 and 1.
 */
function unitGrid(p: Exclude<ParamSpec, { type: "categorical" }>, size: number): UnitGrid {
  const step = p.step!;
  const index = (c: number): number => {
    const k = Math.round(((fromUnit(p, c) as number) - p.low) / step);
    return k < 0 ? 0 : k >= size ? size - 1 : k;
  };
  return {
    snap: (c) => toUnit(p, fromUnit(p, c)),
    cell(c, out) {
      const k = index(c);
      out[0] = k === 0 ? 0 : toUnit(p, p.low + (k - 0.5) * step);
      out[1] = k === size - 1 ? 1 : toUnit(p, p.low + (k + 0.5) * step);
    },
  };
}
