import type { SearchSpace } from "../space/space";
import { Msg } from "../util/messages";
import { BayesianStrategy, type BayesianOptions } from "./bayesian";
import { GridStrategy, type GridOptions } from "./grid";
import { RandomStrategy, type RandomOptions } from "./random";
import type { Strategy } from "./strategy";
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
}

export type StrategyName = keyof StrategyOptionsMap;

type Factory = (space: SearchSpace, options: unknown) => Strategy;

const factories = new Map<string, Factory>([
  ["random", (s, o) => new RandomStrategy(s, o)],
  ["grid", (s, o) => new GridStrategy(s, o)],
  ["bayesian", (s, o) => new BayesianStrategy(s, o)],
  ["tpe", (s, o) => new TpeStrategy(s, o)],
]);

/** Strategies the protocol names that this version does not ship yet, and where they come from. */
const upcoming: Record<string, string> = {
  hyperband: "the Hyperband release",
  asha: "the Hyperband release",
};

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
    // An own-property test: `in` would also find "toString", "constructor", ... on the prototype.
    if (Object.prototype.hasOwnProperty.call(upcoming, name)) throw Msg.strategyNotYet(name, upcoming[name]!);
  }
  throw Msg.unknownStrategy(name, [...factories.keys()]);
}
