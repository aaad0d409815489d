// The commands on a database: `tunelab serve` with "storage": "postgresql://..." in create (two
// serve processes share one study: each trial number once, each sees the other's trials; a
// database that can't be reached is an error reply, storage.unreachable with the password
// hidden, not the end of the process), and two `tunelab run` processes on one study file.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort, testDatabase } from "../helpers/postgres";
import { ensureBuilt, startNode, startServe, tempDir } from "./workers/build";

/** A `tunelab serve` process (see startServe). */
const serve = () => startServe();

const SPACE = { lr: { type: "float", low: 1e-4, high: 1, scale: "log" }, opt: { type: "categorical", choices: ["sgd", "adam"] } };

describe("tunelab serve on PostgreSQL", () => {
  it("two serve processes share a study created with a postgresql:// storage", async () => {
    const { url } = await testDatabase("serve");
    const a = serve();
    const b = serve();
    const create = { op: "create", study: "shared", space: SPACE, direction: "minimize", strategy: "random", seed: 4, storage: url };
    expect(await a.send(create)).toMatchObject({ ok: true, study: "shared" });
    expect(await b.send(create)).toMatchObject({ ok: true, study: "shared" });
    const numbers: number[] = [];
    for (let i = 0; i < 6; i++) {
      for (const s of [a, b]) {
        const asked = await s.send({ op: "ask", study: "shared" });
        expect(asked).toMatchObject({ ok: true });
        numbers.push(asked["trial"] as number);
        expect(await s.send({ op: "report", study: "shared", trial: asked["trial"], step: 1, value: 0.5 })).toMatchObject({ ok: true, prune: false });
        expect(await s.send({ op: "tell", study: "shared", trial: asked["trial"], value: (asked["trial"] as number) / 10 })).toMatchObject({ ok: true });
      }
    }
    expect(numbers.sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    for (const s of [a, b]) {
      const listed = await s.send({ op: "trials", study: "shared" });
      expect((listed["trials"] as { trial: number; state: string }[]).map((t) => [t.trial, t.state])).toEqual([...Array(12).keys()].map((n) => [n, "complete"]));
      expect(await s.send({ op: "best", study: "shared" })).toMatchObject({ ok: true, trial: 0, value: 0 });
    }
    expect(await a.end()).toBe(0);
    expect(await b.end()).toBe(0);
  }, 60_000);

  it("an unreachable database is an error reply naming the URL without its password; the process goes on", async () => {
    const s = serve();
    const port = await freePort();
    const r = await s.send({ op: "create", study: "x", space: SPACE, direction: "minimize", strategy: "random", storage: `postgresql://me:pa55word@127.0.0.1:${port}/db` });
    expect(r).toMatchObject({ ok: false, code: "storage.unreachable", field: "storage" });
    expect(r["error"]).toContain(`me:***@127.0.0.1:${port}/db`);
    expect(JSON.stringify(r)).not.toContain("pa55word");
    expect(await s.send({ op: "create", study: "x", space: SPACE, direction: "minimize", strategy: "random" })).toMatchObject({ ok: true });
    expect(await s.end()).toBe(0);
  }, 60_000);

  it("two tunelab run processes on one study file with a postgresql:// storage share the study and its limits.trials", async () => {
    const { url } = await testDatabase("run");
    const dir = tempDir("pg-run");
    try {
      const file = path.join(dir, "study.json");
      const print = "console.log('tunelab: ' + JSON.stringify({ value: Number(process.argv[1]) }))";
      fs.writeFileSync(
        file,
        JSON.stringify({ study: "cmd", storage: url, space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", strategy: "random", seed: 2, limits: { trials: 8 }, command: [process.execPath, "-e", print, "{x}"] }),
      );
      const main = path.join(ensureBuilt(), "cli", "main.js");
      const runs = [startNode([main, "run", file, "--quiet"]), startNode([main, "run", file, "--quiet"])];
      for (const r of runs) r.end();
      const exits = await Promise.all(runs.map((r) => r.exited));
      for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0 });
      const s = serve();
      expect(await s.send({ op: "create", study: "cmd", space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", strategy: "random", storage: url })).toMatchObject({ ok: true });
      const trials = (await s.send({ op: "trials", study: "cmd" }))["trials"] as { trial: number; state: string; value: number; params: { x: number } }[];
      // limits.trials is checked inside the write that creates a trial: 8 in all, not one more.
      expect(trials.length).toBe(8);
      expect(trials.map((t) => t.trial)).toEqual([...trials.keys()]);
      for (const t of trials) expect(t).toMatchObject({ state: "complete", value: t.params.x });
      expect(await s.end()).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
