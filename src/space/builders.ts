import { Msg } from "../util/messages";
import { checkParamDef } from "./space";
import type { CategoricalParam, Choice, Condition, FloatParam, FloatScale, IntParam, IntScale } from "./types";

export interface FloatOptions {
  /** "linear" (default), "log" (needs low > 0) or "reverse-log" (0 <= low < high < 1, dense near 1). */
  readonly scale?: FloatScale;
  /** Only values low + k*step. */
  readonly step?: number;
  /** Exists only where the named parameters took one of the listed values. */
  readonly when?: Condition;
}

export interface IntOptions {
  /** "linear" (default) or "log" (needs low >= 1). */
  readonly scale?: IntScale;
  /** Only values low + k*step (an integer >= 1). */
  readonly step?: number;
  readonly when?: Condition;
}

export interface ChoiceOptions {
  readonly when?: Condition;
}

type WithWhen<O> = O extends { readonly when: infer W extends Condition } ? { readonly when: W } : unknown;

/**
 * A real-valued parameter in [low, high].
 * @example float(1e-5, 1, { scale: "log" })
 */
export function float<const O extends FloatOptions = {}>(low: number, high: number, options?: O): FloatParam & WithWhen<O> {
  return checked({ type: "float", low, high, ...(options ?? {}) }, "float") as FloatParam & WithWhen<O>;
}

/**
 * An integer parameter in [low, high] (both included).
 * @example int(1, 8)
 */
export function int<const O extends IntOptions = {}>(low: number, high: number, options?: O): IntParam & WithWhen<O> {
  return checked({ type: "int", low, high, ...(options ?? {}) }, "int") as IntParam & WithWhen<O>;
}

/**
 * A categorical parameter: one of `choices`, returned exactly as given.
 * @example choice(["sgd", "adam"])   // typed "sgd" | "adam"
 */
export function choice<const C extends readonly Choice[], const O extends ChoiceOptions = {}>(
  choices: C,
  options?: O,
): CategoricalParam<C[number]> & WithWhen<O> {
  if (!Array.isArray(choices)) throw Msg.emptyChoices("choice");
  return checked({ type: "categorical", choices: [...choices], ...(options ?? {}) }, "choice") as CategoricalParam<C[number]> & WithWhen<O>;
}

/**
 * Makes any parameter conditional: it exists only where every named
 * parameter took one of the listed values.
 * @example when({ optimizer: ["sgd"] }, float(0.5, 0.999, { scale: "reverse-log" }))
 */
export function when<const W extends Condition, P extends FloatParam | IntParam | CategoricalParam>(
  condition: W,
  param: P,
): P & { readonly when: W } {
  return checked({ ...param, when: condition }, "when") as P & { readonly when: W };
}

/**
 * Checks a builder's definition at once, with the error `SearchSpace.parse` would give (the
 * same code; the field names the builder, which does not know the parameter's name).
 */
function checked<D>(def: D, field: string): D {
  checkParamDef(def, field);
  return def;
}
