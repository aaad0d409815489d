// The Storage contract (src/storage/storage.ts), once for every implementation (memory, the
// journal, PostgreSQL on a throwaway cluster: test/helpers/postgres.ts), as Optuna's
// StorageTestCase. A new storage adds one row to `implementations`.
import * as fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { StudySnapshot, StudySpec } from "../../src/model/trial";
import { MemoryStorage } from "../../src/storage/base";
import { JournalStorage } from "../../src/storage/journal";
import type { Storage } from "../../src/storage/storage";
import { TunelabError } from "../../src/util/errors";
import { PostgresStorage } from "../../src/storage/postgres";
import { testDatabase } from "../helpers/postgres";
import { tempDir } from "./workers/build";

interface Backend {
  /** The storage under test. */
  readonly storage: Storage;
  /**
   * Another handle onto the same stored data, as a second process (or a later
   * session) would open it. For a storage that lives in one object (memory)
   * that object itself.
   */
  another(): Storage;
  cleanup(): Promise<void>;
}

const implementations: [string, () => Backend | Promise<Backend>][] = [
  [
    "MemoryStorage",
    () => {
      const storage = new MemoryStorage();
      return { storage, another: () => storage, cleanup: () => storage.close() };
    },
  ],
  [
    "JournalStorage",
    () => {
      const dir = tempDir("contract");
      const warnings: string[] = [];
      const make = () => new JournalStorage(dir, { onWarning: (m) => warnings.push(m) });
      const storage = make();
      return {
        storage,
        another: make,
        cleanup: async () => {
          await storage.close();
          fs.rmSync(dir, { recursive: true, force: true });
          // A healthy store never has anything to warn about.
          expect(warnings).toEqual([]);
        },
      };
    },
  ],
  [
    "PostgresStorage",
    async () => {
      const { url } = await testDatabase("contract");
      const warnings: string[] = [];
      const handles: Storage[] = [];
      const make = () => {
        const s = new PostgresStorage(url, { onWarning: (m) => warnings.push(m) });
        handles.push(s);
        return s;
      };
      const storage = make();
      return {
        storage,
        another: make,
        cleanup: async () => {
          for (const h of handles) await h.close();
          expect(warnings).toEqual([]);
        },
      };
    },
  ],
];

function spec(name: string, over: Partial<StudySpec> = {}): StudySpec {
  return {
    name,
    space: { x: { type: "float", low: 0, high: 1 }, k: { type: "categorical", choices: ["a", "b"] } },
    direction: "minimize",
    metric: "loss",
    strategy: { name: "random", options: {} },
    seed: 42,
    createdAt: 1_700_000_000_000,
    ...over,
  };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TunelabError);
    return (e as TunelabError).code;
  }
  throw new Error("expected the call to fail");
}

describe.each(implementations)("Storage contract: %s", (_name, makeBackend) => {
  let b: Backend;
  let s: Storage;
  const study = "st";
  const trial = (i: number) => () => ({ params: { x: i / 10, k: "a" } });
  const open = () => s.openStudy(spec(study));

  beforeEach(async () => {
    b = await makeBackend();
    s = b.storage;
  });
  afterEach(async () => {
    await b.cleanup();
  });

  it("has a description", () => {
    expect(typeof s.description).toBe("string");
    expect(s.description.length).toBeGreaterThan(0);
  });

  it("openExisting opens a stored study with its own spec and trials (another handle), and never creates one", async () => {
    expect(await s.openExisting("nobody")).toBeUndefined();
    expect(await s.listStudies()).toEqual([]);
    await open();
    await s.createTrial(study, trial(3));
    const other = b.another();
    expect(await other.openExisting("nobody")).toBeUndefined();
    const snap = await other.openExisting(study);
    expect(snap?.spec).toEqual(spec(study));
    expect(snap?.trials.map((t) => t.params)).toEqual([{ x: 0.3, k: "a" }]);
    // Opened like any study: it writes and reads as one.
    const made = await other.createTrial(study, trial(4));
    expect(made.trial?.number).toBe(1);
    expect((await s.load(study)).trials).toHaveLength(2);
    expect(await s.listStudies()).toEqual([study]);
  });

  it("openStudy creates a study with the given spec and no trials", async () => {
    const snap = await open();
    expect(snap.spec).toEqual(spec(study));
    expect(snap.trials).toEqual([]);
    expect(snap.queue).toEqual([]);
    expect(await s.listStudies()).toEqual([study]);
    expect((await s.load(study)).spec).toEqual(spec(study));
  });

  it("opening an existing study returns the stored spec and its trials, on this handle and another", async () => {
    await open();
    await s.createTrial(study, trial(1));
    const other = spec(study, { seed: 7, direction: "maximize", createdAt: 5 });
    const again = await s.openStudy(other);
    expect(again.spec).toEqual(spec(study));
    expect(again.trials).toHaveLength(1);
    const fresh = await b.another().openStudy(other);
    expect(fresh.spec).toEqual(spec(study));
    expect(fresh.trials.map((t) => t.params)).toEqual([{ x: 0.1, k: "a" }]);
  });

  it("createTrial numbers trials 0, 1, 2 and records them as running", async () => {
    await open();
    const seen: [number, number][] = [];
    for (let i = 0; i < 3; i++) {
      const { trial: t, snapshot } = await s.createTrial(study, (snap, n) => {
        seen.push([n, snap.trials.length]);
        return { params: { x: n / 10, k: "b" }, system: { pos: n }, ...(n === 2 ? { budget: 9 } : {}) };
      });
      expect(t).toMatchObject({ number: i, state: "running", params: { x: i / 10, k: "b" }, system: { pos: i }, metrics: {}, intermediate: [], curves: {} });
      expect(typeof t!.startedAt).toBe("number");
      expect(t!.finishedAt).toBeUndefined();
      expect(snapshot.trials).toHaveLength(i + 1);
      expect(snapshot.trials[i]).toEqual(t);
    }
    // propose sees the latest state and the number the trial will get.
    expect(seen).toEqual([[0, 0], [1, 1], [2, 2]]);
    const snap = await s.load(study);
    expect(snap.trials[2]!.budget).toBe(9);
    expect(snap.trials[0]!.budget).toBeUndefined();
  });

  it("concurrent createTrial calls get distinct numbers without gaps", async () => {
    await open();
    const results = await Promise.all([...Array(20).keys()].map((i) => s.createTrial(study, () => ({ params: { x: i / 20, k: "a" } }))));
    expect(results.map((r) => r.trial!.number).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    const snap = await b.another().openStudy(spec(study));
    expect(snap.trials.map((t) => t.number)).toEqual([...Array(20).keys()]);
  });

  it("propose returning undefined creates nothing", async () => {
    await open();
    await s.createTrial(study, trial(0));
    const r = await s.createTrial(study, () => undefined);
    expect(r.trial).toBeUndefined();
    expect(r.snapshot.trials).toHaveLength(1);
    const { trial: t } = await s.createTrial(study, trial(2));
    expect(t!.number).toBe(1);
    expect((await b.another().openStudy(spec(study))).trials).toHaveLength(2);
  });

  it("propose throwing creates nothing and leaves the storage usable", async () => {
    await open();
    await expect(
      s.createTrial(study, () => {
        throw new Error("no idea");
      }),
    ).rejects.toThrow("no idea");
    const { trial: t } = await s.createTrial(study, trial(0));
    expect(t!.number).toBe(0);
  });

  it("report appends intermediate values (the metric) and curves (other metrics)", async () => {
    await open();
    await s.createTrial(study, trial(0));
    await s.report(study, 0, 0, { loss: 1.5, acc: 0.2 });
    const r = await s.report(study, 0, 3, { loss: 1.0 });
    await s.report(study, 0, 4, { acc: 0.6 });
    const t = (await s.load(study)).trials[0]!;
    expect(r.trial.intermediate).toEqual([[0, 1.5], [3, 1.0]]);
    expect(t.intermediate).toEqual([[0, 1.5], [3, 1.0]]);
    expect(t.curves).toEqual({ acc: [[0, 0.2], [4, 0.6]] });
    expect(t.state).toBe("running");
    expect((await b.another().openStudy(spec(study))).trials[0]!.curves).toEqual({ acc: [[0, 0.2], [4, 0.6]] });
  });

  it("report: steps must increase; unknown and finished trials are refused", async () => {
    await open();
    await s.createTrial(study, trial(0));
    await s.report(study, 0, 2, { loss: 1 });
    expect(await code(s.report(study, 0, 2, { loss: 0.5 }))).toBe("trial.bad_step");
    expect(await code(s.report(study, 0, 1, { loss: 0.5 }))).toBe("trial.bad_step");
    expect(await code(s.report(study, 5, 0, { loss: 1 }))).toBe("trial.unknown");
    await s.finishTrial(study, 0, { state: "complete", value: 1 });
    expect(await code(s.report(study, 0, 3, { loss: 1 }))).toBe("trial.finished");
    expect((await s.load(study)).trials[0]!.intermediate).toEqual([[2, 1]]);
  });

  it("setSystem merges into the trial's system record", async () => {
    await open();
    await s.createTrial(study, () => ({ params: { x: 0, k: "a" }, system: { grid: 3, keep: true } }));
    await s.setSystem(study, 0, { rung: 1 });
    const r = await s.setSystem(study, 0, { rung: 2, note: "x" });
    expect(r.trial.system).toEqual({ grid: 3, keep: true, rung: 2, note: "x" });
    expect((await b.another().openStudy(spec(study))).trials[0]!.system).toEqual({ grid: 3, keep: true, rung: 2, note: "x" });
    expect(await code(s.setSystem(study, 1, { a: 1 }))).toBe("trial.unknown");
  });

  it("finishTrial ends a running trial once, as complete, failed or pruned", async () => {
    await open();
    for (let i = 0; i < 3; i++) await s.createTrial(study, trial(i));
    await s.report(study, 2, 1, { loss: 0.7 });
    const c = await s.finishTrial(study, 0, { state: "complete", value: 0.25, metrics: { loss: 0.25, acc: 0.9 } });
    expect(c.trial).toMatchObject({ number: 0, state: "complete", value: 0.25, metrics: { loss: 0.25, acc: 0.9 } });
    expect(typeof c.trial.finishedAt).toBe("number");
    const f = await s.finishTrial(study, 1, { state: "failed", error: "exploded", system: { stopped: "timeout" } });
    expect(f.trial).toMatchObject({ state: "failed", error: "exploded", system: { stopped: "timeout" } });
    expect(f.trial.value).toBeUndefined();
    const p = await s.finishTrial(study, 2, { state: "pruned", value: 0.7 });
    expect(p.trial).toMatchObject({ state: "pruned", value: 0.7, intermediate: [[1, 0.7]] });
    expect(p.snapshot.trials.map((t) => t.state)).toEqual(["complete", "failed", "pruned"]);

    const e = await s.finishTrial(study, 0, { state: "failed", error: "again" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TunelabError);
    expect((e as TunelabError).code).toBe("trial.finished");
    expect((e as TunelabError).field).toBe("trial");
    expect(await code(s.finishTrial(study, 2, { state: "complete", value: 1 }))).toBe("trial.finished");
    expect(await code(s.finishTrial(study, 3, { state: "complete", value: 1 }))).toBe("trial.unknown");
    // The refused second end changed nothing, here or for another reader.
    for (const snap of [await s.load(study), await b.another().openStudy(spec(study))]) {
      expect(snap.trials[0]).toMatchObject({ state: "complete", value: 0.25 });
      expect(snap.trials[0]!.error).toBeUndefined();
      expect(snap.trials[1]).toMatchObject({ state: "failed", error: "exploded" });
    }
  });

  it("a trial finished through another handle cannot be finished again through this one", async () => {
    await open();
    await s.createTrial(study, trial(0));
    const other = b.another();
    await other.openStudy(spec(study));
    await other.finishTrial(study, 0, { state: "complete", value: 1 });
    expect(await code(s.finishTrial(study, 0, { state: "complete", value: 2 }))).toBe("trial.finished");
    expect((await s.load(study)).trials[0]!.value).toBe(1);
  });

  it("enqueue keeps configurations in order", async () => {
    await open();
    await s.enqueue(study, { x: 0.5, k: "b" });
    const snap = await s.enqueue(study, { x: 0.25, k: "a" });
    expect(snap.queue).toEqual([{ x: 0.5, k: "b" }, { x: 0.25, k: "a" }]);
    expect((await b.another().openStudy(spec(study))).queue).toEqual([{ x: 0.5, k: "b" }, { x: 0.25, k: "a" }]);
  });

  it("listStudies names every study, studies are independent", async () => {
    expect(await s.listStudies()).toEqual([]);
    const names = ["beta", "alpha", "with/slash", "dots.in.name", "ünïcode ✓"];
    for (const n of names) await s.openStudy(spec(n));
    expect((await s.listStudies()).sort()).toEqual([...names].sort());
    expect((await b.another().listStudies()).sort()).toEqual([...names].sort());
    await s.createTrial("alpha", trial(0));
    expect((await s.load("alpha")).trials).toHaveLength(1);
    expect((await s.load("beta")).trials).toHaveLength(0);
    expect((await s.load("with/slash")).spec.name).toBe("with/slash");
  });

  it("report stores the decision made on the reported value in the same write, seeing the state the write holds", async () => {
    await open();
    await s.createTrial(study, trial(0));
    await s.createTrial(study, trial(1));
    const other = b.another();
    await other.openStudy(spec(study));
    await other.report(study, 1, 3, { loss: 0.5 });
    // This handle has not read trial 1's report; the decision is made on the write's state.
    const seen: number[] = [];
    const r = await s.report(study, 0, 3, { loss: 0.9 }, (snap, t) => {
      seen.push(snap.trials[1]!.intermediate.length, t.intermediate.length);
      return { system: { rung: { values: [0.9] } }, stop: true };
    });
    expect(seen).toEqual([1, 1]);
    expect(r.decision).toEqual({ system: { rung: { values: [0.9] } }, stop: true });
    expect(r.trial.system).toEqual({ rung: { values: [0.9] } });
    const t = (await b.another().openStudy(spec(study))).trials[0]!;
    expect(t.intermediate).toEqual([[3, 0.9]]);
    expect(t.system).toEqual({ rung: { values: [0.9] } });
    // A refused report records neither the value nor a decision.
    expect(await code(s.report(study, 0, 2, { loss: 0.1 }, () => ({ system: { no: 1 } })))).toBe("trial.bad_step");
    expect((await b.another().openStudy(spec(study))).trials[0]!.system).toEqual({ rung: { values: [0.9] } });
  });

  it("a decision that throws records nothing of its write", async () => {
    await open();
    await s.createTrial(study, trial(0));
    await expect(
      s.report(study, 0, 1, { loss: 1 }, () => {
        throw new Error("rule broke");
      }),
    ).rejects.toThrow("rule broke");
    expect((await s.load(study)).trials[0]!.intermediate).toEqual([]);
    expect((await b.another().openStudy(spec(study))).trials[0]!.intermediate).toEqual([]);
    await s.report(study, 0, 1, { loss: 1 });
    expect((await s.load(study)).trials[0]!.intermediate).toEqual([[1, 1]]);
  });

  it("a write's callback ends another trial in the same write, stamped with the storage's clock", async () => {
    await open();
    const { trial: t0 } = await s.createTrial(study, trial(0));
    let now = 0;
    const r = await s.createTrial(study, (snap, n, w) => {
      now = w.now;
      const ended = w.finish(0, { state: "failed", error: "stale", system: { failure: { kind: "infrastructure", cause: "stale", retry: "off" } } });
      expect(ended.state).toBe("failed");
      expect(snap.trials[0]!.state).toBe("failed");
      return { params: { x: n / 10, k: "a" } };
    });
    expect(r.trial!.number).toBe(1);
    // The storage's clock: a real time, the new trial's start and the other's end.
    expect(Math.abs(now - Date.now())).toBeLessThan(60_000);
    expect(r.trial!.startedAt).toBe(now);
    const fresh = await b.another().openStudy(spec(study));
    expect(fresh.trials[0]).toMatchObject({ state: "failed", error: "stale", finishedAt: now, system: { failure: { cause: "stale" } } });
    expect(fresh.trials[0]!.startedAt).toBe(t0!.startedAt);
    // Ending a trial twice is refused inside a write too, and the write records nothing.
    expect(await code(s.createTrial(study, (_s, _n, w) => (w.finish(0, { state: "failed" }), { params: { x: 0, k: "a" } })))).toBe("trial.finished");
    expect((await b.another().openStudy(spec(study))).trials).toHaveLength(2);
  });

  it("heartbeats: kept per trial in the storage's clock, read in a write through lastBeat", async () => {
    await open();
    for (let i = 0; i < 3; i++) await s.createTrial(study, trial(i));
    const beats = async (h: Storage) => {
      const out: (number | undefined)[] = [];
      let now = 0;
      await h.createTrial(study, (_snap, _n, w) => {
        now = w.now;
        for (let i = 0; i < 3; i++) out.push(w.lastBeat(i));
        return undefined;
      });
      return { out, now };
    };
    expect((await beats(s)).out).toEqual([undefined, undefined, undefined]);
    const other = b.another();
    await other.openStudy(spec(study));
    await other.heartbeat(study, "host-a/1/1", [0, 2]);
    const first = await beats(s);
    expect(first.out[1]).toBeUndefined();
    expect(first.out[0]).toBeDefined();
    expect(first.out[0]).toBe(first.out[2]);
    expect(first.out[0]!).toBeLessThanOrEqual(first.now + 1);
    expect(first.now - first.out[0]!).toBeLessThan(60_000);
    // A later beat moves on; a worker's beat with fewer trials drops the ones it no longer runs.
    await new Promise((r) => setTimeout(r, 20));
    await other.heartbeat(study, "host-a/1/1", [2]);
    const second = await beats(s);
    expect(second.out[2]!).toBeGreaterThan(first.out[2]!);
    expect(second.out[0]).toBeUndefined();
    await s.heartbeat(study, "host-b/2/2", [1]);
    expect((await beats(other)).out.map((x) => x !== undefined)).toEqual([false, true, true]);
    // Heartbeats never grow the study's log.
    expect((await b.another().openStudy(spec(study))).trials.map((t) => t.system)).toEqual([{}, {}, {}]);
  });

  it("watch: a watcher hears of another handle's writes and stops hearing once it unsubscribes", async () => {
    await open();
    const other = b.another();
    await other.openStudy(spec(study));
    let calls = 0;
    let wake: () => void = () => undefined;
    const stop = s.watch(study, () => {
      calls++;
      wake();
    });
    const heard = () => new Promise<void>((r) => (wake = r));
    // A LISTEN connection may still be starting: write until the watcher hears (bounded).
    for (let i = 0; calls === 0 && i < 50; i++) {
      const h = heard();
      await other.createTrial(study, () => ({ params: { x: 0.5, k: "a" } }));
      await Promise.race([h, new Promise((r) => setTimeout(r, 200))]);
    }
    expect(calls).toBeGreaterThan(0);
    const h = heard();
    await other.finishTrial(study, 0, { state: "complete", value: 1 });
    await h;
    expect((await s.load(study)).trials[0]!.state).toBe("complete");
    stop();
    const before = calls;
    await other.createTrial(study, () => ({ params: { x: 0.5, k: "a" } }));
    await new Promise((r) => setTimeout(r, 600));
    expect(calls).toBe(before);
  });

  it("property: any interleaving of writes through two handles leaves one history that every handle and a fresh reader agree on", async () => {
    type Step = { via: 0 | 1; kind: "ask" | "report" | "tell" | "fail" | "sys" | "enqueue" | "attr" | "note" | "studyNote"; pick: number; step: number; value: number };
    const step: fc.Arbitrary<Step> = fc.record({
      via: fc.constantFrom(0 as const, 1 as const),
      kind: fc.constantFrom("ask", "ask", "report", "tell", "fail", "sys", "enqueue", "attr", "note", "studyNote"),
      pick: fc.nat(20),
      step: fc.integer({ min: 0, max: 5 }),
      value: fc.double({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const name = `prop-${run++}`;
        const handles = [s, b.another()];
        for (const h of handles) await h.openStudy(spec(name));
        const refused: string[] = [];
        for (const st of steps) {
          const h = handles[st.via]!;
          const snap = await h.load(name);
          const n = snap.trials.length === 0 ? 0 : st.pick % snap.trials.length;
          const attempt = (p: Promise<unknown>) =>
            p.then(
              () => undefined,
              (e: unknown) => {
                expect(e).toBeInstanceOf(TunelabError);
                refused.push((e as TunelabError).code);
              },
            );
          if (st.kind === "ask") await h.createTrial(name, (_snap, k) => ({ params: { x: (k % 10) / 10, k: "a" }, system: { k } }));
          else if (st.kind === "report") await attempt(h.report(name, n, st.step, { loss: st.value }, () => ({ system: { at: st.step } })));
          else if (st.kind === "tell") await attempt(h.finishTrial(name, n, { state: "complete", value: st.value }));
          else if (st.kind === "fail") await attempt(h.finishTrial(name, n, { state: "failed", error: "e", system: { why: st.pick } }));
          else if (st.kind === "sys") await attempt(h.setSystem(name, n, { note: st.pick }));
          else if (st.kind === "attr") await attempt(h.setAttr(name, n, `a${st.step}`, { v: st.value, by: st.via }));
          else if (st.kind === "note") await attempt(h.setNote(name, n, st.step === 0 ? "" : `**${st.value}**`));
          else if (st.kind === "studyNote") await h.setNote(name, null, `study <${st.pick}>`);
          else await h.enqueue(name, { x: st.pick / 20, k: "b" });
        }
        // Only the refusals the contract names.
        for (const c of refused) expect(["trial.unknown", "trial.finished", "trial.bad_step"]).toContain(c);
        const views = [await handles[0]!.load(name), await handles[1]!.load(name), await b.another().openStudy(spec(name))];
        const plain = (v: StudySnapshot) => JSON.parse(JSON.stringify({ trials: v.trials, queue: v.queue, note: v.note })) as unknown;
        expect(plain(views[1]!)).toEqual(plain(views[0]!));
        expect(plain(views[2]!)).toEqual(plain(views[0]!));
        const trials = views[0]!.trials;
        expect(trials.map((t) => t.number)).toEqual([...trials.keys()]);
        expect(trials.map((t) => t.system["k"])).toEqual([...trials.keys()]);
        expect(views[0]!.queue).toHaveLength(steps.filter((x) => x.kind === "enqueue").length);
        for (const t of trials) {
          const steps = t.intermediate.map(([st]) => st);
          expect(steps).toEqual([...steps].sort((x, y) => x - y));
          expect(new Set(steps).size).toBe(steps.length);
          // A report and its decision were stored together.
          if (steps.length) expect(t.system["at"]).toBe(steps[steps.length - 1]);
        }
      }),
      { numRuns: 12 },
    );
  }, 60_000);

  // ---- the user's record: attributes and notes (issue 16 part 4) ----

  it("setAttr and setNote record on a trial in any state and on the study; another handle and a fresh reader read them", async () => {
    await open();
    await s.createTrial(study, trial(1));
    await s.createTrial(study, trial(2));
    await s.finishTrial(study, 1, { state: "failed", error: "boom" });
    await s.setAttr(study, 0, "dataset", { rows: 5, tags: ["a", "é"] });
    await s.setAttr(study, 0, "seed", 3);
    await s.setAttr(study, 0, "seed", null); // set again: the last value stays
    await s.setAttr(study, 1, "gpu", "A100"); // a failed trial takes attributes too
    const { trial: t } = await s.setAttr(study, 0, "lr-note", "x");
    expect(t.attrs).toEqual({ dataset: { rows: 5, tags: ["a", "é"] }, seed: null, "lr-note": "x" });
    await s.setNote(study, 1, "# why\n<script>x</script>");
    await s.setNote(study, 0, "first");
    await s.setNote(study, 0, "");
    await s.setNote(study, null, "study **note**");
    await s.finishTrial(study, 0, { state: "complete", value: 0.5 });
    for (const snap of [await s.load(study), await b.another().openStudy(spec(study))]) {
      expect(snap.note).toBe("study **note**");
      expect(snap.trials[0]).toMatchObject({ state: "complete", value: 0.5, attrs: { dataset: { rows: 5, tags: ["a", "é"] }, seed: null, "lr-note": "x" } });
      expect(snap.trials[0]!.note).toBeUndefined(); // "" cleared it
      expect(snap.trials[1]).toMatchObject({ state: "failed", error: "boom", attrs: { gpu: "A100" }, note: "# why\n<script>x</script>" });
      expect(snap.trials[1]!.attrs).toEqual({ gpu: "A100" });
    }
    await s.setNote(study, null, "");
    expect((await b.another().openStudy(spec(study))).note).toBeUndefined();
  });

  it("setAttr and setNote refuse what the bounds exclude with catalog codes, and record nothing then", async () => {
    await open();
    await s.createTrial(study, trial(1));
    expect(await code(s.setAttr(study, 5, "k", 1))).toBe("trial.unknown");
    expect(await code(s.setNote(study, 5, "x"))).toBe("trial.unknown");
    expect(await code(s.setAttr(study, 0, "", 1))).toBe("attr.bad_key");
    expect(await code(s.setAttr(study, 0, "__proto__", 1))).toBe("attr.bad_key");
    expect(await code(s.setAttr(study, 0, "k".repeat(201), 1))).toBe("attr.bad_key");
    expect(await code(s.setAttr(study, 0, "k", Number.NaN))).toBe("attr.bad_value");
    expect(await code(s.setAttr(study, 0, "k", "x".repeat(17 * 1024)))).toBe("attr.too_large");
    expect(await code(s.setNote(study, null, "é".repeat(33 * 1024)))).toBe("note.too_large");
    expect(await code(s.setNote(study, 0, 5 as unknown as string))).toBe("note.bad_text");
    for (let i = 0; i < 64; i++) await s.setAttr(study, 0, `k${i}`, i);
    expect(await code(s.setAttr(study, 0, "one-more", 1))).toBe("attr.too_many");
    await s.setAttr(study, 0, "k3", "replaced"); // an existing key may still change
    const snap = await b.another().openStudy(spec(study));
    expect(Object.keys(snap.trials[0]!.attrs!)).toHaveLength(64);
    expect(snap.trials[0]!.attrs!["k3"]).toBe("replaced");
    expect(snap.trials[0]!.note).toBeUndefined();
    expect(snap.note).toBeUndefined();
  });

  it("unknown studies are refused", async () => {
    expect(await code(s.load("nope"))).toBe("study.unknown");
    expect(await code(s.createTrial("nope", trial(0)))).toBe("study.unknown");
    expect(await code(s.enqueue("nope", { x: 0, k: "a" }))).toBe("study.unknown");
  });
});
