import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Direction, FrozenTrial, StudySnapshot, TrialState } from "../../src/model/trial";
import { choice, float, int } from "../../src/space/builders";
import { decode } from "../../src/space/encoding";
import { SearchSpace } from "../../src/space/space";
import type { Config, SpaceDef } from "../../src/space/types";
import { MemoryStorage } from "../../src/storage/base";
import { createStrategy } from "../../src/strategies/registry";
import { isDone, proposeContext, type Proposal } from "../../src/strategies/strategy";
import { recencyWeights, splitTrials, TpeStrategy } from "../../src/strategies/tpe";
import { Study } from "../../src/study/study";
import { isTunelabError } from "../../src/util/errors";
import { ProtocolSession } from "../../src/cli/protocol";
import { tune } from "../../src/dsl/tuner";
import { Rng } from "../../src/util/rng";
import { arbSpace } from "../space/arbitrary";

function trial(number: number, state: TrialState, params: Config, value?: number, intermediate: [number, number][] = []): FrozenTrial {
  return { number, state, params, ...(value !== undefined ? { value } : {}), metrics: {}, intermediate, curves: {}, startedAt: 0, system: {} };
}

function snapshot(space: SearchSpace, trials: FrozenTrial[], direction: Direction = "minimize"): StudySnapshot {
  return { spec: { name: "t", space: space.toJSON(), direction, metric: "value", strategy: { name: "tpe", options: {} }, seed: 0, createdAt: 0 }, trials, queue: [] };
}

function propose(s: TpeStrategy, space: SearchSpace, trials: FrozenTrial[], n: number, seed: number, direction: Direction = "minimize"): Proposal {
  const r = s.propose(proposeContext(snapshot(space, trials, direction), space, n, seed));
  if (isDone(r)) throw new Error("tpe said done");
  return r;
}

/** Runs a sequential study on f by hand; returns the best value after each trial. */
function optimise(strategy: string, space: SearchSpace, f: (p: Config) => number, n: number, seed: number, options: object = {}): number[] {
  const s = createStrategy(strategy, space, options);
  const trials: FrozenTrial[] = [];
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = s.propose(proposeContext(snapshot(space, trials), space, i, seed));
    if (isDone(r)) break;
    const v = f(r.params);
    trials.push(trial(i, "complete", r.params, v));
    best.push(Math.min(v, best[i - 1] ?? Infinity));
  }
  return best;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
};

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("no error thrown");
}

const quadSpace = SearchSpace.parse({ x: float(-5, 5), y: float(-5, 5) });
const quadratic = (p: Config) => ((p["x"] as number) - 1.3) ** 2 + 2 * ((p["y"] as number) + 0.7) ** 2;

describe("TpeStrategy options", () => {
  it("is registered as tpe and checks its options", () => {
    expect(createStrategy("tpe", quadSpace, { candidates: 8, quasi: "none" }).name).toBe("tpe");
    expect(errorOf(() => createStrategy("tpe", quadSpace, { gamma: 0.2 }))).toMatchObject({ code: "option.unknown", field: "options.gamma" });
    for (const bad of [{ startupTrials: -1 }, { candidates: 0 }, { candidates: 2.5 }, { quasi: "halton" }, { multivariate: "yes" }, { constantLiar: 1 }, { seed: 0.5 }]) {
      const e = errorOf(() => createStrategy("tpe", quadSpace, bad));
      expect(isTunelabError(e) && e.code, JSON.stringify(bad)).toBe("option.bad_value");
    }
  });
});

describe("recencyWeights", () => {
  it("is flat up to 25 trials, then ramps the older ones from 1/k up to 1", () => {
    expect([...recencyWeights(3)]).toEqual([1, 1, 1]);
    expect([...recencyWeights(25)].every((w) => w === 1)).toBe(true);
    const w = recencyWeights(30);
    expect(w[0]).toBeCloseTo(1 / 30, 15);
    expect(w[4]).toBeCloseTo(1, 15);
    expect([...w.slice(0, 5)]).toEqual([...w.slice(0, 5)].sort((a, b) => a - b));
    expect([...w.slice(5)].every((x) => x === 1)).toBe(true);
  });
});

describe("splitTrials", () => {
  const p = { x: 0, y: 0 };
  it("puts the best ceil(n/10) complete trials below, pruned ones by depth then value, running ones above", () => {
    const trials = [
      trial(0, "complete", p, 5),
      trial(1, "pruned", p, 0.1, [[1, 0.1]]),
      trial(2, "complete", p, 1),
      trial(3, "running", p),
      trial(4, "failed", p),
      ...Array.from({ length: 9 }, (_, i) => trial(5 + i, "complete", p, 10 + i)),
      trial(14, "pruned", p, 3, [
        [1, 4],
        [5, 3],
      ]),
      trial(15, "pruned", p, undefined, []),
    ];
    // n = 11 complete + 3 pruned = 14 → 2 below: the two best complete trials.
    const s = splitTrials(trials, "minimize", true);
    expect(s.finished).toBe(14);
    expect(s.below.map((t) => t.number)).toEqual([0, 2]);
    expect(s.above.map((t) => t.number)).toEqual([1, 3, ...Array.from({ length: 9 }, (_, i) => 5 + i), 14, 15]);
    expect(splitTrials(trials, "minimize", false).above.some((t) => t.state === "running")).toBe(false);
    // Maximising: the largest values are good.
    expect(splitTrials(trials, "maximize", true).below.map((t) => t.number)).toEqual([12, 13]);
  });

  it("fills the good group with pruned trials when too few completed, deepest first", () => {
    const trials = [
      trial(0, "complete", p, 9),
      ...Array.from({ length: 15 }, (_, i) => trial(1 + i, "pruned", p, i, [[i % 3 === 0 ? 10 : 2, i]])),
      trial(16, "pruned", p, undefined, []),
      trial(17, "pruned", p, undefined, []),
      trial(18, "pruned", p, undefined, []),
      trial(19, "pruned", p, undefined, []),
      trial(20, "pruned", p, undefined, []),
    ];
    // n = 21 → 3 below: the complete trial, then the two deepest pruned ones with the lowest values (i = 0, 3).
    expect(splitTrials(trials, "minimize", true).below.map((t) => t.number)).toEqual([0, 1, 4]);
  });
});

describe("TpeStrategy proposals", () => {
  it("follows the startup sequence (scrambled Sobol by default) until startupTrials have finished", () => {
    const tpe = new TpeStrategy(quadSpace);
    const random = createStrategy("random", quadSpace, { quasi: "sobol" });
    const trials: FrozenTrial[] = [];
    for (let n = 0; n < 10; n++) {
      const a = propose(tpe, quadSpace, trials, n, 11);
      expect(a).toStrictEqual(random.propose(proposeContext(snapshot(quadSpace, trials), quadSpace, n, 11)));
      trials.push(trial(n, n % 2 ? "failed" : "complete", a.params, n % 2 ? undefined : quadratic(a.params)));
    }
    // Only 5 finished: still the startup sequence.
    expect(propose(tpe, quadSpace, trials, 10, 11)).toStrictEqual(random.propose(proposeContext(snapshot(quadSpace, trials), quadSpace, 10, 11)));
  });

  it("always proposes valid configurations, for random mixed and conditional spaces and histories", () => {
    const arbHistory = fc.array(
      fc.record({
        u: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 8, maxLength: 8 }),
        state: fc.constantFrom<TrialState>("complete", "complete", "complete", "pruned", "running", "failed"),
        value: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, 1, 1, 1)),
        steps: fc.integer({ min: 0, max: 3 }),
      }),
      { maxLength: 45 },
    );
    fc.assert(
      fc.property(
        arbSpace,
        arbHistory,
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.integer(),
        (def: SpaceDef, hist, startupTrials, multivariate, seed) => {
          const space = SearchSpace.parse(def);
          const trials = hist.map((h, i) => {
            const params = decode(space, h.u.slice(0, space.size));
            const inter: [number, number][] = Array.from({ length: h.steps }, (_, k) => [k, h.value + k]);
            if (h.state === "complete") return trial(i, "complete", params, h.value);
            if (h.state === "pruned") return trial(i, "pruned", params, inter.length ? inter[inter.length - 1]![1] : undefined, inter);
            return trial(i, h.state, params);
          });
          const s = new TpeStrategy(space, { startupTrials, multivariate, candidates: 6 });
          const r = propose(s, space, trials, trials.length, seed);
          expect(space.check(r.params)).toStrictEqual(r.params);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("gives the same proposal for the same snapshot, trial number and seed, and another for another seed", () => {
    const space = SearchSpace.parse({ lr: float(1e-5, 1, { scale: "log" }), n: int(1, 9), c: choice(["a", "b", "c"]) });
    const rng = Rng.derive(1);
    const trials = Array.from({ length: 30 }, (_, i) => trial(i, "complete", decode(space, [rng.next(), rng.next(), rng.next()]), rng.next()));
    const a = propose(new TpeStrategy(space), space, trials, 30, 5);
    expect(propose(new TpeStrategy(space), space, trials, 30, 5)).toStrictEqual(a);
    expect(propose(new TpeStrategy(space), space, trials, 30, 6)).not.toStrictEqual(a);
  });

  it("moves away from configurations still running (constant liar)", () => {
    // The 20 good trials sit around P; with 20 trials in flight at P counted as bad, proposals
    // keep further from P than without the liar, which does not see them.
    const space = SearchSpace.parse({ x: float(0, 1), y: float(0, 1) });
    const P = { x: 0.5, y: 0.5 };
    const rng = Rng.derive(2);
    const trials: FrozenTrial[] = [];
    for (let i = 0; i < 180; i++) trials.push(trial(i, "complete", decode(space, [rng.next(), rng.next()]), 1 + rng.next()));
    for (let i = 0; i < 20; i++) trials.push(trial(180 + i, "complete", { x: P.x + 0.04 * (rng.next() - 0.5), y: P.y + 0.04 * (rng.next() - 0.5) }, rng.next()));
    const running = Array.from({ length: 20 }, (_, k) => trial(200 + k, "running", { x: P.x + 0.001 * (k % 5), y: P.y - 0.001 * (k % 4) }));
    const meanDistance = (liar: boolean) => {
      const s = new TpeStrategy(space, { constantLiar: liar });
      let sum = 0;
      for (let seed = 0; seed < 40; seed++) {
        const p = propose(s, space, [...trials, ...running], 220, seed).params;
        sum += Math.hypot((p["x"] as number) - P.x, (p["y"] as number) - P.y);
      }
      return sum / 40;
    };
    expect(meanDistance(true)).toBeGreaterThan(2 * meanDistance(false));
  });

  it("gives distinct proposals to trials asked for at once", async () => {
    const study = await Study.open({ name: "p", space: quadSpace, direction: "minimize", strategy: { name: "tpe", options: { startupTrials: 5 } }, storage: new MemoryStorage(), seed: 9 });
    for (let i = 0; i < 12; i++) {
      const t = (await study.ask())!;
      await study.tell(t.number, { value: quadratic(t.params) });
    }
    const asked = [];
    for (let i = 0; i < 4; i++) asked.push((await study.ask())!.params);
    const keys = asked.map((p) => JSON.stringify(p));
    expect(new Set(keys).size).toBe(4);
  });

  it("never hands out a configuration that a running trial has, even in a tiny discrete space", async () => {
    const space = SearchSpace.parse({ a: int(1, 3), b: choice(["x", "y"]) }); // 6 configurations
    for (const startupTrials of [2, 10]) {
      const study = await Study.open({ name: "d", space, direction: "minimize", strategy: { name: "tpe", options: { startupTrials } }, storage: new MemoryStorage(), seed: 4 });
      for (let i = 0; i < 3; i++) {
        const t = (await study.ask())!;
        await study.tell(t.number, { value: (t.params["a"] as number) + (t.params["b"] === "x" ? 0 : 0.5) });
      }
      const asked = [];
      for (let i = 0; i < 6; i++) asked.push(JSON.stringify((await study.ask())!.params));
      expect(new Set(asked).size).toBe(6);
    }
  });

  it("beats random search on a 2-D quadratic (median best value after 60 trials over 5 seeds)", () => {
    const seeds = [0, 1, 2, 3, 4];
    const tpe = median(seeds.map((s) => optimise("tpe", quadSpace, quadratic, 60, s).at(-1)!));
    const random = median(seeds.map((s) => optimise("random", quadSpace, quadratic, 60, s).at(-1)!));
    expect(tpe).toBeLessThan(random / 2);
  });

  it("maximises when the study maximises", () => {
    const seeds = [0, 1, 2, 3, 4];
    const run = (strategy: string, seed: number) => {
      const s = createStrategy(strategy, quadSpace, {});
      const trials: FrozenTrial[] = [];
      let best = -Infinity;
      for (let i = 0; i < 60; i++) {
        const r = s.propose(proposeContext(snapshot(quadSpace, trials, "maximize"), quadSpace, i, seed)) as Proposal;
        const v = -quadratic(r.params);
        trials.push(trial(i, "complete", r.params, v));
        best = Math.max(best, v);
      }
      return -best;
    };
    expect(median(seeds.map((s) => run("tpe", s)))).toBeLessThan(median(seeds.map((s) => run("random", s))) / 2);
  });

  it("learns which branch of a conditional space is better and tunes its parameter", () => {
    const space = SearchSpace.parse({
      kind: choice(["a", "b", "c"]),
      x: float(0, 1, { when: { kind: ["a"] } }),
      y: float(0, 1, { when: { kind: ["b", "c"] } }),
      n: int(1, 20, { when: { kind: ["b"] } }),
    });
    const f = (p: Config) => (p["kind"] === "a" ? ((p["x"] as number) - 0.3) ** 2 : 0.5 + (p["y"] as number) + (p["kind"] === "b" ? 0.01 * (p["n"] as number) : 0));
    for (const seed of [0, 1, 2]) {
      const s = new TpeStrategy(space);
      const trials: FrozenTrial[] = [];
      for (let i = 0; i < 60; i++) {
        const r = propose(s, space, trials, i, seed);
        expect(space.check(r.params)).toStrictEqual(r.params);
        trials.push(trial(i, "complete", r.params, f(r.params)));
      }
      const late = trials.slice(30);
      expect(late.filter((t) => t.params["kind"] === "a").length).toBeGreaterThan(20);
      expect(Math.min(...trials.map((t) => t.value!))).toBeLessThan(0.01);
    }
  });

  it("models an int on a log scale and a stepped float by their cells", () => {
    const space = SearchSpace.parse({ units: int(1, 1024, { scale: "log" }), drop: float(0, 0.5, { step: 0.05 }) });
    const f = (p: Config) => Math.abs(Math.log2(p["units"] as number) - 7) + Math.abs((p["drop"] as number) - 0.2);
    const seeds = [0, 1, 2, 3, 4];
    const tpe = median(seeds.map((s) => optimise("tpe", space, f, 50, s).at(-1)!));
    const random = median(seeds.map((s) => optimise("random", space, f, 50, s).at(-1)!));
    expect(tpe).toBeLessThan(random);
  });
});

describe("tpe through the DSL and tunelab serve", () => {
  it("runs a study from the DSL", async () => {
    const tuner = tune("tpe-dsl")
      .space({ x: float(-5, 5), y: float(-5, 5) })
      .minimize()
      .strategy("tpe", { seed: 3, startupTrials: 5 })
      .storage("memory")
      .limits({ trials: 30 })
      .objective((p) => quadratic(p));
    await tuner.run();
    expect(tuner.trials.length).toBe(30);
    expect(tuner.best!.value!).toBeLessThan(1);
  });

  it("answers create/ask/tell over the protocol, with distinct parallel asks and option errors", async () => {
    const session = new ProtocolSession({ log: () => {} });
    const send = async (r: object) => (await session.handle(r)).reply as Record<string, unknown>;
    const space = { lr: { type: "float", low: 1e-5, high: 1, scale: "log" }, n: { type: "int", low: 1, high: 8 }, act: { type: "categorical", choices: ["relu", "tanh"] } };
    expect(await send({ op: "create", study: "s", space, direction: "minimize", strategy: "tpe", options: { nope: 1 } })).toMatchObject({ ok: false, code: "option.unknown" });
    expect(await send({ op: "create", study: "s", space, direction: "minimize", strategy: "tpe", options: { startupTrials: 3 }, seed: 1 })).toMatchObject({ ok: true });
    for (let i = 0; i < 8; i++) {
      const a = await send({ op: "ask", study: "s" });
      expect(SearchSpace.parse(space).check(a["params"])).toStrictEqual(a["params"]);
      const p = a["params"] as Config;
      const value = (Math.log10(p["lr"] as number) + 3) ** 2 + 0.1 * (p["n"] as number) + (p["act"] === "relu" ? 0 : 1);
      expect(await send({ op: "tell", study: "s", trial: a["trial"], value })).toMatchObject({ ok: true });
    }
    const parallel = await Promise.all([0, 1, 2, 3].map(() => send({ op: "ask", study: "s" })));
    expect(new Set(parallel.map((r) => JSON.stringify(r["params"]))).size).toBe(4);
  });
});
