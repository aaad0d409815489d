export * from "./types";
export * from "./builders";
export { SearchSpace, checkValue } from "./space";
export type { ParamSpec, FloatSpec, IntSpec, CategoricalSpec } from "./space";
export { encode, decode, fromUnit, toUnit, gridSize, gridValue } from "./encoding";
export { Grid, MAX_GRID_SIZE } from "./grid";
