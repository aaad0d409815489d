export * from "./strategy";
export { RandomStrategy, RANDOM_OPTIONS } from "./random";
export type { RandomOptions } from "./random";
export { GridStrategy, GRID_KEY } from "./grid";
export type { GridOptions } from "./grid";
export { BayesianStrategy, BAYESIAN_OPTIONS, GP_KEY } from "./bayesian";
export type { BayesianOptions } from "./bayesian";
export { createStrategy, registerStrategy, strategyNames } from "./registry";
export type { StrategyName, StrategyOptionsMap } from "./registry";
