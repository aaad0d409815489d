// What only the on-disk journal has to get right: its format (golden file and
// version check), damaged files, locks left by dead processes, file names.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FrozenTrial, StudySpec } from "../../src/model/trial";
import { JournalStorage, journalFileName, readHeader } from "../../src/storage/journal";
import { TunelabError } from "../../src/util/errors";
import { tempDir } from "./workers/build";

const FIXTURE = path.join(__dirname, "..", "fixtures", "journal-v1.jsonl");

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

function spec(name: string, over: Partial<StudySpec> = {}): StudySpec {
  return {
    name,
    space: { x: { type: "float", low: 0, high: 1 } },
    direction: "minimize",
    metric: "loss",
    strategy: { name: "random", options: {} },
    seed: 1,
    createdAt: 1_700_000_000_000,
    ...over,
  };
}

async function thrown(p: Promise<unknown>): Promise<TunelabError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TunelabError);
  return e as TunelabError;
}

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

/** The trials as a fresh reader sees them. */
async function readTrials(name = "s"): Promise<readonly FrozenTrial[]> {
  return (await journal().openStudy(spec(name))).trials;
}

/** Everything but the timestamps, for comparing two readers. */
const shape = (ts: readonly FrozenTrial[]) => ts.map(({ startedAt: _s, finishedAt: _f, ...rest }) => rest);

describe("golden file: format version 1", () => {
  const GOLDEN = "golden v1";
  const expected: FrozenTrial[] = [
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
    expect(warnings).toEqual([]);
  });

  it("goes on appending to it in the same format", async () => {
    const s = journal();
    await s.openStudy(expectedSpec);
    await s.finishTrial(GOLDEN, 3, { state: "complete", value: 0.3 });
    const lines = fs.readFileSync(s.fileFor(GOLDEN), "utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    expect(JSON.parse(lines.at(-2)!)).toMatchObject({ op: "end", n: 3, state: "complete", value: 0.3 });
    expect((await readTrials(GOLDEN))[3]).toMatchObject({ state: "complete", value: 0.3 });
  });

  it("writing the same operations today gives the same records (timestamps aside)", async () => {
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
    await s.createTrial(name, () => ({ params: { lr: 0.0003, layers: 4, opt: "sgd" }, system: { bracket: 1 }, budget: 9 }));
    await s.report(name, 2, 0, { val_loss: 0.8 });
    await s.setSystem(name, 2, { rung: 0 });
    await s.finishTrial(name, 2, { state: "pruned", value: 0.8 });
    await s.createTrial(name, () => ({ params: { lr: 0.05, layers: 3, opt: "adam" } }));
    await s.report(name, 3, 0, { val_loss: 1.25, acc: 0.125 });
    const norm = (text: string) =>
      text
        .trimEnd()
        .split("\n")
        .map((l) => {
          const o = JSON.parse(l) as Record<string, unknown>;
          delete o["t"];
          if (o["spec"]) o["spec"] = { ...(o["spec"] as object), name: "*" };
          return JSON.stringify(o); // key order matters too: it is what the file holds
        });
    expect(norm(fs.readFileSync(s.fileFor(name), "utf8"))).toEqual(norm(fs.readFileSync(FIXTURE, "utf8")));
  });
});

describe("format version check", () => {
  it('a journal from a newer format ("v": 2) is refused with storage.newer_format', async () => {
    const file = path.join(dir, journalFileName("next"));
    const text = JSON.stringify({ op: "study", v: 2, spec: spec("next") }) + "\n" + JSON.stringify({ op: "trial2", n: 0 }) + "\n";
    fs.writeFileSync(file, text);
    const e = await thrown(journal().openStudy(spec("next")));
    expect(e.code).toBe("storage.newer_format");
    expect(e.field).toBe("storage");
    expect(e.message).toContain(file);
    expect(e.message).toMatch(/version 2\b/);
    expect(e.message).toMatch(/version 1\b/);
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

  it("lines that are JSON but not operations, or that don't fit the study, are skipped with a warning", async () => {
    const { file, text } = await studyWith(1);
    fs.writeFileSync(file, text + '{"hello":1}\n' + '{"op":"end","n":7,"state":"complete","t":1}\n' + '{"op":"trial","n":5,"params":{"x":0},"t":1}\n\n');
    const s = journal();
    const snap = await s.openStudy(spec("s"));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/not a tunelab operation/);
    expect(warnings[1]).toMatch(/does not fit/);
    expect(warnings[2]).toMatch(/does not fit/);
    expect(snap.trials).toHaveLength(1);
    const { trial } = await s.createTrial("s", () => ({ params: { x: 1 } }));
    expect(trial!.number).toBe(1);
  });
});

describe("locks", () => {
  function deadPid(): number {
    const r = spawnSync(process.execPath, ["-e", ""]);
    expect(r.status).toBe(0);
    return r.pid!;
  }

  it("a lock left by a dead process is broken, with a warning", async () => {
    await studyWith(1);
    const lock = journal().fileFor("s") + ".lock";
    const pid = deadPid();
    fs.writeFileSync(lock, `${pid} ${Date.now()}`);
    const s = journal({ lockTimeoutMs: 5_000 });
    const snap = await s.openStudy(spec("s"));
    expect(snap.trials).toHaveLength(1);
    await s.createTrial("s", () => ({ params: { x: 0.5 } }));
    expect(fs.readdirSync(dir)).toEqual([journalFileName("s")]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(lock);
    expect(warnings[0]).toContain(String(pid));
  });

  it("a breaker that died mid-break (an old <lock>.break) does not keep the dead lock forever", async () => {
    await studyWith(1);
    const lock = journal().fileFor("s") + ".lock";
    fs.writeFileSync(lock, `${deadPid()} ${Date.now()}`);
    fs.writeFileSync(lock + ".break", "");
    const old = (Date.now() - 120_000) / 1000;
    fs.utimesSync(lock + ".break", old, old);
    const s = journal({ lockTimeoutMs: 5_000 });
    expect((await s.openStudy(spec("s"))).trials).toHaveLength(1);
    expect(fs.readdirSync(dir)).toEqual([journalFileName("s")]);
  });

  it("a fresh <lock>.break (another breaker at work) is waited for, not removed", async () => {
    await studyWith(1);
    const lock = journal().fileFor("s") + ".lock";
    fs.writeFileSync(lock, `${deadPid()} ${Date.now()}`);
    fs.writeFileSync(lock + ".break", "");
    const e = await thrown(journal({ lockTimeoutMs: 50 }).openStudy(spec("s")));
    expect(e.code).toBe("storage.lock_timeout");
    expect(fs.existsSync(lock + ".break")).toBe(true);
    fs.unlinkSync(lock + ".break");
    expect((await journal().openStudy(spec("s"))).trials).toHaveLength(1);
  });

  it("a lock held by a live process is waited for, then storage.lock_timeout", async () => {
    await studyWith(1);
    const s = journal({ lockTimeoutMs: 60 });
    await s.openStudy(spec("s"));
    const lock = s.fileFor("s") + ".lock";
    fs.writeFileSync(lock, `${process.pid} ${Date.now()}`);
    const e = await thrown(s.createTrial("s", () => ({ params: { x: 0.5 } })));
    expect(e.code).toBe("storage.lock_timeout");
    expect(e.message).toContain(lock);
    expect(fs.existsSync(lock)).toBe(true);
    fs.unlinkSync(lock);
    expect((await s.createTrial("s", () => ({ params: { x: 0.5 } }))).trial!.number).toBe(1);
    expect(warnings).toEqual([]);
  });

  it("an empty lock file long abandoned (its creator died before writing its pid) is broken", async () => {
    await studyWith(1);
    const lock = journal().fileFor("s") + ".lock";
    fs.writeFileSync(lock, "");
    const old = (Date.now() - 120_000) / 1000;
    fs.utimesSync(lock, old, old);
    const s = journal({ lockTimeoutMs: 2_000 });
    expect((await s.openStudy(spec("s"))).trials).toHaveLength(1);
    expect(fs.existsSync(lock)).toBe(false);
    expect(warnings).toHaveLength(1);
  });

  it("no lock file is left behind after any operation, failed ones included", async () => {
    const s = journal();
    await s.openStudy(spec("s"));
    await s.createTrial("s", () => ({ params: { x: 0 } }));
    await s.finishTrial("s", 0, { state: "complete", value: 1 }).catch(() => undefined);
    await s.finishTrial("s", 0, { state: "complete", value: 1 }).catch(() => undefined);
    await s.report("s", 9, 0, { loss: 1 }).catch(() => undefined);
    expect(fs.readdirSync(dir)).toEqual([journalFileName("s")]);
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
    expect(fs.readdirSync(dir).sort()).toEqual(names.map(journalFileName).sort());
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
