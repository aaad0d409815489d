import { Msg } from "../util/messages";
import { isPlainObject } from "../util/json";

/** Reads strategy options: rejects unknown keys, naming the allowed ones. */
export function readOptions(field: string, raw: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (!isPlainObject(raw)) throw Msg.badOption(field, raw, "an object");
  for (const k of Object.keys(raw)) {
    if (raw[k] !== undefined && !allowed.includes(k)) throw Msg.unknownOption(field, k, allowed);
  }
  return raw;
}

/**
 * An integer option in [min, max]. Every size or count option has an upper bound, so that no
 * valid-looking value (candidates: 1e9) can make one proposal run for minutes or exhaust memory.
 */
export function optInt(field: string, v: unknown, [min, max]: Range, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw Msg.badOption(field, v, `an integer in [${min}, ${max}]`);
  return v;
}

/** Inclusive bounds of an integer option. */
export type Range = readonly [min: number, max: number];

/** Trial counts (startupTrials, minObservations): more than a study of any sane length has. */
export const TRIAL_COUNT_MAX = 100_000;
/** Step counts (warm-up, intervals, resources): any step a report can carry. */
export const STEP_MAX = Number.MAX_SAFE_INTEGER;

export function optEnum<T extends string>(field: string, v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly unknown[]).includes(v)) throw Msg.badOption(field, v, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`);
  return v as T;
}

export function optBool(field: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw Msg.badOption(field, v, "true or false");
  return v;
}

/** A seed option: any safe integer, as the study's seed. */
export function optSeed(field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw Msg.badOption(field, v, "an integer");
  return v;
}

