// The PostgreSQL storage beyond the contract suite: a clear error for a database that can't be
// reached (the password hidden), the schema's version, the DSL and TUNELAB_STORAGE on a
// database URL, the adapter loaded only for postgresql:// locations, and a slow model proposal
// in one process that does not hold up another process's asks.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { command } from "../../src/command/command";
import { tune } from "../../src/dsl/tuner";
import { float } from "../../src/space/builders";
import { openStorage } from "../../src/storage/open";
import { PG_SCHEMA_VERSION, PostgresStorage } from "../../src/storage/postgres";
import { Study } from "../../src/study/study";
import { TunelabError } from "../../src/util/errors";
import { freePort, psql, testDatabase } from "../helpers/postgres";
import { rejected } from "./helpers";
import { ensureBuilt, startWorker, tempDir } from "./workers/build";

const SPACE = { x: { type: "float", low: 0, high: 1 } } as const;
let dist: string;
let dir: string;

beforeAll(() => {
  dist = ensureBuilt();
  dir = tempDir("pg");
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("a database that can't be reached", () => {
  it("fails at once with storage.unreachable naming the URL without its password; nothing is created", async () => {
    const port = await freePort();
    for (const url of [`postgresql://tuner:hunter2-secret@127.0.0.1:${port}/studies`, `postgres://tuner:hunter2-secret@127.0.0.1:${port}/studies?sslmode=disable`]) {
      const storage = await openStorage(url);
      const e = await rejected(Study.open({ name: "s", space: SPACE, direction: "minimize", storage }));
      expect(e.code).toBe("storage.unreachable");
      expect(e.field).toBe("storage");
      expect(e.message).toContain(`tuner:***@127.0.0.1:${port}/studies`);
      expect(e.message).not.toContain("hunter2");
      expect(e.message).toMatch(/ECONNREFUSED/);
      expect(storage.location).not.toContain("hunter2");
      expect((await rejected(storage.listStudies())).code).toBe("storage.unreachable");
      await storage.close();
    }
  });

  it("a database that does not exist, or a user the server refuses, says so (the server's words, code 3D000 / 28000)", async () => {
    const { url } = await testDatabase("exists");
    const missing = url.replace(/\/[^/]+$/, "/no_such_db");
    const e = await rejected(Study.open({ name: "s", space: SPACE, direction: "minimize", storage: await openStorage(missing) }));
    expect(e.code).toBe("storage.database");
    expect(e.message).toContain("no_such_db");
    expect(e.message).toContain("3D000");
    const nobody = url.replace("postgres@", "nobody@");
    const refused = await rejected(Study.open({ name: "s", space: SPACE, direction: "minimize", storage: await openStorage(nobody) }));
    expect(refused.code).toBe("storage.database");
    expect(refused.message).toContain("28000");
  });
});

describe("the schema", () => {
  it("is created on first use and versioned; tables of a newer tunelab are refused with storage.newer_format", async () => {
    const { url, cluster, database } = await testDatabase("schema");
    const s = new PostgresStorage(url);
    await s.openStudy({ name: "a", space: SPACE, direction: "minimize", metric: "value", strategy: { name: "random", options: {} }, seed: 1, createdAt: 1 });
    await s.close();
    expect(psql(cluster, "SELECT version FROM tunelab_schema", database)).toBe(String(PG_SCHEMA_VERSION));
    expect(psql(cluster, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename LIKE 'tunelab_%'", database)).toBe("tunelab_heartbeats,tunelab_ops,tunelab_schema,tunelab_studies");
    psql(cluster, `UPDATE tunelab_schema SET version = ${PG_SCHEMA_VERSION + 1}`, database);
    const e = await rejected(new PostgresStorage(url).listStudies());
    expect(e.code).toBe("storage.newer_format");
    expect(e.message).toContain(`version ${PG_SCHEMA_VERSION + 1}`);
  });
});

describe("the DSL and TUNELAB_STORAGE on a database", () => {
  it("two tuners on one URL share the study: limits.trials counts both, each trial once", async () => {
    const { url } = await testDatabase("dsl");
    const make = () =>
      tune("shared")
        .space({ x: float(0, 1) })
        .minimize()
        .strategy("tpe", { seed: 5 })
        .storage(url)
        .limits({ trials: 12, parallel: 2 })
        .display(false)
        .objective(async (p) => {
          await new Promise((r) => setTimeout(r, 2));
          return (p.x - 0.3) ** 2;
        });
    const [a, b] = [make(), make()];
    await Promise.all([a.run(), b.run()]);
    const trials = (await a.study!.refresh()).trials;
    // Each run stops once the study holds 12 counted trials; trials already in flight finish.
    expect(trials.length).toBeGreaterThanOrEqual(12);
    expect(trials.length).toBeLessThanOrEqual(12 + 3);
    expect(trials.map((t) => t.number)).toEqual([...trials.keys()]);
    expect(trials.every((t) => t.state === "complete")).toBe(true);
    await a.study!.storage.close();
    await b.study!.storage.close();
  });

  it("a study file written from the DSL keeps the URL without its password", () => {
    const t = tune("f").space({ x: float(0, 1) }).minimize().storage("postgresql://tuner:pw%40secret@db.example:5432/studies?sslmode=require").objective(command(["python", "t.py", "{x}"]));
    expect(t.toJSON()["storage"]).toBe("postgresql://tuner@db.example:5432/studies?sslmode=require");
    expect(JSON.stringify(t.toJSON())).not.toContain("secret");
    // What console.log(tuner) prints names the database with the password hidden.
    const shown = (t as unknown as Record<symbol, () => string>)[Symbol.for("nodejs.util.inspect.custom")]!.call(t);
    expect(shown).toContain("tuner:***@db.example:5432/studies");
    expect(shown).not.toContain("secret");
  });

  it("TUNELAB_STORAGE sets where a tuner without .storage() keeps its study", async () => {
    const { url } = await testDatabase("env");
    const before = process.env["TUNELAB_STORAGE"];
    process.env["TUNELAB_STORAGE"] = url;
    try {
      const t = tune("from-env").space({ x: float(0, 1) }).minimize().limits({ trials: 3 }).display(false).objective((p) => p.x);
      await t.run();
      expect(t.study!.storage.location).toBe(url);
      await t.study!.storage.close();
      const other = await openStorage(url);
      expect(await other.listStudies()).toEqual(["from-env"]);
      expect((await other.openStudy((await Study.open({ name: "from-env", space: { x: float(0, 1) }, direction: "minimize", storage: other })).snapshot.spec)).trials).toHaveLength(3);
      await other.close();
      process.env["TUNELAB_STORAGE"] = "mysql://nope";
      const e = await rejected(tune("x").space({ x: float(0, 1) }).minimize().display(false).objective((p) => p.x).open());
      expect(e).toMatchObject({ code: "storage.bad_location", field: "TUNELAB_STORAGE" });
    } finally {
      if (before === undefined) delete process.env["TUNELAB_STORAGE"];
      else process.env["TUNELAB_STORAGE"] = before;
    }
  });
});

describe("a script that never closes its storage", () => {
  it("ends when its work is done: idle connections don't hold the process (optuna#1347)", async () => {
    const { url } = await testDatabase("exit");
    const w = startWorker("pg-worker.js", dist, { url, name: "s", mode: "dsl", asks: 4 });
    expect(await w.waitFor((m) => m["done"] === true)).toMatchObject({ reason: "trials", trials: 4 });
    // The pool keeps idle connections for 30 s: the test's 20 s limit fails if they held it.
    expect(await w.exited).toMatchObject({ code: 0, signal: null });
  });
});

describe("loading", () => {
  it("the adapter and pg are loaded only when a postgresql:// location is opened", () => {
    const script = `
      const path = require("path");
      const { openStorage } = require(path.join(process.env.TUNELAB_DIST, "index.js"));
      const loaded = () => Object.keys(require.cache).filter((f) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]|storage[\\\\/]postgres\\.js$/.test(f)).length;
      (async () => {
        const s = await openStorage(${JSON.stringify(path.join(dir, "journal"))});
        await s.openStudy({ name: "a", space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", metric: "value", strategy: { name: "random", options: {} }, seed: 1, createdAt: 1 });
        const m = await openStorage("memory");
        const afterOthers = loaded();
        const pg = await openStorage("postgresql://u@127.0.0.1:1/db");
        const afterOpen = loaded();
        await pg.listStudies().catch(() => undefined);
        console.log(JSON.stringify({ afterOthers, afterOpen, afterPg: loaded() }));
      })();`;
    const r = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, TUNELAB_DIST: dist }, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const { afterOthers, afterOpen, afterPg } = JSON.parse(r.stdout) as { afterOthers: number; afterOpen: number; afterPg: number };
    expect(afterOthers).toBe(0);
    // The adapter file with the location, pg itself with the first connection.
    expect(afterOpen).toBe(1);
    expect(afterPg).toBeGreaterThan(1);
  });
});

describe("a slow model proposal", () => {
  it("in one process does not hold up another process's asks: it is computed outside the write, then recorded under the next number", async () => {
    const { url } = await testDatabase("slow");
    const marker = path.join(dir, "go-on");
    const slow = startWorker("pg-worker.js", dist, { url, name: "s", mode: "slow", marker, deadlineMs: 30_000 });
    const fast = startWorker("pg-worker.js", dist, { url, name: "s", mode: "random", asks: 8 });
    await Promise.all([slow, fast].map((w) => w.waitFor((m) => m["ready"] === true)));
    slow.send("go");
    // The slow worker is inside its proposal (it saw an empty study) before the other starts.
    expect(await slow.waitFor((m) => m["proposing"] === true)).toMatchObject({ seen: 0 });
    fast.send("go");
    const done = await fast.waitFor((m) => m["done"] === true);
    // Only now may the slow proposal finish: had it held the study's lock, the other
    // worker could not have made a trial, and the slow one would have hit its deadline.
    fs.writeFileSync(marker, "");
    const slowDone = await slow.waitFor((m) => m["done"] === true);
    expect(slow.messages.some((m) => (m as Record<string, unknown>)["blocked"] === true)).toBe(false);
    expect(done["mine"]).toEqual([...Array(8).keys()]);
    // Proposed for trial 0 on an empty study, recorded as trial 8 after the other's trials.
    expect(slowDone).toMatchObject({ trial: 8, seen: 0, as: 0 });
    for (const w of [slow, fast]) expect((await w.exited).code).toBe(0);
  }, 60_000);
});
