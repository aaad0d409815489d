// Damage in the middle of a journal (issue 11, class 5), the cases the issue measured: one
// garbled trial record in a 300-trial journal kept only the first 100 trials with 1,429
// warnings, and a NUL block kept about half. Now a damaged record costs that record (and at
// most its trial, kept as a failed placeholder), with one warning naming the line; the engine
// skips type-invalid records as the study browser does; every strategy and view copes with a
// lost trial's placeholder; and several real processes go on with the damaged study together.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { JournalReader } from "../../extension/src/browser/journal-reader";
import { checkPayload } from "../../extension/src/payload-check";
import type { FrozenTrial, StudySnapshot, StudySpec } from "../../src/model/trial";
import { JournalStorage } from "../../src/storage/journal";
import type { SpaceDef } from "../../src/space/types";
import { createStopper } from "../../src/strategies/registry";
import { Study, type StudyOptions } from "../../src/study/study";
import { curvesData, historyData, parallelData, summarize, tableData, toPayload, viewSpecs } from "../../src/views";
import { ensureBuilt, startWorker, tempDir } from "./workers/build";

let dir: string;
let warnings: string[];
beforeEach(() => {
  dir = tempDir("recovery");
  warnings = [];
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const SPACE: SpaceDef = { a: { type: "int", low: 0, high: 5 }, b: { type: "categorical", choices: ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y"] }, c: { type: "float", low: 0, high: 1 } };
const journal = () => new JournalStorage(dir, { onWarning: (m) => warnings.push(m) });

/** `count` trials on a journal: two reports each, then complete, failed (n % 7 == 3) or pruned (n % 11 == 5). */
async function write(options: Omit<StudyOptions, "storage">, count: number): Promise<{ file: string; trials: FrozenTrial[] }> {
  const study = await Study.open({ ...options, storage: new JournalStorage(dir, { onWarning: () => undefined }) });
  for (let k = 0; k < count; k++) {
    const t = await study.ask();
    if (!t) break;
    const x = typeof t.params["c"] === "number" ? (t.params["c"] as number) : k / count;
    await study.report(t.number, 1, { value: x + 1, acc: 0.5 });
    await study.report(t.number, 2, x + 0.5);
    if (t.number % 7 === 3) await study.tell(t.number, { state: "failed", error: "boom" });
    else if (t.number % 11 === 5) await study.tell(t.number, { state: "pruned" });
    else await study.tell(t.number, { value: x });
  }
  return { file: new JournalStorage(dir).fileFor(options.name), trials: structuredClone([...study.snapshot.trials]) };
}

/** The 0-based index of the line that creates trial n. */
function creationLine(lines: string[], n: number): number {
  return lines.findIndex((l) => l.startsWith(`{"op":"trial","n":${n},`));
}

async function browser(file: string): Promise<JournalReader> {
  const r = new JournalReader(file, undefined, async () => undefined);
  await r.feed(new Uint8Array(fs.readFileSync(file)), true);
  return r;
}

describe("one garbled trial record in the middle of a 300-trial journal", () => {
  it("costs that trial only: 299 trials as written, the lost one a failed placeholder, one warning naming the line", async () => {
    const options = { name: "big", space: SPACE, direction: "minimize" as const, seed: 7 };
    const { file, trials } = await write(options, 300);
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    const at = creationLine(lines, 150);
    lines[at] = lines[at]!.slice(0, 20) + "#".repeat(lines[at]!.length - 20);
    fs.writeFileSync(file, lines.join("\n") + "\n");

    const study = await Study.open({ ...options, storage: journal() });
    const got = study.snapshot.trials;
    expect(got).toHaveLength(300);
    for (const t of trials) if (t.number !== 150) expect(got[t.number]).toEqual(t);
    expect(got[150]).toMatchObject({ number: 150, state: "failed", params: {}, system: { lost: { line: at + 1 } } });
    expect(got[150]!.error).toContain(`line ${at + 1}`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    expect(warnings[0]).toContain(`line ${at + 1} was skipped`);
    expect(warnings[0]).toContain("Trial 150 lost the record that created it there");
    expect(warnings[0]).toContain("3 records of lost or not yet created trials were set aside (the first at line " + (at + 2) + ")");
    // The browser agrees, and the study goes on with fresh numbers.
    const r = await browser(file);
    expect(r.replica!.trials).toEqual(got);
    expect(r.warnings).toEqual(warnings);
    expect((await study.ask())!.number).toBe(300);
  });
});

describe("a NUL block (what a power cut leaves) in the middle of a 300-trial journal", () => {
  it("costs the records it covers: one warning, every trial outside it as written", async () => {
    const options = { name: "nul", space: SPACE, direction: "minimize" as const, seed: 8 };
    const { file, trials } = await write(options, 300);
    const bytes = fs.readFileSync(file);
    const from = Math.floor(bytes.length * 0.4);
    const to = from + 4096;
    // Trials with a record touching the block (or the newline before one).
    const hit = new Set<number>();
    let start = 0;
    for (const line of bytes.toString("utf8").split("\n")) {
      const end = start + Buffer.byteLength(line) + 1;
      if (start - 1 < to && from < end && line) hit.add(JSON.parse(line).n as number);
      start = end;
    }
    bytes.fill(0, from, to);
    fs.writeFileSync(file, bytes);

    const snap = (await Study.open({ ...options, storage: journal() })).snapshot;
    expect(snap.trials).toHaveLength(300);
    for (const t of trials) if (!hit.has(t.number)) expect(snap.trials[t.number]).toEqual(t);
    expect(hit.size).toBeGreaterThan(5);
    expect(hit.size).toBeLessThan(30);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/line \d+ was skipped: not valid JSON/);
    expect((await browser(file)).replica!.trials).toEqual(snap.trials);
  });
});

describe("type-invalid records", () => {
  it("are skipped by the engine as by the study browser (one reader for both)", async () => {
    const spec = { name: "typed", space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", metric: "loss", strategy: { name: "random", options: {} }, seed: 1, createdAt: 1 };
    const rec = (o: object) => JSON.stringify(o);
    const text = [
      rec({ op: "study", v: 1, spec }),
      rec({ op: "trial", n: 0, params: { x: 0.5 }, t: 1 }),
      rec({ op: "report", n: 0, step: 0, v: { loss: "0.3" } }),
      rec({ op: "end", n: 0, state: "exploded", t: 2 }),
      rec({ op: "end", n: 0, state: "complete", t: 2, value: "0.5" }),
      rec({ op: "trial", n: 1, params: { x: 0.25 }, t: 3 }),
      rec({ op: "end", n: 1, state: "complete", t: 4, value: 0.25 }),
    ];
    const file = path.join(dir, "typed.jsonl");
    fs.writeFileSync(file, text.join("\n") + "\n");
    const snap: StudySnapshot = await journal().openStudy(spec as never);
    expect(snap.trials.map((t) => [t.state, t.value, t.intermediate])).toEqual([
      ["running", undefined, []],
      ["complete", 0.25, []],
    ]);
    expect(warnings).toEqual([expect.stringContaining('lines 3-5 were skipped (3 lines): a field "v" of the wrong type; a field "state" of the wrong type; a field "value" of the wrong type.')]);
    expect((await browser(file)).replica!.trials).toEqual(snap.trials);
  });
});

describe("lost trials' placeholders", () => {
  const STRATEGIES: [string, StudyOptions["strategy"], string?][] = [
    ["random", { name: "random" }],
    ["random with the median stopping rule", { name: "random" }, "median"],
    ["grid", { name: "grid" }],
    ["tpe", { name: "tpe", options: { startupTrials: 3 } }],
    ["bayesian", { name: "bayesian", options: { startupTrials: 3, candidates: 64 } }],
    ["hyperband", { name: "hyperband", options: { maxResource: 9 } }],
    ["asha", { name: "asha", options: { maxResource: 9 } }],
  ];
  const GRID_SPACE: SpaceDef = { a: { type: "int", low: 0, high: 3 }, b: { type: "categorical", choices: ["p", "q", "r"] } };

  it.each(STRATEGIES)("%s: the study goes on, and every view is built, with trials 2 and 5 lost", async (_label, strategy, stopping) => {
    const options = { name: "lost", space: strategy!.name === "grid" ? GRID_SPACE : SPACE, direction: "minimize" as const, strategy, seed: 3, ...(stopping ? { stopping: createStopper(stopping, { startupTrials: 2 }) } : {}) };
    const { file, trials } = await write(options, 8);
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    for (const n of [2, 5]) lines[creationLine(lines, n)] = "\u0000".repeat(40);
    fs.writeFileSync(file, lines.join("\n") + "\n");

    const study = await Study.open({ ...options, storage: journal() });
    expect(study.snapshot.trials.filter((t) => t.system["lost"] !== undefined).map((t) => t.number)).toEqual([2, 5]);
    for (let k = 0; k < 6; k++) {
      const t = await study.ask();
      if (!t) break;
      expect(t.params).not.toEqual({});
      await study.report(t.number, 1, 0.5 + k);
      await study.tell(t.number, { value: k / 10 });
    }
    const snap = study.snapshot;
    if (strategy!.name === "grid") {
      // The lost trials' grid positions are handed out again: every configuration is run.
      const ran = new Set(snap.trials.filter((t) => t.system["lost"] === undefined).map((t) => JSON.stringify(t.params)));
      expect(ran.size).toBe(12);
    }
    expect(snap.trials.slice(0, 8).filter((t) => t.number !== 2 && t.number !== 5)).toEqual(trials.filter((t) => t.number !== 2 && t.number !== 5));

    const payload = toPayload(snap, false);
    expect(checkPayload(JSON.parse(JSON.stringify(payload))).ok).toBe(true);
    const rows = tableData(payload).rows;
    expect(rows.find((r) => r.number === 2)).toMatchObject({ state: "failed" });
    parallelData(payload);
    curvesData(payload);
    historyData(payload);
    summarize(payload);
    expect(viewSpecs(payload).map((s) => s.name)).toEqual(["parallel", "curves", "history", "importance", "slice", "contour"]);
  });
});

describe("several real processes on a damaged journal", () => {
  let dist: string;
  beforeAll(() => {
    dist = ensureBuilt();
  });

  it("read the same study (same warning), go on with fresh numbers, and leave intact trials alone", async () => {
    const name = "shared";
    const { file, trials } = await write({ name, space: SPACE, direction: "minimize", strategy: { name: "random" }, seed: 7 }, 40);
    const lines = fs.readFileSync(file, "utf8").trimEnd().split("\n");
    const at = creationLine(lines, 20);
    lines[at] = '{"op":"trial","n":20,"par\u0000\u0000';
    fs.writeFileSync(file, lines.join("\n") + "\n");

    const workers = [0, 1].map(() => startWorker("ask-tell-worker.js", dist, { dir, name, strategy: "random", seed: 7, asks: 15, workers: 2 }));
    await Promise.all(workers.map((w) => w.waitFor((m) => m["ready"] === true)));
    for (const w of workers) w.send("go");
    const done = (await Promise.all(workers.map((w) => w.waitFor((m) => m["done"] === true)))) as unknown as { mine: number[]; warnings: string[] }[];
    for (const e of await Promise.all(workers.map((w) => w.exited))) expect(e, e.stderr).toMatchObject({ code: 0 });
    expect(done[0]!.warnings).toHaveLength(1);
    expect(done[1]!.warnings).toEqual(done[0]!.warnings);
    expect(done[0]!.warnings[0]).toContain(`line ${at + 1} was skipped`);
    expect(done.flatMap((d) => d.mine).sort((a, b) => a - b)).toEqual([...Array(30).keys()].map((k) => 40 + k));

    const snap = await journal().openStudy((JSON.parse(lines[0]!) as { spec: StudySpec }).spec);
    expect(snap.trials).toHaveLength(70);
    for (const t of trials) if (t.number !== 20) expect(snap.trials[t.number]).toEqual(t);
    expect(snap.trials[20]).toMatchObject({ state: "failed", system: { lost: { line: at + 1 } } });
    expect((await browser(file)).replica!.trials).toEqual(snap.trials);
  });
});
