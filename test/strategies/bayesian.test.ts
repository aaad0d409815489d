import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { choice, float, int } from "../../src/space/builders";
import { SearchSpace } from "../../src/space/space";
import type { Config, SpaceDef } from "../../src/space/types";
import { MemoryStorage } from "../../src/storage/base";
import { JournalStorage } from "../../src/storage/journal";
import { BayesianStrategy, GP_KEY } from "../../src/strategies/bayesian";
import { ModelSpace } from "../../src/strategies/bayesian-space";
import { createStrategy } from "../../src/strategies/registry";
import { proposeContext, type Proposal } from "../../src/strategies/strategy";
import { Study } from "../../src/study/study";
import { isTunelabError } from "../../src/util/errors";

const MIXED: SpaceDef = {
  x: float(-2, 2),
  lr: float(1e-5, 1, { scale: "log" }),
  n: int(1, 20),
  big: int(0, 500, { step: 5 }),
  c: choice(["a", "b", "c"]),
};

const CONDITIONAL: SpaceDef = {
  opt: choice(["sgd", "adam", "rmsprop"]),
  momentum: float(0.5, 0.99, { when: { opt: ["sgd"] } }),
  beta: float(0.8, 0.999, { scale: "reverse-log", when: { opt: ["adam"] } }),
  layers: int(1, 3),
  width: int(16, 128, { step: 16, when: { layers: [2, 3] } }),
  act: choice(["relu", "tanh"], { when: { layers: [3] } }),
  x: float(0, 1),
};

function trial(number: number, params: Config, value: number | undefined, state: FrozenTrial["state"] = "complete", system: FrozenTrial["system"] = {}): FrozenTrial {
  return { number, state, params, ...(value === undefined ? {} : { value }), metrics: {}, intermediate: [], curves: {}, startedAt: 0, system };
}

function snapshot(space: SearchSpace, trials: FrozenTrial[], direction: "minimize" | "maximize" = "minimize"): StudySnapshot {
  return { spec: { name: "t", space: space.toJSON(), direction, metric: "value", strategy: { name: "bayesian", options: {} }, seed: 0, createdAt: 0 }, trials, queue: [] };
}

/** A smooth test objective over any configuration (categorical and inactive values included). */
function objective(p: Config): number {
  let v = 0;
  for (const [k, x] of Object.entries(p)) {
    const h = [...k].reduce((s, ch) => s + ch.charCodeAt(0), 0) % 7;
    v += typeof x === "number" ? Math.sin(x * (1 + h)) + 0.1 * x * x * (h % 3 === 0 ? 1e-4 : 1) : typeof x === "string" ? (x.charCodeAt(0) % 3) * 0.3 : x ? 0.2 : 0;
  }
  return v;
}

/** Drives a strategy by hand for `count` trials (all completed at once). */
function drive(space: SearchSpace, s: BayesianStrategy, count: number, seed = 1): { trials: FrozenTrial[]; proposals: Proposal[] } {
  const trials: FrozenTrial[] = [];
  const proposals: Proposal[] = [];
  for (let n = 0; n < count; n++) {
    const r = s.propose(proposeContext(snapshot(space, trials), space, n, seed));
    proposals.push(r);
    trials.push(trial(n, r.params, objective(r.params), "complete", r.system ?? {}));
  }
  return { trials, proposals };
}

describe("bayesian: proposals", () => {
  it.each([["mixed", MIXED], ["conditional", CONDITIONAL]] as const)("are always valid configurations in a %s space", (_n, def) => {
    const space = SearchSpace.parse(def);
    const { proposals } = drive(space, new BayesianStrategy(space, { candidates: 256 }), 24);
    for (const p of proposals) expect(space.check(p.params)).toStrictEqual(p.params);
    // After the startup trials every proposal carries the fitted hyperparameters.
    const theta = proposals[20]!.system?.[GP_KEY] as { theta: number[] };
    expect(theta.theta).toHaveLength(space.size + 2);
    expect(proposals.slice(0, 10).every((p) => p.system === undefined)).toBe(true);
  });

  it("explores both branches of a conditional space and keeps conditions consistent", () => {
    const space = SearchSpace.parse(CONDITIONAL);
    const { proposals } = drive(space, new BayesianStrategy(space, { candidates: 256 }), 30);
    const opts = new Set(proposals.map((p) => p.params["opt"]));
    expect(opts.size).toBeGreaterThan(1);
    for (const p of proposals) {
      expect("momentum" in p.params).toBe(p.params["opt"] === "sgd");
      expect("width" in p.params).toBe(p.params["layers"] !== 1);
    }
  });

  it("ignores failed and pruned trials and still proposes with none complete", () => {
    const space = SearchSpace.parse(MIXED);
    const s = new BayesianStrategy(space);
    const failed = Array.from({ length: 12 }, (_, i) => trial(i, { x: 0, lr: 0.1, n: 1, big: 0, c: "a" }, undefined, i % 2 ? "failed" : "pruned"));
    const r = s.propose(proposeContext(snapshot(space, failed), space, 12, 3));
    expect(space.check(r.params)).toStrictEqual(r.params);
    expect(r.system).toBeUndefined(); // still in the startup phase
  });

  it("finds the minimum of a smooth function in few trials, in either direction", () => {
    const space = SearchSpace.parse({ a: float(-3, 3), b: float(-3, 3) });
    for (const direction of ["minimize", "maximize"] as const) {
      const sign = direction === "minimize" ? 1 : -1;
      const s = new BayesianStrategy(space, { candidates: 512 });
      const trials: FrozenTrial[] = [];
      for (let n = 0; n < 25; n++) {
        const r = s.propose(proposeContext(snapshot(space, trials, direction), space, n, 5));
        const a = r.params["a"] as number;
        const b = r.params["b"] as number;
        trials.push(trial(n, r.params, sign * ((a - 1.2) ** 2 + (b + 0.7) ** 2), "complete", r.system));
      }
      const best = Math.min(...trials.map((t) => sign * t.value!));
      expect(best).toBeLessThan(1e-3); // random search over 25 trials: ~0.2
    }
  });

  it("fits a subset above maxObservations and stays valid", () => {
    const space = SearchSpace.parse(MIXED);
    const s = new BayesianStrategy(space, { maxObservations: 12, candidates: 128 });
    const { proposals } = drive(space, s, 20);
    for (const p of proposals) expect(space.check(p.params)).toStrictEqual(p.params);
  });
});

describe("bayesian: determinism", () => {
  it("same seed and same history give the same proposal from any instance", () => {
    const space = SearchSpace.parse(MIXED);
    const { trials } = drive(space, new BayesianStrategy(space, { candidates: 256 }), 14);
    const ctx = proposeContext(snapshot(space, trials), space, 14, 1);
    const a = new BayesianStrategy(space, { candidates: 256 }).propose(ctx);
    const b = new BayesianStrategy(space, { candidates: 256 }).propose(ctx);
    expect(b).toStrictEqual(a);
    // The seed matters (startup points differ).
    const s3 = new BayesianStrategy(space);
    expect(s3.propose(proposeContext(snapshot(space, []), space, 3, 1)).params).not.toStrictEqual(s3.propose(proposeContext(snapshot(space, []), space, 3, 2)).params);
  });

  it("the warm start comes from the stored history: dropping the saved θ can change the fit, keeping it reproduces it", () => {
    const space = SearchSpace.parse(MIXED);
    const { trials } = drive(space, new BayesianStrategy(space, { candidates: 128 }), 16);
    const ctx = proposeContext(snapshot(space, trials), space, 16, 1);
    const s = new BayesianStrategy(space, { candidates: 128 });
    const first = s.propose(ctx);
    // The memo is only a shortcut: a fresh instance agrees.
    expect(new BayesianStrategy(space, { candidates: 128 }).propose(ctx)).toStrictEqual(first);
  });

  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("a study resumed from its journal proposes exactly what an uninterrupted one does", async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-bayes-"));
    const space = SearchSpace.parse(MIXED);
    const strategy = { name: "bayesian", options: { candidates: 256 } };
    const run = async (study: Study, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const t = (await study.ask())!;
        await study.tell(t.number, { value: objective(t.params) });
      }
    };
    const straight = await Study.open({ name: "s", space, direction: "minimize", strategy, storage: new MemoryStorage(), seed: 9 });
    await run(straight, 0, 16);

    const j1 = new JournalStorage(dir);
    const part = await Study.open({ name: "s", space, direction: "minimize", strategy, storage: j1, seed: 9 });
    await run(part, 0, 13);
    await j1.close();
    const j2 = new JournalStorage(dir);
    const resumed = await Study.open({ name: "s", space, direction: "minimize", strategy, storage: j2 });
    await run(resumed, 13, 16);
    await j2.close();

    expect(resumed.trials.map((t) => t.params)).toStrictEqual(straight.trials.map((t) => t.params));
    // (The journal's trials also name the worker that ran them: the study in memory has no other worker.)
    const withoutOwner = ({ owner: _owner, ...rest }: Record<string, unknown>) => rest;
    expect(resumed.trials.map((t) => withoutOwner(t.system))).toStrictEqual(straight.trials.map((t) => t.system));
    expect(resumed.trials.every((t) => t.system["owner"] !== undefined)).toBe(true);
  });
});

describe("bayesian: parallel proposals", () => {
  it("trials in flight get distinct, spread-out proposals", () => {
    const space = SearchSpace.parse({ a: float(0, 1), b: float(0, 1) });
    const s = new BayesianStrategy(space, { candidates: 512 });
    const trials: FrozenTrial[] = [];
    for (let n = 0; n < 15; n++) {
      const r = s.propose(proposeContext(snapshot(space, trials), space, n, 1));
      const a = r.params["a"] as number;
      const b = r.params["b"] as number;
      trials.push(trial(n, r.params, (a - 0.3) ** 2 + (b - 0.6) ** 2 + 0.3 * Math.sin(9 * a), "complete", r.system ?? {}));
    }
    const pending: FrozenTrial[] = [];
    for (let k = 0; k < 4; k++) {
      const n = trials.length + k;
      const r = s.propose(proposeContext(snapshot(space, [...trials, ...pending]), space, n, 1));
      pending.push(trial(n, r.params, undefined, "running"));
    }
    const minDist = (ps: Config[]) => {
      let m = Infinity;
      for (let i = 0; i < ps.length; i++)
        for (let j = 0; j < i; j++) m = Math.min(m, Math.hypot((ps[i]!["a"] as number) - (ps[j]!["a"] as number), (ps[i]!["b"] as number) - (ps[j]!["b"] as number)));
      return m;
    };
    // Unaware of each other (same snapshot, next trial numbers), the four would nearly coincide.
    const blind = [0, 1, 2, 3].map((k) => s.propose(proposeContext(snapshot(space, trials), space, trials.length + k, 1)).params);
    const spread = minDist(pending.map((t) => t.params));
    expect(spread).toBeGreaterThan(0.003);
    expect(spread).toBeGreaterThan(10 * minDist(blind));
  });

  it("a running trial changes the next proposal (the constant liar takes effect)", () => {
    const space = SearchSpace.parse({ a: float(0, 1), b: float(0, 1) });
    const { trials } = drive(space, new BayesianStrategy(space, { candidates: 256 }), 15);
    const s = new BayesianStrategy(space, { candidates: 256 });
    const alone = s.propose(proposeContext(snapshot(space, trials), space, 15, 1));
    const withPending = s.propose(proposeContext(snapshot(space, [...trials, trial(15, alone.params, undefined, "running")]), space, 16, 1));
    const again = s.propose(proposeContext(snapshot(space, trials), space, 16, 1));
    expect(withPending.params).not.toStrictEqual(again.params);
  });
});

describe("bayesian: options", () => {
  it("is registered and validates its options", () => {
    const space = SearchSpace.parse(MIXED);
    expect(createStrategy("bayesian", space, {}).name).toBe("bayesian");
    for (const bad of [{ startupTrials: 0 }, { candidates: 1.5 }, { deterministic: "yes" }, { maxObservations: 3 }, { nope: 1 }]) {
      let err: unknown;
      try {
        createStrategy("bayesian", space, bad);
      } catch (e) {
        err = e;
      }
      expect(isTunelabError(err)).toBe(true);
      expect((err as { code: string }).code).toMatch(/^option\./);
    }
  });

  it("a deterministic objective fixes the noise at its floor", () => {
    const space = SearchSpace.parse({ a: float(0, 1) });
    const { proposals } = drive(space, new BayesianStrategy(space, { deterministic: true, candidates: 64 }), 12);
    const theta = (proposals[11]!.system![GP_KEY] as { theta: number[] }).theta;
    expect(theta).toHaveLength(3);
  });
});

describe("ModelSpace", () => {
  it("snaps discrete values to cell centres and categorical ones to indices", () => {
    const m = new ModelSpace(SearchSpace.parse({ n: int(1, 4), c: choice(["x", "y", "z"]), f: float(0, 1) }));
    const w = m.fromCube([0.3, 0.99, 0.42], new Float64Array(3));
    expect(Array.from(w)).toEqual([0.375, 2, 0.42]);
    expect(m.decode(w)).toStrictEqual({ n: 2, c: "z", f: 0.42 });
    expect(Array.from(m.encodeConfig({ n: 2, c: "z", f: 0.42 }))).toEqual([0.375, 2, 0.42]);
    expect(Array.from(m.categorical)).toEqual([0, 1, 0]);
  });

  it("imputes inactive parameters: 0.5 for numeric, an extra level for categorical", () => {
    const m = new ModelSpace(SearchSpace.parse(CONDITIONAL));
    const z = m.encodeConfig({ opt: "adam", beta: 0.9, layers: 1, x: 0.3 });
    const names = Object.keys(CONDITIONAL);
    expect(z[names.indexOf("momentum")]).toBe(0.5);
    expect(z[names.indexOf("width")]).toBe(0.5);
    expect(z[names.indexOf("act")]).toBe(2); // choices relu, tanh → level 2 = inactive
    // canonical() applies the conditions of a full point the same way.
    const w = m.fullFromConfig({ opt: "adam", beta: 0.9, layers: 1, x: 0.3 });
    expect(Array.from(m.canonical(w, new Float64Array(w.length)))).toEqual(Array.from(z));
  });
});
