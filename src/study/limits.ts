import { Msg } from "../util/messages";
import { isPlainObject } from "../util/json";

/** When `run()` stops: whichever limit comes first. */
export interface Limits {
  /** Total trials in the study, counting earlier runs (trials stopped by an interrupt or the time limit don't count). */
  readonly trials?: number;
  /** Trials in flight at once (default 1). */
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

/** Validated limits, with defaults. */
export interface ResolvedLimits {
  readonly trials: number;
  readonly parallel: number;
  readonly ms: number;
  readonly target?: number;
  readonly patience: number;
  readonly trialMs: number;
}

export function resolveLimits(input: unknown): ResolvedLimits {
  const raw = input === undefined ? {} : input;
  if (!isPlainObject(raw)) throw Msg.badOption("limits", raw, "an object");
  for (const k of Object.keys(raw)) {
    if (raw[k] !== undefined && !(LIMIT_KEYS as readonly string[]).includes(k)) throw Msg.unknownOption("limits", k, LIMIT_KEYS);
  }
  const posInt = (k: string, min: number): number | undefined => {
    const v = raw[k];
    if (v === undefined || v === Infinity) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw Msg.badOption(`limits.${k}`, v, `an integer >= ${min}`);
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
  return {
    trials: posInt("trials", 1) ?? Infinity,
    parallel: posInt("parallel", 1) ?? 1,
    ms: minutes !== undefined ? minutes * 60_000 : seconds !== undefined ? seconds * 1000 : Infinity,
    ...(target !== undefined ? { target: target as number } : {}),
    patience: posInt("patience", 1) ?? Infinity,
    trialMs: trialSeconds !== undefined ? trialSeconds * 1000 : Infinity,
  };
}
