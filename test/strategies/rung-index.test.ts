// The promotion rule's sorted rung index (src/strategies/multifidelity/rung-index.ts) answers
// as the scan over every trial does (promotableByScan), on every state a storage's replica
// goes through: trials created with or without (or with malformed) rung records, rung values
// recorded (ties, nulls), trials ended in every state, records rewritten afterwards, writes
// taken back after the index had read them, a second handle on the same journal, and a study
// reopened (a fresh replica). And through whole hyperband and ASHA studies, minimizing and
// maximizing, resumed with a fresh strategy.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Direction, StudySnapshot } from "../../src/model/trial";
import { SearchSpace } from "../../src/space/space";
import { lostTrial } from "../../src/record/lost";
import { StudyReplica } from "../../src/record/replica";
import { MemoryStorage } from "../../src/storage/base";
import { rungIndexOf } from "../../src/strategies/multifidelity/rung-index";
import { promotable, promotableByScan, rungRecord } from "../../src/strategies/multifidelity/rungs";
import { createStrategy } from "../../src/strategies/registry";
import type { Strategy } from "../../src/strategies/strategy";
import { Study } from "../../src/study/study";
import { opArb, opsSpec as spec, runOps, type Op } from "./replica-ops";

const BRACKETS = [0, 1, 2, 7];
const RUNGS = [0, 1, 2, 3, 4];

/**
 * Every disagreement between the index and the scan on `snap`, over brackets (one nobody
 * uses), rungs, both signs, etas 2 and 3, the trial judged (none, a trial with a value at the
 * rung, another) and values: each one recorded at the rung (ties) and a few others.
 */
function disagreements(snap: StudySnapshot, extra: readonly number[] = []): string[] {
  const out: string[] = [];
  const n = snap.trials.length;
  for (const bracket of BRACKETS) {
    for (const k of RUNGS) {
      const at: { self: number; w: number }[] = [];
      for (const t of snap.trials) {
        const r = t.system["hyperband"] as { bracket?: unknown; values?: unknown } | null | undefined;
        if (r && typeof r === "object" && r.bracket === bracket && Array.isArray(r.values) && typeof r.values[k] === "number") at.push({ self: t.number, w: r.values[k] as number });
      }
      const values = [...new Set([...at.map((a) => a.w), ...extra, 0, 1.5])];
      const selves = [-1, n, ...(at.length ? [at[0]!.self, at[at.length - 1]!.self] : []), n > 0 ? n - 1 : 0];
      for (const sign of [1, -1]) {
        for (const v of values) {
          for (const self of selves) {
            const eta = (self & 1) + 2;
            const a = promotable(snap, self, bracket, k, v, eta, sign);
            const b = promotableByScan(snap, self, bracket, k, v, eta, sign);
            if (a !== b) out.push(`bracket ${bracket} rung ${k} sign ${sign} value ${v} self ${self} eta ${eta}: index ${a}, scan ${b}`);
          }
        }
      }
    }
  }
  return out;
}

/** The index is what answers on a replica (not the scan it falls back to). */
function indexed(snap: StudySnapshot): void {
  expect(snap.systemLog).toBeDefined();
  expect(rungIndexOf(snap)).toBeDefined();
}

/** runOps' check: the index answers, and as the scan does. */
const agree = (snap: StudySnapshot, where: string, reported?: number): string[] => {
  indexed(snap);
  return disagreements(snap, reported === undefined ? [] : [reported]).map((d) => `${where}: ${d}`);
};

const scenario = (kind: "memory" | "journal", direction: Direction, ops: Op[]) => runOps(kind, direction, ops, agree);

describe("the rung index answers as the scan", () => {
  it.each(["memory", "journal"] as const)("on every state of a %s study: records written, rewritten, malformed, taken back, shared, reopened", async (kind) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Direction>("minimize", "maximize"), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (direction, ops) => {
        expect(await scenario(kind, direction, ops)).toEqual([]);
      }),
      { numRuns: kind === "memory" ? 100 : 40 },
    );
  }, 60_000);

  it("a write taken back after the index read it: the trials it changed read as before (regression: the replica's counters roll back, its log does not)", async () => {
    const found = await scenario("memory", "minimize", [
      { kind: "create", h: 0, record: { bracket: 0, rungs: [1, 3], values: [] } },
      { kind: "create", h: 0, record: { bracket: 0, rungs: [1, 3], values: [] } },
      { kind: "create", h: 0, record: { bracket: 0, rungs: [1, 3], values: [] } },
      { kind: "rung", h: 0, pick: 0, value: 2 },
      { kind: "takenBack", h: 0, pick: 1, record: { bracket: 0, rungs: [1, 3], values: [0.5] }, via: "report" },
      { kind: "rung", h: 0, pick: 2, value: 1 },
      { kind: "takenBack", h: 0, pick: 1, record: { bracket: 0, rungs: [1, 3], values: [9] }, via: "create" },
      { kind: "create", h: 0, record: { bracket: 0, rungs: [1, 3], values: [0] } },
      { kind: "rung", h: 0, pick: 1, value: 1 },
    ]);
    expect(found).toEqual([]);
  });

  it("another process's rung values reach this one's index when it catches up, and a reopened study rebuilds it", async () => {
    const found = await scenario("journal", "maximize", [
      { kind: "create", h: 0, record: { bracket: 1, rungs: [3, 9], values: [] } },
      { kind: "create", h: 1, record: { bracket: 1, rungs: [3, 9], values: [] } },
      { kind: "rung", h: 0, pick: 0, value: 3 },
      { kind: "rung", h: 1, pick: 1, value: 3 },
      { kind: "rewrite", h: 1, pick: 0, record: { bracket: 1, rungs: [3, 9], values: [0.5] } },
      { kind: "rung", h: 0, pick: 1, value: 1 },
      { kind: "reopen", h: 0 },
      { kind: "rung", h: 0, pick: 0, value: 2 },
    ]);
    expect(found).toEqual([]);
  });
});

describe("the replica's system log", () => {
  it("names every trial whose system record was replaced: sys ops, a restored lost trial, writes taken back", () => {
    const r = new StudyReplica(spec("minimize"));
    r.apply({ op: "study", v: 1, spec: spec("minimize") });
    r.apply({ op: "trial", n: 0, params: {}, t: 0, sys: { hyperband: { bracket: 0, rungs: [1], values: [] } } });
    indexed(r);
    r.apply({ op: "sys", n: 0, sys: { hyperband: { bracket: 0, rungs: [1], values: [2] } } });
    expect(r.systemLog).toEqual([0]);
    expect(promotable(r, 5, 0, 0, 3, 3, 1)).toBe(false);
    // Trial 2's record comes before trial 1's: 1 is a lost placeholder until its record is read.
    r.addLost(1, 4);
    expect(r.trials[1]).toEqual(lostTrial(1, 4, 0));
    expect(promotable(r, 5, 0, 0, 3, 3, 1)).toBe(false);
    r.restoreLost({ op: "trial", n: 1, params: {}, t: 0, sys: { hyperband: { bracket: 0, rungs: [1], values: [1] } } });
    expect(r.systemLog).toEqual([0, 1]);
    // Two values now beat 3 at rung 0 (2 and 1), so with n = 3 and eta = 3 it may not go on;
    // 1.5 is beaten by one, and floor(3/3) = 1 keeps only the best.
    expect(promotable(r, 5, 0, 0, 1.5, 3, 1)).toBe(false);
    expect(promotable(r, 5, 0, 0, 0.5, 3, 1)).toBe(true);
    const u = r.undoPoint({ op: "sys", n: 1, sys: { hyperband: { bracket: 0, rungs: [1], values: [9] } } });
    r.apply({ op: "sys", n: 1, sys: { hyperband: { bracket: 0, rungs: [1], values: [9] } } });
    expect(promotable(r, 5, 0, 0, 1.5, 3, 1)).toBe(true);
    r.undo(u);
    expect(r.systemLog).toEqual([0, 1, 1, 1]);
    expect(disagreements(r)).toEqual([]);
    expect(promotable(r, 5, 0, 0, 1.5, 3, 1)).toBe(false);
  });

  it("a snapshot that is not a replica is answered by the scan", () => {
    const r = new StudyReplica(spec("minimize"));
    r.apply({ op: "trial", n: 0, params: {}, t: 0, sys: { hyperband: { bracket: 0, rungs: [1], values: [2] } } });
    const plain: StudySnapshot = { spec: r.spec, trials: [...r.trials], queue: [] };
    expect(rungIndexOf(plain)).toBeUndefined();
    expect(promotable(plain, 5, 0, 0, 3, 3, 1)).toBe(promotableByScan(plain, 5, 0, 0, 3, 3, 1));
    // A trial away from the position of its number: the index cannot tell which is judged.
    const odd = { ...plain, trials: [{ ...r.trials[0]!, number: 3 }], systemLog: [] };
    expect(rungIndexOf(odd)).toBeUndefined();
    expect(promotable(odd, 3, 0, 0, 3, 3, 1)).toBe(true);
  });
});

// ---- whole studies ----------------------------------------------------------------------------

/** The strategy, checking at each rung decision that index and scan agree on what it judges. */
function checking(inner: Strategy, eta: number, found: string[]): Strategy {
  return {
    name: inner.name,
    propose: (ctx) => inner.propose(ctx),
    shouldStop: (ctx) => {
      const rec = rungRecord(ctx.trial);
      if (rec) {
        const sign = ctx.snapshot.spec.direction === "minimize" ? 1 : -1;
        for (let k = 0; k < rec.rungs.length; k++) {
          const a = promotable(ctx.snapshot, ctx.trial.number, rec.bracket, k, ctx.value, eta, sign);
          const b = promotableByScan(ctx.snapshot, ctx.trial.number, rec.bracket, k, ctx.value, eta, sign);
          if (a !== b) found.push(`trial ${ctx.trial.number} bracket ${rec.bracket} rung ${k} value ${ctx.value}: index ${a}, scan ${b}`);
        }
      }
      return inner.shouldStop!(ctx);
    },
  };
}

const studyOp = fc.record({
  /** 0: start a trial; 1-5: report the next step of a running trial; 6: fail it; 7: resume (a fresh strategy on the stored study). */
  what: fc.nat({ max: 7 }),
  pick: fc.nat(),
  value: fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.double({ min: 0, max: 3, noNaN: true })),
});

describe("hyperband and asha decide as the scan would", () => {
  it("through studies with ties, failures, prunes and resumes, minimizing and maximizing", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<"hyperband" | "asha">("hyperband", "asha"),
        fc.constantFrom<Direction>("minimize", "maximize"),
        fc.constantFrom(2, 3),
        fc.array(studyOp, { minLength: 1, maxLength: 150 }),
        async (name, direction, eta, ops) => {
          const found: string[] = [];
          const space = { x: { type: "float" as const, low: 0, high: 1 } };
          const strategy = () => checking(createStrategy(name, SearchSpace.parse(space), { maxResource: 9, eta, sampler: "random" }), eta, found);
          const open = (s: MemoryStorage) => Study.open({ name: "hb", space, direction, metric: "loss", seed: 4, storage: s, strategy: strategy() });
          let study = await open(new MemoryStorage());
          const step = new Map<number, number>();
          for (const op of ops) {
            const running = study.snapshot.trials.filter((t) => t.state === "running").map((t) => t.number);
            if (op.what === 7) {
              // A resumed study: a fresh strategy, and a fresh replica holding the same trials.
              study = await open(MemoryStorage.copyOf(study.snapshot));
              continue;
            }
            if (op.what === 0 || !running.length) {
              const t = (await study.ask())!;
              step.set(t.number, 0);
              continue;
            }
            const n = running[op.pick % running.length]!;
            if (op.what === 6) {
              await study.tell(n, { state: "failed" });
              continue;
            }
            const s = (step.get(n) ?? 0) + 1;
            step.set(n, s);
            const stop = await study.report(n, s, op.value);
            if (stop) await study.tell(n, { state: "pruned" });
            else if (s >= 9) await study.tell(n, { value: op.value });
          }
          expect(found).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
