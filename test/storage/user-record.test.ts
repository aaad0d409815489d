// The user's record in a journal someone else wrote (issue 16 part 4): "attr" and "note" lines
// are checked when read as when written, so a crafted or damaged line that breaks a bound or a
// type costs that line alone, with a warning, in the Node journal and the browser's reader alike.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeRecord } from "../../src/record/journal-format";
import { JournalLineReader } from "../../src/record/journal-reader";
import { JOURNAL_VERSION, type StudyOp } from "../../src/record/ops";
import { MAX_ATTRS, MAX_NOTE_BYTES } from "../../src/record/user";
import { JournalStorage, journalFileName } from "../../src/storage/journal";
import { testSpec } from "./helpers";
import { tempDir } from "./workers/build";

let dir: string;
let warnings: string[];
beforeEach(() => {
  dir = tempDir("user-record");
  warnings = [];
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const spec = testSpec("u");
const lines = (ops: object[]) => ops.map((o) => encodeRecord(o as StudyOp) + "\n").join("");

const GOOD: object[] = [
  { op: "study", v: JOURNAL_VERSION, spec },
  { op: "trial", n: 0, params: { x: 0.5 }, t: 1 },
  { op: "attr", n: 0, k: "ok", v: [1, { a: "b" }] },
  { op: "note", n: 0, md: "fine" },
  { op: "note", md: "study" },
];
// Each breaks one rule of the record; every one is skipped, nothing else is.
const BAD: object[] = [
  { op: "attr", n: 0, k: "__proto__", v: 1 },
  { op: "attr", n: 0, k: "", v: 1 },
  { op: "attr", n: 0, k: "big", v: "x".repeat(17 * 1024) },
  { op: "attr", n: 0, k: "deep", v: JSON.parse("[".repeat(40) + "]".repeat(40)) as unknown },
  { op: "attr", n: 0, k: 7, v: 1 },
  { op: "attr", n: 0, k: "missing value" },
  { op: "note", n: 0, md: 5 },
  { op: "note", md: "é".repeat(MAX_NOTE_BYTES) },
  { op: "note", n: "0", md: "x" },
];

describe("attr and note records read from a file", () => {
  it("a line that breaks a bound or a type is skipped with a warning; the rest is read (Node journal)", async () => {
    fs.writeFileSync(path.join(dir, journalFileName("u")), lines([...GOOD, ...BAD, { op: "attr", n: 0, k: "after", v: true }]));
    const snap = await new JournalStorage(dir, { onWarning: (m) => warnings.push(m) }).openStudy(spec);
    expect(snap.trials[0]).toMatchObject({ attrs: { ok: [1, { a: "b" }], after: true }, note: "fine" });
    expect(Object.keys(snap.trials[0]!.attrs!)).toEqual(["ok", "after"]);
    expect(snap.note).toBe("study");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`lines 6-${5 + BAD.length} were skipped \\(${BAD.length} lines\\)`));
  });

  it("the browser's reader (the same one) agrees, and holds at most MAX_ATTRS attributes a trial", () => {
    const many = Array.from({ length: MAX_ATTRS + 5 }, (_, i) => ({ op: "attr", n: 0, k: `k${i}`, v: i }));
    const r = new JournalLineReader("u.jsonl", { onWarning: (m) => warnings.push(m) });
    r.read(new TextEncoder().encode(lines([...GOOD, ...BAD, ...many])), true, false);
    const t = r.replica!.trials[0]!;
    expect(Object.keys(t.attrs!)).toHaveLength(MAX_ATTRS);
    expect(r.skipped).toBe(BAD.length + 6); // the bad ones, and five past the bound plus "ok" already taking one
    expect(warnings).toHaveLength(2);
  });

  it("records of a trial the file has not created yet are set aside as lost trials' records are", () => {
    const r = new JournalLineReader("u.jsonl", { onWarning: (m) => warnings.push(m) });
    r.read(new TextEncoder().encode(lines([GOOD[0]!, { op: "note", n: 3, md: "early" }, { op: "trial", n: 0, params: { x: 0.1 }, t: 1 }])), true, false);
    expect(r.replica!.trials[0]).toMatchObject({ params: { x: 0.1 } });
    expect(r.replica!.trials[0]!.note).toBeUndefined();
    expect(r.skipped).toBe(1);
  });
});
