/**
 * Every invalid space is refused with a TunelabError from the catalog — a code other than
 * `internal`, a field naming the parameter at fault — by SearchSpace.parse and by
 * `tune().space()` alike, and the DSL builders (`float`, `int`, `choice`, `when`) refuse the
 * same definition at once with the same code.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tune } from "../../src/dsl/tuner";
import { choice, float, int, when } from "../../src/space/builders";
import { MAX_CHOICES, MAX_PARAMS, SearchSpace } from "../../src/space/space";
import type { SpaceDef } from "../../src/space/types";
import { TunelabError } from "../../src/util/errors";
import { thrown } from "../helpers/thrown";
import { arbSpace } from "./arbitrary";

type Def = Record<string, unknown>;

/**
 * Ways to make one parameter's definition invalid on its own (what a builder can check), each
 * with the code it must be refused with.
 */
const breakParam: [label: string, code: string, mutate: (d: Def) => Def][] = [
  ["low == high", "space.low_not_below_high", (d) => ({ type: "float", low: 1, high: 1, ...pick(d, "when") })],
  ["low > high", "space.low_not_below_high", (d) => ({ type: "float", low: 2, high: -2, ...pick(d, "when") })],
  ["wider than the largest double", "space.range_too_wide", (d) => ({ type: "float", low: -1.7e308, high: 1.7e308, ...pick(d, "when") })],
  ["NaN bound", "space.not_finite", (d) => ({ type: "float", low: NaN, high: 1, ...pick(d, "when") })],
  ["infinite bound", "space.not_finite", (d) => ({ type: "float", low: 0, high: Infinity, ...pick(d, "when") })],
  ["string bound", "space.not_finite", (d) => ({ type: "int", low: "0", high: 3, ...pick(d, "when") })],
  ["log from 0", "space.log_low", (d) => ({ type: "float", low: 0, high: 1, scale: "log", ...pick(d, "when") })],
  ["reverse-log to 1", "space.reverse_log_range", (d) => ({ type: "float", low: 0.5, high: 1, scale: "reverse-log", ...pick(d, "when") })],
  ["unknown scale", "space.bad_scale", (d) => ({ type: "float", low: 0, high: 1, scale: "exp", ...pick(d, "when") })],
  ["negative step", "space.bad_step", (d) => ({ type: "float", low: 0, high: 1, step: -0.1, ...pick(d, "when") })],
  ["step larger than the range", "space.step_too_large", (d) => ({ type: "float", low: 0, high: 1, step: 2, ...pick(d, "when") })],
  ["step finer than the doubles there", "space.step_too_fine", (d) => ({ type: "float", low: 1e15, high: 1e15 + 10, step: 0.1, ...pick(d, "when") })],
  ["fractional int bound", "space.not_integer", (d) => ({ type: "int", low: 0.5, high: 3, ...pick(d, "when") })],
  ["int beyond 2^53", "space.int_not_safe", (d) => ({ type: "int", low: 0, high: 2 ** 53 + 2, ...pick(d, "when") })],
  ["int range wider than 2^53 - 1", "space.range_too_wide", (d) => ({ type: "int", low: -(2 ** 52), high: 2 ** 53 - 1, ...pick(d, "when") })],
  ["int low above high", "space.low_above_high", (d) => ({ type: "int", low: 3, high: 2, ...pick(d, "when") })],
  ["int step 1.5", "space.bad_step", (d) => ({ type: "int", low: 0, high: 9, step: 1.5, ...pick(d, "when") })],
  ["int step 2^60", "space.bad_step", (d) => ({ type: "int", low: 0, high: 9, step: 2 ** 60, ...pick(d, "when") })],
  ["int log from 0", "space.log_low", (d) => ({ type: "int", low: 0, high: 9, scale: "log", ...pick(d, "when") })],
  ["no choices", "space.empty_choices", (d) => ({ type: "categorical", choices: [], ...pick(d, "when") })],
  ["duplicate choices", "space.duplicate_choice", (d) => ({ type: "categorical", choices: ["a", "b", "a"], ...pick(d, "when") })],
  ["object choice", "space.bad_choice", (d) => ({ type: "categorical", choices: ["a", { x: 1 }], ...pick(d, "when") })],
  ["NaN choice", "space.bad_choice", (d) => ({ type: "categorical", choices: [NaN], ...pick(d, "when") })],
  ["too many choices", "space.too_many_choices", (d) => ({ type: "categorical", choices: Array.from({ length: MAX_CHOICES + 1 }, (_, i) => i), ...pick(d, "when") })],
  ["unknown field", "space.unknown_field", (d) => ({ ...d, stepp: 1 })],
  ["condition that is not an object", "space.bad_condition", (d) => ({ ...d, when: ["a"] })],
  ["condition with an empty list", "space.bad_condition", (d) => ({ ...d, when: { other: [] } })],
  ["condition listing 10,001 values", "space.condition_too_long", (d) => ({ ...d, when: { other: Array.from({ length: MAX_CHOICES + 1 }, (_, i) => i) } })],
];

/** Ways to break a parameter that only the whole space shows (conditions on other parameters). */
const breakInSpace: [label: string, code: string, mutate: (name: string, other: string, d: Def) => Def][] = [
  ["condition on an unknown parameter", "space.condition_unknown", (_n, _o, d) => ({ ...d, when: { nowhere: [1] } })],
  ["condition on itself", "space.condition_self", (n, _o, d) => ({ ...d, when: { [n]: [1] } })],
  ["condition on a float", "space.condition_type", (_n, o, d) => ({ ...d, when: { [o]: [1] } })],
];

function pick(d: Def, key: string): Def {
  return d[key] === undefined ? {} : { [key]: d[key] };
}

/** What a builder makes of a definition (the builder that would write it; the type decides). */
function build(d: Def): unknown {
  const { type, low, high, choices, ...rest } = d;
  if (type === "float") return float(low as number, high as number, rest as never);
  if (type === "int") return int(low as number, high as number, rest as never);
  return choice(choices as never, rest as never);
}

function expectRefused(e: unknown, code: string, name: string): TunelabError {
  expect(e, `expected ${code}`).toBeInstanceOf(TunelabError);
  const err = e as TunelabError;
  expect(err.code).not.toBe("internal");
  expect(err.code).toBe(code);
  expect(err.field === `space.${name}` || err.field?.startsWith(`space.${name}.`), `field ${err.field} names ${name}`).toBe(true);
  return err;
}

describe("invalid spaces", () => {
  const arbBroken = arbSpace.chain((json) =>
    fc.tuple(fc.constant(json), fc.constantFrom(...Object.keys(json)), fc.nat({ max: breakParam.length - 1 })),
  );

  it("one broken parameter: parse and tune().space() refuse it with its code and a field naming it; its builder refuses it at once", () => {
    fc.assert(
      fc.property(arbBroken, ([json, name, m]) => {
        const [, code, mutate] = breakParam[m]!;
        const def = mutate({ ...(json[name] as unknown as Def) });
        const broken = { ...json, [name]: def };
        const e = expectRefused(thrown(() => SearchSpace.parse(broken)), code, name);
        const viaTune = thrown(() => tune("invalid").space(broken as SpaceDef));
        expect(viaTune).toMatchObject({ code: e.code, field: e.field });
        // The builder does not know the name: same code, its own name as the field's start.
        const fromBuilder = thrown(() => build(def));
        expect(fromBuilder).toBeInstanceOf(TunelabError);
        expect(fromBuilder).toMatchObject({ code });
        expect((fromBuilder as TunelabError).field).toMatch(/^(float|int|choice)\b/);
      }),
      { numRuns: 300 },
    );
  });

  it("a condition that only the whole space can check: refused naming the conditional parameter", () => {
    const arb = arbSpace.chain((json) => fc.tuple(fc.constant(json), fc.constantFrom(...Object.keys(json)), fc.nat({ max: breakInSpace.length - 1 })));
    fc.assert(
      fc.property(arb, ([json, name, m]) => {
        const [, code, mutate] = breakInSpace[m]!;
        const broken = { ...json, [name]: mutate(name, "f", { ...(json[name] as unknown as Def) }), f: { type: "float", low: 0, high: 1 } };
        expectRefused(thrown(() => SearchSpace.parse(broken)), code, name);
        expect(thrown(() => tune("invalid").space(broken as SpaceDef))).toMatchObject({ code });
      }),
      { numRuns: 100 },
    );
  });
});

describe("the refusals, one by one (regressions)", () => {
  const refusal = (json: unknown) => thrown(() => SearchSpace.parse(json)) as TunelabError;

  it("a float range wider than the largest double (random always gave high, tpe NaN, bayesian an internal error)", () => {
    expect(refusal({ x: { type: "float", low: -1.7e308, high: 1.7e308 } })).toMatchObject({ code: "space.range_too_wide", field: "space.x" });
    expect(refusal({ x: { type: "float", low: -1.7e308, high: 1.7e308 } }).message).toContain(String(Number.MAX_VALUE));
    // As wide as a double can measure is fine.
    expect(() => SearchSpace.parse({ x: { type: "float", low: 0, high: Number.MAX_VALUE } })).not.toThrow();
    expect(() => SearchSpace.parse({ x: { type: "float", low: -Number.MAX_VALUE / 2, high: Number.MAX_VALUE / 2 } })).not.toThrow();
  });

  it("ints beyond 2^53, where doubles skip integers", () => {
    expect(refusal({ n: { type: "int", low: 0, high: 2 ** 53 + 10 } })).toMatchObject({ code: "space.int_not_safe", field: "space.n.high" });
    expect(refusal({ n: { type: "int", low: -(2 ** 53), high: 0 } })).toMatchObject({ code: "space.int_not_safe", field: "space.n.low" });
    expect(refusal({ n: { type: "int", low: -(2 ** 53 - 1), high: 2 ** 53 - 1 } })).toMatchObject({ code: "space.range_too_wide", field: "space.n" });
    expect(() => SearchSpace.parse({ n: { type: "int", low: 0, high: 2 ** 53 - 1 } })).not.toThrow();
  });

  it("a step finer than the doubles near the bounds (1e15 + k*0.1 are not doubles)", () => {
    const e = refusal({ x: { type: "float", low: 1e15, high: 1e15 + 10, step: 0.1 } });
    expect(e).toMatchObject({ code: "space.step_too_fine", field: "space.x.step" });
    expect(e.message).toContain("1000");
    expect(() => SearchSpace.parse({ x: { type: "float", low: 1e15, high: 1e15 + 1e5, step: 1e4 } })).not.toThrow();
  });

  it("bounds on sizes: parameters, choices, condition lists", () => {
    const wide = Object.fromEntries(Array.from({ length: MAX_PARAMS + 1 }, (_, i) => [`p${i}`, { type: "int", low: 0, high: 1 }]));
    expect(refusal(wide)).toMatchObject({ code: "space.too_many_params", field: "space" });
    delete wide[`p${MAX_PARAMS}`];
    expect(SearchSpace.parse(wide).size).toBe(MAX_PARAMS);
    const many = Array.from({ length: MAX_CHOICES }, (_, i) => i);
    expect(() => SearchSpace.parse({ c: { type: "categorical", choices: many } })).not.toThrow();
    expect(refusal({ c: { type: "categorical", choices: [...many, -1] } })).toMatchObject({ code: "space.too_many_choices", field: "space.c.choices" });
    expect(refusal({ n: { type: "int", low: 0, high: 1e9 }, x: { type: "float", low: 0, high: 1, when: { n: [...many, -1] } } })).toMatchObject({
      code: "space.condition_too_long",
      field: "space.x.when.n",
    });
  });

  it("a chain of 10,000 conditions parses (linearly: it took 12 s) and orders parents first", () => {
    const chain: Record<string, unknown> = {};
    // Declared child first, so every parameter's parent comes after it.
    for (let i = MAX_PARAMS - 1; i >= 0; i--) chain[`p${i}`] = i === 0 ? { type: "categorical", choices: [0, 1] } : { type: "categorical", choices: [0, 1], when: { [`p${i - 1}`]: [0] } };
    const s = SearchSpace.parse(chain);
    expect(s.evalOrder.map((p) => p.name)).toEqual(Array.from({ length: MAX_PARAMS }, (_, i) => `p${i}`));
    // A cycle through the whole chain is named.
    chain["p0"] = { type: "categorical", choices: [0, 1], when: { [`p${MAX_PARAMS - 1}`]: [0] } };
    expect(refusal(chain)).toMatchObject({ code: "space.condition_cycle" });
  });

  it("builders refuse at once, with the code parse gives", () => {
    expect(thrown(() => float(0, Infinity))).toMatchObject({ code: "space.not_finite", field: "float.high" });
    expect(thrown(() => float(-1.7e308, 1.7e308))).toMatchObject({ code: "space.range_too_wide", field: "float" });
    expect(thrown(() => int(0, 2 ** 60))).toMatchObject({ code: "space.int_not_safe", field: "int.high" });
    expect(thrown(() => choice([]))).toMatchObject({ code: "space.empty_choices", field: "choice.choices" });
    expect(thrown(() => choice("ab" as never))).toMatchObject({ code: "space.empty_choices" });
    expect(thrown(() => when({ a: [] }, int(0, 3)))).toMatchObject({ code: "space.bad_condition", field: "when.when" });
    expect(when({ a: ["x"] }, int(0, 3))).toStrictEqual({ type: "int", low: 0, high: 3, when: { a: ["x"] } });
  });
});
