// Hyperband and ASHA: bracket arithmetic, the promotion rule, and whole studies — sequential,
// with failures, with parallel trials, resumed from disk, model-guided.
import * as fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { tune } from "../../src/dsl/tuner";
import type { Direction, FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { float } from "../../src/space/builders";
import { SearchSpace } from "../../src/space/space";
import { HyperbandBrackets } from "../../src/strategies/multifidelity/brackets";
import { snapshotAtLevel, snapshotByProgress, valueAtLevel } from "../../src/strategies/multifidelity/levels";
import fc from "fast-check";
import { promotable, rungRecord } from "../../src/strategies/multifidelity/rungs";
import { createStrategy } from "../../src/strategies/registry";
import { isDone, proposeContext } from "../../src/strategies/strategy";
import type { TrialContext } from "../../src/study/runner";
import { tempDir } from "../storage/workers/build";

describe("HyperbandBrackets", () => {
  it("R=81, eta=3: rungs 1..81, Hyperband's 81/34/15/8/5 trials per round, rungs per bracket", () => {
    const b = new HyperbandBrackets(1, 81, 3);
    expect(b.rungs).toEqual([1, 3, 9, 27, 81]);
    expect(b.sizes).toEqual([81, 34, 15, 8, 5]);
    expect([0, 1, 2, 3, 4].map((k) => b.decisionRungs(k))).toEqual([[1, 3, 9, 27], [3, 9, 27], [9, 27], [27], []]);
  });

  it("counts rungs with integers (log(243)/log(3) is 4.999... in floating point)", () => {
    expect(new HyperbandBrackets(1, 243, 3).rungs).toEqual([1, 3, 9, 27, 81, 243]);
    expect(new HyperbandBrackets(1, 1000, 10).rungs).toEqual([1, 10, 100, 1000]);
    // maxResource not a power: the last rung below it, and every trial may still run to it.
    const b = new HyperbandBrackets(2, 100, 3);
    expect(b.rungs).toEqual([2, 6, 18, 54]);
    expect(b.decisionRungs(0)).toEqual([2, 6, 18, 54]);
    expect(b.decisionRungs(3)).toEqual([54]);
  });

  it("deals each round in the brackets' proportions, spread out, and the same for every round", () => {
    const b = new HyperbandBrackets(1, 81, 3);
    const count = (from: number, to: number) => {
      const c = [0, 0, 0, 0, 0];
      for (let n = from; n < to; n++) c[b.bracketOf(n)]!++;
      return c;
    };
    expect(count(0, 143)).toEqual([81, 34, 15, 8, 5]);
    expect(count(143, 286)).toEqual([81, 34, 15, 8, 5]);
    // Any prefix is within one trial of the proportions (smooth weighted round robin).
    for (let m = 1; m <= 143; m++) {
      const c = count(0, m);
      b.sizes.forEach((s, k) => expect(Math.abs(c[k]! - (m * s) / 143), `prefix ${m}, bracket ${k}`).toBeLessThan(1));
    }
    // The never-stopped bracket gets a trial within the first round's first 30 trials.
    expect(count(0, 30)[4]).toBeGreaterThan(0);
  });

  it("ASHA: one bracket, starting at the minimum early-stopping rate", () => {
    const b = new HyperbandBrackets(1, 81, 3, { firstBracket: 1, count: 1 });
    expect(b.sizes).toEqual([0, 34, 0, 0, 0]);
    for (let n = 0; n < 50; n++) expect(b.bracketOf(n)).toBe(1);
  });
});

const space2 = SearchSpace.parse({ x: float(0, 1) });

function hbTrial(number: number, bracket: number, values: number[], state: FrozenTrial["state"] = "running"): FrozenTrial {
  return { number, state, params: { x: number / 100 }, metrics: {}, intermediate: [], curves: {}, startedAt: 0, system: { hyperband: { bracket, rungs: [1, 3, 9, 27], values } } };
}

function snap(trials: FrozenTrial[], direction: Direction = "minimize"): StudySnapshot {
  return { spec: { name: "s", space: space2.toJSON(), direction, metric: "value", strategy: { name: "hyperband", options: {} }, seed: 0, createdAt: 0 }, trials, queue: [] };
}

describe("promotion rule", () => {
  it("goes on iff among the best floor(n/eta) of the rung (at least the best one), counting only its bracket", () => {
    const others = [hbTrial(0, 0, [5]), hbTrial(1, 0, [3]), hbTrial(2, 0, [8]), hbTrial(3, 0, [1]), hbTrial(4, 1, [0, 0])];
    const s = snap([...others, hbTrial(9, 0, [])]);
    // 5 values at rung 0 of bracket 0 with the new one: keep floor(5/3) = 1 → must beat 1.
    expect(promotable(s, 9, 0, 0, 0.5, 3, 1)).toBe(true);
    expect(promotable(s, 9, 0, 0, 2, 3, 1)).toBe(false);
    // A tie with the best goes on.
    expect(promotable(s, 9, 0, 0, 1, 3, 1)).toBe(true);
    // Maximizing flips it.
    expect(promotable(s, 9, 0, 0, 9, 3, -1)).toBe(true);
    expect(promotable(s, 9, 0, 0, 7, 3, -1)).toBe(false);
    // With 6 values, the best 2 go on.
    const s6 = snap([...others, hbTrial(5, 0, [4]), hbTrial(9, 0, [])]);
    expect(promotable(s6, 9, 0, 0, 2, 3, 1)).toBe(true);
    expect(promotable(s6, 9, 0, 0, 3.5, 3, 1)).toBe(false);
    // Alone at a rung: nothing to compare with, it goes on.
    expect(promotable(snap([hbTrial(9, 0, [])]), 9, 0, 0, 100, 3, 1)).toBe(true);
  });

  it("failed and stopped trials keep the rung values they recorded", () => {
    const s = snap([hbTrial(0, 0, [1], "failed"), hbTrial(1, 0, [2], "pruned"), hbTrial(2, 0, [3], "complete"), hbTrial(9, 0, [])]);
    expect(promotable(s, 9, 0, 0, 1.5, 3, 1)).toBe(false);
  });
});

describe("levels (what a model-guided sampler is fitted on)", () => {
  const t = (n: number, state: FrozenTrial["state"], iv: [number, number][], value?: number): FrozenTrial => ({
    number: n, state, params: { x: n / 10 }, metrics: {}, intermediate: iv, curves: {}, startedAt: 0, system: { model: { budget: 1 } }, ...(value !== undefined ? { value } : {}),
  });
  it("a trial's value at a level is the one reported at the first step at or after it; the final value at the full budget", () => {
    const a = t(0, "complete", [[1, 5], [2, 4], [4, 3], [9, 2]], 2);
    expect(valueAtLevel(a, 1, 9)).toBe(5);
    expect(valueAtLevel(a, 3, 9)).toBe(3);
    expect(valueAtLevel(a, 9, 9)).toBe(2);
    expect(valueAtLevel(t(1, "pruned", [[1, 5], [3, 4]]), 9, 9)).toBeUndefined();
    expect(valueAtLevel(t(2, "complete", [], 7), 9, 9)).toBe(7);
  });

  it("turns the study into the trials that reached the level (complete there) and the running ones; the rest are left out", () => {
    const s = snapshotAtLevel(snap([t(0, "complete", [[1, 5], [3, 1]], 1), t(1, "pruned", [[1, 9]]), t(2, "running", [[1, 2]]), t(3, "failed", []), t(4, "pruned", [[1, 7], [3, 6]]), t(5, "running", [[1, 2], [3, 8]])]), 3, 9);
    expect(s.trials.map((x) => [x.number, x.state, x.value])).toEqual([[0, "complete", 1], [2, "running", undefined], [4, "complete", 6], [5, "complete", 8]]);
    expect(s.trials[0]!.system).toEqual({ budget: 1 });
  });

  it("by progress: every finished trial ranked by the furthest level it reached, then by its value there, as normal scores", () => {
    // levels 9 (full), 3, 1; minimizing.
    const trials = [
      t(0, "complete", [[1, 5], [3, 4], [9, 3]], 3), // reached 9: best rank
      t(1, "pruned", [[1, 0.1]]), // stopped at 1 with the lowest value of all: still below every trial that got further
      t(2, "pruned", [[1, 6], [3, 2]]), // reached 3
      t(3, "running", [[1, 2]]), // running: stays running
      t(4, "failed", []), // no value anywhere: left out
      t(5, "pruned", [[1, 4], [3, 1]]), // reached 3, better than trial 2 there
      t(6, "complete", [[1, 1], [3, 1], [9, 8]], 8), // reached 9, worse than trial 0
    ];
    const s = snapshotByProgress(snap(trials), [9, 3, 1], 9);
    expect(s.trials.map((x) => [x.number, x.state])).toEqual([[0, "complete"], [1, "complete"], [2, "complete"], [3, "running"], [5, "complete"], [6, "complete"]]);
    const v = (n: number) => s.trials.find((x) => x.number === n)!.value!;
    expect([0, 6, 5, 2, 1].map(v)).toEqual([0, 6, 5, 2, 1].map(v).sort((a, b) => a - b));
    // Normal scores of ranks 0..4 of 5: symmetric about 0.
    expect(v(0) + v(1)).toBeCloseTo(0, 12);
    expect(v(5)).toBeCloseTo(0, 12);
    expect(s.trials[0]!.system).toEqual({ budget: 1 });
    // Maximizing: the same order, values mirrored (best highest).
    const m = snapshotByProgress({ ...snap(trials.map((x) => (x.value !== undefined ? { ...x, value: -x.value } : x)).map((x) => ({ ...x, intermediate: x.intermediate.map(([a, b]) => [a, -b] as [number, number]) }))), spec: { ...snap([]).spec, direction: "maximize" } }, [9, 3, 1], 9);
    expect(m.trials.map((x) => x.value)).toEqual(s.trials.map((x) => (x.value === undefined ? undefined : -x.value)));
  });

  it("by progress, for any study: trials that got further always rank better, and ties in level are ordered by value", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 27 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.boolean()), { maxLength: 40 }), (rows) => {
        const trials = rows.map(([last, v, done], n) => t(n, done && last === 27 ? "complete" : "pruned", Array.from({ length: last }, (_, i) => [i + 1, v + (last - i)] as [number, number]), done && last === 27 ? v : undefined));
        const levels = [27, 9, 3, 1];
        const s = snapshotByProgress(snap(trials), levels, 27);
        const depth = (tr: FrozenTrial) => levels.findIndex((l) => valueAtLevel(tr, l, 27) !== undefined);
        const at = (tr: FrozenTrial) => valueAtLevel(tr, levels[depth(tr)]!, 27)!;
        for (const a of s.trials) for (const b of s.trials) {
          const ta = trials[a.number]!, tb = trials[b.number]!;
          if (depth(ta) < depth(tb) || (depth(ta) === depth(tb) && at(ta) < at(tb))) expect(a.value!).toBeLessThan(b.value!);
        }
        expect(s.trials.length).toBe(trials.length);
      }),
      { numRuns: 100 },
    );
  });
});

/**
 * A training curve per configuration: loss(x, epoch) falls from 1 + x towards x, and faster
 * for small x, so the final loss is x and early ranks mostly agree with the final ones.
 */
const curve = (x: number, epoch: number) => x + (1 + x) / (1 + epoch * (1.5 - x));

async function trainLoop(p: { x: number }, trial: TrialContext<{ x: number }>, opts: { failAt?: (n: number) => number | undefined; delay?: (n: number) => number } = {}) {
  let loss = NaN;
  const budget = trial.budget!;
  for (let epoch = 1; epoch <= budget; epoch++) {
    if (opts.failAt?.(trial.number) === epoch) throw new Error(`diverged at epoch ${epoch}`);
    if (opts.delay) await new Promise((r) => setTimeout(r, opts.delay!(trial.number)));
    loss = curve(p.x, epoch);
    if (await trial.report(epoch, loss)) break;
  }
  return loss;
}

/** Checks what every finished trial of a Hyperband study must satisfy. */
function checkBookkeeping(trials: readonly FrozenTrial[], maxResource: number, eta: number) {
  const b = new HyperbandBrackets(1, maxResource, eta);
  for (const t of trials) {
    const rec = rungRecord(t)!;
    expect(rec, `trial ${t.number}`).toBeDefined();
    expect(rec.bracket).toBe(b.bracketOf(t.number));
    expect(rec.rungs).toEqual(b.decisionRungs(rec.bracket));
    expect(t.budget).toBe(maxResource);
    const last = t.intermediate.at(-1)?.[0] ?? 0;
    // One recorded value per rung reached, and it is the value reported at that rung.
    expect(rec.values).toEqual(rec.rungs.filter((r) => r <= last).map((r) => t.intermediate.find(([s]) => s >= r)![1]));
    if (t.state === "pruned") {
      expect(t.system["stopped"]).toBe("rung");
      expect(rec.rungs).toContain(last);
      expect(t.value).toBe(t.intermediate.at(-1)![1]);
    }
    if (t.state === "complete") expect(last).toBe(maxResource);
  }
}

describe("hyperband studies", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const declare = (name: string, options: Record<string, unknown>, storage: "memory" | { dir: string } = "memory") =>
    tune(name).space({ x: float(0, 1) }).minimize("loss").strategy("hyperband", { maxResource: 27, ...options } as never).seed(3).storage(storage).display(false);

  it("stops trials at rungs, runs the rest to the full budget, and spends far less than full training", async () => {
    const study = declare("seq", {}).limits({ trials: 60 }).objective((p, t) => trainLoop(p, t));
    await study.run();
    const trials = study.trials;
    checkBookkeeping(trials, 27, 3);
    const pruned = trials.filter((t) => t.state === "pruned");
    const complete = trials.filter((t) => t.state === "complete");
    expect(pruned.length).toBeGreaterThan(20);
    expect(complete.length).toBeGreaterThan(5);
    const spent = trials.reduce((s, t) => s + t.intermediate.length, 0);
    expect(spent).toBeLessThan(0.5 * 60 * 27);
    // The best trial is among the best few configurations tried.
    const xs = trials.map((t) => t.params["x"] as number).sort((a, b) => a - b);
    expect(study.best!.params["x"]).toBeLessThanOrEqual(xs[3]!);
  });

  it("the same seed gives the same study; a trial that fails keeps its rung values and the study goes on", async () => {
    const failAt = (n: number) => (n % 7 === 3 ? 2 : undefined);
    const run = async (name: string) => {
      const s = declare(name, {}).limits({ trials: 40 }).objective((p, t) => trainLoop(p, t, { failAt }));
      await s.run();
      return s.trials;
    };
    const a = await run("a");
    const b = await run("b");
    const strip = (ts: readonly FrozenTrial[]) => ts.map((t) => [t.number, t.state, t.params, t.intermediate, t.system]);
    expect(strip(a)).toEqual(strip(b));
    const failed = a.filter((t) => t.state === "failed");
    expect(failed.length).toBeGreaterThan(2);
    for (const t of failed) {
      expect(t.error).toContain("diverged at epoch 2");
      // It reached rung 1 (when its bracket judges there) and that value stays recorded.
      const rec = rungRecord(t)!;
      if (rec.rungs[0] === 1) expect(rec.values).toEqual([t.intermediate[0]![1]]);
    }
    checkBookkeeping(a.filter((t) => t.state !== "failed"), 27, 3);
  });

  it("parallel trials finishing out of order: every trial ends, bookkeeping holds, and rungs judge against what they have seen", async () => {
    const study = declare("par", {})
      .limits({ trials: 40, parallel: 4 })
      .objective((p, t) => trainLoop(p, t, { delay: (n) => (n * 7) % 5 }));
    await study.run();
    expect(study.trials.every((t) => t.state === "complete" || t.state === "pruned")).toBe(true);
    checkBookkeeping(study.trials, 27, 3);
    // Each rung decision is reproducible from the values recorded before it: a trial stopped at
    // rung k was worse than at least floor(n/3) of the values its bracket had recorded there.
    for (const t of study.trials.filter((x) => x.state === "pruned")) {
      const rec = rungRecord(t)!;
      const k = rec.values.length - 1;
      const peers = study.trials.filter((o) => o !== t && rungRecord(o)!.bracket === rec.bracket && rungRecord(o)!.values.length > k).map((o) => rungRecord(o)!.values[k]!);
      expect(peers.filter((v) => v < rec.values[k]!).length, `trial ${t.number}`).toBeGreaterThanOrEqual(1);
    }
  });

  it("resumed from disk, continues exactly as one uninterrupted run", async () => {
    dir = tempDir("hb-resume");
    const full = declare("full", {}, { dir }).limits({ trials: 50 }).objective((p, t) => trainLoop(p, t));
    await full.run();
    await declare("part", {}, { dir }).limits({ trials: 20 }).objective((p, t) => trainLoop(p, t)).run();
    const resumed = declare("part", {}, { dir }).limits({ trials: 50 }).objective((p, t) => trainLoop(p, t));
    await resumed.run();
    const strip = (ts: readonly FrozenTrial[]) => ts.map((t) => [t.number, t.state, t.params, t.intermediate, t.system]);
    expect(strip(resumed.trials)).toEqual(strip(full.trials));
  });

  it("asha: one bracket judged from minResource·eta^rate; an impossible rate is an error naming the field", async () => {
    const study = tune("asha").space({ x: float(0, 1) }).minimize("loss").strategy("asha", { maxResource: 27, minEarlyStoppingRate: 1 }).seed(1).storage("memory").display(false);
    await study.limits({ trials: 30 }).objective((p, t) => trainLoop(p, t)).run();
    for (const t of study.trials) expect(rungRecord(t)).toMatchObject({ bracket: 1, rungs: [3, 9] });
    expect(study.trials.some((t) => t.state === "pruned")).toBe(true);
    expect(() => createStrategy("asha", space2, { maxResource: 27, minEarlyStoppingRate: 3 })).toThrow(expect.objectContaining({ field: "options.minEarlyStoppingRate" }));
  });

  it("asha's default first judges at minResource·eta (rate 1), or at minResource when that is the only rung below maxResource", () => {
    const first = (options: Record<string, unknown>) => {
      const s = createStrategy("asha", space2, options);
      const r = s.propose(proposeContext({ spec: { direction: "minimize" }, trials: [], queue: [] } as unknown as StudySnapshot, space2, 0, 1));
      return rungRecord({ system: (r as { system: FrozenTrial["system"] }).system } as FrozenTrial);
    };
    expect(first({ maxResource: 27, sampler: "random" })).toMatchObject({ bracket: 1, rungs: [3, 9] });
    expect(first({ maxResource: 100, minResource: 2, eta: 4, sampler: "random" })).toMatchObject({ bracket: 1, rungs: [8, 32] });
    // maxResource = minResource·eta: rung 3 is the full budget, so the default falls back to 0.
    expect(first({ maxResource: 3, sampler: "random" })).toMatchObject({ bracket: 0, rungs: [1] });
    expect(first({ maxResource: 27, sampler: "random", minEarlyStoppingRate: 0 })).toMatchObject({ bracket: 0, rungs: [1, 3, 9] });
  });

  it.each(["tpe", "bayesian"] as const)("sampler %s: fits on the largest level with enough trials, and moves up as trials get there", async (sampler) => {
    const study = declare(`mg-${sampler}`, { sampler, minObservations: 6, modelData: "level" }).limits({ trials: 45 }).objective((p, t) => trainLoop(p, t));
    await study.run();
    const levels = study.trials.map((t) => (t.system["model"] as { budget?: number } | undefined)?.budget);
    expect(levels.every((l) => l !== undefined)).toBe(true);
    // Early proposals are fitted on the first rung, later ones on a larger budget.
    expect(levels[0]).toBe(1);
    expect(Math.max(...(levels as number[]))).toBeGreaterThanOrEqual(9);
    for (let i = 1; i < levels.length; i++) expect(levels[i]!).toBeGreaterThanOrEqual(1);
    checkBookkeeping(study.trials, 27, 3);
    // The model concentrates on small x (the best final loss) more than the first proposals did.
    const xs = study.trials.map((t) => t.params["x"] as number);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(xs.slice(-15))).toBeLessThan(mean(xs.slice(0, 10)));
  });

  it("defaults: tpe fitted by progress until enough trials ran the full budget, then on those only", async () => {
    const study = declare("mg-auto", { minObservations: 6 }).limits({ trials: 60 }).objective((p, t) => trainLoop(p, t));
    await study.run();
    const model = study.trials.map((t) => t.system["model"] as { budget?: number; data?: string } | undefined);
    // Every proposal came from the model (tpe), with a budget record.
    expect(model.every((m) => m !== undefined && m.budget === 27)).toBe(true);
    // Until 6 trials completed, the model saw every trial ranked by progress; after, the complete ones only.
    const completeBefore = (n: number) => study.trials.filter((t) => t.number < n && t.state === "complete").length;
    const firstLevel = model.findIndex((m) => m!.data === undefined);
    expect(model[0]!.data).toBe("progress");
    expect(firstLevel).toBeGreaterThan(0);
    for (let i = firstLevel; i < model.length; i++) expect(model[i]!.data, `trial ${i}`).toBeUndefined();
    expect(completeBefore(firstLevel)).toBeGreaterThanOrEqual(6);
    expect(completeBefore(firstLevel - 1)).toBeLessThanOrEqual(6);
    checkBookkeeping(study.trials, 27, 3);
  });

  it("rejects bad options naming the field and the allowed values", () => {
    const bad: [Record<string, unknown> | undefined, string][] = [
      [undefined, "options.maxResource"],
      [{}, "options.maxResource"],
      [{ maxResource: 2 }, "options.maxResource"],
      [{ maxResource: 27, eta: 1 }, "options.eta"],
      [{ maxResource: 27, minResource: 0 }, "options.minResource"],
      [{ maxResource: 27.5 }, "options.maxResource"],
      [{ maxResource: 27, sampler: "grid" }, "options.sampler"],
      [{ maxResource: 27, sampler: "random", samplerOptions: { startupTrials: 3 } }, "options.samplerOptions"],
      [{ maxResource: 27, modelData: "rung" }, "options.modelData"],
      // The sampler's own options are named where they sit in the request.
      [{ maxResource: 27, sampler: "tpe", samplerOptions: { nope: 1 } }, "options.samplerOptions.nope"],
      [{ maxResource: 27, sampler: "tpe", samplerOptions: { candidates: 1e9 } }, "options.samplerOptions.candidates"],
      [{ maxResource: 27, sampler: "bayesian", samplerOptions: { maxObservations: 5000 } }, "options.samplerOptions.maxObservations"],
      [{ maxResource: 27, minEarlyStoppingRate: 1 }, "options.minEarlyStoppingRate"],
    ];
    for (const [o, field] of bad) {
      let e: unknown;
      try {
        createStrategy("hyperband", space2, o);
      } catch (err) {
        e = err;
      }
      expect(e, JSON.stringify(o)).toMatchObject({ field });
    }
  });

  it("an enqueued trial has no bracket and is never stopped by the strategy", async () => {
    const s = createStrategy("hyperband", space2, { maxResource: 9 });
    const t: FrozenTrial = { number: 0, state: "running", params: { x: 0.9 }, metrics: {}, intermediate: [[1, 100]], curves: {}, startedAt: 0, system: { queued: 0 } };
    expect(s.shouldStop!({ snapshot: snap([t]), space: space2, trial: t, step: 1, value: 100, seed: 0 })).toEqual({ stop: false });
    const p = s.propose(proposeContext(snap([]), space2, 0, 0));
    expect(isDone(p)).toBe(false);
  });
});

describe("hedged stopping (asha's default)", () => {
  // Rung 3 of asha's bracket 1 (R = 27): 12 complete trials whose values at step 3 rank them
  // exactly as their final values do (agree) or exactly the other way round (reversed).
  const R = 27;
  const completeTrials = (reversed: boolean): FrozenTrial[] =>
    Array.from({ length: 12 }, (_, i) => ({
      number: i,
      state: "complete" as const,
      params: { x: i / 100 },
      metrics: {},
      intermediate: [[3, reversed ? 12 - i : i] as [number, number], [27, i]],
      curves: {},
      startedAt: 0,
      value: i,
      system: { hyperband: { bracket: 1, rungs: [3, 9], values: [reversed ? 12 - i : i, i] } },
    }));
  /** Whether `strategy` stops a new trial reporting `value` at step 3 after the complete ones (with a given seed). */
  const stops = (options: Record<string, unknown>, reversed: boolean, value: number, seed: number, number = 100): boolean => {
    const s = createStrategy("asha", space2, { maxResource: R, sampler: "random", ...options });
    const done = completeTrials(reversed);
    const t: FrozenTrial = { number, state: "running", params: { x: 0.5 }, metrics: {}, intermediate: [[3, value]], curves: {}, startedAt: 0, system: { hyperband: { bracket: 1, rungs: [3, 9], values: [] } } };
    return s.shouldStop!({ snapshot: snap([...done, t]), space: space2, trial: t, step: 3, value, seed }).stop;
  };

  it("is asha's default and not hyperband's; a non-boolean is an error naming the field", () => {
    expect((createStrategy("asha", space2, { maxResource: R }) as unknown as { hedge: boolean }).hedge).toBe(true);
    expect((createStrategy("hyperband", space2, { maxResource: R }) as unknown as { hedge: boolean }).hedge).toBe(false);
    expect((createStrategy("hyperband", space2, { maxResource: R, hedge: true }) as unknown as { hedge: boolean }).hedge).toBe(true);
    expect(() => createStrategy("asha", space2, { maxResource: R, hedge: "yes" })).toThrow(expect.objectContaining({ field: "options.hedge" }));
  });

  it("stops as ASHA does where the complete trials agree with the rung's ranking", () => {
    for (let seed = 0; seed < 40; seed++) {
      for (const value of [0.5, 5, 20]) expect(stops({}, false, value, seed)).toBe(stops({ hedge: false }, false, value, seed));
    }
    expect(stops({}, false, 20, 0)).toBe(true);
  });

  it("lets through every trial the rung would stop where the complete trials rank the other way round, and records where", () => {
    for (let seed = 0; seed < 40; seed++) {
      expect(stops({ hedge: false }, true, 20, seed)).toBe(true);
      expect(stops({}, true, 20, seed)).toBe(false);
    }
    const s = createStrategy("asha", space2, { maxResource: R, sampler: "random" });
    const at = (value: number) => {
      const t: FrozenTrial = { number: 100, state: "running", params: { x: 0.5 }, metrics: {}, intermediate: [[3, value]], curves: {}, startedAt: 0, system: { hyperband: { bracket: 1, rungs: [3, 9], values: [] } } };
      return s.shouldStop!({ snapshot: snap([...completeTrials(true), t]), space: space2, trial: t, step: 3, value, seed: 0 }).system!["hyperband"];
    };
    expect(at(20)).toEqual({ bracket: 1, rungs: [3, 9], values: [20], hedged: [0] });
    // A trial the rung keeps on its own merits carries no such field.
    expect(at(-1)).toEqual({ bracket: 1, rungs: [3, 9], values: [-1] });
  });

  it("for any study: stops only trials the rung would stop, lets through about 1 - τ of them, the same draw every time (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 12, maxLength: 12 }), fc.nat(), (ranks, seed) => {
        // Complete trials with their rung values in an arbitrary order against their final values.
        const done: FrozenTrial[] = ranks.map((r, i) => ({ ...completeTrials(false)[i]!, intermediate: [[3, r], [27, i]], system: { hyperband: { bracket: 1, rungs: [3, 9], values: [r, i] } } }));
        const s = createStrategy("asha", space2, { maxResource: R, sampler: "random" });
        const strict = createStrategy("asha", space2, { maxResource: R, sampler: "random", hedge: false });
        let wouldStop = 0;
        let stopped = 0;
        for (let n = 100; n < 300; n++) {
          const t: FrozenTrial = { number: n, state: "running", params: { x: 0.5 }, metrics: {}, intermediate: [[3, 20]], curves: {}, startedAt: 0, system: { hyperband: { bracket: 1, rungs: [3, 9], values: [] } } };
          const ctx = { snapshot: snap([...done, t]), space: space2, trial: t, step: 3, value: 20, seed };
          const a = s.shouldStop!(ctx).stop;
          expect(s.shouldStop!(ctx).stop).toBe(a);
          const b = strict.shouldStop!(ctx).stop;
          if (a) expect(b).toBe(true);
          if (b) wouldStop++;
          if (a) stopped++;
        }
        // Kendall's tau of the rung values against the finals, with the prior pair, clamped.
        let c = 1;
        let pairs = 1;
        for (let i = 0; i < 12; i++) for (let j = i + 1; j < 12; j++) if (ranks[i] !== ranks[j]) { pairs++; if (ranks[i]! < ranks[j]!) c++; }
        const tau = Math.min(1, Math.max(0, (2 * c - pairs) / pairs));
        expect(wouldStop).toBe(200);
        // 200 draws: within 5 standard deviations of tau·200.
        expect(Math.abs(stopped - tau * 200)).toBeLessThanOrEqual(5 * Math.sqrt(200 * tau * (1 - tau)) + 1e-9);
      }),
      { numRuns: 60 },
    );
  });
});
