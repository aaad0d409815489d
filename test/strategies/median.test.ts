// The median stopping rule: the rule itself on hand-made studies, then with every strategy.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolSession } from "../../src/cli/protocol";
import { tune } from "../../src/dsl/tuner";
import type { Direction, FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { float } from "../../src/space/builders";
import { SearchSpace } from "../../src/space/space";
import { MedianStopping } from "../../src/strategies/median";
import { opArb, runOps, type Check, type Op } from "./replica-ops";

const space = SearchSpace.parse({ x: float(0, 1) });

function t(number: number, state: FrozenTrial["state"], values: number[], from = 1): FrozenTrial {
  const intermediate = values.map((v, i) => [from + i, v] as const);
  return { number, state, params: { x: 0 }, metrics: {}, intermediate, curves: {}, startedAt: 0, system: {}, ...(state === "complete" ? { value: values.at(-1)! } : {}) };
}

function snap(trials: FrozenTrial[], direction: Direction = "minimize"): StudySnapshot {
  return { spec: { name: "s", space: space.toJSON(), direction, metric: "value", strategy: { name: "random", options: {} }, seed: 0, createdAt: 0 }, trials, queue: [] };
}

/** Asks the rule about trial `self` (the last one), which has just reported its last value. */
function ask(rule: MedianStopping, trials: FrozenTrial[], direction: Direction = "minimize"): boolean {
  const self = trials.at(-1)!;
  const [step, value] = self.intermediate.at(-1)!;
  return rule.shouldStop({ snapshot: snap(trials, direction), space, trial: self, step, value, seed: 0 }).stop;
}

describe("MedianStopping", () => {
  // Complete trials' running means at step 2: (10+2)/2 = 6, (4+4)/2 = 4, (1+5)/2 = 3 → median 4.
  // Their values at step 2: 2, 4, 5 → median 4 as well; at step 3: 0, 4, 5 → 4; means at 3: 4, 4, 3.67 → 4.
  const done = [t(0, "complete", [10, 2, 0]), t(1, "complete", [4, 4, 4]), t(2, "complete", [1, 5, 5])];
  const rule = new MedianStopping({ startupTrials: 3 });

  it("stops a trial whose best so far is strictly worse than the median of the complete trials' running means", () => {
    expect(ask(rule, [...done, t(3, "running", [5, 4.5])])).toBe(true);
    expect(ask(rule, [...done, t(3, "running", [5, 4])])).toBe(false); // equal: goes on
    expect(ask(rule, [...done, t(3, "running", [3.9, 4.5])])).toBe(false); // its best so far counts
  });

  it("values near ±1.8e308: running means and medians stay finite (their sums overflowed to Infinity and NaN)", () => {
    const M = 1.7e308;
    // Running means at step 2: M, 0.85·M, −M (sums M+M and M+0.7M overflow) → median 0.85·M.
    const huge = [t(0, "complete", [M, M]), t(1, "complete", [M, 0.7 * M]), t(2, "complete", [-M, -M])];
    expect(ask(rule, [...huge, t(3, "running", [M, M])])).toBe(true);
    expect(ask(rule, [...huge, t(3, "running", [M, 0.8 * M])])).toBe(false);
    // An even count: the median of ±M is 0, not (M + M)/2 = Infinity or (−M + M)/2 = NaN.
    const even = [t(0, "complete", [M]), t(1, "complete", [-M]), t(2, "complete", [M]), t(3, "complete", [-M])];
    const rule4 = new MedianStopping({ startupTrials: 4, compare: "value" });
    expect(ask(rule4, [...even, t(4, "running", [1])], "minimize")).toBe(true);
    expect(ask(rule4, [...even, t(4, "running", [-1])], "minimize")).toBe(false);
  });

  it('compare: "value" uses the values at exactly this step (Optuna\'s MedianPruner)', () => {
    const byValue = new MedianStopping({ startupTrials: 3, compare: "value" });
    // Step 1 values 10, 4, 1 → median 4; running means are the same at step 1.
    expect(ask(byValue, [...done, t(3, "running", [4.5])])).toBe(true);
    // At step 3 the values are 0, 4, 5 (median 4) and the means 4, 4, 3.67 (median 4): a trial whose best is 4.2 stops under both.
    expect(ask(byValue, [...done, t(3, "running", [6, 5, 4.2])])).toBe(true);
    // A step no complete trial reported: no values, no stop.
    expect(ask(byValue, [...done, t(3, "running", [50], 7)])).toBe(false);
    // The running mean takes the last report before a step the complete trials skipped.
    expect(ask(rule, [...done, t(3, "running", [50], 7)])).toBe(true);
  });

  it("waits for startupTrials complete trials and for warmupSteps; judges once per interval", () => {
    expect(ask(new MedianStopping({ startupTrials: 4 }), [...done, t(3, "running", [99])])).toBe(false);
    expect(ask(new MedianStopping({ startupTrials: 3, warmupSteps: 3 }), [...done, t(3, "running", [99, 99])])).toBe(false);
    expect(ask(new MedianStopping({ startupTrials: 3, warmupSteps: 2 }), [...done, t(3, "running", [99, 99])])).toBe(true);
    const every2 = new MedianStopping({ startupTrials: 3, interval: 2 });
    // Windows start at steps 0, 2, 4: step 1 is in window 0 (first report: judged), step 2 opens window 2.
    expect(ask(every2, [...done, t(3, "running", [99])])).toBe(true);
    expect(ask(every2, [...done, t(3, "running", [99, 99])])).toBe(true);
    expect(ask(every2, [...done, t(3, "running", [99, 99, 99])])).toBe(false); // step 3: window 2 was judged at step 2
  });

  it("maximizing: worse means lower", () => {
    // Means at step 2 are 6, 4, 3 (median 4); its best so far is what counts.
    expect(ask(rule, [...done, t(3, "running", [3, 3.5])], "maximize")).toBe(true);
    expect(ask(rule, [...done, t(3, "running", [5, 3.5])], "maximize")).toBe(false);
    expect(ask(rule, [...done, t(3, "running", [5, 6])], "maximize")).toBe(false);
  });

  it("running and failed trials are not in the median; newly complete ones are, on the same snapshot", () => {
    const trials = [...done, t(3, "running", [0, 0]), t(4, "failed", [0, 0]), t(5, "running", [5, 4.5])];
    const s = snap(trials);
    const r = new MedianStopping({ startupTrials: 3 });
    const q = (tr: FrozenTrial) => r.shouldStop({ snapshot: s, space, trial: tr, step: 2, value: tr.intermediate.at(-1)![1], seed: 0 }).stop;
    expect(q(trials[5]!)).toBe(true);
    // Trial 3 completes with excellent values: the median at step 2 drops to (3+4)/2... of 4 means: 6, 4, 3, 0 → 3.5.
    (trials as FrozenTrial[])[3] = t(3, "complete", [0, 0]);
    const better = t(5, "running", [5, 3.8]);
    expect(r.shouldStop({ snapshot: s, space, trial: better, step: 2, value: 3.8, seed: 0 }).stop).toBe(true);
    expect(r.shouldStop({ snapshot: s, space, trial: t(5, "running", [5, 3.4]), step: 2, value: 3.4, seed: 0 }).stop).toBe(false);
  });

  it("bad options name the field and the allowed values", () => {
    expect(() => new MedianStopping({ startupTrials: 0 })).toThrow(expect.objectContaining({ field: "stopping.startupTrials" }));
    expect(() => new MedianStopping({ compare: "mean" })).toThrow(expect.objectContaining({ field: "stopping.compare", message: expect.stringContaining('"running-average"') }));
    expect(() => new MedianStopping({ patience: 1 })).toThrow(expect.objectContaining({ code: "option.unknown" }));
  });
});

describe("the median rule's incremental state", () => {
  /**
   * Every question on which one rule kept for the whole study (its state follows the replica
   * from write to write) and a fresh rule (which reads the snapshot from scratch) disagree: a
   * trial whose only report, at steps 1-4, is each value the study holds and each midpoint
   * (so any difference in a median flips some answer).
   */
  const differences = (kept: MedianStopping, options: object): Check => (snap, where) => {
    const fresh = new MedianStopping(options);
    const seen = [...new Set(snap.trials.flatMap((tr) => tr.intermediate.map((p) => p[1])))].sort((a, b) => a - b);
    const values = [...seen, ...seen.slice(1).map((v, i) => (v + seen[i]!) / 2), -9, 9];
    const out: string[] = [];
    for (const step of [1, 2, 3, 4]) {
      for (const value of values) {
        const trial = t(snap.trials.length, "running", [value], step);
        const ctx = { snapshot: snap, space, trial, step, value, seed: 0 };
        const a = kept.shouldStop(ctx).stop;
        const b = fresh.shouldStop(ctx).stop;
        if (a !== b) out.push(`${where}: step ${step} value ${value}: kept ${a}, fresh ${b}`);
      }
    }
    return out;
  };

  it.each(["memory", "journal"] as const)("answers as a fresh rule on every state of a %s study: trials completing, writes taken back, two handles, reopened", async (kind) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Direction>("minimize", "maximize"), fc.constantFrom("running-average" as const, "value" as const), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (direction, compare, ops) => {
        const options = { startupTrials: 1, compare };
        expect(await runOps(kind, direction, ops, differences(new MedianStopping(options), options))).toEqual([]);
      }),
      { numRuns: kind === "memory" ? 80 : 30 },
    );
  }, 60_000);

  it("a trial completed in a write that is then taken back is not complete any more (regression: the rule kept it in its medians)", async () => {
    const options = { startupTrials: 1 };
    const ops: Op[] = [
      { kind: "create", h: 0, record: undefined },
      { kind: "create", h: 0, record: undefined },
      { kind: "rung", h: 0, pick: 0, value: 0 },
      { kind: "create", h: 0, record: undefined },
      { kind: "takenBack", h: 0, pick: 2, record: null, via: "report" },
    ];
    expect(await runOps("memory", "minimize", ops, differences(new MedianStopping(options), options))).toEqual([]);
  });
});

// Curves whose final loss is x: the bad half of the configurations is visibly bad early on.
const curve = (x: number, epoch: number) => x + 1 / epoch;

describe.each([
  ["random", {}],
  ["grid", {}],
  ["tpe", {}],
  ["bayesian", {}],
] as const)("median stopping with %s", (strategy, options) => {
  it("stops trials below the median of the finished ones at the same step, keeps the rest, records why", async () => {
    const x = strategy === "grid" ? float(0, 1, { step: 0.05 }) : float(0, 1);
    const study = tune(`median-${strategy}`)
      .space({ x })
      .minimize("loss")
      .strategy(strategy as "random", options)
      .stopping("median", { startupTrials: 4 })
      .seed(5)
      .storage("memory")
      .display(false)
      .limits({ trials: 20 })
      .objective(async (p, trial) => {
        let loss = NaN;
        for (let epoch = 1; epoch <= 10; epoch++) {
          loss = curve(p.x, epoch);
          if (await trial.report(epoch, loss)) break;
        }
        return loss;
      });
    await study.run();
    const trials = study.trials;
    expect(trials).toHaveLength(20);
    const pruned = trials.filter((tr) => tr.state === "pruned");
    expect(pruned.length).toBeGreaterThan(0);
    for (const tr of pruned) {
      expect(tr.system["stopped"]).toBe("median");
      const [step, value] = tr.intermediate.at(-1)!;
      expect(tr.value).toBe(value);
      // Complete before it: more than half had a better running mean at that step.
      const before = trials.filter((o) => o.state === "complete" && o.finishedAt! <= tr.finishedAt! && o.number !== tr.number);
      const means = before.map((o) => o.intermediate.slice(0, step).reduce((s, [, v]) => s + v, 0) / step).sort((a, b) => a - b);
      expect(means.length).toBeGreaterThanOrEqual(4);
      expect(value).toBeGreaterThan(means[Math.floor((means.length - 1) / 2)]!);
    }
    // The best configuration seen is never stopped by the rule.
    const bestX = Math.min(...trials.map((tr) => tr.params["x"] as number));
    expect(trials.find((tr) => tr.params["x"] === bestX)!.state).toBe("complete");
  });
});

describe("tunelab serve: create with stopping", () => {
  it("median via the protocol answers prune: true for a bad trial, and rejects an unknown rule naming the field", async () => {
    const s = new ProtocolSession({ log: () => {} });
    const send = async (r: Record<string, unknown>) => JSON.parse(JSON.stringify((await s.handleLine(JSON.stringify(r), 1)).reply));
    const space = { x: { type: "float", low: 0, high: 1 } };
    expect(await send({ op: "create", study: "m", space, direction: "minimize", strategy: "random", seed: 1, stopping: { rule: "mean" } })).toMatchObject({ ok: false, field: "stopping.rule" });
    expect(await send({ op: "create", study: "m", space, direction: "minimize", strategy: "random", seed: 1, stopping: { rule: "median", startupTrials: 2, nope: 1 } })).toMatchObject({ ok: false, field: "stopping.nope" });
    expect(await send({ op: "create", study: "m", space, direction: "minimize", strategy: "random", seed: 1, stopping: { rule: "median", startupTrials: 2 } })).toMatchObject({ ok: true });
    for (let i = 0; i < 2; i++) {
      const a = await send({ op: "ask", study: "m" });
      expect(await send({ op: "report", study: "m", trial: a.trial, step: 1, value: 1 })).toMatchObject({ ok: true, prune: false });
      await send({ op: "tell", study: "m", trial: a.trial, value: 1 });
    }
    const a = await send({ op: "ask", study: "m" });
    expect(await send({ op: "report", study: "m", trial: a.trial, step: 1, value: 0.5 })).toMatchObject({ ok: true, prune: false });
    const b = await send({ op: "ask", study: "m" });
    expect(await send({ op: "report", study: "m", trial: b.trial, step: 1, value: 3 })).toMatchObject({ ok: true, prune: true });
    expect(await send({ op: "tell", study: "m", trial: b.trial, state: "pruned" })).toMatchObject({ ok: true });
    const trials = (await send({ op: "trials", study: "m" })).trials;
    expect(trials[b.trial]).toMatchObject({ state: "pruned", value: 3, intermediate: [[1, 3]] });
  });
});
