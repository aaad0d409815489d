// Eight worker processes on ONE study, of the three kinds a user runs on many machines: the DSL
// (`tune(...).run()` in a node script), `tunelab serve` (create with the storage, then ask/tell)
// and `tunelab run FILE.json` (command() trials, each a tiny program). On PostgreSQL, and on the
// journal (workers on one machine). What must hold:
// - no duplicate or lost trial: numbers 0..N-1 without gaps, each created once and finished
//   exactly once (counted in the stored operations, not only in the replica);
// - limits.trials across all workers: exactly N trials, not N + workers - 1 (each worker's own
//   count lags the others'; the limit is checked inside the write that creates a trial);
// - every kind of worker ran trials, and what each says it ran adds up to the study.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { commandOf } from "../../src/record/system";
import { openStorage } from "../../src/storage/open";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { psql, testDatabase } from "../helpers/postgres";
import { ensureBuilt, startNode, startServe, startWorker, tempDir } from "./workers/build";

const N = 40;
const SPACE = { x: { type: "float", low: 0, high: 1 } };
const SEED = 5;
/**
 * A trial of `tunelab run`: a node program that waits until the file named by TUNELAB_RELEASE
 * exists, then prints its objective value after a short while.
 */
const PROGRAM =
  "const fs = require('fs'); const go = () => fs.existsSync(process.env.TUNELAB_RELEASE) ? setTimeout(() => console.log('tunelab: ' + JSON.stringify({ value: Number(process.argv[1]) })), 15) : setTimeout(go, 10); go()";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Outcome {
  dsl: number[][];
  serve: number[][];
  runExits: { code: number | null; stderr: string }[];
}

/** 3 DSL scripts, 3 serve clients and 2 `tunelab run` processes on `storage`, started together. */
async function eightWorkers(storage: string, name: string, dir: string): Promise<Outcome> {
  const dist = ensureBuilt();
  const file = path.join(dir, "workers.json");
  // Every kind's first trials wait for this file, which appears once each kind has begun one:
  // however slowly one kind starts (a node process per command() trial, a heartbeat thread),
  // the others can't take all N trials before it.
  const release = path.join(dir, "release");
  fs.writeFileSync(
    file,
    JSON.stringify({ study: name, storage, space: SPACE, direction: "minimize", strategy: "random", seed: SEED, limits: { trials: N, parallel: 2 }, command: [process.execPath, "-e", PROGRAM, "{x}"], env: { TUNELAB_RELEASE: release } }),
  );
  const dsl = [0, 1, 2].map(() => startWorker("mixed-dsl.js", dist, { storage, name, trials: N, parallel: 2, seed: SEED, workMs: 20, release }));
  const serves = [0, 1, 2].map(() => startServe(dir));
  await Promise.all(dsl.map((w) => w.waitFor((m) => m["ready"] === true)));
  for (const s of serves) {
    expect(await s.send({ op: "create", study: name, space: SPACE, direction: "minimize", strategy: "random", seed: SEED, storage, limits: { trials: N } })).toMatchObject({ ok: true });
  }
  const main = path.join(dist, "cli", "main.js");
  const runs = [0, 1].map(() => startNode([main, "run", file, "--quiet"], {}, dir));
  for (const r of runs) r.end();
  for (const w of dsl) w.send("go");
  const serveLoop = async (s: (typeof serves)[number], first: Promise<void>): Promise<number[]> => {
    const mine: number[] = [];
    for (;;) {
      const a = await s.send({ op: "ask", study: name });
      expect(a).toMatchObject({ ok: true });
      if (a["done"] === true) {
        expect(a["reason"]).toBe("trials");
        return mine;
      }
      mine.push(a["trial"] as number);
      if (mine.length === 1) await first;
      await sleep(20);
      expect(await s.send({ op: "tell", study: name, trial: a["trial"], value: (a["params"] as { x: number }).x })).toMatchObject({ ok: true });
    }
  };
  let open!: () => void;
  const released = new Promise<void>((r) => (open = r));
  const serveDone = Promise.all(serves.map((s) => serveLoop(s, released)));
  await commandTrialsStarted(storage, name, 1);
  await Promise.race(dsl.map((w) => w.waitFor((m) => m["first"] !== undefined)));
  fs.writeFileSync(release, "");
  open();
  const serveMine = await serveDone;
  const dslDone = await Promise.all(dsl.map((w) => w.waitFor((m) => m["done"] === true || m["error"] !== undefined)));
  for (const d of dslDone) expect(d).toMatchObject({ done: true, reason: "trials" });
  for (const w of dsl) expect(await w.exited).toMatchObject({ code: 0 });
  for (const s of serves) expect(await s.end()).toBe(0);
  const runExits = await Promise.all(runs.map((r) => r.exited));
  for (const e of runExits) expect(e, e.stderr).toMatchObject({ code: 0 });
  return { dsl: dslDone.map((d) => d["mine"] as number[]), serve: serveMine, runExits };
}

/** Waits (reading the study, 30 s at most) until it holds `count` trials run by `tunelab run`. */
async function commandTrialsStarted(storage: string, name: string, count: number): Promise<void> {
  const reader = await openStorage(storage);
  try {
    const t0 = Date.now();
    for (;;) {
      const snap = await reader.openExisting(name).then((s) => (s ? reader.load(name) : undefined));
      if (snap && snap.trials.filter((t) => commandOf(t.system) !== undefined).length >= count) return;
      if (Date.now() - t0 > 30_000) throw new Error("the tunelab run processes started no trial within 30 s");
      await sleep(25);
    }
  } finally {
    await reader.close();
  }
}

/** Checks the study and its stored operations (`ops`: every operation, in commit order). */
async function checkStudy(storage: string, name: string, ops: { op: string; n?: number }[], o: Outcome): Promise<void> {
  const reader = await openStorage(storage);
  try {
    const study = await Study.openStored(name, reader);
    const trials = study.trials;
    // Exactly N, numbered without gaps, each finished with its own value.
    expect(trials.map((t) => t.number)).toEqual([...Array(N).keys()]);
    for (const t of trials) expect(t).toMatchObject({ state: "complete", value: (t.params as { x: number }).x });
    // Each created once and ended once, in the stored log itself.
    const created = ops.filter((op) => op.op === "trial").map((op) => op.n);
    expect(created).toEqual([...Array(N).keys()]);
    const ends = new Map<number, number>();
    for (const op of ops) if (op.op === "end") ends.set(op.n!, (ends.get(op.n!) ?? 0) + 1);
    expect([...ends.keys()].sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
    expect([...ends.values()].every((c) => c === 1)).toBe(true);
    // Who ran what: the three kinds together ran each trial once, and each kind ran some.
    const byRun = trials.filter((t) => commandOf(t.system) !== undefined).map((t) => t.number);
    const dsl = o.dsl.flat();
    const serve = o.serve.flat();
    expect([...dsl, ...serve, ...byRun].sort((a, b) => a - b)).toEqual([...Array(N).keys()]);
    expect(dsl.length).toBeGreaterThan(0);
    expect(serve.length).toBeGreaterThan(0);
    expect(byRun.length).toBeGreaterThan(0);
  } finally {
    await reader.close();
  }
}

describe("8 mixed workers on one study", () => {
  it("PostgreSQL: DSL scripts, serve clients and tunelab run processes share limits.trials exactly; no trial lost or run twice", async () => {
    const { url, cluster, database } = await testDatabase("mixed");
    const dir = tempDir("mixed-pg");
    dirs.push(dir);
    const o = await eightWorkers(url, "mixed", dir);
    const ops = psql(cluster, "SELECT op FROM tunelab_ops ORDER BY seq", database)
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { op: string; n?: number });
    await checkStudy(url, "mixed", ops, o);
  }, 120_000);

  it("journal (workers on one machine): the same", async () => {
    const dir = tempDir("mixed-journal");
    dirs.push(dir);
    const storage = path.join(dir, "studies");
    const o = await eightWorkers(storage, "mixed", dir);
    const ops = fs
      .readFileSync(new JournalStorage(storage).fileFor("mixed"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { op: string; n?: number });
    await checkStudy(storage, "mixed", ops, o);
  }, 120_000);
});
