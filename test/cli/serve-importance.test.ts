// The `importance` op (an addition to PROTOCOL.md), through a real `tunelab serve` child process:
// the reply ranks a known function's parameters, equals what src/views/analysis computes from
// the same trials, and bad requests get catalog codes while the server stays up.
import { spawn, type ChildProcess } from "child_process";
import * as readline from "readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importance } from "../../src/views/analysis/importance";
import { builtMain } from "./serve-child";

type Reply = Record<string, unknown> & { ok: boolean };

class Client {
  readonly child: ChildProcess;
  private readonly waiting: ((r: Reply) => void)[] = [];
  constructor(main: string) {
    this.child = spawn(process.execPath, [main, "serve"], { stdio: ["pipe", "pipe", "pipe"] });
    readline.createInterface({ input: this.child.stdout! }).on("line", (line) => this.waiting.shift()?.(JSON.parse(line) as Reply));
  }
  send(request: Record<string, unknown>): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin!.write(JSON.stringify(request) + "\n");
    });
  }
}

let client: Client;
beforeAll(() => {
  client = new Client(builtMain());
}, 180_000);
afterAll(() => {
  client.child.stdin!.end();
});

const space = { z: { type: "float", low: 0, high: 1 }, a: { type: "float", low: 0, high: 1 }, k: { type: "categorical", choices: ["x", "y"] } };

describe("serve: importance", () => {
  it("answers every parameter's share, most important first, as importance() does on the same trials", async () => {
    expect(await client.send({ op: "create", study: "imp", space, direction: "maximize", strategy: "random", seed: 7 })).toMatchObject({ ok: true });
    const early = await client.send({ op: "importance", study: "imp", id: 1 });
    expect(early).toEqual({ id: 1, ok: true, importance: [{ param: "z", importance: 0 }, { param: "a", importance: 0 }, { param: "k", importance: 0 }] });
    for (let i = 0; i < 80; i++) {
      const t = await client.send({ op: "ask", study: "imp" });
      const p = t["params"] as { a: number; k: string };
      if (i % 10 === 9) await client.send({ op: "tell", study: "imp", trial: t["trial"], state: "failed" });
      else await client.send({ op: "tell", study: "imp", trial: t["trial"], value: -10 * (p.a - 0.3) ** 2 + (p.k === "x" ? 0.5 : 0) });
    }
    const trials = ((await client.send({ op: "trials", study: "imp" }))["trials"] as { state: "complete"; params: Record<string, number>; value: number | null }[]).map((t) => ({ ...t, value: t.value }));
    for (const method of ["ped-anova", "fanova"] as const) {
      const r = await client.send({ op: "importance", study: "imp", method });
      const shares = r["importance"] as { param: string; importance: number }[];
      expect(shares.map((x) => x.param)).toEqual(["a", "k", "z"]);
      expect(shares).toEqual(importance(trials, space as never, { method, direction: "maximize", seed: 7 }));
    }
    // Without method: PED-ANOVA.
    expect((await client.send({ op: "importance", study: "imp" }))["importance"]).toEqual((await client.send({ op: "importance", study: "imp", method: "ped-anova" }))["importance"]);
  }, 60_000);

  it("answers bad requests with catalog codes and keeps serving", async () => {
    expect(await client.send({ op: "importance", study: "imp", method: "shap" })).toMatchObject({ ok: false, code: "importance.bad_method", field: "method" });
    expect(await client.send({ op: "importance", study: "imp", method: 3 })).toMatchObject({ ok: false, code: "importance.bad_method", field: "method" });
    expect(await client.send({ op: "importance", study: "nope" })).toMatchObject({ ok: false, code: "study.unknown" });
    expect(await client.send({ op: "importance", study: "imp", extra: 1 })).toMatchObject({ ok: false, code: "request.unknown_field", field: "extra" });
    expect(await client.send({ op: "best", study: "imp" })).toMatchObject({ ok: true });
  }, 30_000);
});
