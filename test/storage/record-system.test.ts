// The trial-record schema (src/record/system.ts): every reader takes any record (a journal, a
// database or a notebook payload may hold anything) and returns undefined or a value of its
// documented shape, never throws; and it reads back what the engine writes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as S from "../../src/record/system";

const readers = {
  gridPositionOf: S.gridPositionOf,
  queuePositionOf: S.queuePositionOf,
  rungRecordOf: S.rungRecordOf,
  modelRecordOf: S.modelRecordOf,
  gpThetaOf: S.gpThetaOf,
  stopCauseOf: S.stopCauseOf,
  failureOf: S.failureOf,
  retryOf: S.retryOf,
  retryFromOf: S.retryFromOf,
  processOf: S.processOf,
  commandOf: S.commandOf,
  commandLogOf: S.commandLogOf,
  lostOf: S.lostOf,
  ownerOf: S.ownerOf,
};

/** A record whose schema keys hold anything, often something close to the right shape. */
const nearly = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record({ bracket: fc.oneof(fc.integer({ min: -2, max: 70 }), fc.double()), rungs: fc.array(fc.oneof(fc.double(), fc.constant(null)), { maxLength: 70 }), values: fc.oneof(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 70 }), fc.string()) }),
  fc.record({ kind: fc.constantFrom("infrastructure", "other"), cause: fc.jsonValue({ maxDepth: 1 }), retry: fc.constantFrom("requested", "exhausted", "off", "maybe"), copy: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
  fc.record({ argv: fc.oneof(fc.array(fc.string(), { maxLength: 3 }), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 })), log: fc.jsonValue({ maxDepth: 1 }), tail: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] }),
);
const record = fc.dictionary(fc.constantFrom(...S.SYSTEM_KEYS, "other"), nearly, { maxKeys: 8 });

describe("the trial-record schema", () => {
  it("property: every reader, on any record (or none), returns undefined or its documented shape and never throws", () => {
    fc.assert(
      fc.property(fc.oneof(record, fc.constant(null), fc.constant(undefined)), (sys) => {
        for (const [name, read] of Object.entries(readers)) {
          const v = (read as (s: S.SystemRecord) => unknown)(sys as S.SystemRecord);
          if (v === undefined) continue;
          switch (name) {
            case "gridPositionOf":
            case "queuePositionOf":
              expect(Number.isSafeInteger(v) && (v as number) >= 0).toBe(true);
              break;
            case "rungRecordOf": {
              const r = v as S.RungRecord;
              expect(Number.isInteger(r.bracket) && r.bracket >= 0 && r.bracket <= S.MAX_BRACKET).toBe(true);
              expect(r.rungs.length).toBeLessThanOrEqual(S.MAX_RUNGS);
              r.rungs.forEach((x, i) => expect(Number.isFinite(x) && (i === 0 || x > r.rungs[i - 1]!)).toBe(true));
              expect(r.values.every((x) => x === null || typeof x === "number")).toBe(true);
              break;
            }
            case "stopCauseOf":
              expect(S.StopCauses).toContain(v);
              break;
            case "failureOf":
              expect(["requested", "exhausted", "off"]).toContain((v as S.FailureRecord).retry);
              expect(typeof (v as S.FailureRecord).cause).toBe("string");
              break;
            case "commandOf":
              expect((v as S.CommandRecord).argv.every((a) => typeof a === "string")).toBe(true);
              expect(typeof (v as S.CommandRecord).log).toBe("string");
              break;
            case "gpThetaOf":
              expect((v as number[]).every(Number.isFinite)).toBe(true);
              break;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reads back what the engine writes", () => {
    const sys = {
      grid: 7,
      queued: 2,
      hyperband: { bracket: 1, rungs: [3, 9], values: [0.5] },
      model: { budget: 9, gp: { theta: [0.1, 0.2] } },
      gp: { theta: [1, 2, 3] },
      stopped: "rung",
      failure: { kind: "infrastructure", cause: "stale", retry: "requested", copy: { grid: 7 } },
      retry: { of: 3, from: 5, attempt: 2, history: [{ trial: 3 }, { trial: 5 }] },
      process: { pid: 10, start: "99", host: "h", boot: "b", owner: { pid: 1, start: "5" } },
      command: { argv: ["python", "t.py"], log: "t/5/output.log", tail: "done" },
      lost: { line: 12 },
      owner: { host: "gpu-3", pid: 4242, start: 1_700_000_000_000 },
    };
    expect(S.gridPositionOf(sys)).toBe(7);
    expect(S.queuePositionOf(sys)).toBe(2);
    expect(S.rungRecordOf(sys)).toEqual({ bracket: 1, rungs: [3, 9], values: [0.5] });
    expect(S.modelRecordOf(sys)).toEqual({ budget: 9, gp: { theta: [0.1, 0.2] } });
    expect(S.gpThetaOf(sys)).toEqual([1, 2, 3]);
    expect(S.stopCauseOf(sys)).toBe("rung");
    expect(S.failureOf(sys)).toEqual({ kind: "infrastructure", cause: "stale", retry: "requested", copy: { grid: 7 } });
    expect(S.retryOf(sys)).toEqual({ of: 3, from: 5, attempt: 2, history: [{ trial: 3 }, { trial: 5 }] });
    expect(S.retryFromOf(sys)).toBe(5);
    expect(S.processOf(sys)?.owner.pid).toBe(1);
    expect(S.commandOf(sys)).toEqual({ argv: ["python", "t.py"], log: "t/5/output.log", tail: "done" });
    expect(S.lostOf(sys)).toEqual({ line: 12 });
    expect(S.ownerOf(sys)).toEqual({ host: "gpu-3", pid: 4242, start: 1_700_000_000_000 });
    expect(S.workerKey(S.ownerOf(sys)!)).toBe("gpu-3/4242/1700000000000");
    expect(S.stoppedBy("median")).toEqual({ stopped: "median" });
  });
});
