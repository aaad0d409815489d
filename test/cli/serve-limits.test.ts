// `limits` in serve's create (an addition to PROTOCOL.md): {"trials": n} caps the trials the
// study holds, counted over every process sharing its storage as limits.trials counts them, and
// checked inside the write that creates a trial; ask then answers {"done": true, "reason":
// "trials"}. Two sessions on one journal folder stand for two serve processes (each has its own
// storage handle and replica); test/storage/mixed-workers.test.ts runs real processes.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ProtocolSession } from "../../src/cli/protocol";

const SPACE = { x: { type: "float", low: 0, high: 1 } };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-serve-limits-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function client(cwd = tmp) {
  const session = new ProtocolSession({ log: () => {}, cwd });
  return async (request: Record<string, unknown>) => (await session.handle(request)).reply as Record<string, unknown>;
}
const create = (study: string, extra: Record<string, unknown> = {}) => ({ op: "create", study, space: SPACE, direction: "minimize", strategy: "random", seed: 3, ...extra });

describe("serve: limits.trials in create", () => {
  it("in memory: asks stop at the limit with reason trials; failed trials count; no limit, no stop", async () => {
    const send = client();
    expect(await send(create("capped", { limits: { trials: 3 } }))).toMatchObject({ ok: true });
    const a = await send({ op: "ask", study: "capped" });
    await send({ op: "tell", study: "capped", trial: a["trial"], state: "failed", error: "boom" });
    expect(await send({ op: "ask", study: "capped" })).toMatchObject({ ok: true, trial: 1 });
    expect(await send({ op: "ask", study: "capped" })).toMatchObject({ ok: true, trial: 2 });
    expect(await send({ op: "ask", study: "capped" })).toEqual({ id: null, ok: true, done: true, reason: "trials" });
    expect(await send({ op: "ask", study: "capped" })).toMatchObject({ done: true, reason: "trials" });
    // Created again without limits (resume): no cap for this session any more.
    expect(await send(create("capped", { limits: null }))).toMatchObject({ ok: true });
    expect(await send({ op: "ask", study: "capped" })).toMatchObject({ ok: true, trial: 3 });
  });

  it("two sessions on one journal folder, asks interleaved: exactly the limit between them", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "j-"));
    const [a, b] = [client(), client()];
    for (const s of [a, b]) expect(await s(create("shared", { storage: dir, limits: { trials: 5 } }))).toMatchObject({ ok: true });
    const got: number[] = [];
    const done: string[] = [];
    for (let i = 0; i < 6; i++) {
      for (const s of [a, b]) {
        const r = await s({ op: "ask", study: "shared" });
        if (r["done"]) done.push(r["reason"] as string);
        else got.push(r["trial"] as number);
      }
    }
    expect(got.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4]);
    expect(done).toEqual(Array(7).fill("trials"));
  });

  it("refuses bad limits, naming the field", async () => {
    const send = client();
    expect(await send(create("bad", { limits: 5 }))).toMatchObject({ ok: false, code: "request.bad_field", field: "limits" });
    for (const trials of [0, -1, 1.5, "3", true]) {
      expect(await send(create("bad", { limits: { trials } }))).toMatchObject({ ok: false, code: "option.bad_value", field: "limits.trials" });
    }
    expect(await send(create("bad", { limits: { minutes: 1 } }))).toMatchObject({ ok: false, code: "request.unknown_field", field: "limits.minutes" });
    // Refused before anything is created: the name is free for a good create.
    expect(await send({ op: "ask", study: "bad" })).toMatchObject({ ok: false, code: "study.unknown" });
    expect(await send(create("bad", { limits: {} }))).toMatchObject({ ok: true });
  });
});
