// Heartbeat options (checked through the catalog, in the DSL, study files and serve) and the
// stale sweep on the real journal: for any workers and any order of beats and asks, an ask fails
// exactly the trials of other workers whose last beat is older than the grace period, or whose
// process on this machine is gone, and every failed trial is run again once (retries max 1).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ProtocolSession } from "../../src/cli/protocol";
import { checkStudyFile } from "../../src/command/study-file";
import { tune, float } from "../../src/index";
import { failureOf, retryOf, workerKey, type WorkerIdentity } from "../../src/record/system";
import { encodeRecord } from "../../src/record/journal-format";
import { JOURNAL_VERSION } from "../../src/record/ops";
import { MemoryStorage } from "../../src/storage/base";
import { JournalStorage } from "../../src/storage/journal";
import { ownHolder, processStart } from "../../src/storage/lock";
import { DEFAULT_HEARTBEAT, ownOwner, resolveHeartbeat } from "../../src/study/heartbeat";
import { Study } from "../../src/study/study";
import { TunelabError } from "../../src/util/errors";

const SPACE = { x: { type: "float", low: 0, high: 1 } } as const;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-beat-"));
  dirs.push(d);
  return d;
}

function codeOf(f: () => unknown): { code: string; field: string | undefined } | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TunelabError);
    return { code: (e as TunelabError).code, field: (e as TunelabError).field };
  }
  return undefined;
}

describe("heartbeat options", () => {
  it("defaults: a beat every 10 s, a grace of 60 s; one given, the other follows it", () => {
    expect(resolveHeartbeat(undefined)).toEqual({ intervalMs: 10_000, graceMs: 60_000 });
    expect(DEFAULT_HEARTBEAT).toEqual({ intervalMs: 10_000, graceMs: 60_000 });
    expect(resolveHeartbeat({ graceSeconds: 1.5 })).toEqual({ intervalMs: 250, graceMs: 1500 });
    expect(resolveHeartbeat({ intervalSeconds: 30 })).toEqual({ intervalMs: 30_000, graceMs: 180_000 });
    expect(resolveHeartbeat({ intervalSeconds: 0.2, graceSeconds: 1 })).toEqual({ intervalMs: 200, graceMs: 1000 });
  });

  it("bad values are refused from the catalog, naming the field", () => {
    expect(codeOf(() => resolveHeartbeat({ intervalSeconds: 0 }))).toEqual({ code: "heartbeat.bad_value", field: "heartbeat.intervalSeconds" });
    expect(codeOf(() => resolveHeartbeat({ graceSeconds: "60" }))).toEqual({ code: "heartbeat.bad_value", field: "heartbeat.graceSeconds" });
    expect(codeOf(() => resolveHeartbeat({ intervalSeconds: 10, graceSeconds: 15 }))).toEqual({ code: "heartbeat.grace_too_short", field: "heartbeat.graceSeconds" });
    expect(codeOf(() => resolveHeartbeat({ interval: 10 }))).toEqual({ code: "option.unknown", field: "heartbeat.interval" });
    expect(codeOf(() => resolveHeartbeat(10))).toMatchObject({ code: "option.bad_value", field: "heartbeat" });
    expect(codeOf(() => tune("t").heartbeat({ intervalSeconds: -1 }))).toEqual({ code: "heartbeat.bad_value", field: "heartbeat.intervalSeconds" });
    const file = { study: "s", space: SPACE, direction: "minimize", command: ["true"] };
    expect(codeOf(() => checkStudyFile({ ...file, heartbeat: { graceSeconds: 0.01 } }, os.tmpdir()))).toEqual({ code: "heartbeat.bad_value", field: "heartbeat.graceSeconds" });
    expect(checkStudyFile({ ...file, heartbeat: { graceSeconds: 3 } }, os.tmpdir()).heartbeat).toEqual({ intervalSeconds: 0.5, graceSeconds: 3 });
  });

  it("any input: either a policy that keeps its rules or a catalog error on a heartbeat field", () => {
    const value = fc.oneof(fc.double(), fc.integer({ min: -5, max: 200_000 }), fc.constant(undefined), fc.string(), fc.constant(null));
    fc.assert(
      fc.property(fc.record({ intervalSeconds: value, graceSeconds: value }, { requiredKeys: [] }), (input) => {
        let p;
        try {
          p = resolveHeartbeat(input);
        } catch (e) {
          expect(e).toBeInstanceOf(TunelabError);
          expect(["heartbeat.bad_value", "heartbeat.grace_too_short"]).toContain((e as TunelabError).code);
          expect((e as TunelabError).field).toMatch(/^heartbeat\.(intervalSeconds|graceSeconds)$/);
          return;
        }
        expect(p.intervalMs).toBeGreaterThanOrEqual(50);
        expect(p.intervalMs).toBeLessThanOrEqual(3_600_000);
        expect(p.graceMs).toBeGreaterThanOrEqual(2 * p.intervalMs);
        expect(p.graceMs).toBeLessThanOrEqual(86_400_000);
      }),
      { numRuns: 300 },
    );
  });

  it("serve's create takes heartbeat and retries (additions), refused with the field at fault", async () => {
    const session = new ProtocolSession({ log: () => undefined, cwd: tempDir() });
    const create = { op: "create", study: "s", space: SPACE, direction: "minimize", strategy: "random", storage: "store" };
    const bad = await session.handle({ ...create, heartbeat: { intervalSeconds: 5, graceSeconds: 6 } });
    expect(bad.reply).toMatchObject({ ok: false, code: "heartbeat.grace_too_short", field: "heartbeat.graceSeconds" });
    expect((await session.handle({ ...create, retries: { max: -1 } })).reply).toMatchObject({ ok: false, field: "retries.max" });
    expect((await session.handle({ ...create, heartbeat: { graceSeconds: 2 }, retries: { max: 1 } })).reply).toMatchObject({ ok: true });
    const asked = await session.handle({ op: "ask", study: "s" });
    expect(asked.reply).toMatchObject({ ok: true, trial: 0 });
    await session.close();
  });

  it("a study in memory has none: no owner recorded, no heartbeat thread", async () => {
    const study = await Study.open({ name: "m", space: SPACE, direction: "minimize", storage: new MemoryStorage(), heartbeat: { graceSeconds: 2 } });
    expect(study.heartbeat).toBeUndefined();
    const t = await study.ask();
    expect(t!.system).toEqual({});
    const onDisk = await Study.open({ name: "d", space: SPACE, direction: "minimize", storage: new JournalStorage(tempDir()) });
    expect(onDisk.heartbeat).toEqual(DEFAULT_HEARTBEAT);
    const u = await onDisk.ask();
    expect(u!.system["owner"]).toEqual(ownOwner().record);
    await onDisk.tell(u!.number, { value: 1 });
    onDisk.releaseHeartbeat();
  });
});

// ---- the sweep, on the journal ----------------------------------------------------------------

type Kind = "remote" | "localAlive" | "localDead" | "mine";
const GRACE_S = 4;
/** Beat ages (s) well clear of the grace period: none (the trial's start counts), fresh, stale. */
const AGES = [null, 1, 7] as const;

function ownerOf(kind: Kind, i: number, deadPid: number): Record<string, unknown> {
  const me = ownHolder();
  switch (kind) {
    case "mine":
      return ownOwner().record as Record<string, unknown>;
    case "remote":
      return { host: `gpu-${i}`, pid: 100 + i, start: 1_700_000_000_000 + i, boot: `boot-${i}`, pidns: null, ticks: "1" };
    case "localAlive":
      // The test runner's parent: alive, on this machine, and not this process.
      return { host: me.host, pid: process.ppid, start: 1_700_000_000_000 + i, boot: me.boot, pidns: me.pidns, ticks: processStart(process.ppid) };
    case "localDead":
      return { host: me.host, pid: deadPid, start: 1_700_000_000_000 + i, boot: me.boot, pidns: me.pidns, ticks: "1" };
  }
}

describe("the stale sweep on the journal", () => {
  it("any workers, any beats between asks: an ask fails exactly the others' trials silent past the grace or whose local process is gone; each failed trial runs again once", async () => {
    const deadPid = spawnSync("true").pid!;
    const owners = fc.array(
      fc.record({ kind: fc.constantFrom<Kind>("remote", "remote", "localAlive", "localDead", "mine"), trials: fc.integer({ min: 1, max: 2 }), startAge: fc.constantFrom(1, 10) }),
      { minLength: 1, maxLength: 4 },
    );
    const rounds = (n: number) => fc.array(fc.array(fc.constantFrom(...AGES), { minLength: n, maxLength: n }), { minLength: 1, maxLength: 3 });
    await fc.assert(
      fc.asyncProperty(
        owners.chain((os_) => fc.tuple(fc.constant(os_), rounds(os_.length))),
        async ([workers, ages]) => {
          const dir = tempDir();
          // The workers' trials, each created with its owner as its ask would have, `startAge` s ago
          // (the journal written as those asks wrote it).
          const t0 = Date.now();
          const spec = { name: "p", space: SPACE, direction: "minimize" as const, metric: "value", strategy: { name: "random", options: {} }, seed: 1, createdAt: t0 - 60_000 };
          const lines = [encodeRecord({ op: "study", v: JOURNAL_VERSION, spec })];
          const trialOwner: number[] = [];
          const keys: string[] = [];
          for (const [i, w] of workers.entries()) {
            const owner = ownerOf(w.kind, i, deadPid);
            keys.push(workerKey(owner as unknown as WorkerIdentity));
            for (let k = 0; k < w.trials; k++) {
              lines.push(encodeRecord({ op: "trial", n: trialOwner.length, params: { x: 0.5 }, t: t0 - w.startAge * 1000, sys: { owner: owner as never } }));
              trialOwner.push(i);
            }
          }
          fs.writeFileSync(path.join(dir, "p.jsonl"), lines.join("\n") + "\n");
          const storage = new JournalStorage(dir);
          const study = await Study.open({ name: "p", space: SPACE, direction: "minimize", storage, retries: { max: 1 }, heartbeat: { intervalSeconds: 1, graceSeconds: GRACE_S } });
          const n = trialOwner.length;
          const expectedFailed = new Map<number, string>();
          for (const round of ages) {
            const now = Date.now() / 1000;
            for (const [i, w] of workers.entries()) {
              const mine = trialOwner.flatMap((o, t) => (o === i ? [t] : []));
              const age = round[i]!;
              // (Two "mine" owners are one worker: the last beat written is its beat.)
              await storage.heartbeat("p", keys[i]!, age === null ? [] : mine);
              if (age !== null) {
                const beats = path.join(dir, "p.jsonl.beats");
                for (const f of fs.readdirSync(beats)) {
                  if (JSON.parse(fs.readFileSync(path.join(beats, f), "utf8")).owner === keys[i]) fs.utimesSync(path.join(beats, f), now - age, now - age);
                }
              }
              if (w.kind === "mine") continue;
              // Its last sign of life: its last beat, or its start if that came later.
              const silent = Math.min(age ?? Infinity, w.startAge);
              for (const t of mine) {
                if (expectedFailed.has(t)) continue;
                if (w.kind === "localDead") expectedFailed.set(t, "orphaned");
                else if (silent > GRACE_S) expectedFailed.set(t, "stale");
              }
            }
            await study.ask();
            const trials = study.snapshot.trials;
            for (let t = 0; t < n; t++) {
              const cause = expectedFailed.get(t);
              if (cause === undefined) expect(trials[t]!.state, `trial ${t}`).toBe("running");
              else expect(failureOf(trials[t]!.system), `trial ${t}`).toMatchObject({ cause, retry: "requested" });
            }
          }
          // Every failed trial is run again, once: a copy per ask until none is owed.
          for (let i = 0; i < expectedFailed.size; i++) await study.ask();
          const copies = study.snapshot.trials.filter((t) => retryOf(t.system) !== undefined);
          expect(copies.map((t) => retryOf(t.system)!.from).sort((a, b) => a - b)).toEqual([...expectedFailed.keys()].sort((a, b) => a - b));
          for (const c of copies) expect(c.system["owner"]).toEqual(ownOwner().record);
          // This worker's own trials (its copies included) are never judged.
          for (const t of study.snapshot.trials) if (t.number >= n) expect(t.state).toBe("running");
          study.releaseHeartbeat(true);
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);
});
