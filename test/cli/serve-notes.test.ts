// The `attr` and `note` ops of `tunelab serve` (additions to PROTOCOL.md, issue 16 part 4), in
// a real child process: recorded with the trial, listed by `trials`, kept in a journal across a
// new process (resume), and, for any request shaped like one, answered with ok or a catalog
// error that names its field, the server alive after each.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../storage/workers/build";
import { builtMain, ServeChild } from "./serve-child";

type Reply = Record<string, unknown> & { ok: boolean };

let dir: string;
let main: string;
beforeAll(() => {
  dir = tempDir("serve-notes");
  main = builtMain();
}, 120_000);
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function send(s: ServeChild, ...requests: object[]): Promise<Reply[]> {
  const out = await s.exchange(requests.map((r) => Buffer.from(JSON.stringify(r))));
  return out.map((o) => JSON.parse(o.reply) as Reply);
}

const CREATE = { op: "create", study: "s", space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", strategy: "random", seed: 3, storage: "journal" };

describe("serve: attr and note", () => {
  it("records attributes and notes of trials and of the study; trials lists them; a new process reads them from the journal", async () => {
    const s = new ServeChild(main, dir);
    try {
      const [created, a0, a1] = await send(s, CREATE, { op: "ask", study: "s" }, { op: "ask", study: "s" });
      expect(created).toMatchObject({ ok: true });
      expect([a0!["trial"], a1!["trial"]]).toEqual([0, 1]);
      const replies = await send(
        s,
        { op: "attr", id: 1, study: "s", trial: 0, key: "gpu", value: "A100" },
        { op: "attr", id: 2, study: "s", trial: 0, key: "cfg", value: { layers: [64, 32], ok: null } },
        { op: "note", id: 3, study: "s", trial: 0, note: "## diverged\n<script>x</script>" },
        { op: "tell", id: 4, study: "s", trial: 1, state: "failed", error: "OOM" },
        { op: "note", id: 5, study: "s", trial: 1, note: "after the end too" },
        { op: "note", id: 6, study: "s", note: "study **note**" },
        { op: "attr", id: 7, study: "s", trial: 0, key: "nothing", value: null },
      );
      expect(replies).toEqual([1, 2, 3, 4, 5, 6, 7].map((id) => ({ id, ok: true })));
      const [listed] = await send(s, { op: "trials", study: "s" });
      expect(listed!["note"]).toBe("study **note**");
      expect(listed!["trials"]).toEqual([
        expect.objectContaining({ trial: 0, state: "running", attrs: { gpu: "A100", cfg: { layers: [64, 32], ok: null }, nothing: null }, note: "## diverged\n<script>x</script>" }),
        expect.objectContaining({ trial: 1, state: "failed", error: "OOM", note: "after the end too" }),
      ]);
      expect((listed!["trials"] as Reply[])[1]).not.toHaveProperty("attrs");
    } finally {
      await s.exit();
    }
    // Resume: another process, the same journal.
    const again = new ServeChild(main, dir);
    try {
      const [, listed] = await send(again, CREATE, { op: "trials", study: "s" });
      expect(listed!["note"]).toBe("study **note**");
      expect((listed!["trials"] as Reply[])[0]).toMatchObject({ attrs: { gpu: "A100" }, note: "## diverged\n<script>x</script>" });
      expect(fs.readFileSync(path.join(dir, "journal", "s.jsonl"), "utf8")).toContain('"op":"note"');
    } finally {
      await again.exit();
    }
  }, 60_000);

  it("refuses bad attr and note requests with catalog codes naming the field", async () => {
    const s = new ServeChild(main, dir);
    try {
      await send(s, { ...CREATE, study: "b", storage: null }, { op: "ask", study: "b" });
      const cases: [object, string, string][] = [
        [{ op: "attr", study: "b", trial: 0, value: 1 }, "request.missing_field", "key"],
        [{ op: "attr", study: "b", trial: 0, key: "k" }, "request.missing_field", "value"],
        [{ op: "attr", study: "b", key: "k", value: 1 }, "request.missing_field", "trial"],
        [{ op: "attr", study: "b", trial: 9, key: "k", value: 1 }, "trial.unknown", "trial"],
        [{ op: "attr", study: "b", trial: 0, key: "constructor", value: 1 }, "attr.bad_key", "key"],
        [{ op: "attr", study: "b", trial: 0, key: 5, value: 1 }, "attr.bad_key", "key"],
        [{ op: "attr", study: "b", trial: 0, key: "k", value: "v".repeat(20_000) }, "attr.too_large", "value"],
        [{ op: "attr", study: "b", trial: 0, key: "k", value: 1, extra: 1 }, "request.unknown_field", "extra"],
        [{ op: "note", study: "b", trial: 0 }, "request.missing_field", "note"],
        [{ op: "note", study: "b", note: ["x"] }, "note.bad_text", "note"],
        [{ op: "note", study: "b", note: "x".repeat(70_000) }, "note.too_large", "note"],
        [{ op: "note", study: "b", trial: -1, note: "x" }, "request.bad_field", "trial"],
        [{ op: "note", study: "nope", note: "x" }, "study.unknown", "study"],
      ];
      const replies = await send(s, ...cases.map(([r]) => r));
      replies.forEach((r, i) => expect(r, JSON.stringify(cases[i]![0]).slice(0, 100)).toMatchObject({ ok: false, code: cases[i]![1], field: cases[i]![2] }));
      const [listed] = await send(s, { op: "trials", study: "b" });
      expect(listed!["trials"]).toEqual([expect.not.objectContaining({ attrs: expect.anything() })]);
      expect(listed).not.toHaveProperty("note");
    } finally {
      await s.exit();
    }
  }, 60_000);

  it("property: any attr or note request gets ok or an error with a catalog code (not internal) and a field; serve stays alive", async () => {
    const s = new ServeChild(main, dir);
    try {
      await send(s, { ...CREATE, study: "p", storage: null }, { op: "ask", study: "p" }, { op: "ask", study: "p" });
      const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 20 }), fc.constantFrom("__proto__", "toString", "", "x".repeat(17_000)), fc.double(), fc.constant(undefined));
      const request = fc.record(
        { op: fc.constantFrom("attr", "note"), study: fc.constantFrom("p", "q", 3), trial: fc.oneof(fc.constantFrom(0, 1, 2, -1, 1.5, null), anyJson), key: anyJson, value: anyJson, note: anyJson },
        { requiredKeys: ["op", "study"] },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 10 }), async (requests) => {
          for (const r of await send(s, ...requests)) {
            if (r.ok) continue;
            expect(r["code"]).not.toBe("internal");
            expect(typeof r["code"]).toBe("string");
            expect(typeof r["field"]).toBe("string");
          }
          expect(s.alive).toBe(true);
        }),
        { numRuns: 40 },
      );
      // What was accepted is what trials lists: every attribute within bounds.
      const [listed] = await send(s, { op: "trials", study: "p" });
      for (const t of listed!["trials"] as Reply[]) {
        const attrs = (t["attrs"] ?? {}) as Record<string, unknown>;
        expect(Object.keys(attrs).length).toBeLessThanOrEqual(64);
        for (const v of Object.values(attrs)) expect(JSON.stringify(v).length).toBeLessThanOrEqual(16 * 1024);
      }
    } finally {
      await s.exit();
    }
  }, 120_000);
});
