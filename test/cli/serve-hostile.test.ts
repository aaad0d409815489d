import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProtocolSession } from "../../src/cli/protocol";
import { replyLine, serve } from "../../src/cli/serve";
import { journalFileName } from "../../src/storage/journal";
import { MAX_JSON_DEPTH } from "../../src/util/json-depth";
import { anyLine, requestText, validSequence } from "./fuzz-arbitraries";
import { runsOf } from "./fuzz-harness";
import { DEPTH_LIMIT, checkReply, isExit, type Reply } from "./serve-child";

// Hostile input to `tunelab serve` in-process (issue 11, class 1): the
// regressions found by hand and by the fuzz suite, each kept as an explicit
// example, and properties of ProtocolSession and of the line framing that
// need no child process.

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-hostile-"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Serves raw bytes in-process; the output split into lines, and how serving ended. */
async function served(input: Buffer | readonly Buffer[], o: { cwd?: string } = {}): Promise<{ text: string; replies: Reply[]; reason: string; log: string[] }> {
  const inp = new PassThrough();
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  const log: string[] = [];
  const done = serve({ input: inp, output: out, log: (m) => log.push(m), cwd: o.cwd ?? tmp });
  for (const c of Array.isArray(input) ? input : [input]) inp.write(c);
  inp.end();
  const { reason } = await done;
  const text = Buffer.concat(chunks).toString("utf8");
  return { text, replies: text === "" ? [] : text.replace(/\n$/, "").split("\n").map((l) => JSON.parse(l) as Reply), reason, log };
}

const nl = (...lines: string[]): Buffer => Buffer.from(lines.map((l) => l + "\n").join(""));
const SPACE = JSON.stringify({ x: { type: "float", low: 0, high: 1 } });
const create = (study: string, extra = ""): string => `{"op":"create","study":${JSON.stringify(study)},"space":${SPACE},"direction":"minimize","strategy":"random","seed":1${extra}}`;
const nest = (levels: number, inner = "0"): string => "[".repeat(levels) + inner + "]".repeat(levels);

describe("regressions: replies that could not be written (issue 11, class 1)", () => {
  it("an id nested 5000 levels deep is refused with request.too_deep and id null; the studies in memory survive (it used to end the process)", async () => {
    const { replies, reason } = await served(
      nl(create("kept", ',"id":"c"'), '{"op":"ask","study":"kept","id":"a"}', `{"op":"exit","id":${nest(5000)}}`, '{"op":"trials","study":"kept","id":"t"}', '{"op":"exit","id":"bye"}'),
    );
    expect(replies.map((r) => [r["id"], r["ok"], r["code"]])).toEqual([
      ["c", true, undefined],
      ["a", true, undefined],
      [null, false, "request.too_deep"],
      ["t", true, undefined],
      ["bye", true, undefined],
    ]);
    expect(replies[2]!["field"]).toBe("id");
    expect(replies[3]!["trials"]).toHaveLength(1);
    expect(reason).toBe("exit");
  });

  it("deep nesting in space, options, stopping or a value is refused naming the member (it used to be an internal error)", async () => {
    const deep = nest(20_000);
    const { replies } = await served(
      nl(
        `{"op":"create","study":"s","space":{"x":${deep}},"direction":"minimize","strategy":"random"}`,
        create("s", `,"options":{"quasi":${deep}}`),
        create("s", `,"stopping":{"rule":${deep}}`),
        `{"op":"tell","study":"s","trial":0,"value":${deep}}`,
        `{"op":"ask","study":"s","unknown":${deep}}`,
        nest(100),
      ),
    );
    expect(replies.map((r) => [r["id"], r["code"], r["field"]])).toEqual([
      [null, "request.too_deep", "space"],
      [null, "request.too_deep", "options"],
      [null, "request.too_deep", "stopping"],
      [null, "request.too_deep", "value"],
      [null, "request.too_deep", "unknown"],
      [null, "request.too_deep", "request"],
    ]);
    for (const r of replies) expect(r["error"]).toContain(String(MAX_JSON_DEPTH));
  });

  it(`${MAX_JSON_DEPTH} levels are read and echoed, one more is refused; a deep duplicate key counts though JSON.parse drops it`, async () => {
    expect(MAX_JSON_DEPTH).toBe(DEPTH_LIMIT);
    const inner = nest(MAX_JSON_DEPTH - 1);
    const { replies } = await served(
      nl(`{"op":"exit","unknown":1,"id":${inner}}`, `{"op":"exit","unknown":1,"id":${nest(MAX_JSON_DEPTH)}}`, `{"op":"exit","id":${nest(MAX_JSON_DEPTH)},"id":"x"}`, '{"op":"exit"}'),
    );
    expect(replies[0]).toMatchObject({ id: JSON.parse(inner) as unknown, ok: false, code: "request.unknown_field" });
    expect(replies[1]).toMatchObject({ id: null, ok: false, code: "request.too_deep", field: "id" });
    expect(replies[2]).toMatchObject({ id: null, ok: false, code: "request.too_deep", field: "id" });
    expect(replies[3]).toEqual({ id: null, ok: true });
  });

  it("a study name with lone surrogates lives on disk under its own file, and a new server resumes it by that name (it used to be an internal error)", async () => {
    const cwd = path.join(tmp, "surrogates");
    fs.mkdirSync(cwd);
    const names = ["\ud800", "\udc00", "a\ud800b", "\udbff\udbff", "\ud83d\ude00", "\u0000", "x".repeat(199) + "\ud800"];
    const first = await served(nl(...names.flatMap((n) => [create(n, ',"storage":"j"'), `{"op":"ask","study":${JSON.stringify(n)}}`, `{"op":"tell","study":${JSON.stringify(n)},"trial":0,"value":2}`])), { cwd });
    expect(first.replies.every((r) => r["ok"] === true)).toBe(true);
    expect(new Set(fs.readdirSync(path.join(cwd, "j")).filter((f) => f.endsWith(".jsonl"))).size).toBe(names.length);
    expect(fs.existsSync(path.join(cwd, "j", journalFileName("\ud800")))).toBe(true);
    const again = await served(nl(...names.flatMap((n) => [create(n, ',"storage":"j"'), `{"op":"trials","study":${JSON.stringify(n)}}`])), { cwd });
    for (const [k, n] of names.entries()) {
      expect(again.replies[2 * k]).toEqual({ id: null, ok: true, study: n });
      expect(again.replies[2 * k + 1]!["trials"]).toEqual([expect.objectContaining({ trial: 0, state: "complete", value: 2 })]);
    }
  });

  it("a line of whitespace JSON does not allow (NBSP, a BOM after the first line, U+3000) gets an answer instead of silence", async () => {
    const { replies } = await served(Buffer.from('{"op":"best","study":"s","id":1}\n\u00a0\n\ufeff\n\u3000\n \t\r\n\n{"op":"exit","id":2}\n'));
    expect(replies.map((r) => [r["id"], r["code"] ?? r["ok"]])).toEqual([
      [1, "study.unknown"],
      [null, "request.not_json"],
      [null, "request.not_json"],
      [null, "request.not_json"],
      [2, true],
    ]);
  });

  it("a parameter named like what every object inherits (toString, constructor) is refused: when inactive it read as present, a function, in configurations", async () => {
    for (const name of ["toString", "constructor", "hasOwnProperty", "valueOf", "__proto__", "__defineGetter__"]) {
      const space = `{"c":{"type":"categorical","choices":["a","b"]},${JSON.stringify(name)}:{"type":"int","low":0,"high":3,"when":{"c":["a"]}}}`;
      const { replies } = await served(nl(`{"op":"create","study":"s","space":${space},"direction":"minimize","strategy":"random"}`));
      expect(replies[0]).toMatchObject({ ok: false, code: "space.bad_name", field: "space" });
      expect(replies[0]!["error"]).toContain(JSON.stringify(name));
    }
  });

  it("a storage path with NUL is a bad storage, not a failure of the file system", async () => {
    const { replies } = await served(nl(create("s", ',"storage":"a\\u0000b"')));
    expect(replies[0]).toMatchObject({ ok: false, code: "request.bad_storage", field: "storage" });
  });

  it("a reply that cannot be serialised becomes an internal-error reply, logged, instead of an exception", () => {
    const log: string[] = [];
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    for (const bad of [{ id: 1, ok: true, n: 1n }, { id: cyclic, ok: true }, { id: 2, ok: true, x: cyclic }] as never[]) {
      const r = JSON.parse(replyLine(bad, (m) => log.push(m))) as Reply;
      expect(r).toMatchObject({ ok: false, code: "internal", field: "request" });
    }
    expect(JSON.parse(replyLine({ id: 1, ok: true, n: 1n } as never, () => {})) as Reply).toMatchObject({ id: 1 });
    expect(JSON.parse(replyLine({ id: cyclic, ok: true } as never, () => {})) as Reply).toMatchObject({ id: null });
    expect(log).toHaveLength(3);
  });
});

describe("ProtocolSession and the framing under any input (properties)", () => {
  it("handleLine answers any line (random JSON, request-shaped objects, bytes, cut JSON, long lines) with a reply that is written cleanly", async () => {
    const log: string[] = [];
    const session = new ProtocolSession({ cwd: path.join(tmp, "session"), log: (m) => log.push(m) });
    await fc.assert(
      // Long lines are the process suite's (serve-fuzz.test.ts); here many short ones.
      fc.asyncProperty(fc.array(anyLine.filter((l) => l.length < 100_000), { minLength: 1, maxLength: 6 }), async (lines) => {
        for (const line of lines) {
          if (isExit(line)) continue;
          const { reply } = await session.handleLine(line.toString("utf8").trim(), 1);
          checkReply(replyLine(reply, (m) => log.push(m)).trimEnd(), line);
        }
      }),
      { numRuns: runsOf(60) },
    );
    expect(log.filter((m) => m.startsWith("internal"))).toEqual([]);
    await session.close();
  }, 120_000);

  it("the replies do not depend on how the input is cut into chunks (inside a line, a character, a CRLF)", async () => {
    const content = fc
      .tuple(validSequence("s", { storage: null }), fc.array(anyLine.filter((l) => l.length < 5_000), { maxLength: 4 }), fc.boolean())
      .map(([seq, noise, crlf]) =>
        Buffer.concat(
          [...seq.requests.map((p) => Buffer.from(requestText(p))), ...noise]
            .filter((l) => !isExit(l))
            .map((l) => Buffer.concat([l, Buffer.from(crlf ? "\r\n" : "\n")])),
        ),
      );
    await fc.assert(
      fc.asyncProperty(content, fc.array(fc.nat(), { maxLength: 30 }), async (bytes, cuts) => {
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, k) => bytes.subarray(from, k < at.length ? at[k] : bytes.length));
        // Each in a folder of its own: a line may create a study on disk.
        const whole = await served(bytes, { cwd: fs.mkdtempSync(path.join(tmp, "whole-")) });
        const cut = await served(chunks, { cwd: fs.mkdtempSync(path.join(tmp, "cut-")) });
        expect(cut.text).toBe(whole.text);
      }),
      { numRuns: runsOf(30) },
    );
  }, 120_000);
});
