// The study browser's journal reader, under node: fed the bytes of files written by the real
// JournalStorage it rebuilds the same trials, whether it gets the file whole or in pieces cut
// anywhere (a poll seeing a record half written); a torn last record waits for its newline; a
// newer format is refused with a message that says so; hostile lines are skipped, counted and
// never applied, and long files are read in slices with the event loop free in between.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JournalReader, type ReaderLimits } from "../../extension/src/browser/journal-reader";
import type { StudySpec } from "../../src/model/trial";
import { encodeRecord } from "../../src/record/journal-format";
import { JournalStorage } from "../../src/storage/journal";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-reader-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const SPEC: StudySpec = {
  name: "s",
  space: { x: { type: "float", low: 0, high: 1 }, opt: { type: "categorical", choices: ["a", "b"] } },
  direction: "minimize",
  metric: "loss",
  strategy: { name: "random", options: {} },
  seed: 1,
  createdAt: 1_700_000_000_000,
};

/** A study with every trial state, written by the engine's journal; its bytes and trials. */
async function written(count = 12): Promise<{ bytes: Uint8Array; storage: JournalStorage }> {
  const s = new JournalStorage(dir, { onWarning: () => undefined });
  await s.openStudy(SPEC);
  for (let n = 0; n < count; n++) {
    await s.createTrial("s", () => ({ params: { x: n / count, opt: n % 2 ? "a" : "b" }, system: { bracket: n % 3 } }));
    await s.report("s", n, 0, { loss: 2 + n, acc: 0.5 });
    await s.report("s", n, 1, { loss: 1 + n });
    if (n % 4 === 1) await s.finishTrial("s", n, { state: "pruned" });
    else if (n % 4 === 2) await s.finishTrial("s", n, { state: "failed", error: "boom" });
    else if (n < count - 1) await s.finishTrial("s", n, { state: "complete", value: n / 10, metrics: { acc: 0.9 } });
  }
  return { bytes: new Uint8Array(fs.readFileSync(s.fileFor("s"))), storage: s };
}

const enc = (s: string) => new TextEncoder().encode(s);
const line = (o: unknown) => JSON.stringify(o) + "\n";
const header = (v = 1, spec: unknown = SPEC) => line({ op: "study", v, spec });

describe("JournalReader", () => {
  it("rebuilds exactly the trials the engine's journal holds, read whole", async () => {
    const { bytes, storage } = await written();
    const r = new JournalReader("runs/s.jsonl");
    await r.feed(bytes, true);
    expect(r.error).toBeNull();
    expect(r.skipped).toBe(0);
    expect(r.offset).toBe(bytes.length);
    expect(r.replica!.trials).toEqual((await storage.load("s")).trials);
    expect(r.replica!.trials.map((t) => t.state)).toContain("running");
  });

  it("reads incrementally: pieces cut anywhere, each read starting at the offset it reports", async () => {
    const { bytes, storage } = await written();
    const whole = new JournalReader("s.jsonl");
    await whole.feed(bytes, true);
    for (const step of [1, 7, 50, 333]) {
      const r = new JournalReader("s.jsonl");
      let versions = 0;
      for (let end = Math.min(step, bytes.length); ; end = Math.min(end + step, bytes.length)) {
        const v = r.version;
        // What a Range request from r.offset returns while the file is `end` bytes long.
        await r.feed(bytes.subarray(r.offset, end), true);
        if (r.version !== v) versions++;
        expect(r.offset).toBeLessThanOrEqual(end);
        if (end === bytes.length) break;
      }
      expect(r.offset).toBe(bytes.length);
      expect(r.replica!.trials).toEqual((await storage.load("s")).trials);
      expect(versions).toBeGreaterThan(1);
    }
  });

  it("leaves a torn last record unread until its newline comes, then applies it", async () => {
    const text = header() + line({ op: "trial", n: 0, params: { x: 0.5, opt: "a" }, t: 1 });
    const end = line({ op: "end", n: 0, state: "complete", t: 2, value: 0.25 });
    const torn = text + end.slice(0, 20);
    const r = new JournalReader("s.jsonl");
    await r.feed(enc(torn), true);
    expect(r.offset).toBe(enc(text).length);
    expect(r.replica!.trials[0]!.state).toBe("running");
    expect(r.skipped).toBe(0);
    await r.feed(enc(text + end).subarray(r.offset), true);
    expect(r.replica!.trials[0]).toMatchObject({ state: "complete", value: 0.25 });
    // A complete record that lost only its newline (a writer died after writing it) is applied,
    // as the engine's reader applies it; the newline the next writer adds makes an empty line.
    const r2 = new JournalReader("s.jsonl");
    await r2.feed(enc(text + end.trimEnd()), true);
    expect(r2.replica!.trials[0]!.state).toBe("complete");
    await r2.feed(enc("\n" + line({ op: "trial", n: 1, params: { x: 0.1, opt: "b" }, t: 3 })), true);
    expect(r2.replica!.trials).toHaveLength(2);
    expect(r2.skipped).toBe(0);
  });

  it("says clearly that a file is in a newer format version, and reads nothing of it", async () => {
    const r = new JournalReader("runs/new.jsonl");
    await r.feed(enc(header(4) + line({ op: "trial", n: 0, params: {}, t: 1 })), true);
    expect(r.error?.code).toBe("storage.newer_format");
    expect(r.error?.message).toMatch(/runs\/new\.jsonl was written in journal format version 4, newer than this tunelab reads \(version 3\); upgrade tunelab/);
    expect(r.replica).toBeNull();
  });

  it.each([
    ["not JSON", "<script>alert(1)</script>\n"],
    ["not a study record", line({ op: "trial", n: 0 })],
    ["no version", line({ op: "study", spec: SPEC })],
    ["a spec without a direction", header(1, { ...SPEC, direction: "<img src=x onerror=alert(1)>" })],
    ["a spec whose strategy is a string", header(1, { ...SPEC, strategy: "random" })],
  ])("refuses a file whose first record is %s", async (_what, first) => {
    const r = new JournalReader("bad.jsonl");
    await r.feed(enc(first + line({ op: "trial", n: 0, params: {}, t: 1 })), true);
    expect(r.error?.code).toBe("storage.bad_header");
    expect(r.replica).toBeNull();
  });

  const XSS = "<img src=x onerror=globalThis.__pwned=1>";
  const hostile = (v: number) => [
    header(v, { ...SPEC, name: XSS, space: { [XSS]: { type: "categorical", choices: [XSS] } } }),
    "{not json\n",
    line({ op: "drop tables" }),
    line({ op: "trial", n: "0", params: {}, t: 1 }),
    line({ op: "trial", n: 0, params: "x", t: 1 }),
    line({ op: "trial", n: 0, params: { [XSS]: XSS }, t: 1 }),
    line({ op: "trial", n: 3, params: { [XSS]: 1 }, t: 1 }), // trials 1-2 have no creation record
    line({ op: "report", n: 0, step: 0, v: { loss: "1" } }),
    line({ op: "report", n: 0, step: 0, v: null }),
    line({ op: "report", n: 0, step: 0, v: { loss: 3 } }),
    line({ op: "report", n: 0, step: 0, v: { loss: 2 } }), // step not increasing
    line({ op: "sys", n: 0, sys: [1] }),
    line({ op: "end", n: 0, state: "exploded", t: 2 }),
    line({ op: "end", n: 0, state: "failed", t: 2, error: { toString: XSS } }),
    line({ op: "end", n: 0, state: "failed", t: 2, error: XSS }),
    line({ op: "end", n: 0, state: "complete", t: 3, value: 1 }), // already finished
    line({ op: "trial", n: 999999, params: {}, t: 1 }), // more trials than the file could hold
    line(["op", "trial"]),
    "null\n",
    "\n",
  ];

  it("skips hostile and damaged lines (counted, one message per run of them) and applies the rest", async () => {
    const r = new JournalReader("x.jsonl");
    await r.feed(enc(hostile(1).join("")), true);
    expect(r.error).toBeNull();
    expect(r.replica!.trials).toHaveLength(4);
    expect(r.replica!.trials[0]).toMatchObject({ state: "failed", error: XSS, params: { [XSS]: XSS }, intermediate: [[0, 3]] });
    expect(r.replica!.trials.slice(1, 3)).toEqual([1, 2].map((n) => expect.objectContaining({ number: n, state: "failed", params: {}, system: { lost: { line: 2 } } })));
    expect(r.replica!.trials[3]).toMatchObject({ state: "running", params: { [XSS]: 1 } });
    expect(r.skipped).toBe(14);
    expect(r.warnings).toEqual([
      'x.jsonl: lines 2-5 were skipped (4 lines): not valid JSON (a damaged record); not a tunelab operation; a field "n" of the wrong type; and others. Trials 1-2 lost the record that created them there: kept as failed placeholders (system.lost).',
      'x.jsonl: lines 8-9 were skipped (2 lines): a field "v" of the wrong type.',
      expect.stringMatching(/^x\.jsonl: lines 11-14 were skipped \(4 lines\): does not fit the study: step must be an integer greater than the last reported step 0, but got 0\.; a field "sys" of the wrong type; a field "state" of the wrong type; and others\.$/),
      expect.stringMatching(/^x\.jsonl: lines 16-19 were skipped \(4 lines\): does not fit the study: trial 0 is already failed.*; trial 999999 is more than the file before it can hold; not a tunelab operation\.$/),
    ]);
    expect((globalThis as { __pwned?: unknown }).__pwned).toBeUndefined();
  });

  it("in a version-2 file, lines without their checksum are all skipped", async () => {
    const r = new JournalReader("x.jsonl");
    const lines = hostile(2);
    lines[0] = encodeRecord({ op: "study", v: 2, spec: SPEC }) + "\n";
    lines.splice(6, 0, encodeRecord({ op: "trial", n: 0, params: { x: 0.5, opt: "a" }, t: 1 }) + "\n");
    await r.feed(enc(lines.join("")), true);
    expect(r.replica!.trials).toEqual([expect.objectContaining({ number: 0, state: "running", params: { x: 0.5, opt: "a" } })]);
    expect(r.skipped).toBe(lines.length - 3);
    expect(r.warnings).toHaveLength(2);
  });

  it("skips a line longer than the limit without buffering it, even across reads", async () => {
    const limits: ReaderLimits = { maxLineBytes: 1000, linesPerSlice: 1000, sliceMs: 1000 };
    const huge = `{"op":"trial","n":0,"params":{"x":"${"A".repeat(5000)}"},"t":1}\n`;
    const text = header() + huge + line({ op: "trial", n: 0, params: { x: 1 }, t: 1 });
    const bytes = enc(text);
    const r = new JournalReader("big.jsonl", limits);
    // In reads of 1500 bytes: the huge line never fits one.
    for (let end = 1500; r.offset < bytes.length; end = Math.min(end + 1500, bytes.length)) await r.feed(bytes.subarray(r.offset, end), true);
    expect(r.replica!.trials).toEqual([expect.objectContaining({ number: 0, params: { x: 1 } })]);
    expect(r.skipped).toBe(1);
    expect(r.warnings).toEqual(["big.jsonl: line 2 was skipped: longer than 1000 bytes."]);
  });

  it("works in slices with the event loop free in between, so a long file never blocks the page", async () => {
    let text = header();
    for (let n = 0; n < 2000; n++) text += line({ op: "trial", n, params: { x: 0.5, opt: "a" }, t: n }) + line({ op: "end", n, state: "complete", t: n + 1, value: n });
    let yields = 0;
    const r = new JournalReader("long.jsonl", { maxLineBytes: 1 << 20, linesPerSlice: 100, sliceMs: 1000 }, async () => {
      yields++;
      await new Promise((resolve) => setTimeout(resolve, 0));
    });
    await r.feed(enc(text), true);
    expect(r.replica!.trials).toHaveLength(2000);
    expect(yields).toBeGreaterThanOrEqual(39);
    expect(r.offset).toBe(enc(text).length);
  });
});
