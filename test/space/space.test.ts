import { describe, expect, it } from "vitest";
import { choice, float, int, when } from "../../src/space/builders";
import { SearchSpace } from "../../src/space/space";
import type { SpaceDef } from "../../src/space/types";
import { TunelabError } from "../../src/util/errors";

/** Runs `fn`, expecting one TunelabError with this code and field whose message names `names`. */
function expectError(fn: () => unknown, code: string, field: string, ...names: string[]): TunelabError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(TunelabError);
  const e = caught as TunelabError;
  expect({ code: e.code, field: e.field }).toEqual({ code, field });
  for (const n of names) expect(e.message).toContain(n);
  return e;
}

const parse = (json: unknown) => SearchSpace.parse(json);

/** The example of PROTOCOL.md, verbatim. */
const PROTOCOL_EXAMPLE = JSON.parse(`{"lr": {"type": "float", "low": 1e-5, "high": 1, "scale": "log"},
 "layers": {"type": "int", "low": 1, "high": 4},
 "optimizer": {"type": "categorical", "choices": ["sgd", "adam"]},
 "momentum": {"type": "float", "low": 0.5, "high": 0.999, "scale": "reverse-log", "when": {"optimizer": ["sgd"]}}}`) as SpaceDef;

describe("SearchSpace.parse: bounds and scales", () => {
  it("rejects a float whose low is not below high (equal or above)", () => {
    expectError(() => parse({ lr: { type: "float", low: 1, high: 1 } }), "space.low_not_below_high", "space.lr", "lr");
    expectError(() => parse({ lr: { type: "float", low: 2, high: 1 } }), "space.low_not_below_high", "space.lr", "lr", "low=2", "high=1");
  });

  it("rejects an int whose low is above high, and accepts low == high", () => {
    expectError(() => parse({ n: { type: "int", low: 5, high: 4 } }), "space.low_above_high", "space.n", "n", "low=5");
    expect(parse({ n: { type: "int", low: 4, high: 4 } }).param("n")).toMatchObject({ low: 4, high: 4 });
  });

  it("rejects non-finite and non-integer bounds", () => {
    expectError(() => parse({ lr: { type: "float", low: 0, high: Infinity } }), "space.not_finite", "space.lr.high", "lr");
    expectError(() => parse({ lr: { type: "float", low: "0", high: 1 } }), "space.not_finite", "space.lr.low", "lr");
    expectError(() => parse({ lr: { type: "float", high: 1 } }), "space.not_finite", "space.lr.low", "lr");
    expectError(() => parse({ n: { type: "int", low: 0.5, high: 3 } }), "space.not_integer", "space.n.low", "n");
    expectError(() => parse({ n: { type: "int", low: 0, high: 3.5 } }), "space.not_integer", "space.n.high", "n");
  });

  it("log floats need low > 0", () => {
    expectError(() => parse({ lr: { type: "float", low: 0, high: 1, scale: "log" } }), "space.log_low", "space.lr.low", "lr");
    expectError(() => parse({ lr: { type: "float", low: -1, high: 1, scale: "log" } }), "space.log_low", "space.lr.low", "lr");
    expect(() => parse({ lr: { type: "float", low: 1e-300, high: 1, scale: "log" } })).not.toThrow();
  });

  it("log ints need low >= 1", () => {
    expectError(() => parse({ n: { type: "int", low: 0, high: 8, scale: "log" } }), "space.log_low", "space.n.low", "n");
    expectError(() => parse({ n: { type: "int", low: -3, high: 8, scale: "log" } }), "space.log_low", "space.n.low", "n");
    expect(() => parse({ n: { type: "int", low: 1, high: 8, scale: "log" } })).not.toThrow();
  });

  it("reverse-log needs 0 <= low < high < 1", () => {
    for (const [low, high] of [
      [-0.1, 0.5],
      [0.5, 1],
      [0.5, 1.5],
      [-1, 2],
    ] as const) {
      expectError(() => parse({ m: { type: "float", low, high, scale: "reverse-log" } }), "space.reverse_log_range", "space.m", "m");
    }
    expect(() => parse({ m: { type: "float", low: 0, high: 0.999, scale: "reverse-log" } })).not.toThrow();
  });

  it("rejects unknown scales, including reverse-log for ints", () => {
    expectError(() => parse({ lr: { type: "float", low: 1, high: 2, scale: "exp" } }), "space.bad_scale", "space.lr.scale", "lr", "exp");
    expectError(() => parse({ n: { type: "int", low: 1, high: 2, scale: "reverse-log" } }), "space.bad_scale", "space.n.scale", "n");
  });
});

describe("SearchSpace.parse: steps", () => {
  it("float steps must be finite numbers > 0", () => {
    for (const step of [0, -0.1, NaN, Infinity, "0.1", null]) {
      expectError(() => parse({ x: { type: "float", low: 0, high: 1, step } }), "space.bad_step", "space.x.step", "x");
    }
  });

  it("int steps must be integers >= 1", () => {
    for (const step of [0, -1, 1.5, "2", null]) {
      expectError(() => parse({ n: { type: "int", low: 0, high: 10, step } }), "space.bad_step", "space.n.step", "n");
    }
  });

  it("a float step that leaves only low is an error naming the parameter", () => {
    expectError(() => parse({ x: { type: "float", low: 0, high: 1, step: 2 } }), "space.step_too_large", "space.x.step", "x");
    expectError(() => parse({ x: { type: "float", low: -3, high: -2, step: 1.5 } }), "space.step_too_large", "space.x.step", "x");
  });

  it("accepts a step that exactly spans the range, also for negative bounds", () => {
    for (const [low, high, step] of [
      [0, 1, 1],
      [-2, -1, 1],
      [-3, -1, 2],
      [-0.3, -0.1, 0.2],
      [0.1, 0.3, 0.2],
      [-1000001, -1000000, 1],
      [-20.5, -10.5, 10],
      [10000.37, 10000.371, 0.001],
      [-2, -1.9, 0.1],
      [-1.001, -1, 0.001],
    ] as const) {
      expect(() => parse({ x: { type: "float", low, high, step } }), `${low}..${high} step ${step}`).not.toThrow();
    }
  });
});

describe("SearchSpace.parse: categoricals", () => {
  it("rejects empty or missing choices", () => {
    expectError(() => parse({ c: { type: "categorical", choices: [] } }), "space.empty_choices", "space.c.choices", "c");
    expectError(() => parse({ c: { type: "categorical" } }), "space.empty_choices", "space.c.choices", "c");
    expectError(() => parse({ c: { type: "categorical", choices: "ab" } }), "space.empty_choices", "space.c.choices", "c");
  });

  it("rejects duplicate choices, but keeps 1 and \"1\" (and true and \"true\") apart", () => {
    expectError(() => parse({ c: { type: "categorical", choices: ["a", "b", "a"] } }), "space.duplicate_choice", "space.c.choices", "c", '"a"');
    expectError(() => parse({ c: { type: "categorical", choices: [1, 2, 1] } }), "space.duplicate_choice", "space.c.choices", "c");
    expectError(() => parse({ c: { type: "categorical", choices: [true, false, true] } }), "space.duplicate_choice", "space.c.choices", "c");
    expect(parse({ c: { type: "categorical", choices: [1, "1", true, "true"] } }).param("c")).toMatchObject({ choices: [1, "1", true, "true"] });
  });

  it("rejects choices that are not strings, finite numbers or booleans", () => {
    for (const bad of [null, {}, [1], NaN, Infinity]) {
      expectError(() => parse({ c: { type: "categorical", choices: ["a", bad] } }), "space.bad_choice", "space.c.choices[1]", "c");
    }
  });
});

describe("SearchSpace.parse: shape", () => {
  it("rejects a space that is not an object, or is empty", () => {
    expectError(() => parse(null), "space.not_object", "space");
    expectError(() => parse([]), "space.not_object", "space");
    expectError(() => parse({}), "space.empty", "space");
  });

  it("rejects a parameter that is not an object", () => {
    expectError(() => parse({ lr: 0.1 }), "space.not_object", "space.lr", "lr");
  });

  it("rejects unknown types", () => {
    expectError(() => parse({ lr: { type: "double", low: 0, high: 1 } }), "space.unknown_type", "space.lr.type", "lr", "double");
    expectError(() => parse({ lr: { low: 0, high: 1 } }), "space.unknown_type", "space.lr.type", "lr");
  });

  it("rejects unknown fields, naming the field and the allowed ones", () => {
    const e = expectError(() => parse({ lr: { type: "float", low: 0, high: 1, lo: 0 } }), "space.unknown_field", "space.lr.lo", "lr", "lo");
    expect(e.message).toContain("scale");
    expectError(() => parse({ c: { type: "categorical", choices: ["a"], low: 0 } }), "space.unknown_field", "space.c.low", "c");
    expectError(() => parse({ x: { type: "float", low: 0, high: 1, choices: [1] } }), "space.unknown_field", "space.x.choices", "x");
  });

  it("rejects parameter names that would not survive as object keys", () => {
    expectError(() => parse({ "": { type: "int", low: 0, high: 1 } }), "space.bad_name", "space");
    // JSON.parse keeps "__proto__" as an own key; as a parameter it would vanish from configurations.
    const json = JSON.parse('{"__proto__": {"type": "int", "low": 0, "high": 1}, "b": {"type": "int", "low": 0, "high": 1}}');
    expectError(() => parse(json), "space.bad_name", "space", "__proto__");
    // ... and a condition naming it is an unknown parameter, not a condition that silently vanishes.
    const cond = JSON.parse('{"b": {"type": "int", "low": 0, "high": 1, "when": {"__proto__": [1]}}}');
    expectError(() => parse(cond), "space.condition_unknown", "space.b.when.__proto__", "__proto__");
  });
});

describe("SearchSpace.parse: conditions", () => {
  const opt = { type: "categorical", choices: ["sgd", "adam"] } as const;
  const layers = { type: "int", low: 1, high: 7, step: 2 } as const; // 1, 3, 5, 7

  it("rejects a condition naming a missing parameter", () => {
    expectError(
      () => parse({ opt, m: { type: "float", low: 0, high: 1, when: { optimizer: ["sgd"] } } }),
      "space.condition_unknown",
      "space.m.when.optimizer",
      "m",
      "optimizer",
    );
  });

  it("rejects a condition naming a float", () => {
    expectError(
      () => parse({ lr: { type: "float", low: 0, high: 1 }, m: { type: "float", low: 0, high: 1, when: { lr: [0.5] } } }),
      "space.condition_type",
      "space.m.when.lr",
      "m",
      "lr",
    );
  });

  it("rejects a condition value the parent can't take", () => {
    expectError(() => parse({ opt, m: { type: "int", low: 0, high: 1, when: { opt: ["rmsprop"] } } }), "space.condition_value", "space.m.when.opt", "m", "rmsprop");
    // The parent's choices are compared strictly: "1" is not 1.
    expectError(
      () => parse({ c: { type: "categorical", choices: [1, 2] }, m: { type: "int", low: 0, high: 1, when: { c: ["1"] } } }),
      "space.condition_value",
      "space.m.when.c",
      "m",
    );
    expectError(() => parse({ layers, w: { type: "int", low: 0, high: 1, when: { layers: [9] } } }), "space.condition_value", "space.w.when.layers", "w");
    expectError(() => parse({ layers, w: { type: "int", low: 0, high: 1, when: { layers: [2] } } }), "space.condition_value", "space.w.when.layers", "w");
    expectError(() => parse({ layers, w: { type: "int", low: 0, high: 1, when: { layers: [3.5] } } }), "space.condition_value", "space.w.when.layers", "w");
    expect(() => parse({ layers, w: { type: "int", low: 0, high: 1, when: { layers: [3, 7] } } })).not.toThrow();
  });

  it("rejects malformed conditions", () => {
    for (const bad of [[], {}, "opt", { opt: [] }, { opt: "sgd" }, { opt: [null] }]) {
      expectError(() => parse({ opt, m: { type: "int", low: 0, high: 1, when: bad } }), "space.bad_condition", "space.m.when", "m");
    }
  });

  it("rejects a parameter conditioned on itself", () => {
    expectError(() => parse({ opt: { ...opt, when: { opt: ["sgd"] } } }), "space.condition_self", "space.opt.when", "opt");
  });

  it("rejects a cycle of two", () => {
    const e = expectError(
      () =>
        parse({
          a: { type: "categorical", choices: ["x", "y"], when: { b: ["x"] } },
          b: { type: "categorical", choices: ["x", "y"], when: { a: ["x"] } },
        }),
      "space.condition_cycle",
      "space.a.when",
    );
    expect(e.message).toMatch(/a -> b -> a/);
  });

  it("rejects a longer cycle, naming every parameter on it", () => {
    const e = expectError(
      () =>
        parse({
          root: { type: "categorical", choices: [1, 2] },
          a: { type: "categorical", choices: [1, 2], when: { c: [1], root: [1] } },
          b: { type: "int", low: 1, high: 2, when: { a: [1] } },
          c: { type: "categorical", choices: [1, 2], when: { b: [2] } },
        }),
      "space.condition_cycle",
      "space.a.when",
      "a",
      "b",
      "c",
    );
    expect(e.message).not.toContain("root");
  });

  it("accepts conditions on ints and on conditional parents, declared in any order", () => {
    const s = parse({
      width: { type: "int", low: 16, high: 64, step: 16, when: { layers: [3, 5] } },
      layers,
      nesterov: { type: "categorical", choices: [true, false], when: { opt: ["sgd"] } },
      opt,
      dampening: { type: "float", low: 0, high: 0.5, when: { nesterov: [false] } },
    });
    expect(s.evalOrder.map((p) => p.name)).toEqual(["layers", "width", "opt", "nesterov", "dampening"]);
    expect(s.names).toEqual(["width", "layers", "nesterov", "opt", "dampening"]);
  });
});

describe("SearchSpace JSON form", () => {
  it("the builders produce exactly the protocol's JSON", () => {
    expect(float(1e-5, 1, { scale: "log" })).toStrictEqual({ type: "float", low: 1e-5, high: 1, scale: "log" });
    expect(float(0, 1)).toStrictEqual({ type: "float", low: 0, high: 1 });
    expect(float(0, 1, { step: 0.1 })).toStrictEqual({ type: "float", low: 0, high: 1, step: 0.1 });
    expect(int(1, 4)).toStrictEqual({ type: "int", low: 1, high: 4 });
    expect(int(1, 1024, { scale: "log", step: 1 })).toStrictEqual({ type: "int", low: 1, high: 1024, scale: "log", step: 1 });
    expect(choice(["sgd", "adam"])).toStrictEqual({ type: "categorical", choices: ["sgd", "adam"] });
    expect(choice([1, 2.5, true])).toStrictEqual({ type: "categorical", choices: [1, 2.5, true] });
    const momentum = { type: "float", low: 0.5, high: 0.999, scale: "reverse-log", when: { optimizer: ["sgd"] } };
    expect(float(0.5, 0.999, { scale: "reverse-log", when: { optimizer: ["sgd"] } })).toStrictEqual(momentum);
    expect(when({ optimizer: ["sgd"] }, float(0.5, 0.999, { scale: "reverse-log" }))).toStrictEqual(momentum);
    expect(choice(["a"], { when: { optimizer: ["adam"] } })).toStrictEqual({ type: "categorical", choices: ["a"], when: { optimizer: ["adam"] } });
  });

  it("builders give the protocol example, through toJSON and through JSON text", () => {
    const built = {
      lr: float(1e-5, 1, { scale: "log" }),
      layers: int(1, 4),
      optimizer: choice(["sgd", "adam"]),
      momentum: float(0.5, 0.999, { scale: "reverse-log", when: { optimizer: ["sgd"] } }),
    };
    expect(JSON.parse(JSON.stringify(built))).toStrictEqual(PROTOCOL_EXAMPLE);
    expect(SearchSpace.parse(built).toJSON()).toStrictEqual(PROTOCOL_EXAMPLE);
    expect(Object.keys(SearchSpace.parse(built).toJSON())).toEqual(["lr", "layers", "optimizer", "momentum"]);
  });

  it("round-trips the protocol example and every kind of parameter without loss", () => {
    const json: SpaceDef = {
      ...PROTOCOL_EXAMPLE,
      a: { type: "float", low: -3, high: 3, step: 0.25 },
      b: { type: "float", low: 1e-3, high: 10, scale: "log", step: 1e-3 },
      c: { type: "float", low: 0, high: 0.99, scale: "reverse-log", step: 0.01, when: { layers: [2, 3] } },
      d: { type: "int", low: -10, high: 10, step: 5 },
      e: { type: "int", low: 1, high: 4096, scale: "log", when: { optimizer: ["adam"], layers: [1] } },
      f: { type: "categorical", choices: ["x", 0, -1.5, true, false, ""] },
    };
    const s = SearchSpace.parse(json);
    expect(s.toJSON()).toStrictEqual(json);
    const again = SearchSpace.parse(s.toJSON());
    expect(again.equals(s)).toBe(true);
    expect(again.toJSON()).toStrictEqual(json);
    // And through JSON text, as storage and the protocol carry it.
    expect(SearchSpace.parse(JSON.parse(JSON.stringify(s))).equals(s)).toBe(true);
  });

  it("toJSON returns a fresh copy", () => {
    const s = SearchSpace.parse(PROTOCOL_EXAMPLE);
    const j = s.toJSON() as Record<string, { low?: number }>;
    j["lr"]!.low = 99;
    expect(s.toJSON()["lr"]).toMatchObject({ low: 1e-5 });
  });

  it("equals ignores spelled-out defaults but not order or meaning", () => {
    const a = SearchSpace.parse({ x: { type: "float", low: 0, high: 1 }, n: { type: "int", low: 1, high: 3 } });
    expect(a.equals(SearchSpace.parse({ x: { type: "float", low: 0, high: 1, scale: "linear" }, n: { type: "int", low: 1, high: 3, step: 1, scale: "linear" } }))).toBe(true);
    expect(a.equals(SearchSpace.parse({ n: { type: "int", low: 1, high: 3 }, x: { type: "float", low: 0, high: 1 } }))).toBe(false);
    expect(a.equals(SearchSpace.parse({ x: { type: "float", low: 0, high: 2 }, n: { type: "int", low: 1, high: 3 } }))).toBe(false);
    expect(a.equals(SearchSpace.parse({ x: { type: "float", low: 0, high: 1, step: 0.5 }, n: { type: "int", low: 1, high: 3 } }))).toBe(false);
  });
});

describe("SearchSpace.check and isActive", () => {
  const s = SearchSpace.parse({
    ...PROTOCOL_EXAMPLE,
    width: { type: "int", low: 16, high: 64, step: 16, when: { layers: [3, 4], optimizer: ["adam"] } },
    frac: { type: "float", low: 0, high: 1, step: 0.1 },
    flag: { type: "categorical", choices: [1, true, "1"] },
  });
  const good = { lr: 0.01, layers: 4, optimizer: "adam", width: 32, frac: 0.3, flag: true };

  it("accepts a valid configuration and returns it with keys in declaration order", () => {
    const out = s.check({ flag: true, frac: 0.3, width: 32, optimizer: "adam", layers: 4, lr: 0.01 });
    expect(out).toStrictEqual(good);
    expect(Object.keys(out)).toEqual(Object.keys(good));
    // An inactive parameter may be given as undefined; it is left out.
    expect(s.check({ ...good, optimizer: "sgd", width: undefined, momentum: 0.9 })).toStrictEqual({
      lr: 0.01,
      layers: 4,
      optimizer: "sgd",
      momentum: 0.9,
      frac: 0.3,
      flag: true,
    });
  });

  it("conditions hold when every named parameter took a listed value", () => {
    const width = s.param("width")!;
    expect(s.isActive(width, { layers: 3, optimizer: "adam" })).toBe(true);
    expect(s.isActive(width, { layers: 2, optimizer: "adam" })).toBe(false);
    expect(s.isActive(width, { layers: 3, optimizer: "sgd" })).toBe(false);
    expect(s.isActive(width, { layers: 3 })).toBe(false);
    expect(s.isActive(s.param("lr")!, {})).toBe(true);
  });

  it("names the parameter in every rejection", () => {
    expectError(() => s.check({ ...good, lr: 2 }), "config.bad_value", "params.lr", "lr");
    expectError(() => s.check({ ...good, lr: "0.1" }), "config.bad_value", "params.lr", "lr");
    expectError(() => s.check({ ...good, lr: NaN }), "config.bad_value", "params.lr", "lr");
    expectError(() => s.check({ ...good, layers: 2.5 }), "config.bad_value", "params.layers", "layers");
    expectError(() => s.check({ ...good, width: 40 }), "config.bad_value", "params.width", "width");
    expectError(() => s.check({ ...good, frac: 0.35 }), "config.bad_value", "params.frac", "frac");
    expectError(() => s.check({ ...good, optimizer: "rmsprop" }), "config.bad_value", "params.optimizer", "optimizer");
    expectError(() => s.check({ ...good, flag: "true" }), "config.bad_value", "params.flag", "flag");
    expectError(() => s.check({ ...good, width: undefined }), "config.missing", "params.width", "width");
    expectError(() => s.check({ ...good, momentum: 0.9 }), "config.extra", "params.momentum", "momentum");
    expectError(() => s.check({ ...good, layers: 1 }), "config.extra", "params.width", "width");
    expectError(() => s.check({ ...good, bogus: 1 }), "config.extra", "params.bogus", "bogus");
    expectError(() => s.check([good]), "config.not_object", "params");
  });

  it("accepts stepped floats written as decimals even far from zero", () => {
    const far = SearchSpace.parse({ x: { type: "float", low: 1e6, high: 1e6 + 1, step: 0.001 } });
    expect(far.check({ x: 1000000.001 })).toEqual({ x: 1000000.001 });
    expect(far.check({ x: 1000000.999 })).toEqual({ x: 1000000.999 });
    expectError(() => far.check({ x: 1000000.0005 }), "config.bad_value", "params.x", "x");
    const neg = SearchSpace.parse({ x: { type: "float", low: -8193, high: -8192.9987, step: 0.0001 } });
    expect(neg.check({ x: -8192.9999 })).toEqual({ x: -8192.9999 });
  });
});
