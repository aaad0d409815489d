// Adaptive Hyperband: how far each rung's ranking is trusted, the bracket probabilities that
// follow, and a study whose early rankings mislead moving its trials to later-judging brackets.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { tune } from "../../src/dsl/tuner";
import type { Direction, FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { float } from "../../src/space/builders";
import { rungRecord } from "../../src/strategies/multifidelity/rungs";
import { bracketProbabilities, recentComplete, recentCompleteOf, rungTrust, rungTrustOf, TRUST_WINDOW } from "../../src/strategies/multifidelity/trust";
import { opArb, runOps } from "./replica-ops";

function complete(n: number, curve: [number, number][], value = curve.at(-1)![1]): FrozenTrial {
  return { number: n, state: "complete", params: { x: n }, value, metrics: {}, intermediate: curve, curves: {}, startedAt: 0, system: {} };
}

describe("rungTrust", () => {
  it("is 1 with no evidence, Kendall's tau (with one agreeing pseudo-pair) once trials pair up, and never below 0", () => {
    expect(rungTrust([], 1, 9)).toBe(1);
    expect(rungTrust([complete(0, [[1, 5], [9, 1]])], 1, 9)).toBe(1);
    // Three trials ranked the same at step 1 and at the end: 3 concordant pairs (+1) of 4 → tau 1.
    const same = [complete(0, [[1, 1], [9, 1]]), complete(1, [[1, 2], [9, 2]]), complete(2, [[1, 3], [9, 3]])];
    expect(rungTrust(same, 1, 9)).toBe(1);
    // Reversed: 0 concordant (+1) of 3 pairs (+1) → tau = (2·1 − 4)/4 < 0 → 0.
    const reversed = [complete(0, [[1, 3], [9, 1]]), complete(1, [[1, 2], [9, 2]]), complete(2, [[1, 1], [9, 3]])];
    expect(rungTrust(reversed, 1, 9)).toBe(0);
    // 2 of 3 pairs agree: (2·3 − 4)/4 = 0.5.
    const mostly = [complete(0, [[1, 1], [9, 1]]), complete(1, [[1, 3], [9, 2]]), complete(2, [[1, 2], [9, 3]])];
    expect(rungTrust(mostly, 1, 9)).toBeCloseTo(0.5, 12);
    // Ties on either side carry no evidence.
    const tied = [complete(0, [[1, 1], [9, 1]]), complete(1, [[1, 1], [9, 2]])];
    expect(rungTrust(tied, 1, 9)).toBe(1);
  });

  it("counts pairs by the signs of the differences: values 1e308 apart, or 1e-200 apart, still pair up", () => {
    const M = 1.7e308;
    // Products of the differences overflowed ((2M)·0 = NaN counted as a disagreement) or underflowed to 0 (a tie).
    const huge = [complete(0, [[1, -M], [9, 1]]), complete(1, [[1, M], [9, 1]]), complete(2, [[1, M / 2], [9, 2]])];
    // Pairs: (0,1) tied at the end → skipped; (0,2) and (1,2): (0,2) agrees, (1,2) disagrees → (2·2 − 3)/3.
    expect(rungTrust(huge, 1, 9)).toBeCloseTo(1 / 3, 12);
    const tiny = [complete(0, [[1, 1e-200], [9, 1e-200]]), complete(1, [[1, 2e-200], [9, 2e-200]]), complete(2, [[1, 3e-200], [9, 3e-200]])];
    expect(rungTrust(tiny, 1, 9)).toBe(1);
    const tinyReversed = [complete(0, [[1, 3e-200], [9, 1e-200]]), complete(1, [[1, 2e-200], [9, 2e-200]]), complete(2, [[1, 1e-200], [9, 3e-200]])];
    expect(rungTrust(tinyReversed, 1, 9)).toBe(0);
  });

  it("uses the value reported at the first step at or after the rung, and skips trials that never reported there", () => {
    const ts = [complete(0, [[2, 1], [9, 1]]), complete(1, [[3, 2], [9, 2]]), complete(2, [], 0)];
    // Rung 1 → steps 2 and 3: agree; trial 2 has no curve.
    expect(rungTrust(ts, 1, 9)).toBe(1);
  });

  it("looks at the most recent complete trials only", () => {
    const ts: FrozenTrial[] = [];
    for (let i = 0; i < 2 * TRUST_WINDOW; i++) ts.push(i % 3 === 0 ? { ...complete(i, [[1, i]]), state: "pruned" } : complete(i, [[1, i], [9, i]]));
    const r = recentComplete(ts);
    expect(r).toHaveLength(TRUST_WINDOW);
    expect(r.at(-1)!.number).toBe(2 * TRUST_WINDOW - 1);
    // The oldest complete trials were left out.
    expect(r[0]!.number).toBeGreaterThan(TRUST_WINDOW / 2 - 1);
    expect(r.map((t) => t.number)).toEqual([...r.map((t) => t.number)].sort((a, b) => a - b));
    expect(r.every((t) => t.state === "complete")).toBe(true);
  });
});

describe("bracketProbabilities", () => {
  it("p_b = tau_b times the chance no earlier rung was trusted; the last bracket gets the rest", () => {
    expect(bracketProbabilities([1, 1, 1])).toEqual([1, 0, 0, 0]);
    expect(bracketProbabilities([0, 0, 0])).toEqual([0, 0, 0, 1]);
    const p = bracketProbabilities([0.5, 0.5, 0.8]);
    [0.5, 0.25, 0.2, 0.05].forEach((v, i) => expect(p[i]).toBeCloseTo(v, 12));
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

/**
 * Curves that cross: a configuration's loss at epoch e is x + (1 − x)·k/e with k large, so
 * configurations with small x (the best at the end) look worst early on. Early rungs rank
 * them backwards.
 */
const crossing = (x: number, epoch: number) => x + (1 - x) * (4 / epoch) * (x < 0.5 ? 3 : 1);

describe("adaptive brackets in a study", () => {
  it("start in the most aggressive bracket and move to later-judging ones when early rungs mislead", async () => {
    const study = tune("adaptive")
      .space({ x: float(0, 1) })
      .minimize("loss")
      .strategy("hyperband", { maxResource: 27, brackets: "adaptive" })
      .seed(2)
      .storage("memory")
      .display(false)
      .limits({ trials: 120 })
      .objective(async (p, trial) => {
        let loss = NaN;
        for (let e = 1; e <= trial.budget!; e++) {
          loss = crossing(p.x, e);
          if (await trial.report(e, loss)) break;
        }
        return loss;
      });
    await study.run();
    const brackets = study.trials.map((t) => rungRecord(t)!.bracket);
    // Before any trial completed, every trial went to bracket 0.
    const firstComplete = study.trials.findIndex((t) => t.state === "complete");
    expect(brackets.slice(0, firstComplete + 1).every((b) => b === 0)).toBe(true);
    // Late in the study most trials are judged later than the first rung.
    const late = brackets.slice(-40);
    expect(late.filter((b) => b > 0).length).toBeGreaterThan(30);
  });

  it('brackets: "fixed" (the default) deals Hyperband\'s proportions; a bad value names the field', async () => {
    const study = tune("fixed").space({ x: float(0, 1) }).minimize("loss").strategy("hyperband", { maxResource: 27 }).seed(2).storage("memory").display(false).limits({ trials: 40 })
      .objective(async (p, trial) => {
        for (let e = 1; e <= trial.budget!; e++) if (await trial.report(e, crossing(p.x, e))) break;
        return crossing(p.x, 27);
      });
    await study.run();
    const counts = [0, 0, 0, 0];
    for (const t of study.trials) counts[rungRecord(t)!.bracket]!++;
    // R = 27, eta = 3: 27, 12, 6, 4 of every 49 trials.
    expect(counts[0]).toBeGreaterThan(counts[1]!);
    expect(counts[3]).toBeGreaterThan(0);
    expect(() => tune("f").space({ x: float(0, 1) }).strategy("hyperband", { maxResource: 27, brackets: "auto" as never })).toThrow(expect.objectContaining({ field: "options.brackets" }));
  });
});

describe("the recent complete trials of a replica, kept up to date", () => {
  /** runOps' check: the tracker's answer is the pass's, on the replica and on a copy that is not one. */
  const agree = (snap: StudySnapshot, where: string): string[] => {
    const out: string[] = [];
    const want = recentComplete(snap.trials).map((t) => t.number);
    const got = recentCompleteOf(snap).map((t) => t.number);
    if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${where}: tracker ${JSON.stringify(got)}, pass ${JSON.stringify(want)}`);
    for (const rung of [1, 3]) {
      const a = rungTrustOf(snap, rung, 27);
      const b = rungTrust(recentComplete(snap.trials), rung, 27);
      if (a !== b) out.push(`${where}: trust at ${rung} ${a} vs ${b}`);
    }
    const copy: StudySnapshot = { spec: snap.spec, trials: [...snap.trials], queue: snap.queue };
    if (JSON.stringify(recentCompleteOf(copy).map((t) => t.number)) !== JSON.stringify(want)) out.push(`${where}: the copy's answer differs`);
    return out;
  };

  it.each(["memory", "journal"] as const)("answers as a pass over the trials on every state of a %s study: trials ended, rewritten, taken back, shared, reopened", async (kind) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Direction>("minimize", "maximize"), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (direction, ops) => {
        expect(await runOps(kind, direction, ops, agree)).toEqual([]);
      }),
      { numRuns: kind === "memory" ? 80 : 30 },
    );
  }, 60_000);
});

