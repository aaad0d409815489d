// Several Node processes write one journal study at once (ask/tell as fast as
// they can): the journal must come out whole, every trial once, numbers
// without gaps, each grid configuration once.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JournalStorage } from "../../src/storage/journal";
import { Grid } from "../../src/space/grid";
import type { SpaceDef } from "../../src/space/types";
import { Study } from "../../src/study/study";
import { canonicalJson } from "../../src/util/json";
import { ensureBuilt, startWorker, tempDir, type WorkerProcess } from "./workers/build";

let dist: string;
let dir: string;

beforeAll(() => {
  dist = ensureBuilt();
  dir = tempDir("multiproc");
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Done {
  done: true;
  mine: number[];
  others: number;
  warnings: string[];
}

/** Starts the workers, releases them together, and returns what each reported. */
async function runWorkers(count: number, args: Record<string, unknown>): Promise<Done[]> {
  const workers: WorkerProcess[] = [];
  for (let i = 0; i < count; i++) workers.push(startWorker("ask-tell-worker.js", dist, { dir, workers: count, ...args }));
  await Promise.all(workers.map((w) => w.waitFor((m) => m["ready"] === true)));
  for (const w of workers) w.send("go");
  const done = (await Promise.all(workers.map((w) => w.waitFor((m) => m["done"] === true)))) as unknown as Done[];
  const exits = await Promise.all(workers.map((w) => w.exited));
  for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0, signal: null });
  return done;
}

/** Every line of the journal, parsed; fails on a torn or damaged line. */
function journalLines(name: string): Record<string, unknown>[] {
  const text = fs.readFileSync(new JournalStorage(dir).fileFor(name), "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Reads the study back with a fresh reader, which must not warn about anything. */
async function readBack(name: string, space: SpaceDef, strategy: string) {
  const warnings: string[] = [];
  const study = await Study.open({ name, space, direction: "minimize", strategy: { name: strategy }, storage: new JournalStorage(dir, { onWarning: (m) => warnings.push(m) }) });
  expect(warnings).toEqual([]);
  return study;
}

function checkNumbering(done: Done[], total: number): void {
  const all = done.flatMap((d) => d.mine).sort((a, b) => a - b);
  expect(all).toEqual([...Array(total).keys()]);
  for (const d of done) {
    expect(d.warnings).toEqual([]);
    // Each process made trials and saw the others' trials.
    expect(d.mine.length).toBeGreaterThan(0);
    expect(d.others).toBeGreaterThan(0);
  }
}

function checkJournal(name: string, total: number): void {
  const lines = journalLines(name);
  expect(lines[0]).toMatchObject({ op: "study", v: 3 });
  const created = lines.filter((l) => l["op"] === "trial").map((l) => l["n"]);
  expect(created).toEqual([...Array(total).keys()]); // in order, once each
  const ended = lines.filter((l) => l["op"] === "end").map((l) => l["n"] as number);
  expect(ended.sort((a, b) => a - b)).toEqual([...Array(total).keys()]);
}

describe("two or three processes writing one journal study", () => {
  it("grid over 60 configurations, 3 processes: each configuration exactly once", async () => {
    const name = "grid/shared";
    const done = await runWorkers(3, { name, strategy: "grid", seed: 1 });
    checkNumbering(done, 60);
    checkJournal(name, 60);

    const study = await readBack(name, { a: { type: "int", low: 0, high: 5 }, b: { type: "categorical", choices: ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y"] } }, "grid");
    const trials = study.trials;
    expect(trials.map((t) => t.number)).toEqual([...Array(60).keys()]);
    expect(trials.every((t) => t.state !== "running")).toBe(true);
    expect(trials.filter((t) => t.state === "failed").map((t) => t.number)).toEqual(trials.filter((t) => t.number % 7 === 3).map((t) => t.number));
    const grid = new Grid(study.space);
    const expected = new Set([...Array(grid.size).keys()].map((i) => canonicalJson(grid.at(i))));
    const got = trials.map((t) => canonicalJson(t.params));
    expect(new Set(got).size).toBe(60);
    expect(new Set(got)).toEqual(expected);
    // Each trial's recorded grid position matches its configuration.
    for (const t of trials) expect(canonicalJson(grid.at(t.system["grid"] as number))).toBe(canonicalJson(t.params));
    // Nothing is left to hand out.
    expect(await study.ask()).toBeUndefined();
  });

  it("random, 2 processes × 150 trials: numbers 0..299 once each, the params trial n must have", async () => {
    const name = "random.shared";
    const done = await runWorkers(2, { name, strategy: "random", seed: 7, asks: 150 });
    for (const d of done) expect(d.mine).toHaveLength(150);
    checkNumbering(done, 300);
    checkJournal(name, 300);

    const space = {
      a: { type: "int", low: 0, high: 5 },
      b: { type: "categorical", choices: ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y"] },
      c: { type: "float", low: 0, high: 1 },
    } as const;
    const study = await readBack(name, space, "random");
    // Trial n's params depend only on the seed and n, whoever asked for it.
    const alone = await Study.open({ name: "alone", space, direction: "minimize", seed: 7 });
    for (const t of study.trials) {
      const mine = await alone.ask();
      expect(mine!.params).toEqual(t.params);
      expect(t.state).toBe(t.number % 7 === 3 ? "failed" : "complete");
      if (t.state === "complete") expect(t.value).toBe((t.params["a"] as number) + (t.params["c"] as number));
    }
  });
});
