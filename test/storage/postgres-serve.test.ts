// `tunelab serve` with "storage": "postgresql://..." in create: two serve processes share one
// study through the database (each trial number once, each sees the other's trials), and a
// database that can't be reached is an error reply (storage.unreachable, password hidden),
// not the end of the process.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, testDatabase } from "../helpers/postgres";
import { ensureBuilt } from "./workers/build";

interface Serve {
  send(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  end(): Promise<number | null>;
}

const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

function serve(): Serve {
  const child = spawn(process.execPath, [path.join(ensureBuilt(), "cli", "main.js"), "serve"], { stdio: ["pipe", "pipe", "pipe"] });
  children.push(child);
  let buf = "";
  const waiting: ((line: string) => void)[] = [];
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  child.stderr.resume();
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  return {
    send(request) {
      return new Promise((resolve) => {
        waiting.push((line) => resolve(JSON.parse(line) as Record<string, unknown>));
        child.stdin.write(JSON.stringify(request) + "\n");
      });
    },
    async end() {
      child.stdin.end();
      return exited;
    },
  };
}

const SPACE = { lr: { type: "float", low: 1e-4, high: 1, scale: "log" }, opt: { type: "categorical", choices: ["sgd", "adam"] } };

describe("tunelab serve on PostgreSQL", () => {
  it("two serve processes share a study created with a postgresql:// storage", async () => {
    const { url } = await testDatabase("serve");
    const a = serve();
    const b = serve();
    const create = { op: "create", study: "shared", space: SPACE, direction: "minimize", strategy: "random", seed: 4, storage: url };
    expect(await a.send({ ...create, id: 1 })).toMatchObject({ id: 1, ok: true, study: "shared" });
    expect(await b.send({ ...create, id: 1 })).toMatchObject({ id: 1, ok: true, study: "shared" });
    const numbers: number[] = [];
    for (let i = 0; i < 6; i++) {
      for (const s of [a, b]) {
        const asked = await s.send({ op: "ask", id: i, study: "shared" });
        expect(asked).toMatchObject({ ok: true });
        numbers.push(asked["trial"] as number);
        expect(await s.send({ op: "report", id: i, study: "shared", trial: asked["trial"], step: 1, value: 0.5 })).toMatchObject({ ok: true, prune: false });
        expect(await s.send({ op: "tell", id: i, study: "shared", trial: asked["trial"], value: (asked["trial"] as number) / 10 })).toMatchObject({ ok: true });
      }
    }
    expect(numbers.sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    for (const s of [a, b]) {
      const listed = await s.send({ op: "trials", id: "t", study: "shared" });
      expect((listed["trials"] as { trial: number; state: string }[]).map((t) => [t.trial, t.state])).toEqual([...Array(12).keys()].map((n) => [n, "complete"]));
      expect(await s.send({ op: "best", id: "b", study: "shared" })).toMatchObject({ ok: true, trial: 0, value: 0 });
    }
    expect(await a.end()).toBe(0);
    expect(await b.end()).toBe(0);
  }, 60_000);

  it("an unreachable database is an error reply naming the URL without its password; the process goes on", async () => {
    const s = serve();
    const port = await freePort();
    const r = await s.send({ op: "create", id: 7, study: "x", space: SPACE, direction: "minimize", strategy: "random", storage: `postgresql://me:pa55word@127.0.0.1:${port}/db` });
    expect(r).toMatchObject({ id: 7, ok: false, code: "storage.unreachable", field: "storage" });
    expect(r["error"]).toContain(`me:***@127.0.0.1:${port}/db`);
    expect(JSON.stringify(r)).not.toContain("pa55word");
    expect(await s.send({ op: "create", id: 8, study: "x", space: SPACE, direction: "minimize", strategy: "random" })).toMatchObject({ id: 8, ok: true });
    expect(await s.end()).toBe(0);
  }, 60_000);
});
