/** A categorical choice: returned to the objective exactly as declared. */
export type Choice = string | number | boolean;

/** `{ other: [allowed, ...] }`: the parameter exists only where every named parameter took a listed value. */
export type Condition = { readonly [param: string]: readonly Choice[] };

export const FloatScales = ["linear", "log", "reverse-log"] as const;
export type FloatScale = (typeof FloatScales)[number];
export const IntScales = ["linear", "log"] as const;
export type IntScale = (typeof IntScales)[number];

/** A real number in [low, high] (PROTOCOL.md `"float"`). */
export interface FloatParam {
  readonly type: "float";
  readonly low: number;
  readonly high: number;
  readonly scale?: FloatScale;
  readonly step?: number;
  readonly when?: Condition;
}

/** An integer in [low, high] (PROTOCOL.md `"int"`). */
export interface IntParam {
  readonly type: "int";
  readonly low: number;
  readonly high: number;
  readonly scale?: IntScale;
  readonly step?: number;
  readonly when?: Condition;
}

/** One of the choices, returned as given (PROTOCOL.md `"categorical"`). */
export interface CategoricalParam<C extends Choice = Choice> {
  readonly type: "categorical";
  readonly choices: readonly C[];
  readonly when?: Condition;
}

export type ParamDef = FloatParam | IntParam | CategoricalParam;

/** A search space as declared: parameter name → definition (the protocol's JSON). */
export type SpaceDef = { readonly [name: string]: ParamDef };

/** The value type a parameter definition produces. */
export type ValueOf<P> = P extends { readonly type: "categorical"; readonly choices: readonly (infer C)[] } ? C : number;

type IsConditional<P> = P extends { readonly when: Condition } ? true : false;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The configuration type of a space: each parameter's value type, with
 * conditional parameters optional (they are absent where their condition fails).
 *
 * @example
 * const s = { lr: float(1e-4, 0.1, { scale: "log" }), opt: choice(["sgd", "adam"]) };
 * type P = Params<typeof s>; // { lr: number; opt: "sgd" | "adam" }
 */
export type Params<S> = Simplify<
  { -readonly [K in keyof S as IsConditional<S[K]> extends true ? never : K]: ValueOf<S[K]> } & {
    -readonly [K in keyof S as IsConditional<S[K]> extends true ? K : never]?: ValueOf<S[K]>;
  }
>;

/** A configuration with no static type: parameter name → value. */
export type Config = { [name: string]: Choice };
