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

export function optInt(field: string, v: unknown, min: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) throw Msg.badOption(field, v, `an integer >= ${min}`);
  return v;
}

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
