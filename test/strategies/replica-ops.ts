// Random sequences of what storages do to a study, for the properties of strategies that keep
// incremental state derived from a snapshot (the rung index, the median rule's sorted values):
// trials created with or without (or with malformed) `hyperband` records, values reported
// with a decision stored in the same write, trials ended in every state, records rewritten
// afterwards, writes taken back after the strategy had read their state, a second handle on
// the same journal (another process), and the study reopened (a fresh replica).
import * as fs from "node:fs";
import fc from "fast-check";
import { expect } from "vitest";
import type { Direction, StudySnapshot, StudySpec } from "../../src/model/trial";
import { MemoryStorage } from "../../src/storage/base";
import { JournalStorage } from "../../src/storage/journal";
import type { Storage, WriteContext } from "../../src/storage/storage";
import type { JsonObject, JsonValue } from "../../src/util/json";
import { tempDir } from "../storage/workers/build";

export const STUDY = "ops";

export const opsSpec = (direction: Direction): StudySpec => ({
  name: STUDY,
  space: { x: { type: "float", low: 0, high: 1 } },
  direction,
  metric: "loss",
  strategy: { name: "hyperband", options: {} },
  seed: 1,
  createdAt: 1_700_000_000_000,
});

export const rungValue = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2, 3, 0.5, -1) }, { weight: 2, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) }, { weight: 1, arbitrary: fc.constant(null) });

/** A `hyperband` record: mostly well formed, some of every malformed kind the promotion rule skips. */
export const rungRecordArb: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ bracket: fc.constantFrom(0, 1, 2), rungs: fc.constant<JsonValue>([1, 3, 9, 27]), values: fc.array(rungValue, { maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.constantFrom<JsonValue>(null, "x", 3, [1, 2], { bracket: "0", values: [1] }, { bracket: 0, values: "1,2" }, { bracket: 0 }, { bracket: 1, values: [1, "2", null, 3] }) },
);

export type Op =
  | { kind: "create"; h: number; record: JsonValue | undefined }
  /** The next step of a running trial (a null value reports 0 and records null at the rung). */
  | { kind: "rung"; h: number; pick: number; value: number | null }
  | { kind: "end"; h: number; pick: number; state: "complete" | "failed" | "pruned"; record: JsonValue | undefined }
  | { kind: "rewrite"; h: number; pick: number; record: JsonValue }
  | { kind: "takenBack"; h: number; pick: number; record: JsonValue; via: "report" | "create" }
  | { kind: "reopen"; h: number };

const handle = fc.nat({ max: 1 });
export const opArb: fc.Arbitrary<Op> = fc.oneof(
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

/** What a check is told besides the snapshot: where it runs, and the value just reported (if any). */
export type Check = (snap: StudySnapshot, where: string, reported?: number) => string[];

/**
 * Runs `ops` on handles of one study (for the journal, two storages on one file: two
 * processes; for memory, one storage, and a reopening is a copy of it), calling `check` after
 * every op and inside the writes, on the state a strategy's decision sees. Resolves to every
 * problem `check` found.
 */
export async function runOps(kind: "memory" | "journal", direction: Direction, ops: readonly Op[], check: Check): Promise<string[]> {
  const dir = kind === "journal" ? tempDir("replica-ops") : undefined;
  const open = (): Storage => (dir ? new JournalStorage(dir) : new MemoryStorage());
  const handles: Storage[] = [open()];
  handles.push(dir ? open() : handles[0]!);
  const found: string[] = [];
  const look = (snap: StudySnapshot, where: string, reported?: number) => found.push(...check(snap, where, reported));
  try {
    for (const s of handles) await s.openStudy(opsSpec(direction));
    for (const [i, op] of ops.entries()) {
      const s = handles[op.h]!;
      const snap = await s.load(STUDY);
      const running = snap.trials.filter((t) => t.state === "running").map((t) => t.number);
      const next = (n: number) => (snap.trials[n]!.intermediate.at(-1)?.[0] ?? 0) + 1;
      const where = `op ${i} (${op.kind})`;
      switch (op.kind) {
        case "create":
          await s.createTrial(STUDY, () => ({ params: { x: 0.5 }, ...(op.record !== undefined ? { system: { hyperband: op.record } } : {}) }));
          break;
        case "rung": {
          if (!running.length) break;
          const n = running[op.pick % running.length]!;
          await s.report(STUDY, n, next(n), { loss: op.value ?? 0 }, (now, t) => {
            look(now, `${where}, inside the report`, op.value ?? 0);
            return { system: withValue(t.system, op.value) };
          });
          break;
        }
        case "end": {
          if (!running.length) break;
          const n = running[op.pick % running.length]!;
          await s.finishTrial(STUDY, n, { state: op.state, ...(op.state === "complete" ? { value: 1 } : {}), ...(op.record !== undefined ? { system: { hyperband: op.record } } : {}) });
          break;
        }
        case "rewrite": {
          if (!snap.trials.length) break;
          await s.setSystem(STUDY, op.pick % snap.trials.length, { hyperband: op.record });
          break;
        }
        case "takenBack": {
          // Another running trial is ended with a new record inside a write, the check reads
          // that state, and the write fails: everything it wrote is taken back.
          if (running.length < 2) break;
          // The other trial is the one with the most reports: its values count in medians.
          const n = running[op.pick % running.length]!;
          const others = running.filter((m) => m !== n);
          const other = others.reduce((a, b) => (snap.trials[b]!.intermediate.length > snap.trials[a]!.intermediate.length ? b : a));
          const failing = (now: StudySnapshot, w: WriteContext): never => {
            w.finish(other, { state: op.pick % 2 ? "pruned" : "complete", value: 1, system: { hyperband: op.record } });
            look(now, `${where}, inside the write later taken back`);
            throw new Error(TAKEN_BACK);
          };
          const p = op.via === "report" ? s.report(STUDY, n, next(n), { loss: 1 }, (now, _t, w) => failing(now, w)) : s.createTrial(STUDY, (now, _n, w) => failing(now, w));
          await expect(p).rejects.toThrow(TAKEN_BACK);
          break;
        }
        case "reopen": {
          if (dir) {
            await handles[op.h]!.close();
            handles[op.h] = open();
            await handles[op.h]!.openStudy(opsSpec(direction));
          } else {
            const copy = MemoryStorage.copyOf(snap);
            handles[0] = handles[1] = copy;
          }
          break;
        }
      }
      look(await handles[op.h]!.load(STUDY), where);
    }
  } finally {
    for (const s of new Set(handles)) await s.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
  return found;
}
