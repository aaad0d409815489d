import { errorText, isTunelabError } from "../util/errors";
import { isPlainObject } from "../util/json";
import { Msg } from "../util/messages";

/** When `run()` stops: whichever limit comes first. */
export interface Limits {
  /** Total trials in the study, counting earlier runs (trials stopped by an interrupt or the time limit don't count). */
  readonly trials?: number;
  /** Trials in flight at once (default 1, at most MAX_PARALLEL). */
  readonly parallel?: number;
  /** Wall-clock limit of this run, in minutes (fractions allowed). */
  readonly minutes?: number;
  /** Wall-clock limit of this run, in seconds (instead of minutes). */
  readonly seconds?: number;
  /** Stop once the best value reaches this (<= when minimizing, >= when maximizing). */
  readonly target?: number;
  /**
   * Stop after this many finished trials in a row without improving the best (a number), or,
   * as SageMaker's BestObjectiveNotImproving, once the last `trials` finished trials did not
   * improve the best by at least `minImprovement` (relative to |best|, default 0.01) or
   * `minDelta` (absolute, default 0), whichever is larger: see PatienceOptions.
   */
  readonly patience?: number | PatienceOptions;
  /** Stop once further trials are unlikely to improve the best by more than a tolerance: see ConvergenceOptions. */
  readonly convergence?: boolean | ConvergenceOptions;
  /** A trial running longer than this many seconds is stopped and recorded as failed. */
  readonly trialSeconds?: number;
}

export const LIMIT_KEYS = ["trials", "parallel", "minutes", "seconds", "target", "patience", "convergence", "trialSeconds"] as const;

/**
 * `limits.patience` as an object. Let b(k) be the best value among the first k finished trials
 * (in the order they finished; failed and pruned trials count as trials that did not improve).
 * After k finished trials the run stops when b(k - trials) exists and b(k) is not better than it
 * by at least max(minImprovement × |b(k - trials)|, minDelta). The plain number form is
 * `{ trials: n, minImprovement: 0 }`: any strict improvement counts.
 */
export interface PatienceOptions {
  /** Finished trials the best must improve within (an integer >= 1). */
  readonly trials: number;
  /** Smallest improvement that counts, relative to |best| (0 to 100; default 0.01, i.e. 1%). */
  readonly minImprovement?: number;
  /** Smallest improvement that counts in the metric's units (>= 0, default 0): the floor when the best is near 0. */
  readonly minDelta?: number;
}

/**
 * `limits.convergence`: stop once the expected further improvement of the best falls to the
 * tolerance (see src/strategies/convergence.ts for the two rules: a GP regret bound under the
 * bayesian strategy, an improvement forecast otherwise). `true` takes every default.
 */
export interface ConvergenceOptions {
  /** The tolerance in the metric's units (> 0). Default: `relative` × the interquartile range of the complete values. */
  readonly tolerance?: number;
  /** The tolerance relative to the interquartile range of the complete values (0 to 1, default 0.01); not with `tolerance`. */
  readonly relative?: number;
  /** Complete trials before the rule is first asked (2 to 100,000; default 20). */
  readonly minTrials?: number;
  /** The horizon of the forecast and the window of recent trials, in trials (1 to 100,000; default 10). */
  readonly window?: number;
}

/** Validated `limits.convergence`. */
export interface ResolvedConvergence {
  readonly tolerance?: number;
  readonly relative: number;
  readonly minTrials: number;
  readonly window: number;
}

/** Bounds of the criteria's options (the most trials a window may span: far beyond any study one run holds). */
export const CRITERIA_BOUNDS = { minImprovement: 100, relative: 1, trials: 100_000 } as const;

/**
 * The most trials one run keeps in flight: each holds an objective's promise and its
 * record, and a far larger number is a typo rather than a plan.
 */
export const MAX_PARALLEL = 10_000;

/** Validated limits, with defaults. */
export interface ResolvedLimits {
  readonly trials: number;
  readonly parallel: number;
  readonly ms: number;
  readonly target?: number;
  readonly patience: number;
  /** With `patience`: the smallest improvement that counts, relative to |best| (0 for the plain number form). */
  readonly minImprovement: number;
  /** With `patience`: the smallest improvement that counts, absolute. */
  readonly minDelta: number;
  readonly convergence?: ResolvedConvergence;
  readonly trialMs: number;
}

/** Limits made by resolveLimits (a WeakSet: asking it runs none of a Proxy's traps). */
const resolved = new WeakSet<object>();

/** Whether `l` came from resolveLimits (and so needs no checking again). */
export function isResolvedLimits(l: unknown): l is ResolvedLimits {
  return typeof l === "object" && l !== null && resolved.has(l);
}

/**
 * Checks `limits` and fills in the defaults. Every bad value is refused with a
 * TunelabError naming the field (`limits.<key>`) and the allowed range; so is
 * an object that cannot be read (a throwing getter, a Proxy). Each field is
 * read once.
 */
export function resolveLimits(input: unknown): ResolvedLimits {
  const raw = readLimits(input);
  const posInt = (k: string, min: number, max = Infinity): number | undefined => {
    const v = raw[k];
    if (v === undefined || (v === Infinity && max === Infinity)) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw Msg.badOption(`limits.${k}`, v, max === Infinity ? `an integer >= ${min}` : `an integer from ${min} to ${max}`);
    }
    return v;
  };
  const posNum = (k: string): number | undefined => {
    const v = raw[k];
    if (v === undefined || v === Infinity) return undefined;
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) throw Msg.badOption(`limits.${k}`, v, "a number > 0");
    return v;
  };
  if (raw["minutes"] !== undefined && raw["seconds"] !== undefined) {
    throw Msg.badOption("limits.seconds", raw["seconds"], "left out when limits.minutes is given (use one of them)");
  }
  const target = raw["target"];
  if (target !== undefined && !(typeof target === "number" && Number.isFinite(target))) throw Msg.badOption("limits.target", target, "a finite number");
  const minutes = posNum("minutes");
  const seconds = posNum("seconds");
  const trialSeconds = posNum("trialSeconds");
  const out: ResolvedLimits = {
    trials: posInt("trials", 1) ?? Infinity,
    parallel: posInt("parallel", 1, MAX_PARALLEL) ?? 1,
    // (a product too large for a double is Infinity: no limit, as it would be in practice)
    ms: minutes !== undefined ? minutes * 60_000 : seconds !== undefined ? seconds * 1000 : Infinity,
    ...(target !== undefined ? { target: target as number } : {}),
    ...resolvePatience(raw["patience"]),
    ...(raw["convergence"] !== undefined && raw["convergence"] !== false ? { convergence: resolveConvergence(raw["convergence"]) } : {}),
    trialMs: trialSeconds !== undefined ? trialSeconds * 1000 : Infinity,
  };
  resolved.add(out);
  return out;
}

// ---- completion criteria (issue 17 part 1): patience with a least improvement, convergence ----

function resolvePatience(v: unknown): { patience: number; minImprovement: number; minDelta: number } {
  if (v === undefined || v === Infinity) return { patience: Infinity, minImprovement: 0, minDelta: 0 };
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 1) throw Msg.badOption("limits.patience", v, "an integer >= 1, or { trials, minImprovement, minDelta }");
    return { patience: v, minImprovement: 0, minDelta: 0 };
  }
  const o = readFields("limits.patience", v, ["trials", "minImprovement", "minDelta"], "an integer >= 1, or { trials, minImprovement, minDelta }");
  const trials = o["trials"];
  if (typeof trials !== "number" || !Number.isInteger(trials) || trials < 1) throw Msg.badOption("limits.patience.trials", trials, "an integer >= 1");
  return {
    patience: trials,
    minImprovement: boundedNumber("limits.patience.minImprovement", o["minImprovement"], 0, CRITERIA_BOUNDS.minImprovement, 0.01),
    minDelta: boundedNumber("limits.patience.minDelta", o["minDelta"], 0, Number.MAX_VALUE, 0),
  };
}

function resolveConvergence(v: unknown): ResolvedConvergence {
  const o = v === true ? {} : readFields("limits.convergence", v, ["tolerance", "relative", "minTrials", "window"], "true or { tolerance, relative, minTrials, window }");
  const tolerance = o["tolerance"];
  if (tolerance !== undefined && !(typeof tolerance === "number" && tolerance > 0 && Number.isFinite(tolerance))) {
    throw Msg.badOption("limits.convergence.tolerance", tolerance, "a finite number > 0 (in the metric's units)");
  }
  if (tolerance !== undefined && o["relative"] !== undefined) {
    throw Msg.badOption("limits.convergence.relative", o["relative"], "left out when limits.convergence.tolerance is given (use one of them)");
  }
  const relative = boundedNumber("limits.convergence.relative", o["relative"], 0, CRITERIA_BOUNDS.relative, 0.01, true);
  const int = (k: string, min: number, dflt: number): number => {
    const x = o[k];
    if (x === undefined) return dflt;
    if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > CRITERIA_BOUNDS.trials) throw Msg.badOption(`limits.convergence.${k}`, x, `an integer from ${min} to ${CRITERIA_BOUNDS.trials}`);
    return x;
  };
  return { ...(tolerance !== undefined ? { tolerance: tolerance as number } : {}), relative, minTrials: int("minTrials", 2, 20), window: int("window", 1, 10) };
}

/** A number in [min, max] (in (min, max] when `openMin`), or the default when absent. */
function boundedNumber(field: string, v: unknown, min: number, max: number, dflt: number, openMin = false): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || (openMin ? !(v > min) : !(v >= min)) || v > max) {
    throw Msg.badOption(field, v, `a number ${openMin ? ">" : ">="} ${min} and <= ${max}`);
  }
  return v === 0 ? 0 : v; // -0 is 0
}

/** An options object (the limits, a criterion's options), each known field read once; unknown fields refused. */
function readFields(field: string, v: unknown, keys: readonly string[], expected: string): Record<string, unknown> {
  let own: string[];
  try {
    if (!isPlainObject(v)) throw Msg.badOption(field, v, expected);
    own = Object.keys(v);
  } catch (e) {
    throw isTunelabError(e) ? e : Msg.unreadableValue(field, errorText(e));
  }
  const out: Record<string, unknown> = {};
  for (const k of own) {
    let x: unknown;
    try {
      x = (v as Record<string, unknown>)[k];
    } catch (e) {
      throw Msg.unreadableValue(`${field}.${k}`, errorText(e));
    }
    if (keys.includes(k)) out[k] = x;
    else if (x !== undefined) throw Msg.unknownOption(field, k, keys);
  }
  return out;
}

/** The given limits as a plain record, each known field read once; unknown fields refused. */
function readLimits(input: unknown): Record<string, unknown> {
  return input === undefined ? {} : readFields("limits", input, LIMIT_KEYS, "an object");
}
