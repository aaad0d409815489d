// The fluent builder: it checks each input at once, freezes what defines the
// study once it has started, and keeps studies in memory or on disk.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tune } from "../../src/dsl/tuner";
import { choice, float, int } from "../../src/space/builders";
import { MemoryStorage } from "../../src/storage/base";
import { journalFileName } from "../../src/storage/journal";
import { LIMIT_KEYS } from "../../src/study/limits";
import { TunelabError } from "../../src/util/errors";
import { tempDir } from "../storage/workers/build";

function caught(fn: () => unknown): TunelabError {
  let e: unknown;
  try {
    fn();
  } catch (x) {
    e = x;
  }
  expect(e).toBeInstanceOf(TunelabError);
  return e as TunelabError;
}

async function rejected(p: Promise<unknown>): Promise<TunelabError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TunelabError);
  return e as TunelabError;
}

const space = { x: float(0, 1), k: choice(["a", "b"]) };
const mem = (name = "t") => tune(name).space(space).minimize().storage("memory");

beforeEach(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("each method checks its input at once", () => {
  it("an unknown limits key: option.unknown naming the allowed keys", () => {
    const e = caught(() => mem().limits({ trials: 3, trails: 5 } as never));
    expect(e).toMatchObject({ code: "option.unknown", field: "limits.trails" });
    for (const k of LIMIT_KEYS) expect(e.message).toContain(k);
  });

  it("bad limit values: option.bad_value naming the limit", () => {
    expect(caught(() => mem().limits({ trials: 0 }))).toMatchObject({ code: "option.bad_value", field: "limits.trials" });
    expect(caught(() => mem().limits({ parallel: 2.5 }))).toMatchObject({ code: "option.bad_value", field: "limits.parallel" });
    expect(caught(() => mem().limits({ trialSeconds: 0 }))).toMatchObject({ code: "option.bad_value", field: "limits.trialSeconds" });
  });

  it("names, spaces, strategies, seeds, storages, objectives", () => {
    expect(caught(() => tune(""))).toMatchObject({ code: "study.bad_name" });
    expect(caught(() => tune("x".repeat(201)))).toMatchObject({ code: "study.bad_name" });
    expect(caught(() => tune("t").space({ x: { type: "float", low: 1, high: 0 } }))).toMatchObject({ code: "space.low_not_below_high", field: "space.x" });
    // The builder refuses it at once, with the same code.
    expect(caught(() => float(1, 0))).toMatchObject({ code: "space.low_not_below_high", field: "float" });
    expect(caught(() => tune("t").minimize(""))).toMatchObject({ code: "study.bad_metric" });
    expect(caught(() => tune("t").strategy("nope" as never))).toMatchObject({ code: "strategy.unknown" });
    expect(caught(() => tune("t").space(space).strategy("hyperband" as never))).toMatchObject({ code: "option.bad_value", field: "options.maxResource" });
    expect(caught(() => tune("t").space(space).strategy("hyperband", { maxResource: 2 }))).toMatchObject({ code: "option.bad_value", field: "options.maxResource" });
    expect(caught(() => tune("t").space(space).strategy("hyperband", { maxResource: 81, sampler: "cmaes" as never }))).toMatchObject({ field: "options.sampler" });
    expect(caught(() => tune("t").space(space).stopping("mean" as never))).toMatchObject({ code: "option.bad_value", field: "stopping" });
    expect(caught(() => tune("t").space(space).stopping("median", { startupTrials: 0 }))).toMatchObject({ field: "stopping.startupTrials" });
    expect(caught(() => tune("t").space(space).stopping("median", { patience: 3 } as never))).toMatchObject({ code: "option.unknown", field: "stopping.patience" });
    expect(caught(() => tune("t").space(space).strategy("grid"))).toMatchObject({ code: "grid.float_without_step", field: "space.x.step" });
    // The strategy given first, the space later: checked when the space arrives.
    expect(caught(() => tune("t").strategy("grid").space(space))).toMatchObject({ code: "grid.float_without_step" });
    expect(caught(() => tune("t").space(space).strategy("random", { quasi: "halton" } as never))).toMatchObject({ field: "options.quasi" });
    expect(caught(() => tune("t").seed(1.5))).toMatchObject({ code: "option.bad_value", field: "seed" });
    expect(caught(() => tune("t").storage(3 as never))).toMatchObject({ code: "option.bad_value", field: "storage" });
    expect(caught(() => tune("t").storage("mysql://db/x"))).toMatchObject({ code: "storage.bad_location", field: "storage" });
    expect(caught(() => tune("t").objective(42 as never))).toMatchObject({ code: "option.bad_value", field: "objective" });
  });

  it("run() without an objective says so; objective() without a space or a direction says what is missing, in the declaring statement", async () => {
    expect(await rejected(mem().run())).toMatchObject({ code: "dsl.no_objective", field: "objective" });
    expect(caught(() => tune("t").minimize().storage("memory").objective(() => 1))).toMatchObject({ code: "dsl.no_space", field: "space" });
    expect(caught(() => tune("t").space(space).storage("memory").objective(() => 1))).toMatchObject({ code: "dsl.no_direction", field: "direction" });
    // The order of the other declarations is free.
    expect(() => tune("t").storage("memory").minimize().limits({ trials: 1 }).space(space).objective(() => 1)).not.toThrow();
  });

  it("open() reports a missing space through its promise, like every other async method", async () => {
    const t = tune("t").minimize().storage("memory");
    let p: Promise<unknown> | undefined;
    expect(() => (p = t.open())).not.toThrow();
    expect(await rejected(p!)).toMatchObject({ code: "dsl.no_space" });
    expect(await rejected(t.ask())).toMatchObject({ code: "dsl.no_space" });
  });
});

describe("after the study has started", () => {
  it("what defines the study is frozen (dsl.frozen); limits and the objective may change", async () => {
    const t = mem().limits({ trials: 2 }).objective((p) => p.x);
    await t.run();
    expect(caught(() => t.space({ y: int(0, 3) }))).toMatchObject({ code: "dsl.frozen", field: "space" });
    expect(caught(() => t.maximize())).toMatchObject({ code: "dsl.frozen", field: "direction" });
    expect(caught(() => t.strategy("grid"))).toMatchObject({ code: "dsl.frozen", field: "strategy" });
    expect(caught(() => t.seed(3))).toMatchObject({ code: "dsl.frozen", field: "seed" });
    expect(caught(() => t.storage("memory"))).toMatchObject({ code: "dsl.frozen", field: "storage" });
    expect(caught(() => t.stopping({ name: "s", shouldStop: () => ({ stop: false }) }))).toMatchObject({ code: "dsl.frozen", field: "stopping" });
    t.limits({ trials: 4 }).objective((p) => 1 - p.x);
    expect((await t.run()).started).toBe(2);
    expect(t.trials.slice(2).every((x) => x.value === 1 - x.params.x)).toBe(true);
  });

  it("a second run() while the first is going is refused (dsl.running)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const t = mem()
      .limits({ trials: 1 })
      .objective(async () => {
        await gate;
        return 1;
      });
    const first = t.run({ handleSigint: false });
    const second = t.run({ handleSigint: false });
    expect(await rejected(second)).toMatchObject({ code: "dsl.running" });
    release();
    expect((await first).started).toBe(1);
    expect(t.trials).toHaveLength(1);
    // Once it has finished, running again is fine.
    await t.limits({ trials: 2 }).objective(() => 2).run({ handleSigint: false });
    expect(t.trials).toHaveLength(2);
  });
});

describe("direction", () => {
  it("maximize: the best trial has the largest value of the metric", async () => {
    const t = tune("max")
      .space({ a: int(0, 9) })
      .maximize("acc")
      .strategy("grid")
      .storage("memory")
      .objective((p) => ({ acc: p.a === 7 ? 1 : p.a / 10, loss: 1 }));
    expect((await t.run()).reason).toBe("done");
    expect(t.best).toMatchObject({ params: { a: 7 }, value: 1, metrics: { acc: 1, loss: 1 } });
    expect(t.study!.direction).toBe("maximize");
    expect(t.study!.metric).toBe("acc");
  });

  it("minimize with the default metric name", async () => {
    const t = tune("min").space({ a: int(0, 9) }).minimize().strategy("grid").storage("memory").objective((p) => p.a + 1);
    await t.run();
    expect(t.best).toMatchObject({ params: { a: 0 }, value: 1, metrics: { value: 1 } });
  });
});

describe("ask, tell, report and enqueue by hand", () => {
  it("drive the study without an objective", async () => {
    const events: string[] = [];
    const t = mem().seed(5).on("trialStarted", (e) => events.push(`s${e.trial.number}`)).on("trialFinished", (e) => events.push(`f${e.trial.number}`));
    await t.enqueue({ x: 0.5, k: "b" });
    const a = (await t.ask())!;
    expect(a.params).toEqual({ x: 0.5, k: "b" });
    expect(await t.report(a, 0, 0.9)).toBe(false);
    await t.tell(a, 0.4);
    const b = (await t.ask())!;
    await t.tell(b.number, { state: "failed", error: "oom" });
    const c = (await t.ask())!;
    await t.report(c.number, 0, 0.7);
    await t.tell(c, { state: "pruned" });
    expect(t.trials.map((x) => [x.state, x.value])).toEqual([["complete", 0.4], ["failed", undefined], ["pruned", 0.7]]);
    expect(t.best!.number).toBe(0);
    expect(events).toEqual(["s0", "f0", "s1", "f1", "s2", "f2"]);
    expect(await rejected(t.tell(a, 0.1))).toMatchObject({ code: "trial.finished" });
    expect(await rejected(t.enqueue({ x: 2, k: "a" }))).toMatchObject({ code: "config.bad_value", field: "config.x" });
  });

  it("a Storage object can be passed and is used as is", async () => {
    const storage = new MemoryStorage();
    await tune("shared").space(space).minimize().storage(storage).limits({ trials: 3 }).objective((p) => p.x).run();
    expect(await storage.listStudies()).toEqual(["shared"]);
    expect((await storage.load("shared")).trials).toHaveLength(3);
  });
});

describe("where the study is kept", () => {
  let cwd: string;
  let dir: string;
  beforeEach(() => {
    cwd = process.cwd();
    dir = tempDir("dsl-cwd");
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('storage("memory") writes nothing to disk', async () => {
    await mem("in memory").limits({ trials: 3 }).objective((p) => p.x).run();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("by default: a journal in .tunelab/ under the working directory, which the next declaration resumes", async () => {
    const declare = () => tune("default place").space(space).minimize().strategy("random", { seed: 1 }).objective((p) => p.x);
    await declare().limits({ trials: 3 }).run();
    const file = path.join(dir, ".tunelab", journalFileName("default place"));
    expect(fs.existsSync(file)).toBe(true);
    expect(fs.readFileSync(file, "utf8").trimEnd().split("\n")).toHaveLength(1 + 3 * 2);
    const again = declare().limits({ trials: 5 });
    expect((await again.run()).started).toBe(2);
    expect(again.trials).toHaveLength(5);
  });

  it("a study keeps its folder when the working directory changes later", async () => {
    const t = tune("stays").space(space).minimize().objective((p) => p.x);
    await t.limits({ trials: 1 }).run();
    const elsewhere = tempDir("dsl-elsewhere");
    try {
      process.chdir(elsewhere);
      await t.limits({ trials: 3 }).run();
      expect(fs.readdirSync(elsewhere)).toEqual([]);
    } finally {
      process.chdir(dir);
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
    const lines = fs.readFileSync(path.join(dir, ".tunelab", journalFileName("stays")), "utf8").trimEnd().split("\n");
    expect(lines.filter((l) => l.includes('"op":"trial"'))).toHaveLength(3);
  });
});
