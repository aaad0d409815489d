import { errorText } from "../util/errors";
import { isPlainObject, show } from "../util/json";
import { Msg } from "../util/messages";

/** What an objective may return: the metric as a number, or named metrics. */
export type ObjectiveResult = number | { readonly [metric: string]: unknown };

export type Interpreted =
  | { readonly ok: true; readonly value: number; readonly metrics: Record<string, number> }
  | { readonly ok: false; readonly error: string; readonly metrics: Record<string, number> };

/**
 * Reads an objective's result: the study's metric must be a finite number;
 * other finite numeric metrics are kept, anything else is left out.
 */
export function interpretResult(metric: string, result: unknown): Interpreted {
  if (typeof result === "number") {
    if (Number.isFinite(result)) return { ok: true, value: result, metrics: { [metric]: result } };
    return { ok: false, error: `the objective returned ${show(result)}; the metric ${show(metric)} must be a finite number.`, metrics: {} };
  }
  if (isPlainObject(result)) {
    const metrics = finiteMetrics(result);
    const v = result[metric];
    if (typeof v === "number" && Number.isFinite(v)) return { ok: true, value: v, metrics };
    return { ok: false, error: Msg.missingMetric(metric, result).message, metrics };
  }
  return {
    ok: false,
    error: `the objective returned ${show(result)}; return a number or an object with a finite number for ${show(metric)}.`,
    metrics: {},
  };
}

/** The finite numeric entries of an object. */
export function finiteMetrics(o: Readonly<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  return out;
}

export { errorText };
