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

/** Any valid space: floats (linear, log, reverse-log, stepped or not), ints, categoricals, conditions. */
export const arbSpace: fc.Arbitrary<SpaceDef> = spaceOf(fc.oneof(floatLinear, floatLog, floatReverseLog, int, categorical), 7);

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
