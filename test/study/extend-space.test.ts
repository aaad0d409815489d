// Ranges that grow mid-study (issue 17 part 3): study.extendSpace, the "extend" record op, and
// every strategy continuing in the widened space, after a resume and across handles.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Study } from "../../src/study/study";
import { MemoryStorage } from "../../src/storage/base";
import { JournalStorage } from "../../src/storage/journal";
import { PostgresStorage } from "../../src/storage/postgres";
import { JournalLineReader } from "../../src/record/journal-reader";
import { SearchSpace } from "../../src/space/space";
import { widenSpace } from "../../src/space/extend";
import { choice, float, int } from "../../src/space/builders";
import { createStopper } from "../../src/strategies/registry";
import type { Storage } from "../../src/storage/storage";
import type { SpaceDef } from "../../src/space/types";
import { canonicalJson } from "../../src/util/json";
import { TunelabError } from "../../src/util/errors";
import { testDatabase } from "../helpers/postgres";
import { tempDir } from "../storage/workers/build";
import { refusal } from "../helpers/refusal";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir("extend");
  dirs.push(d);
  return d;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TunelabError);
    return (e as TunelabError).code;
  }
  throw new Error("expected a refusal");
}

/** Trains nothing: a value from the configuration, so every strategy gets something to model. */
function objective(p: Record<string, unknown>): number {
  let v = 0;
  for (const [k, x] of Object.entries(p)) v += typeof x === "number" ? Math.abs(Math.log1p(Math.abs(x))) : k.length + String(x).length;
  return v;
}

const SPACE = {
  lr: float(1e-3, 1e-1, { scale: "log" }),
  units: int(16, 64, { step: 16 }),
  opt: choice(["sgd", "adam"]),
  drop: float(0.1, 0.3, { step: 0.1 }),
};

describe("widenSpace: what an extension may do", () => {
  const space = SearchSpace.parse(SPACE);

  it("widens ranges, adds choices, keeps the rest", () => {
    const s = widenSpace(space, { lr: float(1e-6, 1, { scale: "log" }), opt: choice(["sgd", "adam", "rmsprop"]), units: int(0, 128, { step: 16 }) });
    expect(s.param("lr")).toMatchObject({ low: 1e-6, high: 1, scale: "log" });
    expect(s.param("opt")).toMatchObject({ choices: ["sgd", "adam", "rmsprop"] });
    expect(s.param("drop")).toEqual(space.param("drop"));
  });

  it("refuses narrowing, changes of type, scale, step or condition, off-grid bounds, unknown parameters, dropped choices", () => {
    const cases: [unknown, string, string][] = [
      [{ lr: float(1e-2, 1e-1, { scale: "log" }) }, "extend.narrowing", "extendSpace.lr.low"],
      [{ lr: float(1e-3, 5e-2, { scale: "log" }) }, "extend.narrowing", "extendSpace.lr.high"],
      [{ lr: float(1e-6, 1) }, "extend.scale_change", "extendSpace.lr.scale"],
      [{ units: float(0, 128) }, "extend.type_change", "extendSpace.units.type"],
      [{ units: int(0, 128, { step: 8 }) }, "extend.step_change", "extendSpace.units.step"],
      [{ units: int(10, 64, { step: 16 }) }, "extend.off_grid", "extendSpace.units.low"],
      [{ drop: float(0.05, 0.5, { step: 0.1 }) }, "extend.off_grid", "extendSpace.drop.low"],
      [{ depth: int(1, 4) }, "extend.unknown_param", "extendSpace"],
      [{ opt: choice(["sgd", "rmsprop"]) }, "extend.drops_choice", "extendSpace.opt.choices"],
      [{ drop: float(0, 0.5, { step: 0.1, when: { opt: ["sgd"] } }) }, "extend.condition_change", "extendSpace.drop.when"],
      [{}, "extend.empty", "extendSpace"],
      [{ lr: { type: "float", low: 1, high: 1e-6, scale: "log" } }, "space.low_not_below_high", ""],
    ];
    for (const [patch, code, field] of cases) {
      let err: TunelabError | undefined;
      try {
        widenSpace(space, patch);
      } catch (e) {
        err = e as TunelabError;
      }
      expect(err, JSON.stringify(patch)).toBeInstanceOf(TunelabError);
      expect(err!.code).toBe(code);
      if (field) expect(err!.field).toBe(field);
    }
  });

  it("a stepped float widened by whole steps keeps every old grid value", () => {
    const s = widenSpace(space, { drop: float(0, 0.5, { step: 0.1 }) });
    expect(s.param("drop")).toMatchObject({ low: 0, high: 0.5, step: 0.1 });
    expect(codeOf(() => widenSpace(space, { drop: float(0.1, 0.3) }))).toBe("extend.step_change");
  });
});

type Strat = { name: string; options?: Record<string, unknown>; stopping?: boolean };
const STRATEGIES: Strat[] = [
  { name: "random" },
  { name: "grid" },
  { name: "tpe", options: { startupTrials: 3, candidates: 8 } },
  { name: "bayesian", options: { startupTrials: 3, candidates: 64, localSearches: 1 } },
  { name: "hyperband", options: { maxResource: 9, eta: 3 } },
  { name: "asha", options: { maxResource: 9, eta: 3, sampler: "tpe", samplerOptions: { startupTrials: 2, candidates: 8 } } },
  { name: "random", stopping: true },
];

/** A widening of `space` drawn from `r` in [0,1): some of lr/units/opt/drop grown. */
function extensionOf(space: SearchSpace, r: readonly number[]): SpaceDef {
  const patch: Record<string, unknown> = {};
  const lr = space.param("lr") as { low: number; high: number } | undefined;
  const units = space.param("units") as { low: number; high: number };
  const opt = space.param("opt") as { choices: readonly string[] };
  const drop = space.param("drop") as { low: number; high: number };
  if (lr && r[0]! < 0.5) patch["lr"] = float(lr.low / (2 + 100 * r[1]!), lr.high * (1 + 9 * r[2]!), { scale: "log" });
  if (r[3]! < 0.5) patch["units"] = int(units.low - 16 * Math.floor(r[4]! * 2), units.high + 16 + Math.floor(r[5]! * 40), { step: 16 });
  if (r[6]! < 0.5) patch["opt"] = choice([...opt.choices, `o${opt.choices.length}`]);
  if (r[7]! < 0.5) patch["drop"] = float(Math.max(0, Math.round((drop.low - 0.1 * Math.floor(r[8]! * 2)) * 10) / 10), Math.round((drop.high + 0.1 * (1 + Math.floor(r[8]! * 3))) * 10) / 10, { step: 0.1 });
  if (Object.keys(patch).length === 0) patch["opt"] = choice([...opt.choices, `o${opt.choices.length}`]);
  return patch as SpaceDef;
}

/** Runs `count` trials by hand (with reports for the multi-fidelity strategies and the median rule). */
async function runTrials(study: Study, count: number, seen: string[]): Promise<number> {
  let ran = 0;
  for (let i = 0; i < count; i++) {
    const t = await study.ask();
    if (!t) break;
    // The property: every proposal is a valid configuration of the space as it is now.
    expect(() => study.space.check(t.params)).not.toThrow();
    seen.push(canonicalJson(t.params));
    const steps = t.budget ?? 3;
    let stopped = false;
    for (let s = 1; s <= steps && !stopped; s++) stopped = await study.report(t.number, s, objective(t.params) / s);
    await study.tell(t.number, stopped ? { state: "pruned" } : { value: objective(t.params) });
    ran++;
  }
  return ran;
}

async function openStudy(name: string, s: Strat, storage: Storage, space: unknown = SPACE): Promise<Study> {
  return Study.open({
    name,
    space: space as SpaceDef,
    direction: "minimize",
    strategy: { name: s.name, ...(s.options ? { options: s.options } : {}) },
    seed: 3,
    storage,
    ...(s.stopping ? { stopping: createStopper("median", { startupTrials: 2, warmupSteps: 1 }) } : {}),
  });
}

describe("every strategy continues in the extended space", () => {
  it("property: no proposal is ever outside the current space; the grid never repeats a point", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...STRATEGIES),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 9, maxLength: 9 })), { minLength: 1, maxLength: 3 }),
        async (s, plan) => {
          const storage = new MemoryStorage();
          // The grid needs every float stepped: its space leaves the log-scaled lr out.
          const { lr: _lr, ...gridSpace } = SPACE;
          const study = await openStudy(`p${n++}`, s, storage, s.name === "grid" ? gridSpace : SPACE);
          const seen: string[] = [];
          for (const [trials, r] of plan) {
            await runTrials(study, trials, seen);
            const before = study.space;
            const wider = await study.extendSpace(extensionOf(before, r) as never);
            expect(wider.equals(before)).toBe(false);
          }
          await runTrials(study, 4, seen);
          if (s.name === "grid") expect(new Set(seen).size).toBe(seen.length);
        },
      ),
      { numRuns: 25 },
    );
  }, 60_000);

  it("the grid enumerates the new points (and the old ones not yet run), never an old one again, and then is done", async () => {
    const study = await openStudy("g", { name: "grid" }, new MemoryStorage(), { a: int(1, 3), b: choice(["x", "y"]) });
    const seen: string[] = [];
    expect(await runTrials(study, 4, seen)).toBe(4); // 4 of the 6 old points
    await study.extendSpace({ a: int(0, 4), b: choice(["x", "y", "z"]) });
    const ran = await runTrials(study, 100, seen);
    // 5 × 3 = 15 points in all, 4 already run.
    expect(ran).toBe(11);
    expect(new Set(seen).size).toBe(15);
    expect(await study.ask()).toBeUndefined();
  });

  it("the bayesian strategy refits on the new bounds (hyperparameters of the old space are not reused)", async () => {
    const study = await openStudy("b", STRATEGIES[3]!, new MemoryStorage());
    await runTrials(study, 5, []);
    await study.extendSpace({ lr: float(1e-6, 1, { scale: "log" }) });
    await runTrials(study, 2, []);
    const gp = study.trials.slice(-2).map((t) => t.system["gp"] as { space?: number });
    expect(gp.every((g) => g && g.space === 1)).toBe(true);
  });

  it("refuses a bad extension through the study with the catalog's code and field, recording nothing", async () => {
    const study = await openStudy("r", { name: "random" }, new MemoryStorage());
    expect(await refusal(study.extendSpace({ lr: float(1e-2, 1e-1, { scale: "log" }) }))).toEqual({ code: "extend.narrowing", field: "extendSpace.lr.low" });
    expect(await refusal(study.extendSpace({ nope: float(0, 1) } as never))).toMatchObject({ code: "extend.unknown_param" });
    expect(study.snapshot.spaceVersion ?? 0).toBe(0);
    // The storage checks too (a handle that skipped the study's check, or a stale one).
    expect(await refusal(study.storage.extendSpace("r", { lr: { type: "int", low: 0, high: 3 } }))).toMatchObject({ code: "extend.type_change" });
    expect(study.snapshot.spaceVersion ?? 0).toBe(0);
  });
});

describe("after a resume, and across handles", () => {
  /** Storage handles opened by `open`, closed together (each stands for a process). */
  const tracked = (open: () => Storage) => {
    const handles: Storage[] = [];
    return {
      make: () => {
        const s = open();
        handles.push(s);
        return s;
      },
      close: async () => {
        for (const h of handles) await h.close();
      },
    };
  };
  const backends: [string, () => Promise<{ make: () => Storage; close: () => Promise<void> }>][] = [
    ["journal", async () => tracked(((d) => () => new JournalStorage(d))(dir()))],
    ["postgresql", async () => tracked(((url) => () => new PostgresStorage(url))((await testDatabase("extend")).url))],
  ];

  describe.each(backends)("%s", (kind, backend) => {
    it.each(["grid", "tpe", "random"])("a resumed %s study proposes in the extended space and the grid repeats nothing", async (strategy) => {
      const b = await backend();
      const s = STRATEGIES.find((x) => x.name === strategy)!;
      const name = `resume-${strategy}-${kind}`;
      const first = await openStudy(name, s, b.make(), { a: int(1, 3), lr: float(0.01, 0.1, { step: 0.01 }) });
      const seen: string[] = [];
      await runTrials(first, 6, seen);
      await first.extendSpace({ a: int(1, 6), lr: float(0.01, 0.2, { step: 0.01 }) });
      await first.storage.close();
      // A fresh process: the notebook's cell as first written (the space as created).
      const again = await openStudy(name, s, b.make(), { a: int(1, 3), lr: float(0.01, 0.1, { step: 0.01 }) });
      expect(again.space.param("a")).toMatchObject({ low: 1, high: 6 });
      expect(again.snapshot.spaceVersion).toBe(1);
      await runTrials(again, 12, seen);
      if (strategy === "grid") expect(new Set(seen).size).toBe(seen.length);
      // Trials outside the old ranges appear (the grid reaches them in order; the others draw there).
      if (strategy !== "grid") expect(again.trials.slice(6).some((t) => (t.params["a"] as number) > 3 || (t.params["lr"] as number) > 0.1)).toBe(true);
      await b.close();
      // (A failure detector, not a speed assertion: PostgreSQL round trips on a loaded shared machine.)
    }, 120_000);

    it("a second handle's next ask uses an extension the first recorded", async () => {
      const b = await backend();
      const name = `handles-${kind}`;
      const one = await openStudy(name, { name: "random" }, b.make(), { a: int(1, 3) });
      const two = await openStudy(name, { name: "random" }, b.make(), { a: int(1, 3) });
      await one.extendSpace({ a: int(1, 200) });
      // two never refreshed: its ask reads the latest state in its write.
      const drawn: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = (await two.ask())!;
        drawn.push(t.params["a"] as number);
        await two.tell(t.number, { value: 1 });
      }
      expect(drawn.some((a) => a > 3)).toBe(true);
      expect(two.space.param("a")).toMatchObject({ low: 1, high: 200 });
      await b.close();
    }, 120_000);
  });

  it("the journal holds one versioned extend record that the shared reader (the study browser's) applies", async () => {
    const d = dir();
    const storage = new JournalStorage(d);
    const study = await openStudy("jr", { name: "random" }, storage, { a: int(1, 3) });
    await runTrials(study, 2, []);
    await study.extendSpace({ a: int(0, 9) });
    await runTrials(study, 2, []);
    await storage.close();
    const file = path.join(d, "jr.jsonl");
    const lines = fs.readFileSync(file, "utf8").trim().split("\n");
    const ext = lines.map((l) => JSON.parse(l)).filter((o) => o.op === "extend");
    expect(ext).toHaveLength(1);
    expect(ext[0]).toMatchObject({ v: 1, space: { a: { type: "int", low: 0, high: 9 } } });
    const warnings: string[] = [];
    const reader = new JournalLineReader(file, { onWarning: (m) => warnings.push(m) });
    reader.read(new Uint8Array(fs.readFileSync(file)), true, true);
    expect(warnings).toEqual([]);
    expect(reader.replica!.space).toMatchObject({ a: { low: 0, high: 9 } });
    expect(reader.replica!.trials).toHaveLength(4);
  });

  it("a crafted extend record that narrows is skipped with a warning, not applied", () => {
    const d = dir();
    const file = path.join(d, "bad.jsonl");
    const spec = { name: "bad", space: { a: { type: "int", low: 1, high: 3 } }, direction: "minimize", metric: "value", strategy: { name: "random", options: {} }, seed: 1, createdAt: 1 };
    fs.writeFileSync(file, [JSON.stringify({ op: "study", v: 1, spec }), JSON.stringify({ op: "extend", v: 1, space: { a: { type: "int", low: 2, high: 3 } }, t: 2 })].join("\n") + "\n");
    const warnings: string[] = [];
    const reader = new JournalLineReader(file, { onWarning: (m) => warnings.push(m) });
    reader.read(new Uint8Array(fs.readFileSync(file)), true, true);
    expect(reader.replica!.space).toBeUndefined();
    expect(warnings.join(" ")).toMatch(/line 2/);
  });
});
