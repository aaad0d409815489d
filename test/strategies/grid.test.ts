import { describe, expect, it } from "vitest";
import type { FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { choice, float, int } from "../../src/space/builders";
import { Grid } from "../../src/space/grid";
import { SearchSpace } from "../../src/space/space";
import type { Config } from "../../src/space/types";
import { MemoryStorage } from "../../src/storage/base";
import { GRID_KEY, GridStrategy } from "../../src/strategies/grid";
import { createStrategy } from "../../src/strategies/registry";
import { isDone, proposeContext, type Proposal } from "../../src/strategies/strategy";
import { tune } from "../../src/dsl/tuner";
import { Study } from "../../src/study/study";
import type { JsonObject } from "../../src/util/json";

const space = SearchSpace.parse({
  opt: choice(["sgd", "adam"]),
  layers: int(1, 3),
  frac: float(0, 0.5, { step: 0.25 }),
}); // 2 × 3 × 3 = 18
const grid = new Grid(space);

function snapshotOf(trials: FrozenTrial[]): StudySnapshot {
  return {
    spec: { name: "g", space: space.toJSON(), direction: "minimize", metric: "value", strategy: { name: "grid", options: {} }, seed: 0, createdAt: 0 },
    trials,
    queue: [],
  };
}

function trial(number: number, system: JsonObject, params: Config = grid.at(0), state: FrozenTrial["state"] = "complete"): FrozenTrial {
  return { number, state, params, metrics: {}, intermediate: [], curves: {}, startedAt: 0, system };
}

/** Trials that took the given grid positions (trial numbers in the same order). */
const took = (...positions: number[]) => positions.map((g, i) => trial(i, { [GRID_KEY]: g }, grid.at(g)));

function next(trials: FrozenTrial[]): Proposal | "done" {
  const r = new GridStrategy(space).propose(proposeContext(snapshotOf(trials), space, trials.length, 1));
  return isDone(r) ? "done" : r;
}

describe("GridStrategy.propose", () => {
  it("starts at position 0 and records the position with the trial", () => {
    expect(next([])).toStrictEqual({ params: grid.at(0), system: { [GRID_KEY]: 0 } });
  });

  it("continues with the next position from a snapshot that already holds trials (resume)", () => {
    expect(next(took(0, 1, 2, 3, 4))).toStrictEqual({ params: grid.at(5), system: { [GRID_KEY]: 5 } });
    // Running and failed trials hold their positions too.
    const mixed = [trial(0, { [GRID_KEY]: 0 }, grid.at(0), "running"), trial(1, { [GRID_KEY]: 1 }, grid.at(1), "failed")];
    expect(next(mixed)).toMatchObject({ system: { [GRID_KEY]: 2 } });
  });

  it("fills a gap left by positions taken out of order", () => {
    expect(next(took(0, 2, 3))).toMatchObject({ params: grid.at(1), system: { [GRID_KEY]: 1 } });
  });

  it("does not count trials that came from elsewhere (enqueued configurations) as positions", () => {
    const queued = [trial(0, { queued: 0 }), trial(1, { queued: 1 })];
    expect(next(queued)).toMatchObject({ system: { [GRID_KEY]: 0 } });
    expect(next([...queued, trial(2, { [GRID_KEY]: 0 })])).toMatchObject({ system: { [GRID_KEY]: 1 } });
  });

  it("is done after the last position, and stays done", () => {
    const all = took(...Array.from({ length: 18 }, (_, i) => i));
    expect(next(all.slice(0, 17))).toMatchObject({ system: { [GRID_KEY]: 17 } });
    expect(next(all)).toBe("done");
    expect(next([...all, trial(18, { queued: 0 })])).toBe("done");
  });

  it("does not depend on the seed", () => {
    const s = new GridStrategy(space, { seed: 5 });
    const a = s.propose(proposeContext(snapshotOf(took(0, 1)), space, 2, 1));
    const b = s.propose(proposeContext(snapshotOf(took(0, 1)), space, 2, 99));
    expect(a).toStrictEqual(b);
  });
});

describe("GridStrategy through a study", () => {
  async function open(storage = new MemoryStorage(), def = space) {
    return Study.open({ name: "grid", space: def, direction: "minimize", strategy: { name: "grid" }, storage, seed: 1 });
  }

  it("asks every configuration exactly once, in the grid's order, then is done", async () => {
    const study = await open();
    const seen: Config[] = [];
    for (;;) {
      const t = await study.ask();
      if (!t) break;
      seen.push(t.params);
      await study.tell(t.number, { value: seen.length });
    }
    expect(seen).toStrictEqual(Array.from({ length: 18 }, (_, i) => grid.at(i)));
    expect(await study.ask()).toBeUndefined();
  });

  it("hands distinct configurations to parallel asks", async () => {
    const study = await open();
    const running = [];
    for (let i = 0; i < 5; i++) running.push(await study.ask());
    expect(new Set(running.map((t) => JSON.stringify(t!.params))).size).toBe(5);
  });

  it("resumes from storage where it stopped", async () => {
    const storage = new MemoryStorage();
    const first = await open(storage);
    for (let i = 0; i < 7; i++) {
      const t = (await first.ask())!;
      if (i % 2) await first.tell(t.number, { value: i });
      else await first.tell(t.number, { state: "failed", error: "boom" });
    }
    const again = await open(storage);
    const t = await again.ask();
    expect(t!.params).toStrictEqual(grid.at(7));
    expect(t!.system[GRID_KEY]).toBe(7);
  });

  it("enumerates a conditional space completely", async () => {
    const cond = SearchSpace.parse({
      opt: choice(["sgd", "adam"]),
      momentum: float(0.8, 0.9, { step: 0.05, when: { opt: ["sgd"] } }),
      layers: int(1, 2),
    }); // (3 + 1) × 2 = 8
    const study = await open(new MemoryStorage(), cond);
    const seen = new Set<string>();
    for (let t = await study.ask(); t; t = await study.ask()) {
      expect(cond.check(t.params)).toStrictEqual(t.params);
      seen.add(JSON.stringify(t.params));
      await study.tell(t.number, { value: 0 });
    }
    expect(seen.size).toBe(8);
  });
});

describe("GridStrategy options and spaces", () => {
  it("rejects a float without step, naming it", () => {
    const s = SearchSpace.parse({ a: int(0, 1), lr: float(1e-3, 1, { scale: "log" }) });
    expect(() => new GridStrategy(s)).toThrow(expect.objectContaining({ code: "grid.float_without_step", field: "space.lr.step" }));
    expect(() => createStrategy("grid", s)).toThrow(/"lr"/);
  });

  it("accepts a seed and rejects anything else", () => {
    expect(() => new GridStrategy(space, { seed: 3 })).not.toThrow();
    expect(() => new GridStrategy(space, { shuffle: true })).toThrow(expect.objectContaining({ code: "option.unknown", field: "options.shuffle" }));
    expect(() => new GridStrategy(space, { seed: "3" })).toThrow(expect.objectContaining({ code: "option.bad_value", field: "options.seed" }));
    expect(() => new GridStrategy(space, "all")).toThrow(expect.objectContaining({ code: "option.bad_value", field: "options" }));
  });
});

describe("GridStrategy cost (issue 11: a proposal scanned every trial, and big grids were listed)", () => {
  /** A trial whose grid position counts how often it is read. */
  function counted(number: number, g: number, reads: { n: number }): FrozenTrial {
    const t = trial(number, {}, grid.at(g % grid.size));
    return { ...t, get system() {
      reads.n++;
      return { [GRID_KEY]: g };
    } } as FrozenTrial;
  }

  it("reads only the trials added since its last proposal, while the snapshot is a replica that only grew", () => {
    const reads = { n: 0 };
    const trials: FrozenTrial[] = [];
    // A replica-like snapshot: one trials array that grows, and a count of "sys" ops.
    const snap = { ...snapshotOf(trials), trials, sysOps: 0 };
    const s = new GridStrategy(space);
    for (let i = 0; i < 12; i++) {
      const r = s.propose(proposeContext(snap, space, i, 1)) as Proposal;
      expect(r.system).toStrictEqual({ [GRID_KEY]: i });
      trials.push(counted(i, i, reads));
    }
    expect(reads.n).toBe(11); // each trial once
    // A "sys" op may have rewritten any record: everything is read again.
    snap.sysOps = 1;
    expect(s.propose(proposeContext(snap, space, 12, 1))).toMatchObject({ system: { [GRID_KEY]: 12 } });
    expect(reads.n).toBe(11 + 12);
  });

  it("fills gaps left out of order, and skips positions that are not grid positions", () => {
    const trials: FrozenTrial[] = [];
    const snap = { ...snapshotOf(trials), trials, sysOps: 0 };
    const s = new GridStrategy(space);
    const at = () => (s.propose(proposeContext(snap, space, trials.length, 1)) as Proposal).system![GRID_KEY];
    for (const g of [0, 3, 2, -1, 1.5, "4", 1e300]) trials.push(trial(trials.length, { [GRID_KEY]: g as number }));
    expect(at()).toBe(1);
    trials.push(trial(trials.length, { [GRID_KEY]: 1 }));
    expect(at()).toBe(4);
  });

  it("in the DSL: a grid of 1e15 configurations (a billion float steps) is accepted at once and runs (the notebook kernel died)", async () => {
    const t = tune("huge-grid").space({ x: int(0, 1e6), lr: float(0, 1, { step: 1e-9 }) }).strategy("grid").storage("memory").minimize().limits({ trials: 3 });
    const seen: Config[] = [];
    await t
      .objective((p) => {
        seen.push(p);
        return p.lr;
      })
      .run({ display: false });
    expect(seen).toStrictEqual([{ x: 0, lr: 0 }, { x: 0, lr: 1e-9 }, { x: 0, lr: 2e-9 }]);
  });

  it("runs a study over a billion-configuration grid and resumes it from storage", async () => {
    const big = SearchSpace.parse({ x: int(0, 1e9), opt: choice(["a", "b"]) });
    const storage = new MemoryStorage();
    const open = () => Study.open({ name: "big", space: big, direction: "minimize", strategy: { name: "grid" }, storage, seed: 1 });
    const first = await open();
    for (let i = 0; i < 5; i++) {
      const t = (await first.ask())!;
      await first.tell(t.number, { value: i });
    }
    const t = (await (await open()).ask())!;
    expect(t.params).toStrictEqual({ x: 2, opt: "b" });
    expect(t.system[GRID_KEY]).toBe(5);
  });
});
