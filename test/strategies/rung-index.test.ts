// The promotion rule's sorted rung index (src/strategies/multifidelity/rung-index.ts) answers
// as the scan over every trial does (promotableByScan), on every state a storage's replica
// goes through: trials created with or without (or with malformed) rung records, rung values
// recorded (ties, nulls), trials ended in every state, records rewritten afterwards, writes
// taken back after the index had read them, a second handle on the same journal, and a study
// reopened (a fresh replica). And through whole hyperband and ASHA studies, minimizing and
// maximizing, resumed with a fresh strategy.
import * as fs from "node:fs";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { Direction, StudySnapshot, StudySpec } from "../../src/model/trial";
import { SearchSpace } from "../../src/space/space";
import { lostTrial } from "../../src/record/lost";
import { StudyReplica } from "../../src/record/replica";
import { MemoryStorage } from "../../src/storage/base";
import { JournalStorage } from "../../src/storage/journal";
import type { Storage } from "../../src/storage/storage";
import { rungIndexOf } from "../../src/strategies/multifidelity/rung-index";
import { promotable, promotableByScan, rungRecord } from "../../src/strategies/multifidelity/rungs";
import { createStrategy } from "../../src/strategies/registry";
import type { Strategy } from "../../src/strategies/strategy";
import { Study } from "../../src/study/study";
import type { JsonObject, JsonValue } from "../../src/util/json";
import { tempDir } from "../storage/workers/build";

const spec = (direction: Direction): StudySpec => ({
  name: "rungs",
  space: { x: { type: "float", low: 0, high: 1 } },
  direction,
  metric: "loss",
  strategy: { name: "hyperband", options: {} },
  seed: 1,
  createdAt: 1_700_000_000_000,
});

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

// ---- the storage-level property -------------------------------------------------------------

const rungValue = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3, 0.5, -1) }, { weight: 2, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(null) });

/** A `hyperband` record: mostly well formed, some of every malformed kind the scan skips. */
const rungRecordArb: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ bracket: fc.constantFrom(0, 1, 2), rungs: fc.constant<JsonValue>([1, 3, 9, 27]), values: fc.array(rungValue, { maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.constantFrom<JsonValue>(null, "x", 3, [1, 2], { bracket: "0", values: [1] }, { bracket: 0, values: "1,2" }, { bracket: 0 }, { bracket: 1, values: [1, "2", null, 3] }) },
);

type Op =
  | { kind: "create"; h: number; record: JsonValue | undefined }
  | { kind: "rung"; h: number; pick: number; value: number | null }
  | { kind: "end"; h: number; pick: number; state: "complete" | "failed" | "pruned"; record: JsonValue | undefined }
  | { kind: "rewrite"; h: number; pick: number; record: JsonValue }
  | { kind: "takenBack"; h: number; pick: number; record: JsonValue; via: "report" | "create" }
  | { kind: "reopen"; h: number };

const handle = fc.nat({ max: 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("create" as const), h: handle, record: fc.option(rungRecordArb, { nil: undefined, freq: 6 }) }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("rung" as const), h: handle, pick: fc.nat(), value: rungValue }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("end" as const), h: handle, pick: fc.nat(), state: fc.constantFrom("complete" as const, "failed" as const, "pruned" as const), record: fc.option(rungRecordArb, { nil: undefined, freq: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("rewrite" as const), h: handle, pick: fc.nat(), record: rungRecordArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("takenBack" as const), h: handle, pick: fc.nat(), record: rungRecordArb, via: fc.constantFrom("report" as const, "create" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reopen" as const), h: handle }) },
);

/** One value more at the trial's next rung, as a strategy's decision records it. */
function withValue(system: Readonly<JsonObject>, value: number | null): JsonObject {
  const r = system["hyperband"];
  const rec = r !== null && typeof r === "object" && !Array.isArray(r) ? (r as JsonObject) : { bracket: 0, rungs: [1, 3, 9, 27] };
  const values = Array.isArray(rec["values"]) ? rec["values"] : [];
  return { hyperband: { ...rec, values: [...values, value] } };
}

const TAKEN_BACK = "taken back on purpose";

/**
 * Runs `ops` on handles of one study (for the journal, two storages on one file: two
 * processes; for memory, one storage, and a reopening is a copy of it), comparing index and
 * scan after every op, and inside the writes, on the state a strategy's decision sees.
 */
async function runOps(kind: "memory" | "journal", direction: Direction, ops: readonly Op[]): Promise<string[]> {
  const dir = kind === "journal" ? tempDir("rung-index") : undefined;
  const open = (): Storage => (dir ? new JournalStorage(dir) : new MemoryStorage());
  const handles: Storage[] = [open()];
  handles.push(dir ? open() : handles[0]!);
  const found: string[] = [];
  const check = (snap: StudySnapshot, where: string, extra: readonly number[] = []) => {
    indexed(snap);
    for (const d of disagreements(snap, extra)) found.push(`${where}: ${d}`);
  };
  try {
    for (const s of handles) await s.openStudy(spec(direction));
    let step = 0;
    for (const [i, op] of ops.entries()) {
      const s = handles[op.h]!;
      const snap = await s.load("rungs");
      const running = snap.trials.filter((t) => t.state === "running").map((t) => t.number);
      const where = `op ${i} (${op.kind})`;
      switch (op.kind) {
        case "create":
          await s.createTrial("rungs", () => ({ params: { x: 0.5 }, ...(op.record !== undefined ? { system: { hyperband: op.record } } : {}) }));
          break;
        case "rung": {
          if (!running.length) break;
          const n = running[op.pick % running.length]!;
          await s.report("rungs", n, ++step, { loss: op.value ?? 0 }, (now, t) => {
            check(now, `${where}, inside the report`, op.value === null ? [] : [op.value]);
            return { system: withValue(t.system, op.value) };
          });
          break;
        }
        case "end": {
          if (!running.length) break;
          const n = running[op.pick % running.length]!;
          await s.finishTrial("rungs", n, { state: op.state, ...(op.state === "complete" ? { value: 1 } : {}), ...(op.record !== undefined ? { system: { hyperband: op.record } } : {}) });
          break;
        }
        case "rewrite": {
          if (!snap.trials.length) break;
          await s.setSystem("rungs", op.pick % snap.trials.length, { hyperband: op.record });
          break;
        }
        case "takenBack": {
          // Another running trial is ended with a new record inside a write, the index reads
          // that state, and the write fails: everything it wrote is taken back.
          if (running.length < 2) break;
          const n = running[op.pick % running.length]!;
          const other = running[(op.pick + 1) % running.length]!;
          const failing = (now: StudySnapshot, w: { finish(trial: number, o: { state: "pruned"; system: JsonObject }): unknown }) => {
            w.finish(other, { state: "pruned", system: { hyperband: op.record } });
            check(now, `${where}, inside the write later taken back`);
            throw new Error(TAKEN_BACK);
          };
          const p = op.via === "report" ? s.report("rungs", n, ++step, { loss: 1 }, (now, _t, w) => failing(now, w)) : s.createTrial("rungs", (now, _n, w) => failing(now, w));
          await expect(p).rejects.toThrow(TAKEN_BACK);
          break;
        }
        case "reopen": {
          if (dir) {
            await handles[op.h]!.close();
            handles[op.h] = open();
            await handles[op.h]!.openStudy(spec(direction));
          } else {
            const copy = MemoryStorage.copyOf(snap);
            handles[0] = handles[1] = copy;
          }
          break;
        }
      }
      check(await handles[op.h]!.load("rungs"), where);
    }
  } finally {
    for (const s of new Set(handles)) await s.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  return found;
}

describe("the rung index answers as the scan", () => {
  it.each(["memory", "journal"] as const)("on every state of a %s study: records written, rewritten, malformed, taken back, shared, reopened", async (kind) => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Direction>("minimize", "maximize"), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (direction, ops) => {
        expect(await runOps(kind, direction, ops)).toEqual([]);
      }),
      { numRuns: kind === "memory" ? 100 : 40 },
    );
  }, 60_000);

  it("a write taken back after the index read it: the trials it changed read as before (regression: the replica's counters roll back, its log does not)", async () => {
    const found = await runOps("memory", "minimize", [
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
    const found = await runOps("journal", "maximize", [
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
