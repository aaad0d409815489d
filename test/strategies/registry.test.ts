import { describe, expect, it } from "vitest";
import { choice, float, int } from "../../src/space/builders";
import { SearchSpace } from "../../src/space/space";
import { GridStrategy } from "../../src/strategies/grid";
import { RandomStrategy } from "../../src/strategies/random";
import { createStrategy, strategyNames } from "../../src/strategies/registry";
import { TunelabError } from "../../src/util/errors";

const space = SearchSpace.parse({ x: float(0, 1, { step: 0.5 }), n: int(1, 2), c: choice(["a", "b"]) });

function errorOf(fn: () => unknown): TunelabError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TunelabError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("createStrategy", () => {
  it("builds the shipped strategies by name", () => {
    expect(strategyNames()).toEqual(expect.arrayContaining(["random", "grid"]));
    expect(createStrategy("random", space)).toBeInstanceOf(RandomStrategy);
    expect(createStrategy("random", space).name).toBe("random");
    expect(createStrategy("grid", space)).toBeInstanceOf(GridStrategy);
    expect(createStrategy("grid", space).name).toBe("grid");
  });

  it("passes the options on to the strategy, which checks them", () => {
    expect(() => createStrategy("random", space, { quasi: "sobol" })).not.toThrow();
    expect(errorOf(() => createStrategy("random", space, { quasi: "halton" }))).toMatchObject({ code: "option.bad_value", field: "options.quasi" });
    expect(errorOf(() => createStrategy("grid", space, { bogus: 1 }))).toMatchObject({ code: "option.unknown", field: "options.bogus" });
  });

  it("rejects an unknown name, listing the allowed ones", () => {
    for (const name of ["nope", "Random", "", 42, undefined, null, {}]) {
      const e = errorOf(() => createStrategy(name, space));
      expect(e, String(name)).toMatchObject({ code: "strategy.unknown", field: "strategy" });
      for (const allowed of strategyNames()) expect(e.message).toContain(`"${allowed}"`);
    }
  });

  it("does not mistake Object.prototype's names for strategies", () => {
    for (const name of ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf"]) {
      expect(errorOf(() => createStrategy(name, space)), name).toMatchObject({ code: "strategy.unknown", field: "strategy" });
    }
  });

  // Every strategy the protocol names is built by name (hyperband and asha need maxResource).
  it.each([
    ["bayesian", undefined],
    ["tpe", undefined],
    ["hyperband", { maxResource: 27 }],
    ["asha", { maxResource: 27 }],
  ] as const)("builds %s by name", (name, options) => {
    expect(strategyNames()).toContain(name);
    expect(createStrategy(name, space, options).name).toBe(name);
  });
});
