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
 * The configuration type of a space: each parameter's value type; a
 * conditional parameter exists only in the variants where its condition
 * holds. So the type forces a check before a conditional parameter is used,
 * under a strict compiler and under tslab's non-strict one alike (which
 * erases `undefined`, so `m?: number` alone would read as a plain `number`):
 *
 * - check the parameter the condition names: `if (p.opt === "sgd") p.m` is
 *   a number (for a condition on one categorical parameter);
 * - or check for it: `"m" in p ? p.m : 0.9`;
 * - under `strictNullChecks`, `p.m ?? 0.9` works too (`p.m` is `number | undefined`).
 *
 * A space with more than 8 conditional parameters gets the plain form
 * (conditional parameters optional), whose variants would be too many.
 *
 * @example
 * const s = { lr: float(1e-4, 0.1, { scale: "log" }), opt: choice(["sgd", "adam"]), m: float(0.5, 0.99, { when: { opt: ["sgd"] } }) };
 * type P = Params<typeof s>; // { lr: number; opt: "sgd"; m: number } | { lr: number; opt: "adam" }
 */
export type Params<S> = [CondKeys<S>] extends [never]
  ? Simplify<{ -readonly [K in keyof S]: ValueOf<S[K]> }>
  : CountUpTo<CondKeys<S>, 8> extends "more" ? OptionalParams<S> : EachVariant<Unconditional<S> & Variants<S>>;

/** The plain form: conditional parameters optional. */
type OptionalParams<S> = Simplify<
  { -readonly [K in keyof S as IsConditional<S[K]> extends true ? never : K]: ValueOf<S[K]> } & {
    -readonly [K in keyof S as IsConditional<S[K]> extends true ? K : never]?: ValueOf<S[K]>;
  }
>;

/** A parameter's condition with only its named keys (the declared `Condition` index signature dropped). */
type CondOf<P> = P extends { readonly when: infer W extends Condition } ? { [K in keyof W as string extends K ? never : K]: W[K] } : never;
type CondKeys<S> = { [K in keyof S]: IsConditional<S[K]> extends true ? K : never }[keyof S];
type Unconditional<S> = { -readonly [K in keyof S as IsConditional<S[K]> extends true ? never : K]: ValueOf<S[K]> };
type Listed<A> = A extends readonly (infer V)[] ? V : never;
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;
/** Where the condition holds: each named parameter takes a listed value (an int's type stays number). */
type Holds<S, W> = { -readonly [P in keyof W & keyof S]: number extends ValueOf<S[P]> ? ValueOf<S[P]> : Extract<ValueOf<S[P]>, Listed<W[P]>> };
/** Where it fails: for a condition on one parameter, that parameter takes another value; else nothing narrower. */
type Fails<S, W> = true extends IsUnion<keyof W> ? {} : { -readonly [P in keyof W & keyof S]: number extends ValueOf<S[P]> ? ValueOf<S[P]> : Exclude<ValueOf<S[P]>, Listed<W[P]>> };
/** Absent: under strictNullChecks an optional `undefined` (so `p.m ?? x` reads), else no key at all (so reading it is an error). */
type Absent<K extends PropertyKey> = null extends number ? {} : { [Q in K]?: undefined };
type Variant<S, K extends keyof S> = (Holds<S, CondOf<S[K]>> & { -readonly [Q in K]: ValueOf<S[K]> }) | (Fails<S, CondOf<S[K]>> & Absent<K>);
/** The intersection of every conditional parameter's two variants (TypeScript spreads it into a union; impossible combinations reduce to never). */
type Variants<S> = { [K in CondKeys<S>]: (x: Variant<S, K>) => void }[CondKeys<S>] extends (x: infer I) => void ? I : never;
type EachVariant<T> = T extends unknown ? Simplify<T> : never;
/** "more" when the union `U` has more than `N` members. */
type CountUpTo<U, N extends number, Seen extends unknown[] = []> = [U] extends [never]
  ? Seen["length"]
  : Seen["length"] extends N
    ? "more"
    : CountUpTo<Exclude<U, LastOf<U>>, N, [...Seen, 0]>;
type LastOf<U> = (U extends unknown ? (x: () => U) => void : never) extends (x: infer I) => void ? (I extends () => infer L ? L : never) : never;

/** A configuration with no static type: parameter name → value. */
export type Config = { [name: string]: Choice };
