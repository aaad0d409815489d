/**
 * fast-check generators of valid search spaces (PROTOCOL.md JSON), for property tests of the
 * space, its encoding, the grid and every strategy.
 */
import fc from "fast-check";
import type { Choice, ParamDef, SpaceDef } from "../../src/space/types";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Def = Mutable<ParamDef> & { when?: Record<string, Choice[]> };

const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });

/** A decimal with `d` digits after the point, as people write them (0.001, 10000.37, -2.5). */
const decimal = (maxUnits: number, d: number) => fc.integer({ min: -maxUnits, max: maxUnits }).map((u) => Number((u / 10 ** d).toFixed(d)));
const positiveDecimal = (maxUnits: number, d: number) => fc.integer({ min: 1, max: maxUnits }).map((u) => Number((u / 10 ** d).toFixed(d)));

/** Linear floats: any doubles, or decimal bounds and step. */
const floatLinear = fc.oneof(
  fc.tuple(finite(-1e6, 1e6), finite(1e-6, 2e6)).map(([low, w]) => ({ type: "float", low, high: low + w }) as Def),
  fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), fc.integer({ min: 0, max: 3 }))
    .chain(([d, ds, n, exact, mag]) =>
      fc.tuple(decimal(10 ** (3 + mag), d), positiveDecimal(1000, ds), finite(0, 0.99)).map(([low, step, frac]) => {
        const digits = Math.max(d, ds);
        const high = exact ? Number((low + n * step).toFixed(digits)) : low + (n + frac) * step;
        return { type: "float", low, high, step } as Def;
      }),
    ),
  // A step that is an arbitrary double (no decimal rounding applies).
  fc.tuple(finite(-1e3, 1e3), finite(1e-3, 1e3), fc.integer({ min: 1, max: 30 })).map(([low, w, n]) => ({ type: "float", low, high: low + w, step: w / n }) as Def),
);

/** Log floats: low anywhere in [1e-8, 1e3], up to 8 decades wide; sometimes stepped. */
const floatLog = fc.oneof(
  fc.tuple(finite(-8, 3), finite(0.01, 8)).map(([a, b]) => {
    const low = 10 ** a;
    return { type: "float", low, high: low * 10 ** b, scale: "log" } as Def;
  }),
  fc.tuple(positiveDecimal(1000, 3), positiveDecimal(100, 2), fc.integer({ min: 1, max: 30 })).map(
    ([low, step, n]) => ({ type: "float", low, high: Number((low + n * step).toFixed(3)), scale: "log", step }) as Def,
  ),
);

/** Reverse-log floats: 0 <= low < high < 1; sometimes stepped. */
const floatReverseLog = fc.oneof(
  fc.tuple(finite(0, 0.99), finite(0.001, 1)).map(([low, f]) => {
    const high = Math.min(low + (0.99999 - low) * f, 0.99999);
    return { type: "float", low, high, scale: "reverse-log" } as Def;
  }),
  fc.tuple(fc.integer({ min: 0, max: 80 }), fc.constantFrom(0.001, 0.005, 0.01), fc.integer({ min: 1, max: 15 })).map(([k, step, n]) => {
    const low = Number((k / 100).toFixed(2));
    return { type: "float", low, high: Number((low + n * step).toFixed(3)), scale: "reverse-log", step } as Def;
  }),
);

const int = fc.oneof(
  fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 }), fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined })).map(
    ([low, w, step]) => ({ type: "int", low, high: low + w, ...(step !== undefined ? { step } : {}) }) as Def,
  ),
  fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 100000 }), fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined })).map(
    ([low, w, step]) => ({ type: "int", low, high: low + w, scale: "log", ...(step !== undefined ? { step } : {}) }) as Def,
  ),
);

/** The next double above x (x finite, not the largest). */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  const bits = b.getBigUint64(0);
  b.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return b.getFloat64(0);
}

/** How many doubles lie in [low, high] (low <= high), counted on the ordered bit patterns. */
export function doublesBetween(low: number, high: number): number {
  const b = new DataView(new ArrayBuffer(8));
  const ordinal = (x: number): bigint => {
    b.setFloat64(0, x === 0 ? 0 : x);
    const bits = b.getBigUint64(0);
    return x < 0 ? -(bits & 0x7fffffffffffffffn) : bits;
  };
  return Number(ordinal(high) - ordinal(low)) + 1;
}

const MAX_HALF = Number.MAX_VALUE / 2;

/**
 * Ranges at the edges of what doubles can do (issue 11, class 3): widths up to the largest
 * double, subnormal bounds, log ranges a few ulps wide, reverse-log up to 1 - 2^-53, adjacent
 * doubles, ints near ±2^53, large stepped floats, -0 as a bound.
 */
const floatExtreme = fc.oneof(
  // Linear, anywhere in the doubles, as wide as a finite high - low allows.
  fc.tuple(finite(-MAX_HALF, MAX_HALF), finite(-MAX_HALF, MAX_HALF)).filter(([a, b]) => a !== b).map(([a, b]) => ({ type: "float", low: Math.min(a, b), high: Math.max(a, b) }) as Def),
  fc.constantFrom(
    { type: "float", low: -MAX_HALF, high: MAX_HALF },
    { type: "float", low: 0, high: Number.MAX_VALUE },
    { type: "float", low: -Number.MAX_VALUE, high: 0 },
    { type: "float", low: 0, high: Number.MIN_VALUE },
    { type: "float", low: -0, high: 1 },
    { type: "float", low: -1e-320, high: 1e-320 },
    { type: "float", low: Number.MIN_VALUE, high: 2 * Number.MIN_VALUE, scale: "log" },
    { type: "float", low: Number.MIN_VALUE, high: 1, scale: "log" },
    { type: "float", low: Number.MIN_VALUE, high: Number.MAX_VALUE, scale: "log" },
    { type: "float", low: 1e-300, high: 1.0000001e-300, scale: "log" },
    { type: "float", low: 0, high: 1 - 2 ** -53, scale: "reverse-log" },
    { type: "float", low: 1 - 2 ** -50, high: 1 - 2 ** -53, scale: "reverse-log" },
    { type: "float", low: 0.5, high: 0.5 + 2 ** -40, scale: "reverse-log" },
    { type: "float", low: -MAX_HALF, high: MAX_HALF, step: MAX_HALF / 4 },
    { type: "float", low: -Number.MAX_VALUE, high: 0, step: 1e307 },
    { type: "float", low: 1e15, high: 1e15 + 1e5, step: 1e4 },
    { type: "float", low: 0, high: 1, step: 1e-12 },
  ) as fc.Arbitrary<Def>,
  // A few ulps wide, in any scale.
  fc.tuple(finite(1e-300, 1e300), fc.integer({ min: 1, max: 40 }), fc.constantFrom("linear", "log")).map(([low, n, scale]) => {
    let high = low;
    for (let i = 0; i < n; i++) high = nextUp(high);
    return { type: "float", low, high, ...(scale === "log" ? { scale } : {}) } as Def;
  }),
  // Log ranges of any relative width, from subnormal to huge.
  fc.tuple(finite(-323, 307), finite(1e-15, 600)).map(([a, w]) => {
    const low = Math.max(Number.MIN_VALUE, 10 ** a);
    const high = Math.min(Number.MAX_VALUE, low * (1 + w));
    return { type: "float", low, high: high > low ? high : nextUp(low), scale: "log" } as Def;
  }),
);

const intExtreme = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.boolean(), fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined })).map(([w, top, step]) => {
    const low = top ? Number.MAX_SAFE_INTEGER - w : -Number.MAX_SAFE_INTEGER;
    return { type: "int", low, high: low + w, ...(step !== undefined ? { step } : {}) } as Def;
  }),
  fc.constantFrom(
    { type: "int", low: 0, high: Number.MAX_SAFE_INTEGER },
    { type: "int", low: -Number.MAX_SAFE_INTEGER, high: 0, step: 2 ** 40 },
    { type: "int", low: 1, high: Number.MAX_SAFE_INTEGER, scale: "log" },
    { type: "int", low: 2 ** 52, high: 2 ** 52 + 3, scale: "log" },
    { type: "int", low: 0, high: 1e9 },
  ) as fc.Arbitrary<Def>,
);

/** Distinct strings, numbers and booleans, as the protocol's dedupe sees them (typeof + text). */
const choices = (maxLength: number) =>
  fc.uniqueArray(fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -100, max: 100 }), finite(-1e9, 1e9), fc.boolean()), {
    minLength: 1,
    maxLength,
    selector: (c) => `${typeof c}:${String(c)}`,
  });
const categorical = choices(6).map((cs) => ({ type: "categorical", choices: cs }) as Def);

/** The values a discrete parameter can take (a condition may list any of them). */
function valuesOf(d: Def, limit: number): Choice[] {
  if (d.type === "categorical") return [...d.choices];
  if (d.type !== "int") return [];
  const step = d.step ?? 1;
  const n = Math.min(limit, Math.floor((d.high - d.low) / step) + 1);
  return Array.from({ length: n }, (_, k) => d.low + k * step);
}

interface ConditionPick {
  readonly parent: number;
  readonly values: readonly number[];
}
const conditionPick = fc.record({ parent: fc.nat(), values: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) });

/**
 * A space from parameter definitions: each may get a condition on one or two earlier
 * categorical/int parameters (themselves possibly conditional), and the space declares them
 * in a shuffled order so that dependencies can come after the parameters they govern.
 */
function assemble(defs: Def[], conds: (ConditionPick[] | null)[], order: number[]): SpaceDef {
  const withWhen = defs.map((d, i) => {
    const picks = conds[i];
    const candidates = defs.slice(0, i).flatMap((p, j) => (p.type === "float" ? [] : [j]));
    if (!picks || candidates.length === 0) return d;
    const when: Record<string, Choice[]> = {};
    for (const pick of picks) {
      const j = candidates[pick.parent % candidates.length]!;
      const vs = valuesOf(defs[j]!, 50);
      when[`p${j}`] = [...new Set(pick.values.map((v) => vs[v % vs.length]!))];
    }
    return { ...d, when };
  });
  const keyed = order.map((o, i) => [o, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: Record<string, ParamDef> = {};
  for (const [, i] of keyed) out[`p${i}`] = withWhen[i]! as ParamDef;
  return out;
}

function spaceOf(param: fc.Arbitrary<Def>, maxParams: number): fc.Arbitrary<SpaceDef> {
  return fc.array(param, { minLength: 1, maxLength: maxParams }).chain((defs) =>
    fc
      .tuple(
        fc.array(fc.option(fc.array(conditionPick, { minLength: 1, maxLength: 2 }), { nil: null, freq: 2 }), { minLength: defs.length, maxLength: defs.length }),
        fc.array(fc.nat({ max: 3 }), { minLength: defs.length, maxLength: defs.length }),
      )
      .map(([conds, order]) => assemble(defs, conds, order)),
  );
}

/** Any valid space: floats (linear, log, reverse-log, stepped or not), ints, categoricals, conditions, extreme ranges. */
export const arbSpace: fc.Arbitrary<SpaceDef> = spaceOf(
  fc.oneof(floatLinear, floatLog, floatReverseLog, int, categorical, { arbitrary: floatExtreme, weight: 1 }, { arbitrary: intExtreme, weight: 1 }),
  7,
);

/** Small spaces a grid can enumerate: every float stepped, a handful of values per parameter. */
export const arbGridSpace: fc.Arbitrary<SpaceDef> = spaceOf(
  fc.oneof(
    fc.tuple(decimal(100, 1), fc.constantFrom(0.1, 0.25, 0.5, 2), fc.integer({ min: 1, max: 4 })).map(
      ([low, step, n]) => ({ type: "float", low, high: Number((low + n * step).toFixed(2)), step }) as Def,
    ),
    fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 })).map(
      ([low, n, step]) => ({ type: "int", low, high: low + n * step, ...(step > 1 ? { step } : {}) }) as Def,
    ),
    choices(4).map((cs) => ({ type: "categorical", choices: cs }) as Def),
  ),
  5,
);

/** A point of the unit cube of dimension `d`, 0 and 1 included. */
export const arbUnit = (d: number) => fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: d, maxLength: d });
