// Durable mode (issue 11, class 6): `.storage({ dir, durable: true })` in the DSL and the
// TUNELAB_DURABLE environment variable, which `tunelab serve` honours too. Whether appends are
// really synced is seen from outside: strace counts the fdatasync calls of a serve process.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tune } from "../../src/dsl/tuner";
import { float } from "../../src/space/builders";
import { JournalStorage } from "../../src/storage/journal";
import { TunelabError } from "../../src/util/errors";
import { runToEnd } from "./helpers";
import { ensureBuilt, tempDir } from "./workers/build";

let dir: string;
const saved = process.env["TUNELAB_DURABLE"];
beforeEach(() => {
  dir = tempDir("durable");
  delete process.env["TUNELAB_DURABLE"];
});
afterEach(() => {
  if (saved === undefined) delete process.env["TUNELAB_DURABLE"];
  else process.env["TUNELAB_DURABLE"] = saved;
  fs.rmSync(dir, { recursive: true, force: true });
});

function thrown(f: () => unknown): TunelabError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TunelabError);
    return e as TunelabError;
  }
  throw new Error("did not throw");
}

describe("choosing durable mode", () => {
  it("the DSL: .storage({ dir, durable }) reaches the journal; anything but a boolean is refused", async () => {
    const durable = await tune("d").space({ x: float(0, 1) }).minimize().storage({ dir, durable: true }).open();
    expect((durable.storage as JournalStorage).durable).toBe(true);
    const plain = await tune("p").space({ x: float(0, 1) }).minimize().storage({ dir }).open();
    expect((plain.storage as JournalStorage).durable).toBe(false);
    const e = thrown(() => tune("x").storage({ dir, durable: "yes" as unknown as boolean }));
    expect(e.code).toBe("storage.bad_durable");
    expect(e.field).toBe("storage.durable");
  });

  it("TUNELAB_DURABLE sets the default (1/true/yes/on, 0/false/no/off), an explicit option wins, a bad value is refused", () => {
    for (const [v, want] of [["1", true], ["true", true], ["YES", true], ["on", true], ["0", false], ["false", false], ["no", false], ["off", false], ["", false]] as const) {
      process.env["TUNELAB_DURABLE"] = v;
      expect(new JournalStorage(dir).durable, v).toBe(want);
    }
    process.env["TUNELAB_DURABLE"] = "1";
    expect(new JournalStorage(dir, { durable: false }).durable).toBe(false);
    process.env["TUNELAB_DURABLE"] = "sometimes";
    const e = thrown(() => new JournalStorage(dir));
    expect(e.code).toBe("storage.bad_durable");
    expect(e.field).toBe("TUNELAB_DURABLE");
    expect(e.message).toContain('"sometimes"');
  });
});

describe("tunelab serve with TUNELAB_DURABLE", () => {
  let dist: string;
  beforeAll(() => {
    dist = ensureBuilt();
    const probe = spawnSync("strace", ["-V"], { encoding: "utf8" });
    expect(probe.status, "strace is needed to see the fsync calls").toBe(0);
  });

  /** Runs serve (under strace) for a create, three ask/tell pairs; the replies and the fdatasync calls seen. */
  async function serve(env: Record<string, string>): Promise<{ replies: Record<string, unknown>[]; syncs: number }> {
    const trace = path.join(dir, "trace.txt");
    const requests = [
      { id: 1, op: "create", study: "s", space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", strategy: "random", seed: 3, storage: path.join(dir, "j") },
      ...[0, 1, 2].flatMap((n) => [
        { id: 10 + n, op: "ask", study: "s" },
        { id: 20 + n, op: "tell", study: "s", trial: n, value: 0.5 },
      ]),
    ];
    // One request at a time: the ask's trial number is known before the tell.
    const out = await runToEnd(["strace", "-f", "-qq", "-e", "trace=fdatasync", "-o", trace, process.execPath, path.join(dist, "cli", "main.js"), "serve"], env, requests.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const syncs = fs.readFileSync(trace, "utf8").split("\n").filter((l) => /fdatasync\(/.test(l)).length;
    return { replies: out.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>), syncs };
  }

  it("syncs every append when set, and none when not", async () => {
    const durable = await serve({ TUNELAB_DURABLE: "1" });
    expect(durable.replies.every((r) => r["ok"] === true), JSON.stringify(durable.replies)).toBe(true);
    // The study record, and three trials created and finished.
    expect(durable.syncs).toBeGreaterThanOrEqual(7);
    fs.rmSync(path.join(dir, "j"), { recursive: true });
    const plain = await serve({ TUNELAB_DURABLE: "0" });
    expect(plain.replies.every((r) => r["ok"] === true)).toBe(true);
    expect(plain.syncs).toBe(0);
  });

  it("answers a bad value with storage.bad_durable, and goes on serving", async () => {
    const { replies } = await serve({ TUNELAB_DURABLE: "maybe" });
    expect(replies[0]).toMatchObject({ id: 1, ok: false, code: "storage.bad_durable", field: "TUNELAB_DURABLE" });
    expect(replies).toHaveLength(7);
  });
});
