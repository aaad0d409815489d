import type { SearchSpace } from "../space/space";
import { Msg } from "../util/messages";
import { BayesianStrategy, type BayesianOptions } from "./bayesian";
import { GridStrategy, type GridOptions } from "./grid";
import { HyperbandStrategy, type AshaOptions, type HyperbandOptions } from "./hyperband";
import { MedianStopping, STOPPING_RULES } from "./median";
import { RandomStrategy, type RandomOptions } from "./random";
import type { Stopper, Strategy } from "./strategy";
import { TpeStrategy, type TpeOptions } from "./tpe";

/**
 * Options of each strategy, by name. Later strategies add themselves here,
 * which also types `.strategy(name, options)` in the DSL.
 */
export interface StrategyOptionsMap {
  random: RandomOptions;
  grid: GridOptions;
  bayesian: BayesianOptions;
  tpe: TpeOptions;
  hyperband: HyperbandOptions;
  asha: AshaOptions;
}

export type StrategyName = keyof StrategyOptionsMap;

/** `field`: where the options sit in the request (default "options"). */
type Factory = (space: SearchSpace, options: unknown, field?: string) => Strategy;

const factories = new Map<string, Factory>([
  ["random", (s, o, f) => new RandomStrategy(s, o, f)],
  ["grid", (s, o) => new GridStrategy(s, o)],
  ["bayesian", (s, o, f) => new BayesianStrategy(s, o, f)],
  ["tpe", (s, o, f) => new TpeStrategy(s, o, f)],
  ["hyperband", (s, o) => new HyperbandStrategy("hyperband", s, o, modelStrategy)],
  ["asha", (s, o) => new HyperbandStrategy("asha", s, o, modelStrategy)],
]);

/** The model a model-guided Hyperband samples with ("tpe" or "bayesian"); `field` names where its options sit. */
function modelStrategy(name: string, space: SearchSpace, options: unknown, field: string): Strategy {
  const f = factories.get(name);
  if (!f || name === "hyperband" || name === "asha" || name === "grid") throw Msg.unknownStrategy(name, ["tpe", "bayesian"]);
  return f(space, options, field);
}

export function strategyNames(): string[] {
  return [...factories.keys()];
}

/** Registers a strategy under a name (used by later strategies and by plug-ins). */
export function registerStrategy(name: string, factory: Factory): void {
  factories.set(name, factory);
}

/** Builds a strategy by name, validating its options. */
export function createStrategy(name: unknown, space: SearchSpace, options?: unknown): Strategy {
  if (typeof name === "string") {
    const f = factories.get(name);
    if (f) return f(space, options);
  }
  throw Msg.unknownStrategy(name, [...factories.keys()]);
}

/** Builds an early-stopping rule by name ("median"), validating its options. */
export function createStopper(name: unknown, options?: unknown, field = "stopping"): Stopper {
  if (name === "median") return new MedianStopping(options);
  throw Msg.badOption(field, name, `one of ${STOPPING_RULES.map((r) => `"${r}"`).join(", ")} (or a Stopper object)`);
}
