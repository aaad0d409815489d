/**
 * The multi-fidelity suite's methods: tunelab's (a strategy and its options, run through the
 * Study API by run.ts) and Optuna's (a sampler and a pruner, run by bench/lib/mf_suite.py).
 *
 * A tunelab method's options never name `maxResource`: run.ts adds the problem's (and nothing
 * else), so `tl_hb` measures whatever defaults `hyperband` has in the code being measured.
 * `--tl-method 'key={"strategy":"hyperband","options":{...}}'` adds a method without editing
 * this file (parseTlMethod).
 */
import { HyperbandStrategy } from "../../../src/strategies/hyperband";
import { SearchSpace } from "../../../src/space/space";
import type { Strategy } from "../../../src/strategies/strategy";

export interface TlMethod {
  readonly label: string;
  readonly strategy: string;
  /** The strategy's options; hyperband and asha get the problem's `maxResource` added (unless given). */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Strategies that take `maxResource` (run.ts fills it in from the problem). */
export const MULTI_FIDELITY = ["hyperband", "asha"];

export const TL_METHODS: Readonly<Record<string, TlMethod>> = {
  tl_hb: { label: "tunelab hyperband (defaults)", strategy: "hyperband", options: {} },
  tl_asha: { label: "tunelab asha (defaults)", strategy: "asha", options: {} },
  tl_hb_classic: { label: 'tunelab hyperband, sampler "random", brackets "fixed"', strategy: "hyperband", options: { sampler: "random", brackets: "fixed" } },
  tl_hb_tpe: { label: 'tunelab hyperband, sampler "tpe"', strategy: "hyperband", options: { sampler: "tpe" } },
  tl_hb_bayes: { label: 'tunelab hyperband, sampler "bayesian"', strategy: "hyperband", options: { sampler: "bayesian" } },
  tl_random_full: { label: "tunelab random, no early stopping", strategy: "random", options: {} },
  tl_tpe_full: { label: "tunelab tpe, no early stopping", strategy: "tpe", options: {} },
  tl_bayes_full: { label: "tunelab bayesian, no early stopping", strategy: "bayesian", options: {} },
};

/**
 * The default methods (tl_hb and tl_asha are "the defaults" of the targets; tl_tpe_full is "the
 * same sampler without pruning"). The bayesian rows (tl_hb_bayes, tl_bayes_full: GP proposals,
 * 10-50x the CPU of the rest) and tl_hb_tpe (the same options as tl_hb's defaults) run on request
 * (`--methods`).
 */
export const DEFAULT_TL_METHODS = ["tl_hb", "tl_asha", "tl_hb_classic", "tl_random_full", "tl_tpe_full"];

export interface OptunaMethod {
  readonly label: string;
}

/** bench/lib/mf_suite.py's methods (the same keys there). */
export const OPTUNA_METHODS: Readonly<Record<string, OptunaMethod>> = {
  random_full: { label: "Optuna RandomSampler, no pruning" },
  tpe_full: { label: "Optuna TPESampler, no pruning" },
  tpe_hb: { label: "Optuna TPESampler + HyperbandPruner(1, R, eta=3)" },
  tpe_sha: { label: "Optuna TPESampler + SuccessiveHalvingPruner(1, eta=3, rate=0)" },
  tpe_sha_default: { label: "Optuna TPESampler + SuccessiveHalvingPruner() defaults" },
};

/** Optuna's methods in a default run (tpe_full on request: `--methods`). */
export const DEFAULT_OPTUNA_METHODS = ["random_full", "tpe_hb", "tpe_sha", "tpe_sha_default"];

/** Parses one `--tl-method 'key={"strategy":...,"options":{...}}'` value. */
export function parseTlMethod(arg: string): [string, TlMethod] {
  const eq = arg.indexOf("=");
  const key = eq > 0 ? arg.slice(0, eq).trim() : "";
  if (!/^[A-Za-z0-9_.-]+$/.test(key)) throw new Error(`--tl-method ${arg}: expected key={"strategy":"hyperband","options":{...}} with a key of letters, digits, _ . -`);
  if (TL_METHODS[key] || OPTUNA_METHODS[key]) throw new Error(`--tl-method ${key}: that key is a built-in method; pick another`);
  let spec: unknown;
  try {
    spec = JSON.parse(arg.slice(eq + 1));
  } catch (e) {
    throw new Error(`--tl-method ${key}: the part after = is not JSON (${(e as Error).message})`);
  }
  const s = spec as { strategy?: unknown; options?: unknown; label?: unknown };
  if (typeof spec !== "object" || spec === null || typeof s.strategy !== "string") throw new Error(`--tl-method ${key}: expected {"strategy": "<name>", "options": {...}}`);
  if (s.options !== undefined && (typeof s.options !== "object" || s.options === null || Array.isArray(s.options))) throw new Error(`--tl-method ${key}: "options" must be an object`);
  const options = (s.options ?? {}) as Record<string, unknown>;
  const label = typeof s.label === "string" ? s.label : `${key}: ${s.strategy} ${JSON.stringify(options)}`;
  return [key, { label, strategy: s.strategy, options }];
}

/** The options a method runs with on a problem of `maxResource` steps. */
export function optionsFor(m: TlMethod, maxResource: number): Record<string, unknown> {
  return MULTI_FIDELITY.includes(m.strategy) && m.options["maxResource"] === undefined ? { maxResource, ...m.options } : { ...m.options };
}

/**
 * The sampler a hyperband/asha method proposes with, read from the code being measured: the
 * strategy is built and asked for its model (none: "random"). Used to pair each default with
 * "the same sampler without pruning" (tl_random_full / tl_tpe_full / tl_bayes_full).
 */
export function samplerOf(m: TlMethod): string | undefined {
  if (!MULTI_FIDELITY.includes(m.strategy)) return undefined;
  let sampler = "random";
  const space = SearchSpace.parse({ x: { type: "float", low: 0, high: 1 } });
  new HyperbandStrategy(m.strategy as "hyperband", space, optionsFor(m, 27), (name: string) => {
    sampler = name;
    return {} as Strategy;
  });
  return sampler;
}

/** tunelab's method without pruning that uses `sampler`. */
export const FULL_BUDGET_BY_SAMPLER: Readonly<Record<string, string>> = { random: "tl_random_full", tpe: "tl_tpe_full", bayesian: "tl_bayes_full" };
