// Real worker processes on one PostgreSQL study (a cluster of this file's own, since one test
// restarts it): no trial number is handed out twice or lost, every grid position and every
// enqueued configuration is run once, and the workers ride out a `pg_ctl restart` and
// pg_terminate_backend of their connections without losing or duplicating anything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Grid } from "../../src/space/grid";
import { PostgresStorage } from "../../src/storage/postgres";
import { Study } from "../../src/study/study";
import { canonicalJson } from "../../src/util/json";
import { TunelabError } from "../../src/util/errors";
import { psql, restartCluster, startCluster, startServer, stopCluster, stopServer, urlOf, type Cluster } from "../helpers/postgres";
import { ensureBuilt, startWorker, type WorkerProcess } from "./workers/build";

let dist: string;
let cluster: Cluster;
let databases = 0;

const SPACE = {
  a: { type: "int", low: 0, high: 5 },
  b: { type: "categorical", choices: ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y"] },
} as const;

beforeAll(async () => {
  dist = ensureBuilt();
  cluster = await startCluster();
}, 120_000);

afterAll(() => {
  if (cluster) stopCluster(cluster);
});

function database(): string {
  const name = `w${++databases}`;
  psql(cluster, `CREATE DATABASE ${name}`);
  return urlOf(cluster, name);
}

interface Done {
  done: true;
  mine: number[];
  params: Record<string, unknown>[];
  warnings: string[];
}

async function start(count: number, args: Record<string, unknown>): Promise<WorkerProcess[]> {
  const workers: WorkerProcess[] = [];
  for (let i = 0; i < count; i++) workers.push(startWorker("pg-worker.js", dist, args));
  await Promise.all(workers.map((w) => w.waitFor((m) => m["ready"] === true)));
  for (const w of workers) w.send("go");
  return workers;
}

async function finish(workers: WorkerProcess[]): Promise<Done[]> {
  const done = (await Promise.all(workers.map((w) => w.waitFor((m) => m["done"] === true || m["error"] !== undefined)))) as unknown as Done[];
  const exits = await Promise.all(workers.map((w) => w.exited));
  for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0, signal: null });
  return done;
}

/** The study as a fresh process reads it, and what the log holds: trial numbers in commit order. */
async function readBack(url: string, name: string, strategy: string) {
  const warnings: string[] = [];
  const storage = new PostgresStorage(url, { onWarning: (m) => warnings.push(m) });
  const study = await Study.open({ name, space: SPACE, direction: "minimize", strategy: { name: strategy }, storage });
  const db = url.slice(url.lastIndexOf("/") + 1);
  const created = psql(cluster, "SELECT trial FROM tunelab_ops WHERE kind = 'trial' ORDER BY seq", db).split("\n").filter(Boolean).map(Number);
  const seqs = psql(cluster, "SELECT seq FROM tunelab_ops ORDER BY seq", db).split("\n").filter(Boolean).map(Number);
  await storage.close();
  expect(warnings).toEqual([]);
  return { trials: study.trials, created, seqs };
}

describe("a database that goes away", () => {
  it("a write that can't reach it within retryMs fails with storage.unreachable naming the URL, records nothing; the study goes on once it is back", async () => {
    const url = database().replace("postgres@", "postgres:s3cret-pw@");
    const warnings: string[] = [];
    const storage = new PostgresStorage(url, { retryMs: 600, onWarning: (m) => warnings.push(m) });
    const study = await Study.open({ name: "away", space: SPACE, direction: "minimize", seed: 1, storage });
    const t0 = await study.ask();
    await study.tell(t0!.number, { value: 1 });
    const t1 = await study.ask();
    stopServer(cluster);
    try {
      const e = await study.tell(t1!.number, { value: 2 }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(TunelabError);
      expect((e as TunelabError).code).toBe("storage.unreachable");
      expect((e as TunelabError).message).toContain(`127.0.0.1:${cluster.port}/`);
      expect((e as TunelabError).message).toContain("***");
      expect((e as TunelabError).message).not.toContain("s3cret-pw");
      expect(storage.description).not.toContain("s3cret-pw");
      expect(warnings.length).toBeGreaterThan(0);
      for (const w of warnings) expect(w).not.toContain("s3cret-pw");
      // Not recorded: the replica still has trial 1 running.
      expect(study.snapshot.trials[1]!.state).toBe("running");
    } finally {
      startServer(cluster);
    }
    // The same handle goes on: the tell is made again, and everything recorded is there.
    await study.tell(t1!.number, { value: 2 });
    const t2 = await study.ask();
    expect(t2!.number).toBe(2);
    await storage.close();
    const fresh = await Study.open({ name: "away", space: SPACE, direction: "minimize", storage: new PostgresStorage(url) });
    expect(fresh.trials.map((t) => [t.number, t.state, t.value])).toEqual([
      [0, "complete", 1],
      [1, "complete", 2],
      [2, "running", undefined],
    ]);
    await fresh.storage.close();
  }, 120_000);
});

describe("worker processes sharing a PostgreSQL study", () => {
  it("4 processes, a grid of 60 behind 10 enqueued configurations: every number once, every position and queued configuration run once", async () => {
    const url = database();
    const name = "grid/shared";
    // Enqueued before the workers start: they claim them first, each exactly once.
    const setup = new PostgresStorage(url);
    const first = await Study.open({ name, space: SPACE, direction: "minimize", strategy: { name: "grid" }, seed: 3, storage: setup });
    const queued = [...Array(10).keys()].map((i) => ({ a: i % 6, b: "pqrstuvwxy"[i]! }));
    for (const q of queued) await first.enqueue(q);
    await setup.close();

    const done = await finish(await start(4, { url, name, mode: "grid" }));
    const all = done.flatMap((d) => d.mine).sort((x, y) => x - y);
    expect(all).toEqual([...Array(70).keys()]);
    for (const d of done) expect(d.mine.length).toBeGreaterThan(0);

    const { trials, created, seqs } = await readBack(url, name, "grid");
    expect(created).toEqual([...Array(70).keys()]); // in order, once each
    expect(seqs).toEqual([...Array(seqs.length).keys()].map((i) => i + 1)); // no gap in the log
    expect(trials.every((t) => t.state === "complete")).toBe(true);
    const claimed = trials.filter((t) => t.system["queued"] !== undefined).map((t) => t.system["queued"] as number);
    expect(claimed.sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
    for (const t of trials) if (t.system["queued"] !== undefined) expect(t.params).toEqual(queued[t.system["queued"] as number]);
    const grid = new Grid(first.space);
    const positions = trials.filter((t) => t.system["grid"] !== undefined);
    expect(new Set(positions.map((t) => t.system["grid"])).size).toBe(60);
    for (const t of positions) expect(canonicalJson(grid.at(t.system["grid"] as number))).toBe(canonicalJson(t.params));
  }, 120_000);

  it("a pg_ctl restart mid-study: the workers reconnect and nothing is lost or recorded twice", async () => {
    const url = database();
    const name = "restart";
    const workers = await start(3, { url, name, mode: "random", asks: 30, pauseMs: 25 });
    await Promise.all(workers.map((w) => w.waitFor((m) => m["first"] !== undefined)));
    restartCluster(cluster);
    const done = await finish(workers);
    const all = done.flatMap((d) => d.mine).sort((x, y) => x - y);
    expect(all).toEqual([...Array(90).keys()]);
    // Each worker said once that it lost the connection and retried.
    expect(done.some((d) => d.warnings.some((w) => /connection failed.*retrying/.test(w)))).toBe(true);
    for (const d of done) for (const w of d.warnings) expect(w).not.toMatch(/skipped/);
    const { trials, created } = await readBack(url, name, "random");
    expect(created).toEqual([...Array(90).keys()]);
    expect(trials.map((t) => t.state)).toEqual(Array(90).fill("complete"));
  }, 120_000);

  it("pg_terminate_backend of the workers' connections, twice: survived, nothing lost", async () => {
    const url = database();
    const db = url.slice(url.lastIndexOf("/") + 1);
    const name = "terminate";
    const workers = await start(3, { url, name, mode: "random", asks: 30, pauseMs: 25 });
    await Promise.all(workers.map((w) => w.waitFor((m) => m["first"] !== undefined)));
    let killed = 0;
    for (let round = 0; round < 2; round++) {
      killed += Number(psql(cluster, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${db}' AND application_name = 'tunelab'`));
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(killed).toBeGreaterThan(0);
    const done = await finish(workers);
    expect(done.flatMap((d) => d.mine).sort((x, y) => x - y)).toEqual([...Array(90).keys()]);
    const { trials, created } = await readBack(url, name, "random");
    expect(created).toEqual([...Array(90).keys()]);
    expect(trials.every((t) => t.state === "complete")).toBe(true);
  }, 120_000);
});
