// Heartbeats and stale trials with real worker processes, on the journal and on PostgreSQL (the
// run's throwaway cluster): a worker killed with SIGKILL mid-trial has its trial failed as stale
// once the grace period has passed, by the next worker that asks, which runs it again (retries
// max 1); the copy, killed too, is failed without a second copy. A worker whose objective keeps
// its main thread busy for longer than the grace period keeps beating (from its heartbeat
// thread) and its trial completes. A study resumed on the machine of a worker killed with
// SIGKILL fails that worker's trial at once (its process is known dead), without waiting.
//
// Workers "on another machine" run in a pid namespace of their own (unshare --pid, as a
// container has): from here their process can't be checked, so only their heartbeats tell.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FrozenTrial } from "../../src/model/trial";
import { failureOf, retryOf } from "../../src/record/system";
import { openStorage } from "../../src/storage/open";
import type { Storage } from "../../src/storage/storage";
import { Study } from "../../src/study/study";
import { tune, float } from "../../src/index";
import { testDatabase } from "../helpers/postgres";
import { ensureBuilt, startNode, startWorker, tempDir, type WorkerProcess } from "./workers/build";

const INTERVAL = 0.25;
const GRACE = 1.5;
const SPACE = { x: { type: "float", low: 0, high: 1 } } as const;
/** A pid namespace of its own: a process this one can't see, as on another machine. */
const ELSEWHERE = ["unshare", "--pid", "--fork", "--kill-child"];

let dist: string;
let folder: string;
let journals = 0;

beforeAll(() => {
  dist = ensureBuilt();
  folder = tempDir("heartbeat");
}, 120_000);

afterAll(() => {
  fs.rmSync(folder, { recursive: true, force: true });
});

const STORAGES = [
  { label: "the journal", location: async () => path.join(folder, `j${++journals}`) },
  { label: "PostgreSQL", location: async () => (await testDatabase("heartbeat")).url },
];

function worker(storage: string, name: string, mode: "hang" | "busy" | "quick", elsewhere: boolean, extra: Record<string, unknown> = {}): WorkerProcess {
  const args = { storage, name, mode, intervalSeconds: INTERVAL, graceSeconds: GRACE, ...extra };
  return startWorker("heartbeat-worker.js", dist, args, undefined, elsewhere ? ELSEWHERE : undefined);
}

async function killed(w: WorkerProcess): Promise<number> {
  w.kill("SIGKILL");
  const e = await w.exited;
  expect(e.signal).toBe("SIGKILL");
  return Date.now();
}

/** This test's own worker on the study, with the same options as the worker processes. */
async function ownWorker(location: string, name: string): Promise<{ study: Study; storage: Storage }> {
  const storage = await openStorage(location);
  const study = await Study.open({ name, space: SPACE, direction: "minimize", storage, retries: { max: 1 }, heartbeat: { intervalSeconds: INTERVAL, graceSeconds: GRACE } });
  return { study, storage };
}

/** Asks and tells (trials that end at once) until `until` holds of the study; the trials it ran. */
async function askUntil(study: Study, until: (trials: readonly FrozenTrial[]) => boolean, limitMs: number): Promise<FrozenTrial[]> {
  const mine: FrozenTrial[] = [];
  const t0 = Date.now();
  while (!until(study.snapshot.trials)) {
    expect(Date.now() - t0, "waited too long").toBeLessThan(limitMs);
    const t = (await study.ask())!;
    mine.push(t);
    await study.tell(t.number, { value: 0.5 });
    await new Promise((r) => setTimeout(r, 50));
  }
  return mine;
}

describe.each(STORAGES)("heartbeats on $label, with worker processes", ({ location }) => {
  it("kill -9 mid-trial: failed as stale after the grace period by the next worker that asks, which runs it again; the copy, killed too, is not run a third time", async () => {
    const where = await location();
    const name = "killed";
    const a = worker(where, name, "hang", true);
    const first = await a.waitFor((m) => m["running"] !== undefined);
    expect(first["running"]).toBe(0);
    const owner = (first["system"] as Record<string, Record<string, unknown>>)["owner"]!;
    expect(owner).toMatchObject({ pid: 1 }); // its own pid namespace
    await killed(a);

    // After the grace period a worker starts; its first ask fails trial 0 and takes its copy.
    await new Promise((r) => setTimeout(r, (GRACE + 0.3) * 1000));
    const c = worker(where, name, "hang", true);
    const copy = await c.waitFor((m) => m["running"] !== undefined);
    expect(copy["running"]).toBe(1);
    expect(retryOf(copy["system"] as Record<string, unknown>)).toMatchObject({ of: 0, from: 0, attempt: 1, history: [{ trial: 0, cause: "stale" }] });
    const killedC = await killed(c);

    // This process asks from then on: the copy is failed only once its grace period has passed,
    // and, being the last attempt allowed, it is not copied again.
    const { study, storage } = await ownWorker(where, name);
    try {
      const mine = await askUntil(study, (ts) => ts[1]!.state !== "running", 20_000);
      const trials = study.snapshot.trials;
      expect(trials[0]).toMatchObject({ state: "failed" });
      expect(trials[0]!.error).toMatch(/^stale: /);
      expect(failureOf(trials[0]!.system)).toMatchObject({ kind: "infrastructure", cause: "stale", retry: "requested" });
      expect(trials[1]).toMatchObject({ state: "failed" });
      expect(failureOf(trials[1]!.system)).toMatchObject({ cause: "stale", retry: "exhausted" });
      // In the storage's clock (the database's for PostgreSQL; the same machine here), not before the grace period.
      expect(trials[1]!.finishedAt! - killedC).toBeGreaterThanOrEqual((GRACE - INTERVAL) * 1000 - 100);
      const silent = Number(/no heartbeat for ([0-9.]+) s/.exec(trials[1]!.error!)![1]);
      expect(silent).toBeGreaterThanOrEqual(GRACE); // (rounded to 0.1 s)
      // Asks went on past it: none of them, nor any later one, is a copy of the copy.
      const before = trials.length;
      mine.push(...(await askUntil(study, (ts) => ts.length >= before + 2, 10_000)));
      const copies = study.snapshot.trials.filter((t) => retryOf(t.system) !== undefined);
      expect(copies.map((t) => t.number)).toEqual([1]);
      expect(mine.length).toBeGreaterThan(1);
      for (const t of mine) expect(study.snapshot.trials[t.number]!.state).toBe("complete");
    } finally {
      await storage.close();
    }
  }, 60_000);

  it("limits.trials filled by a killed worker's trial: the last worker waits for it to go stale, then runs its retry in its place", async () => {
    const where = await location();
    const name = "limit";
    const a = worker(where, name, "hang", true);
    await a.waitFor((m) => m["running"] === 0);
    await killed(a);
    // 3 trials: the killed one counts while it runs; once stale (retry requested) it no longer does.
    const b = worker(where, name, "quick", false, { trials: 3 });
    const done = await b.waitFor((m) => m["done"] === true);
    expect((await b.exited).code).toBe(0);
    expect(done["reason"]).toBe("trials");
    const trials = done["trials"] as { number: number; state: string; system: Record<string, unknown> }[];
    expect(trials[0]).toMatchObject({ number: 0, state: "failed" });
    expect(failureOf(trials[0]!.system)).toMatchObject({ cause: "stale", retry: "requested" });
    expect(trials.slice(1).map((t) => t.state)).toEqual(["complete", "complete", "complete"]);
    expect(trials.filter((t) => retryOf(t.system)?.from === 0)).toHaveLength(1);
  }, 60_000);

  it("a worker whose synchronous objective blocks for longer than the grace period keeps beating: its trial completes", async () => {
    const where = await location();
    const name = "busy";
    const b = worker(where, name, "busy", false, { busyMs: 3 * GRACE * 1000 });
    await b.waitFor((m) => m["busy"] === 0);
    const { study, storage } = await ownWorker(where, name);
    try {
      // Asks all along (each would fail a silent trial), until the busy worker is done.
      let done = false;
      const ended = b.waitFor((m) => m["done"] === true).then((m) => ((done = true), m));
      await askUntil(study, () => done, 30_000);
      const m = await ended;
      expect((await b.exited).code).toBe(0);
      expect((m["trials"] as unknown[])[0]).toEqual({ number: 0, state: "complete", error: null });
      await study.refresh();
      expect(study.snapshot.trials.filter((t) => t.state === "failed")).toEqual([]);
      expect(study.snapshot.trials.length).toBeGreaterThan(10); // asks all along
    } finally {
      await storage.close();
    }
  }, 60_000);

  it("a study resumed on the same machine after kill -9 of its only process fails the dead trial at once (default grace of 60 s) and runs it again", async () => {
    const where = await location();
    const name = "resumed";
    const a = startWorker("heartbeat-worker.js", dist, { storage: where, name, mode: "hang" }, undefined);
    const first = await a.waitFor((m) => m["running"] !== undefined);
    await killed(a);
    const t0 = Date.now();
    // As a notebook would after a kernel restart: the same declaration, default heartbeats.
    const tuner = tune(name).space({ x: float(0, 1) }).minimize().storage(where).retries({ max: 1 }).display(false);
    const next = await tuner.ask();
    try {
      expect(Date.now() - t0).toBeLessThan(30_000);
      const dead = tuner.trials[first["running"] as number]!;
      expect(dead).toMatchObject({ state: "failed" });
      expect(dead.error).toMatch(/^orphaned: /);
      expect(failureOf(dead.system)).toMatchObject({ cause: "orphaned", retry: "requested" });
      expect(retryOf(next!.system)).toMatchObject({ from: dead.number, attempt: 1 });
      expect(next!.params).toEqual(dead.params);
      await tuner.tell(next!, 0.25);
    } finally {
      await tuner.study!.storage.close();
    }
  }, 60_000);
});

describe("heartbeats of command() trials", () => {
  it("tunelab run beats for its command's trial from the parent: a trial running 3x the grace period (heartbeat from the study file) completes while another worker asks", async () => {
    const where = path.join(folder, "cmd");
    const file = path.join(folder, "cmd.json");
    const slow = `setTimeout(() => console.log("tunelab: " + JSON.stringify({ value: Number(process.argv[1]) })), ${3 * GRACE * 1000})`;
    fs.writeFileSync(
      file,
      JSON.stringify({ study: "cmd", storage: where, space: SPACE, direction: "minimize", limits: { trials: 1 }, command: [process.execPath, "-e", slow, "{x}"], heartbeat: { intervalSeconds: INTERVAL, graceSeconds: GRACE } }),
    );
    const run = startNode([path.join(dist, "cli", "main.js"), "run", file, "--quiet"]);
    run.end();
    // Once the run has asked its trial (limits.trials counts every worker's: asking first would take its place).
    const t0 = Date.now();
    const journal = path.join(where, "cmd.jsonl");
    while (!(fs.existsSync(journal) && fs.readFileSync(journal, "utf8").includes('"op":"trial"'))) {
      expect(Date.now() - t0).toBeLessThan(20_000);
      await new Promise((r) => setTimeout(r, 50));
    }
    const { study, storage } = await ownWorker(where, "cmd");
    try {
      let exited = false;
      const ended = run.exited.then((e) => ((exited = true), e));
      await askUntil(study, () => exited, 30_000);
      const e = await ended;
      expect(e, e.stderr).toMatchObject({ code: 0 });
      await study.refresh();
      const theirs = study.snapshot.trials.filter((t) => t.system["command"] !== undefined);
      expect(theirs).toHaveLength(1);
      expect(theirs[0]).toMatchObject({ state: "complete", value: theirs[0]!.params["x"] });
      expect(study.snapshot.trials.filter((t) => t.state === "failed")).toEqual([]);
    } finally {
      await storage.close();
    }
  }, 60_000);
});
