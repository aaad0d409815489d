// What only the on-disk journal has to get right: its format (golden file and
// version check), damaged files, locks left by dead processes, file names.
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FrozenTrial, StudySpec } from "../../src/model/trial";
import { encodeRecord } from "../../src/record/journal-format";
import { JournalStorage, journalFileName, readHeader } from "../../src/storage/journal";
import { ownHolder } from "../../src/storage/lock";
import { rejected, testSpec } from "./helpers";
import { tempDir } from "./workers/build";

const FIXTURES = path.join(__dirname, "..", "fixtures");

let dir: string;
let warnings: string[];
const journal = (o: { lockTimeoutMs?: number; durable?: boolean } = {}) => new JournalStorage(dir, { onWarning: (m) => warnings.push(m), ...o });

beforeEach(() => {
  dir = tempDir("journal");
  warnings = [];
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const spec = testSpec;
const thrown = rejected;

/** A study with trials 0..count-1 complete (value n/10) and the file's text. */
async function studyWith(count: number, name = "s"): Promise<{ file: string; text: string }> {
  const s = journal();
  await s.openStudy(spec(name));
  for (let n = 0; n < count; n++) {
    await s.createTrial(name, () => ({ params: { x: n / 10 } }));
    await s.report(name, n, 0, { loss: 1 + n });
    await s.finishTrial(name, n, { state: "complete", value: n / 10 });
  }
  const file = s.fileFor(name);
  return { file, text: fs.readFileSync(file, "utf8") };
}

/** The files in the folder, but this process's lock owner file (lock.ts). */
function journalFiles(): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f !== `.tunelab-${ownHolder().token}.owner`)
    .sort();
}

/** The trials as a fresh reader sees them. */
async function readTrials(name = "s"): Promise<readonly FrozenTrial[]> {
  return (await journal().openStudy(spec(name))).trials;
}

/** Everything but the timestamps, for comparing two readers. */
const shape = (ts: readonly FrozenTrial[]) => ts.map(({ startedAt: _s, finishedAt: _f, ...rest }) => rest);

describe.each([1, 2, 3])("golden file: format version %i", (version) => {
  const FIXTURE = path.join(FIXTURES, `journal-v${version}.jsonl`);
  const GOLDEN = `golden v${version}`;
  const stored: FrozenTrial[] = [
    {
      number: 0,
      state: "complete",
      params: { lr: 0.001, layers: 2, opt: "adam" },
      value: 0.4,
      metrics: { val_loss: 0.4, acc: 0.8 },
      intermediate: [[0, 0.9], [1, 0.5]],
      curves: { acc: [[0, 0.5]] },
      startedAt: 1700000006000,
      finishedAt: 1700000013000,
      system: {},
    },
    {
      number: 1,
      state: "failed",
      params: { lr: 0.01, layers: 1, opt: "sgd" },
      metrics: {},
      intermediate: [],
      curves: {},
      startedAt: 1700000018000,
      finishedAt: 1700000021000,
      error: "timed out: the trial ran longer than limits.trialSeconds=5",
      system: { queued: 0, stopped: "timeout" },
    },
    {
      number: 2,
      state: "pruned",
      params: { lr: 0.0003, layers: 4, opt: "sgd" },
      value: 0.8,
      metrics: {},
      intermediate: [[0, 0.8]],
      curves: {},
      startedAt: 1700000024000,
      finishedAt: 1700000031000,
      system: { bracket: 1, rung: 0 },
      budget: 9,
    },
    {
      number: 3,
      state: "running",
      params: { lr: 0.05, layers: 3, opt: "adam" },
      metrics: {},
      intermediate: [[0, 1.25]],
      curves: { acc: [[0, 0.125]] },
      startedAt: 1700000034000,
      system: {},
    },
  ];
  // Format 3 adds the user's attributes and notes ("attr" and "note" records).
  const expected: FrozenTrial[] =
    version < 3 ? stored : stored.map((t) => (t.number === 1 ? { ...t, attrs: { gpu: "A100" }, note: "OOM at **batch 512**" } : t.number === 3 ? { ...t, attrs: { data: { rows: 5, tags: ["a", "b"] } } } : t));
  const expectedSpec: StudySpec = {
    name: GOLDEN,
    space: {
      lr: { type: "float", low: 0.0001, high: 0.1, scale: "log" },
      layers: { type: "int", low: 1, high: 4 },
      opt: { type: "categorical", choices: ["sgd", "adam"] },
    },
    direction: "minimize",
    metric: "val_loss",
    strategy: { name: "random", options: { seed: 7 } },
    seed: 7,
    createdAt: 1700000000000,
  };

  beforeEach(() => {
    fs.copyFileSync(FIXTURE, path.join(dir, journalFileName(GOLDEN)));
  });

  it("reads the committed journal back to the expected study", async () => {
    const s = journal();
    expect(await s.listStudies()).toEqual([GOLDEN]);
    expect(readHeader(s.fileFor(GOLDEN)).spec).toEqual(expectedSpec);
    // Whatever spec is offered, the stored one comes back.
    const snap = await s.openStudy(spec(GOLDEN));
    expect(snap.spec).toEqual(expectedSpec);
    expect(snap.trials).toEqual(expected);
    expect(snap.queue).toEqual([{ lr: 0.01, layers: 1, opt: "sgd" }]);
    expect(snap.note).toBe(version < 3 ? undefined : "Study note: <b>hi</b>");
    expect(warnings).toEqual([]);
  });

  it("goes on appending to it, keeping its version, each new line with its checksum", async () => {
    const s = journal();
    await s.openStudy(expectedSpec);
    await s.finishTrial(GOLDEN, 3, { state: "complete", value: 0.3 });
    await s.enqueue(GOLDEN, { lr: 0.02, layers: 2, opt: "adam" });
    const lines = fs.readFileSync(s.fileFor(GOLDEN), "utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    expect(JSON.parse(lines[0]!)).toMatchObject({ op: "study", v: version });
    expect(JSON.parse(lines.at(-3)!)).toMatchObject({ op: "end", n: 3, state: "complete", value: 0.3 });
    expect(JSON.parse(lines.at(-2)!)).toMatchObject({ op: "enqueue", i: 1 });
    for (const l of lines.slice(-3, -1)) expect(checksumOk(l)).toBe(true);
    const again = await journal().openStudy(expectedSpec);
    expect(again.trials[3]).toMatchObject({ state: "complete", value: 0.3 });
    expect(again.queue).toHaveLength(2);
    expect(warnings).toEqual([]);
  });
});

/**
 * Whether a line ends with the CRC-32 of the rest, computed with zlib's own crc32 over the
 * UTF-8 bytes (independently of src/record/checksum.ts).
 */
function checksumOk(line: string): boolean {
  const m = /,"c":"([0-9a-f]{8})"\}$/.exec(line);
  if (!m) return false;
  const body = line.slice(0, m.index) + "}";
  return zlib.crc32(Buffer.from(body, "utf8")) === parseInt(m[1]!, 16);
}

describe("writing today", () => {
  const FIXTURE = path.join(FIXTURES, "journal-v3.jsonl");
  const expectedSpec: StudySpec = { ...readHeader(FIXTURE).spec, name: "fresh" };

  it("gives the records of the version-3 golden file (timestamps aside), each with the CRC-32 of the rest", async () => {
    const s = journal();
    const name = "fresh";
    await s.openStudy({ ...expectedSpec, name });
    await s.createTrial(name, () => ({ params: { lr: 0.001, layers: 2, opt: "adam" } }));
    await s.report(name, 0, 0, { val_loss: 0.9, acc: 0.5 });
    await s.report(name, 0, 1, { val_loss: 0.5 });
    await s.finishTrial(name, 0, { state: "complete", value: 0.4, metrics: { val_loss: 0.4, acc: 0.8 } });
    await s.enqueue(name, { lr: 0.01, layers: 1, opt: "sgd" });
    await s.createTrial(name, () => ({ params: { lr: 0.01, layers: 1, opt: "sgd" }, system: { queued: 0 } }));
    await s.finishTrial(name, 1, { state: "failed", error: "timed out: the trial ran longer than limits.trialSeconds=5", system: { stopped: "timeout" } });
    await s.setAttr(name, 1, "gpu", "A100");
    await s.setNote(name, 1, "OOM at **batch 512**");
    await s.setNote(name, null, "Study note: <b>hi</b>");
    await s.createTrial(name, () => ({ params: { lr: 0.0003, layers: 4, opt: "sgd" }, system: { bracket: 1 }, budget: 9 }));
    await s.report(name, 2, 0, { val_loss: 0.8 });
    await s.setSystem(name, 2, { rung: 0 });
    await s.finishTrial(name, 2, { state: "pruned", value: 0.8 });
    await s.createTrial(name, () => ({ params: { lr: 0.05, layers: 3, opt: "adam" } }));
    await s.report(name, 3, 0, { val_loss: 1.25, acc: 0.125 });
    await s.setAttr(name, 3, "data", { rows: 5, tags: ["a", "b"] });
    const norm = (text: string) =>
      text
        .trimEnd()
        .split("\n")
        .map((l) => {
          expect(checksumOk(l)).toBe(true);
          const o = JSON.parse(l) as Record<string, unknown>;
          delete o["t"];
          delete o["c"];
          if (o["spec"]) o["spec"] = { ...(o["spec"] as object), name: "*" };
          return JSON.stringify(o); // key order matters too: it is what the file holds
        });
    expect(norm(fs.readFileSync(s.fileFor(name), "utf8"))).toEqual(norm(fs.readFileSync(FIXTURE, "utf8")));
  });
});

describe("format version check", () => {
  it('a journal from a newer format ("v": 4) is refused with storage.newer_format', async () => {
    const file = path.join(dir, journalFileName("next"));
    const text = JSON.stringify({ op: "study", v: 4, spec: spec("next") }) + "\n" + JSON.stringify({ op: "trial2", n: 0 }) + "\n";
    fs.writeFileSync(file, text);
    const e = await thrown(journal().openStudy(spec("next")));
    expect(e.code).toBe("storage.newer_format");
    expect(e.field).toBe("storage");
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/version 4\b/);
    expect(e.message).toMatch(/version 3\b/);
    expect(e.message).toContain("upgrade tunelab");
    expect(fs.readFileSync(file, "utf8")).toBe(text); // untouched
    expect(fs.existsSync(file + ".lock")).toBe(false);
    // Listing skips it, saying why.
    expect(await journal().listStudies()).toEqual([]);
    expect(warnings.join("\n")).toContain("newer");
  });

  it("a file without a study record first is refused with storage.bad_header", async () => {
    for (const [i, first] of [
      "not json at all",
      JSON.stringify({ op: "trial", n: 0 }),
      JSON.stringify({ op: "study", spec: spec("a") }), // no version
      JSON.stringify({ op: "study", v: "1", spec: spec("a") }),
      JSON.stringify({ op: "study", v: 2, spec: spec("a") }), // format 2 without its checksum
      encodeRecord({ op: "study", v: 2, spec: spec("a") }).replace('"seed":1', '"seed":2'), // checksum no longer matches
      encodeRecord({ op: "study", v: 2, spec: spec("a") }).replace('"v":2', '"v":1'), // a damaged version is not trusted either
      JSON.stringify({ op: "study", v: 1, spec: { ...spec("a"), direction: "up" } }),
    ].entries()) {
      const name = `bad${i}`;
      fs.writeFileSync(path.join(dir, journalFileName(name)), first + "\n");
      const e = await thrown(journal().openStudy(spec(name)));
      expect(e.code).toBe("storage.bad_header");
    }
  });
});

describe("damaged files", () => {
  it("a last record cut mid-line is skipped with a warning; every complete record survives; appending afterwards stays consistent", async () => {
    const { file, text } = await studyWith(4);
    const lines = text.trimEnd().split("\n");
    const cut = text.length - Math.floor(lines.at(-1)!.length / 2) - 1; // halfway into the last line (the end of trial 3)
    fs.truncateSync(file, Buffer.byteLength(text.slice(0, cut)));

    const s = journal();
    const snap = await s.openStudy(spec("s"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toContain(`line ${lines.length}`);
    expect(warnings[0]).toMatch(/incomplete/);
    expect(snap.trials.map((t) => t.state)).toEqual(["complete", "complete", "complete", "running"]);
    expect(snap.trials[3]!.intermediate).toEqual([[0, 4]]);

    // Appending works: trial 3 is still running, so it can end now; a new trial follows.
    await s.finishTrial("s", 3, { state: "complete", value: 0.3 });
    await s.createTrial("s", () => ({ params: { x: 0.9 } }));
    await s.finishTrial("s", 4, { state: "failed", error: "x" });
    const after = fs.readFileSync(file, "utf8");
    expect(after.endsWith("\n")).toBe(true);
    expect(after).not.toContain("\n\n");

    // The next reader sees the same study (and is told about the fragment, now a line of its own).
    warnings = [];
    const again = await readTrials();
    expect(shape(again)).toEqual(shape((await s.load("s")).trials));
    expect(again.map((t) => t.state)).toEqual(["complete", "complete", "complete", "complete", "failed"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`line ${lines.length}`);
  });

  it("a last record that lost only its newline is the same for every reader", async () => {
    const { file, text } = await studyWith(3);
    fs.truncateSync(file, Buffer.byteLength(text) - 1);
    const first = journal();
    const before = await first.openStudy(spec("s"));
    expect(before.trials.map((t) => t.state)).toEqual(["complete", "complete", "complete"]);
    await first.createTrial("s", () => ({ params: { x: 0.5 } }));
    const again = await readTrials();
    expect(shape(again)).toEqual(shape((await first.load("s")).trials));
    expect(again).toHaveLength(4);
  });

  it("a reader that had the study open before a crash tore the file agrees with one that opened after", async () => {
    const { file } = await studyWith(2);
    const early = journal();
    await early.openStudy(spec("s"));
    // A process dies halfway through writing a record.
    fs.appendFileSync(file, '{"op":"trial","n":2,"params":{"x":0.');
    const late = journal();
    await late.openStudy(spec("s"));
    await late.createTrial("s", () => ({ params: { x: 0.25 } }));
    await late.finishTrial("s", 2, { state: "complete", value: 0.25 });
    const a = (await early.load("s")).trials;
    expect(shape(a)).toEqual(shape((await late.load("s")).trials));
    expect(a[2]).toMatchObject({ params: { x: 0.25 }, state: "complete" });
    // Both go on appending without disturbing each other.
    await early.createTrial("s", () => ({ params: { x: 0.75 } }));
    await late.createTrial("s", () => ({ params: { x: 0.5 } }));
    expect((await readTrials()).map((t) => t.params["x"])).toEqual([0, 0.1, 0.25, 0.75, 0.5]);
  });

  it("a damaged line in the middle is skipped with a warning naming it; the rest is read", async () => {
    const { file, text } = await studyWith(3);
    const lines = text.trimEnd().split("\n");
    // Line 6 (1-based) is trial 1's report; line 8 is the creation of trial 2.
    expect(JSON.parse(lines[5]!)).toMatchObject({ op: "report", n: 1 });
    lines[5] = '{"op":"report","n":1,"st\u0000garbage';
    fs.writeFileSync(file, lines.join("\n") + "\n");
    const snap = await journal().openStudy(spec("s"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("line 6");
    expect(warnings[0]).toMatch(/not valid JSON/);
    expect(snap.trials.map((t) => t.state)).toEqual(["complete", "complete", "complete"]);
    expect(snap.trials[1]!.intermediate).toEqual([]);
    expect(snap.trials[2]!.intermediate).toEqual([[0, 3]]);
  });

  it("a writer that went on after a torn record counts lines as a fresh reader does", async () => {
    const { file } = await studyWith(2);
    fs.appendFileSync(file, '{"op":"trial","n":2,"par');
    const writer = journal();
    await writer.openStudy(spec("s"));
    await writer.createTrial("s", () => ({ params: { x: 0.3 } }));
    // Someone else's damaged line, read by the writer when it next catches up.
    fs.appendFileSync(file, "garbage\n");
    warnings = [];
    await writer.finishTrial("s", 2, { state: "complete", value: 0.3 });
    const fresh: string[] = [];
    await new JournalStorage(dir, { onWarning: (m) => fresh.push(m) }).openStudy(spec("s"));
    const lineOf = (w: string) => /line (\d+) was skipped: not valid JSON/.exec(w)?.[1];
    expect(warnings.map(lineOf)).toEqual(["10"]);
    expect(fresh.map(lineOf)).toEqual(["8", "10"]); // the torn record, then the garbage
  });

  it("lines without their checksum, not operations, or not fitting the study are skipped: one warning for the run of them", async () => {
    const { file, text } = await studyWith(1);
    const foreign = ['{"hello":1}', '{"op":"end","n":7,"state":"complete","t":1}', encodeRecord({ op: "end", n: 0, state: "failed", t: 1 }), encodeRecord({ op: "report", n: 0, step: 0, v: { loss: 9 } })];
    fs.writeFileSync(file, text + foreign.join("\n") + "\n\n");
    const s = journal();
    const snap = await s.openStudy(spec("s"));
    const first = text.trimEnd().split("\n").length + 1;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toContain(`lines ${first}-${first + 3} were skipped (4 lines)`);
    expect(warnings[0]).toMatch(/not a tunelab operation; its checksum does not match .*; does not fit the study: trial 0 is already complete/);
    expect(snap.trials).toHaveLength(1);
    expect(snap.trials[0]).toMatchObject({ state: "complete", intermediate: [[0, 1]] });
    const { trial } = await s.createTrial("s", () => ({ params: { x: 1 } }));
    expect(trial!.number).toBe(1);
  });

  it("in a version-1 journal, lines without a checksum are read; a line with a wrong one is not", async () => {
    const v1 = (o: object) => JSON.stringify(o);
    const text = [
      v1({ op: "study", v: 1, spec: spec("old") }),
      v1({ op: "trial", n: 0, params: { x: 0.5 }, t: 1 }),
      encodeRecord({ op: "report", n: 0, step: 0, v: { loss: 2 } }).replace('"loss":2', '"loss":3'),
      v1({ op: "report", n: 0, step: 1, v: { loss: 1 } }),
      v1({ op: "end", n: 0, state: "complete", t: 2, value: 1 }),
    ];
    fs.writeFileSync(path.join(dir, journalFileName("old")), text.join("\n") + "\n");
    const snap = await journal().openStudy(spec("old"));
    expect(snap.trials[0]).toMatchObject({ state: "complete", value: 1, intermediate: [[1, 1]] });
    expect(warnings).toEqual([expect.stringMatching(/line 3 was skipped: its checksum does not match/)]);
  });
});

describe("file names", () => {
  const names = [
    "plain",
    "a/b",
    "a%2Fb",
    "a\\b",
    "../escape",
    "..",
    ".",
    ".hidden",
    "a.b.c",
    "a b",
    "a*b?c:d|e<f>g\"h",
    "A~(x)'!",
    "ü",
    "u\u0308", // the same letter, decomposed: another name
    "数据 🎯",
    "x".repeat(200),
    "é".repeat(200),
    "é".repeat(199) + "e",
    "🎯".repeat(100),
  ];

  it("map to distinct, safe file names inside the folder", () => {
    const files = names.map(journalFileName);
    expect(new Set(files).size).toBe(names.length);
    for (const f of files) {
      expect(f).toMatch(/^[A-Za-z0-9%._~-]+\.jsonl$/);
      expect(f.startsWith(".")).toBe(false);
      expect(Buffer.byteLength(f)).toBeLessThanOrEqual(255);
    }
    expect(journalFileName("plain")).toBe("plain.jsonl");
    expect(journalFileName("a.b.c")).toBe("a.b.c.jsonl");
  });

  it("each name gets a study of its own that lists and reopens under its name", async () => {
    const s = journal();
    for (const [i, n] of names.entries()) {
      await s.openStudy(spec(n));
      for (let k = 0; k <= i % 3; k++) await s.createTrial(n, () => ({ params: { x: k / 10 } }));
    }
    expect(journalFiles()).toEqual(names.map(journalFileName).sort());
    expect((await journal().listStudies()).sort()).toEqual([...names].sort());
    for (const [i, n] of names.entries()) {
      const snap = await journal().openStudy(spec(n, { seed: 99 }));
      expect(snap.spec.name).toBe(n);
      expect(snap.spec.seed).toBe(1);
      expect(snap.trials).toHaveLength((i % 3) + 1);
    }
    expect(warnings).toEqual([]);
  });
});

describe("options", () => {
  it("durable appends (fsync) write the same journal", async () => {
    const s = journal({ durable: true });
    await s.openStudy(spec("d"));
    await s.createTrial("d", () => ({ params: { x: 0.5 } }));
    await s.finishTrial("d", 0, { state: "complete", value: 2 });
    expect((await readTrials("d"))[0]).toMatchObject({ state: "complete", value: 2 });
  });

  it("a relative folder is fixed when the study opens, not at each write", async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    let s: JournalStorage;
    try {
      s = new JournalStorage("rel", { onWarning: (m) => warnings.push(m) });
      await s.openStudy(spec("r"));
    } finally {
      process.chdir(cwd);
    }
    await s.createTrial("r", () => ({ params: { x: 0.5 } }));
    expect(fs.existsSync(path.join(cwd, "rel"))).toBe(false);
    const snap = await new JournalStorage(path.join(dir, "rel")).openStudy(spec("r"));
    expect(snap.trials).toHaveLength(1);
  });
});
