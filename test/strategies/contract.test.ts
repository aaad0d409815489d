/**
 * The contract every strategy keeps (PROTOCOL.md "Rules every strategy keeps"), run over every
 * implementation. A new strategy joins by adding a line to STRATEGIES.
 */
import { describe, expect, it } from "vitest";
import type { FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { choice, float, int } from "../../src/space/builders";
import { SearchSpace } from "../../src/space/space";
import type { SpaceDef } from "../../src/space/types";
import { MemoryStorage } from "../../src/storage/base";
import { createStrategy } from "../../src/strategies/registry";
import { isDone, proposeContext, type Strategy } from "../../src/strategies/strategy";
import { Study } from "../../src/study/study";

const STRATEGIES: [label: string, name: string, options: object][] = [
  ["random", "random", {}],
  ["random (sobol)", "random", { quasi: "sobol" }],
  ["grid", "grid", {}],
  ["tpe", "tpe", {}],
  ["bayesian", "bayesian", { startupTrials: 4, candidates: 256 }],
  ["tpe (independent, random startup)", "tpe", { multivariate: false, quasi: "none", startupTrials: 3 }],
];

// Spaces every strategy can search (floats have steps, so the grid can too).
const SPACES: Record<string, SpaceDef> = {
  flat: { lr: float(0.001, 0.01, { step: 0.001, scale: "log" }), layers: int(1, 4), opt: choice(["sgd", "adam", 3, true]) },
  conditional: {
    momentum: float(0.5, 0.95, { step: 0.05, scale: "reverse-log", when: { opt: ["sgd"] } }),
    opt: choice(["sgd", "adam"]),
    layers: int(1, 3),
    width: int(16, 64, { step: 16, when: { layers: [2, 3], opt: ["adam"] } }),
  },
};

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function snapshotOf(space: SearchSpace, trials: FrozenTrial[]): StudySnapshot {
  return deepFreeze({
    spec: { name: "c", space: space.toJSON(), direction: "minimize", metric: "value", strategy: { name: "x", options: {} }, seed: 0, createdAt: 0 },
    trials: trials.slice(),
    queue: [],
  });
}

describe.each(STRATEGIES)("strategy contract: %s", (_label, name, options) => {
  describe.each(Object.entries(SPACES))("space %s", (_space, def) => {
    const space = SearchSpace.parse(def);
    const make = (): Strategy => createStrategy(name, space, options);

    it("proposes valid configurations, with JSON bookkeeping, from a read-only snapshot", () => {
      const s = make();
      const trials: FrozenTrial[] = [];
      for (let n = 0; n < 40; n++) {
        const r = s.propose(proposeContext(snapshotOf(space, trials), space, n, 123));
        if (isDone(r)) break;
        expect(space.check(r.params)).toStrictEqual(r.params);
        if (r.system !== undefined) expect(JSON.parse(JSON.stringify(r.system))).toStrictEqual(r.system);
        trials.push({ number: n, state: "complete", params: r.params, value: n, metrics: {}, intermediate: [], curves: {}, startedAt: 0, system: r.system ?? {} });
      }
      expect(trials.length).toBeGreaterThan(0);
    });

    it("gives the same answer for the same snapshot, trial number and seed (any instance)", () => {
      const snap = snapshotOf(space, []);
      const a = make().propose(proposeContext(snap, space, 3, 77));
      const b = make().propose(proposeContext(snap, space, 3, 77));
      expect(b).toStrictEqual(a);
    });

    it("keeps every parameter inside the space when driven by a study, and replays bit for bit", async () => {
      const run = async () => {
        const study = await Study.open({ name: "c", space, direction: "minimize", strategy: { name, options }, storage: new MemoryStorage(), seed: 5 });
        const out = [];
        for (let i = 0; i < 25; i++) {
          const t = await study.ask();
          if (!t) break;
          expect(space.check(t.params)).toStrictEqual(t.params);
          out.push(t.params);
          await study.tell(t.number, { value: i % 7 });
        }
        return out;
      };
      const first = await run();
      expect(first.length).toBeGreaterThan(0);
      expect(await run()).toStrictEqual(first);
    });
  });
});
