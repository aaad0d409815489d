/**
 * Every size or count option of every strategy and stopper has a documented upper bound
 * (issue 11, class 2: `candidates: 1e9` made the next ask run for minutes at gigabytes). At
 * the bound the option is accepted; one above it is refused with `option.bad_value`, naming
 * the option and the bound.
 */
import { describe, expect, it } from "vitest";
import { choice, float, int } from "../../src/space/builders";
import { SearchSpace } from "../../src/space/space";
import { MemoryStorage } from "../../src/storage/base";
import { BAYESIAN_BOUNDS } from "../../src/strategies/bayesian";
import { HYPERBAND_BOUNDS, MAX_RESOURCE_RATIO } from "../../src/strategies/hyperband";
import { MEDIAN_BOUNDS } from "../../src/strategies/median";
import { RANDOM_BOUNDS } from "../../src/strategies/random";
import { createStopper, createStrategy } from "../../src/strategies/registry";
import { TPE_BOUNDS } from "../../src/strategies/tpe";
import { Study } from "../../src/study/study";
import { TunelabError } from "../../src/util/errors";
import { thrown as caught } from "../helpers/thrown";

const space = SearchSpace.parse({ x: float(0, 1), n: int(1, 8), c: choice(["a", "b"]) });

/** [where, option, bounds, build with that option's value] for every bounded integer option. */
const CASES: (readonly [string, string, readonly [number, number], (v: number) => unknown])[] = [
  ...Object.entries(RANDOM_BOUNDS).map(([k, b]) => ["random", k, b, (v: number) => createStrategy("random", space, { quasi: "sobol", [k]: v })] as const),
  ...Object.entries(TPE_BOUNDS).map(([k, b]) => ["tpe", k, b, (v: number) => createStrategy("tpe", space, { [k]: v })] as const),
  ...Object.entries(BAYESIAN_BOUNDS).map(([k, b]) => ["bayesian", k, b, (v: number) => createStrategy("bayesian", space, { [k]: v })] as const),
  ...Object.entries(HYPERBAND_BOUNDS).map(
    ([k, b]) => ["hyperband", k, b, (v: number) => createStrategy("hyperband", space, { maxResource: k === "minResource" ? undefined : 100, ...(k === "minResource" ? { maxResource: v * 3 } : {}), [k]: v })] as const,
  ),
  ...Object.entries(MEDIAN_BOUNDS).map(([k, b]) => ["stopping", k, b, (v: number) => createStopper("median", { [k]: v })] as const),
  ...Object.entries(TPE_BOUNDS).map(([k, b]) => ["options.samplerOptions", k, b, (v: number) => createStrategy("asha", space, { maxResource: 27, sampler: "tpe", samplerOptions: { [k]: v } })] as const),
  ...Object.entries(BAYESIAN_BOUNDS).map(([k, b]) => ["options.samplerOptions", k, b, (v: number) => createStrategy("hyperband", space, { maxResource: 27, sampler: "bayesian", samplerOptions: { [k]: v } })] as const),
];

describe("option bounds", () => {
  it.each(CASES.map(([where, k, b, make]) => [`${where} ${k}`, where, k, b, make] as const))("%s: accepted at its bounds, refused beyond, naming the bound", (_label, where, k, [min, max], make) => {
    const field = `${where === "stopping" || where === "options.samplerOptions" ? where : "options"}.${k}`;
    // (Hyperband's eta needs maxResource >= minResource·eta; the case above gives 100.)
    if (!(where === "hyperband" && k === "eta" && max > 100)) expect(caught(() => make(max))).toBeUndefined();
    expect(caught(() => make(min))).toBeUndefined();
    for (const bad of [max + 1, min - 1, 1e9 > max ? 1e9 : max * 2]) {
      const e = caught(() => make(bad));
      expect(e, `${field}=${bad}`).toBeInstanceOf(TunelabError);
      expect(e).toMatchObject({ code: "option.bad_value", field });
      expect((e as Error).message).toContain(`[${min}, ${max}]`);
      expect((e as Error).message).toContain(String(bad));
    }
  });

  it("candidates: 1e9 is refused at once (it ran the next ask for minutes), by serve's path and the DSL's alike", async () => {
    for (const name of ["tpe", "bayesian"]) {
      const e = await Study.open({ name: "b", space, direction: "minimize", strategy: { name, options: { candidates: 1e9 } }, storage: new MemoryStorage() }).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: "option.bad_value", field: "options.candidates" });
    }
  });

  it("hyperband: maxResource at most MAX_RESOURCE_RATIO times minResource (a bracket round is about twice that long)", () => {
    expect(caught(() => createStrategy("hyperband", space, { maxResource: MAX_RESOURCE_RATIO }))).toBeUndefined();
    const e = caught(() => createStrategy("hyperband", space, { maxResource: MAX_RESOURCE_RATIO + 1 }));
    expect(e).toMatchObject({ code: "option.bad_value", field: "options.maxResource" });
    expect((e as Error).message).toContain(`[3, ${MAX_RESOURCE_RATIO}]`);
    expect(caught(() => createStrategy("asha", space, { minResource: 10, maxResource: 10 * MAX_RESOURCE_RATIO }))).toBeUndefined();
    expect(caught(() => createStrategy("asha", space, { maxResource: 1e15 }))).toMatchObject({ field: "options.maxResource" });
  });

  it("bayesian refuses a space wider than its Sobol sequences (it failed with a plain Error at the first model ask)", () => {
    const wide = SearchSpace.parse(Object.fromEntries(Array.from({ length: 1112 }, (_, i) => [`p${i}`, int(0, 1)])));
    expect(caught(() => createStrategy("bayesian", wide))).toMatchObject({ code: "strategy.space_too_large", field: "space" });
    expect(caught(() => createStrategy("tpe", wide, { quasi: "none" }))).toBeUndefined();
  });
});
