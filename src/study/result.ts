import { errorText, isTunelabError } from "../util/errors";
import { isPlainObject, show } from "../util/json";
import { Msg } from "../util/messages";

/** What an objective may return: the metric as a number, or named metrics. */
export type ObjectiveResult = number | { readonly [metric: string]: unknown };

export type Interpreted =
  | { readonly ok: true; readonly value: number; readonly metrics: Record<string, number> }
  | { readonly ok: false; readonly error: string; readonly metrics: Record<string, number> };

/** The most numeric metrics one result or one report may carry (a bound on what a trial stores). */
export const MAX_METRICS = 10_000;

/**
 * Reads an objective's result: the study's metric must be a finite number;
 * other finite numeric metrics are kept, anything else is left out. Never
 * throws: a result that cannot be read (a throwing getter, a Proxy whose
 * traps throw) is a failure whose error says what reading it threw.
 */
export function interpretResult(metric: string, result: unknown): Interpreted {
  if (typeof result === "number") {
    if (Number.isFinite(result)) return { ok: true, value: result, metrics: { [metric]: result } };
    return { ok: false, error: `the objective returned ${show(result)}; the metric ${show(metric)} must be a finite number.`, metrics: {} };
  }
  try {
    if (isPlainObject(result)) {
      const metrics = finiteMetrics(result, "the objective's result");
      const v = result[metric];
      if (typeof v === "number" && Number.isFinite(v)) return { ok: true, value: v, metrics };
      return { ok: false, error: Msg.missingMetric(metric, result).message, metrics };
    }
  } catch (e) {
    return { ok: false, error: isTunelabError(e) ? e.message : Msg.unreadableValue("the objective's result", errorText(e)).message, metrics: {} };
  }
  return {
    ok: false,
    error: `the objective returned ${show(result)}; return a number or an object with a finite number for ${show(metric)}.`,
    metrics: {},
  };
}

/**
 * The finite numeric entries of an object (own enumerable keys). Throws a
 * TunelabError naming `field` when the object cannot be read (a throwing
 * getter or Proxy trap) or has more than MAX_METRICS numeric entries.
 */
export function finiteMetrics(o: Readonly<Record<string, unknown>>, field = "metrics"): Record<string, number> {
  const out: Record<string, number> = {};
  let n = 0;
  try {
    // Object.keys rather than Object.entries: no pair array per key (this runs for every trial).
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      if (++n > MAX_METRICS) throw Msg.tooManyMetrics(field, countNumbers(o), MAX_METRICS);
      // A metric named "__proto__" is data, not the object's prototype.
      if (k !== "__proto__") out[k] = v;
      else Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    }
  } catch (e) {
    throw isTunelabError(e) ? e : Msg.unreadableValue(field, errorText(e));
  }
  return out;
}

function countNumbers(o: Readonly<Record<string, unknown>>): number {
  let n = 0;
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (typeof v === "number" && Number.isFinite(v)) n++;
  }
  return n;
}

export { errorText };
