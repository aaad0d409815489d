// Study driven by hand: open, ask, tell, report, and the checks on each.
import { describe, expect, it } from "vitest";
import { MemoryStorage } from "../../src/storage/base";
import { Study, type StudyOptions } from "../../src/study/study";
import { TunelabError } from "../../src/util/errors";

const SPACE = { x: { type: "float", low: 0, high: 1 } } as const;
const open = (o: Partial<StudyOptions> = {}) => Study.open({ name: "s", space: SPACE, direction: "minimize", seed: 1, storage: new MemoryStorage(), ...o });

async function rejected(p: Promise<unknown>): Promise<TunelabError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TunelabError);
  return e as TunelabError;
}

describe("Study.open", () => {
  it("checks its options", async () => {
    expect(await rejected(open({ name: "" }))).toMatchObject({ code: "study.bad_name" });
    expect(await rejected(open({ direction: "down" as never }))).toMatchObject({ code: "study.bad_direction", field: "direction" });
    expect(await rejected(open({ metric: "" }))).toMatchObject({ code: "study.bad_metric" });
    expect(await rejected(open({ seed: 0.5 }))).toMatchObject({ code: "option.bad_value", field: "seed" });
    expect(await rejected(open({ space: {} }))).toMatchObject({ code: "space.empty" });
    expect(await rejected(open({ strategy: { name: "grid" } }))).toMatchObject({ code: "grid.float_without_step" });
  });

  it("a new study without a seed gets one, stored with it", async () => {
    const storage = new MemoryStorage();
    const a = await Study.open({ name: "s", space: SPACE, direction: "minimize", storage });
    expect(Number.isSafeInteger(a.seed)).toBe(true);
    const b = await Study.open({ name: "s", space: SPACE, direction: "minimize", storage });
    expect(b.seed).toBe(a.seed);
  });
});

describe("ask / tell / report", () => {
  it("a trial is told once, with a finite value or a state", async () => {
    const study = await open();
    const t = (await study.ask())!;
    expect(await rejected(study.tell(t.number, { value: NaN }))).toMatchObject({ code: "trial.bad_value", field: "value" });
    expect(await rejected(study.tell(t.number, { value: "1" as never }))).toMatchObject({ code: "trial.bad_value" });
    expect(await rejected(study.tell(t.number, { state: "done" } as never))).toMatchObject({ code: "trial.bad_state", field: "state" });
    expect(await rejected(study.tell(7, { value: 1 }))).toMatchObject({ code: "trial.unknown" });
    expect(await rejected(study.tell(-1, { value: 1 }))).toMatchObject({ code: "trial.unknown" });
    expect(study.trials[0]!.state).toBe("running"); // the refused tells changed nothing
    const done = await study.tell(t.number, { value: 0.5, metrics: { acc: 0.9, note: "x" } as never });
    expect(done).toMatchObject({ state: "complete", value: 0.5, metrics: { value: 0.5, acc: 0.9 } });
    expect(await rejected(study.tell(t.number, { value: 0.1 }))).toMatchObject({ code: "trial.finished" });
  });

  it("report checks steps and values; a pruned trial keeps its last reported value", async () => {
    const study = await open({ metric: "loss" });
    const t = (await study.ask())!;
    expect(await rejected(study.report(t.number, -1, 1))).toMatchObject({ code: "trial.bad_step", field: "step" });
    expect(await rejected(study.report(t.number, 1.5, 1))).toMatchObject({ code: "trial.bad_step" });
    expect(await rejected(study.report(t.number, 0, Infinity))).toMatchObject({ code: "trial.bad_value" });
    expect(await rejected(study.report(t.number, 0, { loss: NaN }))).toMatchObject({ code: "trial.bad_value", field: "loss" });
    expect(await study.report(t.number, 0, 0.9)).toBe(false);
    expect(await study.report(t.number, 3, { loss: 0.6, acc: 0.4 })).toBe(false);
    expect(await rejected(study.report(t.number, 3, 0.5))).toMatchObject({ code: "trial.bad_step" });
    const pruned = await study.tell(t.number, { state: "pruned" });
    expect(pruned).toMatchObject({ state: "pruned", value: 0.6, intermediate: [[0, 0.9], [3, 0.6]], curves: { acc: [[3, 0.4]] } });
    expect(study.best).toBeUndefined(); // pruned trials are not candidates for best

    const u = (await study.ask())!;
    expect((await study.tell(u.number, { state: "pruned" })).value).toBeUndefined();
    const f = (await study.ask())!;
    expect(await study.tell(f.number, { state: "failed" })).toMatchObject({ state: "failed", error: "failed" });
  });

  it("a finished grid: ask resolves to undefined and starts nothing", async () => {
    const study = await open({ space: { k: { type: "categorical", choices: ["a", "b"] } }, strategy: { name: "grid" } });
    let started = 0;
    study.events.on("trialStarted", () => started++);
    expect((await study.ask())!.params).toEqual({ k: "a" });
    expect((await study.ask())!.params).toEqual({ k: "b" });
    expect(await study.ask()).toBeUndefined();
    expect(started).toBe(2);
    expect(study.trials).toHaveLength(2);
  });

  it("best follows the direction", async () => {
    for (const [direction, best] of [["minimize", 0.2], ["maximize", 0.8]] as const) {
      const study = await open({ direction });
      for (const v of [0.5, 0.2, 0.8]) await study.tell((await study.ask())!.number, { value: v });
      expect(study.best!.value).toBe(best);
    }
  });
});
