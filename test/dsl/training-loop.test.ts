// A training loop written as the README shows it — train an epoch, `await trial.report(epoch,
// loss)`, stop when it answers true — driven by the real DSL (memory storage) with Hyperband,
// ASHA and the median stopping rule. The "training" is a deterministic fake whose loss curve
// depends on the configuration, so every decision can be checked: a pruned trial stopped at
// exactly the step it was told to (a rung of its bracket), trained no epoch after it, and is
// recorded as pruned with the last value it reported; a complete trial ran the whole budget.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tune } from "../../src/dsl/tuner";
import type { FrozenTrial } from "../../src/model/trial";
import { float, int } from "../../src/space/builders";

const MAX = 27;
const ETA = 3;
const RUNGS = [1, 3, 9, 27]; // minResource 1, eta 3, up to maxResource 27

const space = { lr: float(1e-3, 1, { scale: "log" }), width: int(1, 8) };
type P = { lr: number; width: number };

/**
 * The validation loss after `epoch` epochs: decays from 2.5 towards a floor that is lowest for
 * lr near 0.03 and wide nets, at a speed that grows with lr. Curves of different configurations
 * cross (fast learners with a high floor lead early), as real ones do.
 */
function loss(p: P, epoch: number): number {
  const floor = 0.1 + 0.15 * (Math.log10(p.lr) + 1.5) ** 2 + 0.3 / p.width;
  const speed = 0.05 + 0.6 * Math.sqrt(p.lr);
  return floor + (2.5 - floor) * Math.exp(-speed * epoch);
}

interface Log {
  /** Epochs each trial trained, in order. */
  readonly epochs: Map<number, number[]>;
  /** The budget each trial was given. */
  readonly budgets: Map<number, number | undefined>;
  /** The step at which report first answered true, per trial. */
  readonly toldAt: Map<number, number>;
}

/** The objective as a user writes it, plus a log of what it did. */
function objective(log: Log, yieldBetweenEpochs: boolean) {
  return async (p: P, trial: { number: number; budget?: number; report(step: number, v: number): Promise<boolean> }): Promise<number> => {
    const trained: number[] = [];
    log.epochs.set(trial.number, trained);
    log.budgets.set(trial.number, trial.budget);
    let value = NaN;
    for (let epoch = 1; epoch <= (trial.budget ?? MAX); epoch++) {
      trained.push(epoch); // "train one epoch"
      value = loss(p, epoch);
      if (yieldBetweenEpochs) await new Promise<void>((r) => setImmediate(r));
      if (await trial.report(epoch, value)) {
        log.toldAt.set(trial.number, epoch);
        break;
      }
    }
    return value;
  };
}

const newLog = (): Log => ({ epochs: new Map(), budgets: new Map(), toldAt: new Map() });

interface RungRec {
  bracket: number;
  rungs: number[];
  values: number[];
}
const rec = (t: FrozenTrial): RungRec => t.system["hyperband"] as unknown as RungRec;

/** Checks what holds for every trial of a Hyperband/ASHA study that used this training loop. */
function checkTrials(trials: readonly FrozenTrial[], log: Log): void {
  for (const t of trials) {
    const trained = log.epochs.get(t.number)!;
    const r = rec(t);
    expect(log.budgets.get(t.number)).toBe(MAX);
    expect(t.budget).toBe(MAX);
    expect(r.rungs).toEqual(RUNGS.slice(r.bracket, RUNGS.length - 1));
    // The intermediate values are exactly the epochs trained, each with its loss.
    expect(t.intermediate).toEqual(trained.map((e) => [e, loss(t.params as P, e)]));
    const last = t.intermediate[t.intermediate.length - 1]!;
    if (t.state === "pruned") {
      // Stopped when told, at a rung of its bracket, without training one more epoch.
      expect(log.toldAt.get(t.number)).toBe(last[0]);
      expect(r.rungs).toContain(last[0]);
      expect(t.system["stopped"]).toBe("rung");
      expect(t.value).toBe(last[1]);
      // It recorded a value at each rung it reached, the last one where it stopped.
      const reached = r.rungs.filter((s) => s <= last[0]);
      expect(r.values).toEqual(reached.map((s) => loss(t.params as P, s)));
    } else {
      expect(t.state).toBe("complete");
      expect(log.toldAt.has(t.number)).toBe(false);
      expect(trained).toEqual(Array.from({ length: MAX }, (_, i) => i + 1));
      expect(t.value).toBe(loss(t.params as P, MAX));
      expect(t.system["stopped"]).toBeUndefined();
      expect(r.values).toEqual(r.rungs.map((s) => loss(t.params as P, s)));
    }
  }
}

beforeEach(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe.each([
  { parallel: 1, yieldBetweenEpochs: false },
  { parallel: 4, yieldBetweenEpochs: true },
])("a training loop under hyperband (parallel $parallel)", ({ parallel, yieldBetweenEpochs }) => {
  it("stops trials exactly at the rung where they are told to, records them as pruned with their last value; the rest run the full budget", async () => {
    const log = newLog();
    const study = tune(`hb-${parallel}`)
      .space(space)
      .minimize("loss")
      .strategy("hyperband", { minResource: 1, maxResource: MAX, eta: ETA })
      .seed(11)
      .storage("memory")
      .display(false)
      .limits({ trials: 60, parallel })
      .objective(objective(log, yieldBetweenEpochs));
    const summary = await study.run();
    expect(summary.reason).toBe("trials");
    const trials = study.trials;
    expect(trials).toHaveLength(60);
    expect(trials.map((t) => t.state).filter((s) => s !== "pruned" && s !== "complete")).toEqual([]);
    checkTrials(trials, log);

    const pruned = trials.filter((t) => t.state === "pruned");
    const complete = trials.filter((t) => t.state === "complete");
    // Many trials are stopped early, and some run the full budget (how many of each depends on
    // how trials are dealt to brackets, which this test leaves to the strategy).
    expect(pruned.length).toBeGreaterThan(10);
    expect(complete.length).toBeGreaterThan(0);
    // The never-stopping bracket (3) never stops a trial early.
    for (const t of trials.filter((t) => rec(t).bracket === 3)) expect(t.state).toBe("complete");
    // Trials stopped at decision rungs only.
    const stops = new Set(pruned.map((t) => t.intermediate[t.intermediate.length - 1]![0]));
    for (const s of stops) expect([1, 3, 9]).toContain(s);
    // The saving: epochs trained, against 27 for every trial.
    const epochs = [...log.epochs.values()].reduce((a, e) => a + e.length, 0);
    expect(epochs).toBe(trials.reduce((a, t) => a + t.intermediate.length, 0));
    expect(epochs).toBeLessThan(0.8 * trials.length * MAX);
    // The best trial ran the full budget.
    expect(study.best!.state).toBe("complete");
    expect(study.best!.intermediate).toHaveLength(MAX);
  });
});

describe("hyperband's decisions, one trial at a time", () => {
  it("keep a trial at a rung iff it is among the best max(1, floor(n/eta)) of the n values its bracket had there", async () => {
    const log = newLog();
    const study = tune("hb-rule")
      .space(space)
      .minimize("loss")
      .strategy("hyperband", { minResource: 1, maxResource: MAX, eta: ETA })
      .seed(5)
      .storage("memory")
      .display(false)
      .limits({ trials: 80 })
      .objective(objective(log, false));
    await study.run();
    const trials = study.trials;
    checkTrials(trials, log);
    // Run one at a time, trial t reached each rung after every earlier trial had finished:
    // the values it was compared with are the earlier trials' of the same bracket.
    let decisions = 0;
    for (const t of trials) {
      const r = rec(t);
      r.values.forEach((v, k) => {
        const others = trials.filter((u) => u.number < t.number && rec(u).bracket === r.bracket && rec(u).values.length > k).map((u) => rec(u).values[k]!);
        const n = others.length + 1;
        const better = others.filter((w) => w < v).length;
        const kept = better < Math.max(1, Math.floor(n / ETA));
        const stoppedHere = t.state === "pruned" && k === r.values.length - 1;
        expect({ trial: t.number, rung: r.rungs[k], kept }).toEqual({ trial: t.number, rung: r.rungs[k], kept: !stoppedHere });
        decisions++;
      });
    }
    expect(decisions).toBeGreaterThan(40);
    expect(trials.filter((t) => t.state === "pruned").length).toBeGreaterThan(10);
  });
});

describe("a training loop under asha", () => {
  it("judges every trial from minResource·eta^minEarlyStoppingRate on, in one bracket", async () => {
    const log = newLog();
    const study = tune("asha")
      .space(space)
      .minimize("loss")
      .strategy("asha", { minResource: 1, maxResource: MAX, eta: ETA, minEarlyStoppingRate: 1, hedge: false })
      .seed(2)
      .storage("memory")
      .display(false)
      .limits({ trials: 30, parallel: 2 })
      .objective(objective(log, true));
    await study.run();
    const trials = study.trials;
    checkTrials(trials, log);
    for (const t of trials) expect(rec(t)).toMatchObject({ bracket: 1, rungs: [3, 9] });
    const stops = trials.filter((t) => t.state === "pruned").map((t) => t.intermediate.length);
    expect(stops.length).toBeGreaterThan(10);
    expect(new Set(stops)).toEqual(new Set([3, 9]));
  });
});

describe("a training loop under random search with the median stopping rule", () => {
  it("stops a trial whose best value so far is worse than the median of the complete trials' running averages, after the start-up trials and the warm-up", async () => {
    const log = newLog();
    const startupTrials = 4;
    const warmupSteps = 3;
    const study = tune("median")
      .space(space)
      .minimize("loss")
      .strategy("random")
      .stopping("median", { startupTrials, warmupSteps })
      .seed(3)
      .storage("memory")
      .display(false)
      .limits({ trials: 30 })
      .objective(objective(log, false));
    await study.run();
    const trials = study.trials;
    const completeBefore = (n: number) => trials.filter((u) => u.number < n && u.state === "complete");
    let pruned = 0;
    for (const t of trials) {
      const trained = log.epochs.get(t.number)!;
      expect(log.budgets.get(t.number)).toBeUndefined(); // random search gives no budget
      expect(t.intermediate.map(([s]) => s)).toEqual(trained);
      if (t.state === "pruned") {
        pruned++;
        const [step, value] = t.intermediate[t.intermediate.length - 1]!;
        expect(log.toldAt.get(t.number)).toBe(step);
        expect(t.value).toBe(value);
        expect(t.system["stopped"]).toBe("median");
        expect(step).toBeGreaterThanOrEqual(warmupSteps);
        const done = completeBefore(t.number);
        expect(done.length).toBeGreaterThanOrEqual(startupTrials);
        // The rule, recomputed: its best so far is above the median of the complete trials'
        // running averages at that step (all of them ran every step).
        const avgs = done.map((u) => u.intermediate.slice(0, step).reduce((a, [, v]) => a + v, 0) / step).sort((a, b) => a - b);
        const m = avgs.length % 2 ? avgs[(avgs.length - 1) / 2]! : (avgs[avgs.length / 2 - 1]! + avgs[avgs.length / 2]!) / 2;
        expect(Math.min(...t.intermediate.map(([, v]) => v))).toBeGreaterThan(m);
      } else {
        expect(t.state).toBe("complete");
        expect(trained).toHaveLength(MAX);
        expect(t.value).toBe(loss(t.params as P, MAX));
      }
    }
    expect(pruned).toBeGreaterThan(5);
    // The first startupTrials trials always run to the end.
    expect(trials.slice(0, startupTrials).map((t) => t.state)).toEqual(Array(startupTrials).fill("complete"));
  });
});
