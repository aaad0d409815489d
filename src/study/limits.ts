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
  /** Stop after this many finished trials in a row without improving the best. */
  readonly patience?: number;
  /** A trial running longer than this many seconds is stopped and recorded as failed. */
  readonly trialSeconds?: number;
}

export const LIMIT_KEYS = ["trials", "parallel", "minutes", "seconds", "target", "patience", "trialSeconds"] as const;

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
    patience: posInt("patience", 1) ?? Infinity,
    trialMs: trialSeconds !== undefined ? trialSeconds * 1000 : Infinity,
  };
  resolved.add(out);
  return out;
}

/** The given limits as a plain record, each known field read once; unknown fields refused. */
function readLimits(input: unknown): Record<string, unknown> {
  if (input === undefined) return {};
  let keys: string[];
  try {
    if (!isPlainObject(input)) throw Msg.badOption("limits", input, "an object");
    keys = Object.keys(input);
  } catch (e) {
    throw isTunelabError(e) ? e : Msg.unreadableValue("limits", errorText(e));
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    let v: unknown;
    try {
      v = (input as Record<string, unknown>)[k];
    } catch (e) {
      throw Msg.unreadableValue(`limits.${k}`, errorText(e));
    }
    if ((LIMIT_KEYS as readonly string[]).includes(k)) out[k] = v;
    else if (v !== undefined) throw Msg.unknownOption("limits", k, LIMIT_KEYS);
  }
  return out;
}
