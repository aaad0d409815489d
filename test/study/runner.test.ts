// runStudy: parallel trials, every limit, failures, timeouts, interrupts,
// events, early stopping, metrics and enqueued configurations. Objectives
// that must be "running" await promises the test controls: nothing here
// depends on how fast the machine is.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { FrozenTrial } from "../../src/model/trial";
import { MemoryStorage } from "../../src/storage/base";
import type { Stopper } from "../../src/strategies/strategy";
import type { StudyEventMap } from "../../src/study/events";
import { runStudy, STOPPED_KEY, type TrialContext } from "../../src/study/runner";
import { Study, type StudyOptions } from "../../src/study/study";
import { canonicalJson } from "../../src/util/json";
import { TunelabError } from "../../src/util/errors";

const SPACE = { x: { type: "float", low: 0, high: 1 }, k: { type: "categorical", choices: ["a", "b"] } } as const;
const GRID6 = { n: { type: "int", low: 0, high: 2 }, k: { type: "categorical", choices: ["a", "b"] } } as const;

function open(o: Partial<StudyOptions> = {}): Promise<Study> {
  return Study.open({ name: "r", space: SPACE, direction: "minimize", seed: 3, storage: new MemoryStorage(), ...o });
}

/** A promise with its resolve function. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Resolves once `pred` holds, checking after each turn of the event loop (no clock involved). */
async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setImmediate(r));
}

/** Never resolves: an objective that ignores its signal. */
const forever = () => new Promise<never>(() => {});

const states = (s: Study) => s.trials.map((t) => t.state);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("parallel trials", () => {
  it("reaches `parallel` objectives at once and never exceeds it", async () => {
    const study = await open();
    let active = 0;
    let max = 0;
    const gates: { resolve: (v: number) => void }[] = [];
    const run = runStudy(
      study,
      async () => {
        active++;
        max = Math.max(max, active);
        const g = deferred<number>();
        gates.push(g);
        const v = await g.promise;
        active--;
        return v;
      },
      { trials: 10, parallel: 4 },
      { handleSigint: false },
    );
    await until(() => active === 4);
    expect(gates).toHaveLength(4);
    // Releasing one lets exactly one more start, until the trials run out.
    for (let released = 0; released < 10; released++) {
      gates[released]!.resolve(released);
      const expected = Math.min(4, 10 - released - 1);
      await until(() => active === expected && gates.length === Math.min(10, released + 5));
    }
    const summary = await run;
    expect(max).toBe(4);
    expect(summary).toMatchObject({ reason: "trials", started: 10 });
    expect(study.trials.map((t) => t.value)).toEqual([...Array(10).keys()]);
  });

  it("with parallel 1 runs one objective at a time", async () => {
    const study = await open();
    let active = 0;
    let max = 0;
    await runStudy(
      study,
      async () => {
        active++;
        max = Math.max(max, active);
        await new Promise((r) => setImmediate(r));
        active--;
        return 1;
      },
      { trials: 5 },
      { handleSigint: false },
    );
    expect(max).toBe(1);
    expect(study.trials).toHaveLength(5);
  });
});

describe("limits", () => {
  it("trials: counts the study's trials, earlier runs included", async () => {
    const study = await open();
    const s1 = await runStudy(study, (p: { x: number }) => p.x, { trials: 7, parallel: 3 }, { handleSigint: false });
    expect(s1).toMatchObject({ reason: "trials", started: 7 });
    expect(states(study)).toEqual(Array(7).fill("complete"));
    const s2 = await runStudy(study, (p: { x: number }) => p.x, { trials: 10, parallel: 3 }, { handleSigint: false });
    expect(s2).toMatchObject({ reason: "trials", started: 3 });
    expect(study.trials).toHaveLength(10);
    expect(s2.best).toEqual(study.best);
    expect(typeof s2.seconds).toBe("number");
  });

  it("seconds: stops at the time limit, the trials in flight then are failed as stopped by time", async () => {
    const study = await open();
    const summary = await runStudy(study, () => new Promise((r) => setTimeout(() => r(1), 20)), { seconds: 0.3, parallel: 2 }, { handleSigint: false });
    expect(summary.reason).toBe("time");
    const ts = study.trials;
    expect(ts.length).toBe(summary.started);
    expect(ts.every((t) => t.state !== "running")).toBe(true);
    const complete = ts.filter((t) => t.state === "complete");
    const stopped = ts.filter((t) => t.system[STOPPED_KEY] === "time");
    expect(complete.length).toBeGreaterThan(0);
    expect(complete.length).toBeLessThan(100); // 0.3 s of 20 ms trials, two at a time: a few dozen at most
    expect(stopped.length).toBeLessThanOrEqual(2);
    for (const t of stopped) expect(t).toMatchObject({ state: "failed", error: expect.stringMatching(/time limit/) });
    expect(complete.length + stopped.length).toBe(ts.length);
  });

  it("minutes works like seconds (fractions allowed)", async () => {
    const study = await open();
    const summary = await runStudy(study, forever, { minutes: 0.002 }, { handleSigint: false });
    expect(summary.reason).toBe("time");
    expect(study.trials[0]).toMatchObject({ state: "failed", system: { [STOPPED_KEY]: "time" } });
  });

  it("the time limit ends a run whose last trials hang even if the wall clock stands still", async () => {
    // Trials that ignore their signal, a finished grid, and a wall clock that
    // does not move (set back by NTP, frozen in a VM): the run must still end
    // when its timer fires instead of comparing clock readings.
    const study = await open({ space: GRID6, strategy: { name: "grid" } });
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now);
    let calls = 0;
    const summary = await runStudy(
      study,
      () => {
        calls++;
        return calls <= 4 ? 1 : forever();
      },
      { seconds: 0.1, parallel: 3 },
      { handleSigint: false },
    );
    expect(summary.reason).toBe("time");
    expect(states(study).filter((s) => s === "complete")).toHaveLength(4);
    expect(study.trials.filter((t) => t.system[STOPPED_KEY] === "time")).toHaveLength(2);
  });

  it("target, minimizing: stops once the best reaches it", async () => {
    const study = await open();
    const values = [5, 4, 3, 1, 0.5, 0.1];
    const summary = await runStudy(study, (_p, t: TrialContext<unknown>) => values[t.number], { target: 1 }, { handleSigint: false });
    expect(summary.reason).toBe("target");
    expect(study.trials.map((t) => t.value)).toEqual([5, 4, 3, 1]);
    expect(summary.best!.value).toBe(1);
  });

  it("target, maximizing: stops once the best reaches it", async () => {
    const study = await open({ direction: "maximize" });
    const values = [1, 2, 2.5, 3.5, 4, 9];
    const summary = await runStudy(study, (_p, t: TrialContext<unknown>) => values[t.number], { target: 3 }, { handleSigint: false });
    expect(summary.reason).toBe("target");
    expect(study.trials.map((t) => t.value)).toEqual([1, 2, 2.5, 3.5]);
    expect(summary.best!.value).toBe(3.5);
  });

  it("target already reached by earlier trials: no new trial", async () => {
    const study = await open();
    await runStudy(study, () => 0, { trials: 1 }, { handleSigint: false });
    const summary = await runStudy(study, () => 0, { target: 1, trials: 50 }, { handleSigint: false });
    expect(summary).toMatchObject({ reason: "target", started: 0 });
  });

  it("patience: stops after that many finished trials in a row without improving", async () => {
    const study = await open();
    const values = [5, 4, 4.5, 6, 4, 1, 0];
    const summary = await runStudy(study, (_p, t: TrialContext<unknown>) => values[t.number], { patience: 3 }, { handleSigint: false });
    expect(summary.reason).toBe("patience");
    expect(study.trials.map((t) => t.value)).toEqual([5, 4, 4.5, 6, 4]); // equal is no improvement
  });

  it("patience counts failed trials as not improving", async () => {
    const study = await open({ direction: "maximize" });
    const summary = await runStudy(study, (_p, t: TrialContext<unknown>) => (t.number === 0 ? 1 : NaN), { patience: 2, trials: 20 }, { handleSigint: false });
    expect(summary.reason).toBe("patience");
    expect(states(study)).toEqual(["complete", "failed", "failed"]);
  });

  it("done: a finished grid ends the run, every configuration once", async () => {
    const study = await open({ space: GRID6, strategy: { name: "grid" } });
    const summary = await runStudy(study, (p: { n: number }) => p.n, { parallel: 2, trials: 100 }, { handleSigint: false });
    expect(summary).toMatchObject({ reason: "done", started: 6 });
    expect(new Set(study.trials.map((t) => canonicalJson(t.params))).size).toBe(6);
    expect(states(study)).toEqual(Array(6).fill("complete"));
  });

  it("the first limit reached wins", async () => {
    const study = await open({ space: GRID6, strategy: { name: "grid" } });
    expect((await runStudy(study, () => 1, { trials: 3 }, { handleSigint: false })).reason).toBe("trials");
    expect((await runStudy(study, () => 1, { trials: 4, patience: 1 }, { handleSigint: false })).reason).toBe("patience");
  });

  it("bad limits are refused before anything runs", async () => {
    const study = await open();
    for (const [limits, field] of [
      [{ trials: 0 }, "limits.trials"],
      [{ parallel: 1.5 }, "limits.parallel"],
      [{ seconds: -1 }, "limits.seconds"],
      [{ seconds: 1, minutes: 1 }, "limits.seconds"],
      [{ target: NaN }, "limits.target"],
      [{ trails: 3 }, "limits.trails"],
    ] as const) {
      const e = await runStudy(study, () => 1, limits as never, { handleSigint: false }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TunelabError);
      expect((e as TunelabError).field).toBe(field);
    }
    expect(study.trials).toEqual([]);
  });
});

describe("failed trials", () => {
  it("a throw, NaN, a string, an object without the metric: failed with the reason; the study goes on", async () => {
    const study = await open({ metric: "loss" });
    const outcomes: (() => unknown)[] = [
      () => {
        throw new Error("kaboom");
      },
      async () => {
        throw new TypeError("async kaboom");
      },
      () => NaN,
      () => "0.5",
      () => ({ acc: 0.9 }),
      () => ({ loss: Infinity }),
      () => undefined,
      () => ({ loss: 0.25, acc: 0.5 }),
    ];
    const summary = await runStudy(study, (_p, t: TrialContext<unknown>) => outcomes[t.number]!(), { trials: outcomes.length }, { handleSigint: false });
    expect(summary.reason).toBe("trials");
    const ts = study.trials;
    expect(ts.map((t) => t.state)).toEqual([...Array(7).fill("failed"), "complete"]);
    expect(ts[0]!.error).toContain("kaboom");
    expect(ts[1]!.error).toContain("async kaboom");
    expect(ts[2]!.error).toContain("NaN");
    expect(ts[3]!.error).toContain('"0.5"');
    expect(ts[4]!.error).toContain('"loss"');
    expect(ts[4]!.metrics).toEqual({ acc: 0.9 }); // what it did return is kept
    expect(ts[5]!.error).toContain('"loss"');
    expect(ts[6]!.error).toContain("undefined");
    for (const t of ts.slice(0, 7)) expect(t.value).toBeUndefined();
    expect(study.best!.number).toBe(7);
  });
});

describe("per-trial timeout (limits.trialSeconds)", () => {
  it("a trial running too long fails as timed out, its signal is aborted, its late result is ignored", async () => {
    const study = await open();
    const late = deferred();
    let signal: AbortSignal | undefined;
    let abortedDuringRun = false;
    const summary = await runStudy(
      study,
      async (_p, t: TrialContext<unknown>) => {
        if (t.number !== 0) return 2;
        signal = t.signal;
        await new Promise<void>((r) => t.signal.addEventListener("abort", () => r()));
        abortedDuringRun = true;
        expect(t.shouldStop).toBe(true);
        expect(await t.report(0, 0.1)).toBe(true); // reports after the timeout are refused quietly
        late.resolve();
        return 0; // the best value of all, but too late
      },
      { trials: 3, trialSeconds: 0.05 },
      { handleSigint: false },
    );
    await late.promise;
    expect(summary.reason).toBe("trials");
    expect(signal!.aborted).toBe(true);
    expect(abortedDuringRun).toBe(true);
    const t0 = study.trials[0]!;
    expect(t0).toMatchObject({ state: "failed", system: { [STOPPED_KEY]: "timeout" } });
    expect(t0.error).toMatch(/timed out/);
    expect(t0.value).toBeUndefined();
    expect(t0.intermediate).toEqual([]);
    expect(states(study)).toEqual(["failed", "complete", "complete"]);
    // The late result changed nothing afterwards either.
    await new Promise((r) => setImmediate(r));
    expect((await study.refresh()).trials[0]!.state).toBe("failed");
    expect(study.best!.value).toBe(2);
  });

  it("a trial's signal is aborted once it ends normally too, and not before", async () => {
    const study = await open();
    const signals: AbortSignal[] = [];
    await runStudy(
      study,
      (_p, t: TrialContext<unknown>) => {
        signals.push(t.signal);
        expect(t.signal.aborted).toBe(false);
        return 1;
      },
      { trials: 2, trialSeconds: 10 },
      { handleSigint: false },
    );
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
  });
});

describe("interrupt (AbortSignal)", () => {
  it("resolves promptly as interrupted; running trials fail as interrupted; finished ones are kept and the interrupted don't count", async () => {
    const study = await open();
    const ac = new AbortController();
    let running = 0;
    const signals: AbortSignal[] = [];
    const run = runStudy(
      study,
      (p: { x: number }, t: TrialContext<unknown>) => {
        if (t.number < 3) return p.x;
        running++;
        signals.push(t.signal);
        return forever(); // ignores its signal: the run must not wait for it
      },
      { trials: 50, parallel: 3 },
      { signal: ac.signal, handleSigint: false },
    );
    await until(() => running === 3);
    ac.abort();
    const summary = await run;
    expect(summary).toMatchObject({ reason: "interrupted", started: 6 });
    expect(states(study)).toEqual(["complete", "complete", "complete", "failed", "failed", "failed"]);
    for (const t of study.trials.slice(3)) {
      expect(t.system[STOPPED_KEY]).toBe("interrupt");
      expect(t.error).toMatch(/interrupted/);
    }
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(summary.best!.number).toBeLessThan(3);

    // limits.trials counts the 3 complete trials, not the 3 interrupted ones.
    const again = await runStudy(study, () => 1, { trials: 5 }, { handleSigint: false });
    expect(again).toMatchObject({ reason: "trials", started: 2 });
    expect(study.trials).toHaveLength(8);
  });

  it("an interrupt while trials wait to finish (trials limit reached) also stops them", async () => {
    const study = await open();
    const ac = new AbortController();
    let started = 0;
    const run = runStudy(
      study,
      () => {
        started++;
        return forever();
      },
      { trials: 2, parallel: 2 },
      { signal: ac.signal, handleSigint: false },
    );
    await until(() => started === 2);
    ac.abort();
    expect((await run).reason).toBe("interrupted");
    expect(study.trials.map((t) => t.system[STOPPED_KEY])).toEqual(["interrupt", "interrupt"]);
  });

  it("an already-aborted signal starts nothing", async () => {
    const study = await open();
    const summary = await runStudy(study, () => 1, { trials: 5 }, { signal: AbortSignal.abort(), handleSigint: false });
    expect(summary).toMatchObject({ reason: "interrupted", started: 0 });
    expect(study.trials).toEqual([]);
  });

  it("leaves no SIGINT listener behind", async () => {
    const before = process.listenerCount("SIGINT");
    const study = await open();
    await runStudy(study, () => 1, { trials: 2 });
    expect(process.listenerCount("SIGINT")).toBe(before);
  });
});

describe("events", () => {
  it("trialStarted, trialReported, trialFinished per trial, then studyFinished", async () => {
    const study = await open();
    const log: string[] = [];
    const got: Partial<{ [K in keyof StudyEventMap]: StudyEventMap[K][] }> = {};
    for (const name of ["trialStarted", "trialReported", "trialFinished", "studyFinished"] as const) {
      got[name] = [];
      study.events.on(name, (e) => {
        (got[name] as unknown[]).push(e);
        const n = "trial" in e ? e.trial.number : "";
        log.push(`${name}${n}`);
      });
    }
    await runStudy(
      study,
      async (p: { x: number }, t: TrialContext<unknown>) => {
        await t.report(0, p.x + 1);
        await t.report(1, p.x + 0.5);
        return p.x;
      },
      { trials: 3, parallel: 1 },
      { handleSigint: false },
    );
    const one = (n: number) => [`trialStarted${n}`, `trialReported${n}`, `trialReported${n}`, `trialFinished${n}`];
    expect(log).toEqual([...one(0), ...one(1), ...one(2), "studyFinished"]);
    expect(got.studyFinished).toEqual([{ reason: "trials", trials: 3 }]);
    expect(got.trialStarted![0]!.trial.state).toBe("running");
    expect(got.trialReported![1]).toMatchObject({ step: 1, stop: false, trial: { number: 0, intermediate: [[0, expect.any(Number)], [1, expect.any(Number)]] } });
    expect(got.trialFinished!.map((e) => e.trial.state)).toEqual(["complete", "complete", "complete"]);
  });

  it("with parallel trials each trial's events are in order, studyFinished last", async () => {
    const study = await open();
    const log: [string, number][] = [];
    study.events.on("trialStarted", (e) => log.push(["s", e.trial.number]));
    study.events.on("trialFinished", (e) => log.push(["f", e.trial.number]));
    study.events.on("studyFinished", () => log.push(["end", -1]));
    await runStudy(study, async () => {
      await new Promise((r) => setImmediate(r));
      return 1;
    }, { trials: 8, parallel: 3 }, { handleSigint: false });
    expect(log.at(-1)).toEqual(["end", -1]);
    for (let n = 0; n < 8; n++) {
      const s = log.findIndex(([k, m]) => k === "s" && m === n);
      const f = log.findIndex(([k, m]) => k === "f" && m === n);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(f).toBeGreaterThan(s);
    }
  });

  it("a throwing listener does not break the run", async () => {
    const study = await open();
    study.events.on("trialFinished", () => {
      throw new Error("listener bug");
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const summary = await runStudy(study, () => 1, { trials: 2 }, { handleSigint: false });
    expect(summary.started).toBe(2);
    expect(states(study)).toEqual(["complete", "complete"]);
    expect(warn).toHaveBeenCalled();
  });
});

describe("early stopping through report()", () => {
  const stopAbove: Stopper = {
    name: "above",
    shouldStop: ({ step, value }) => (step >= 2 && value > 0.5 ? { stop: true, system: { stoppedAt: step } } : { stop: false }),
  };

  it("report() resolves true when the stopper says stop; the trial ends pruned with the last reported value", async () => {
    const study = await open({ stopping: stopAbove });
    const answers: boolean[][] = [[], []];
    await runStudy(
      study,
      async (_p, t: TrialContext<unknown>) => {
        const base = t.number === 0 ? 0.9 : 0.1;
        for (let step = 0; step < 6; step++) {
          const stop = await t.report(step, base - step * 0.01);
          answers[t.number]!.push(stop);
          if (stop) {
            expect(t.shouldStop).toBe(true);
            return 123; // what a stopped objective returns is not its value
          }
        }
        return base;
      },
      { trials: 2 },
      { handleSigint: false },
    );
    expect(answers).toEqual([[false, false, true], [false, false, false, false, false, false]]);
    const [a, b] = study.trials as [FrozenTrial, FrozenTrial];
    expect(a).toMatchObject({ state: "pruned", value: 0.88, system: { stoppedAt: 2 } });
    expect(a.intermediate).toEqual([[0, 0.9], [1, 0.89], [2, 0.88]]);
    expect(b).toMatchObject({ state: "complete", value: 0.1 });
    expect(study.best!.number).toBe(1);
  });

  it("reports of other metrics go to curves and do not consult the stopper", async () => {
    const study = await open({ stopping: stopAbove, metric: "loss" });
    await runStudy(
      study,
      async (_p, t: TrialContext<unknown>) => {
        for (let step = 0; step < 4; step++) expect(await t.report(step, { acc: 0.9 })).toBe(false);
        return { loss: 0.2 };
      },
      { trials: 1 },
      { handleSigint: false },
    );
    expect(study.trials[0]).toMatchObject({ state: "complete", intermediate: [], curves: { acc: [[0, 0.9], [1, 0.9], [2, 0.9], [3, 0.9]] } });
  });
});

describe("metrics", () => {
  it("an object result: the value is the study's metric, every numeric metric is kept", async () => {
    const study = await open({ metric: "val_loss" });
    await runStudy(study, () => ({ val_loss: 0.3, acc: 0.9, note: "fine", bad: NaN }), { trials: 1 }, { handleSigint: false });
    expect(study.trials[0]).toMatchObject({ state: "complete", value: 0.3, metrics: { val_loss: 0.3, acc: 0.9 } });
    expect(Object.keys(study.trials[0]!.metrics).sort()).toEqual(["acc", "val_loss"]);
  });

  it("a number result is the metric", async () => {
    const study = await open({ metric: "val_loss" });
    await runStudy(study, () => 0.7, { trials: 1 }, { handleSigint: false });
    expect(study.trials[0]).toMatchObject({ value: 0.7, metrics: { val_loss: 0.7 } });
  });
});

describe("enqueue", () => {
  it("enqueued configurations run first, in order, then the strategy's", async () => {
    const study = await open();
    await study.enqueue({ x: 0.5, k: "b" });
    await study.enqueue({ k: "a", x: 0.25 });
    const seen: unknown[] = [];
    await runStudy(
      study,
      (p) => {
        seen.push(p);
        return 1;
      },
      { trials: 4 },
      { handleSigint: false },
    );
    expect(seen.slice(0, 2)).toEqual([{ x: 0.5, k: "b" }, { x: 0.25, k: "a" }]);
    expect(study.trials.map((t) => t.system["queued"])).toEqual([0, 1, undefined, undefined]);
    // The strategy's trials are its own proposals for those trial numbers.
    const plain = await open();
    await plain.ask();
    await plain.ask();
    expect(study.trials[2]!.params).toEqual((await plain.ask())!.params);
  });

  it("an invalid configuration is refused naming the field", async () => {
    const study = await open();
    const cases: [unknown, string, string][] = [
      [{ x: 5, k: "a" }, "config.bad_value", "config.x"],
      [{ x: 0.5, k: "c" }, "config.bad_value", "config.k"],
      [{ x: 0.5 }, "config.missing", "config.k"],
      [{ x: 0.5, k: "a", y: 1 }, "config.extra", "config.y"],
      ["x=0.5", "config.not_object", "config"],
    ];
    for (const [config, codeName, field] of cases) {
      const e = await study.enqueue(config as never).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TunelabError);
      expect(e).toMatchObject({ code: codeName, field });
    }
    expect(study.snapshot.queue).toEqual([]);
  });
});
