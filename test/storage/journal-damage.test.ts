// Property-based damage to real journals written by the engine (issue 11, class 5): truncation
// at any offset, a garbled line, a NUL block (what a power cut leaves), a duplicated line, two
// swapped lines, flipped bytes, and mixes of them. For every damaged file:
// - opening never throws, unless the first record (the study) is damaged: then storage.bad_header;
// - every trial whose records are all intact is loaded exactly as written, and every queue
//   position whose record is intact holds its configuration: only damaged trials may differ;
// - trial numbers are consistent (trial i is number i) and new trials get fresh ones;
// - the Node journal and the study browser's reader (fed in pieces) build the same study and
//   give the same warnings, each naming the file and a line;
// - the study goes on (ask/tell) after the damage, and another reader then sees the same study.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JournalReader } from "../../extension/src/browser/journal-reader";
import type { FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { JournalStorage } from "../../src/storage/journal";
import type { SpaceDef } from "../../src/space/types";
import { Study, type StudyOptions } from "../../src/study/study";
import { TunelabError } from "../../src/util/errors";
import { tempDir } from "./workers/build";

const SPACE: SpaceDef = { x: { type: "float", low: 0, high: 1 }, n: { type: "int", low: 1, high: 20 }, c: { type: "categorical", choices: ["a", "b", "c"] } };

interface Line {
  /** The line's bytes, without its newline. */
  readonly bytes: Buffer;
  /** Whose records it holds: "h" (the study), "t<n>" (trial n), "q<i>" (queue position i). */
  readonly owner: string;
}

interface Base {
  readonly label: string;
  readonly options: Omit<StudyOptions, "storage">;
  readonly lines: readonly Line[];
  readonly trials: readonly FrozenTrial[];
  readonly queue: StudySnapshot["queue"];
}

let dir: string;
let bases: Base[];
let runs = 0;

function ownerOf(text: string): string {
  const o = JSON.parse(text) as { op: string; n?: number; i?: number };
  if (o.op === "study") return "h";
  if (o.op === "enqueue") return `q${o.i}`;
  return `t${o.n}`;
}

/** Reads a journal the engine wrote: its lines with their owners, and the study it holds. */
async function baseOf(label: string, options: Omit<StudyOptions, "storage">, file: string): Promise<Base> {
  const text = fs.readFileSync(file, "utf8");
  const lines = text
    .slice(0, -1)
    .split("\n")
    .map((l) => ({ bytes: Buffer.from(l), owner: ownerOf(l) }));
  const warnings: string[] = [];
  const snap = await new JournalStorage(path.dirname(file), { onWarning: (m) => warnings.push(m) }).openStudy({ ...(await specOf(file)), name: options.name });
  expect(warnings).toEqual([]);
  return { label, options, lines, trials: structuredClone(snap.trials), queue: structuredClone(snap.queue) };
}

async function specOf(file: string) {
  return JSON.parse(fs.readFileSync(file, "utf8").split("\n")[0]!).spec;
}

/** Hyperband on one process: reports, rung decisions ("sys" records), pruned, failed, enqueued and running trials. */
async function writeHyperband(at: string): Promise<Base> {
  const options = { name: "hb", space: SPACE, direction: "minimize" as const, metric: "loss", strategy: { name: "hyperband", options: { maxResource: 9, eta: 3 } }, seed: 11 };
  const study = await Study.open({ ...options, storage: new JournalStorage(at, { onWarning: () => undefined }) });
  for (let k = 0; k < 36; k++) {
    if (k % 11 === 4) await study.enqueue({ x: k / 40, n: 1 + (k % 20), c: "b" });
    const t = (await study.ask())!;
    const x = t.params["x"] as number;
    let stopped = false;
    for (let step = 1; step <= (t.budget ?? 3) && !stopped; step++) stopped = await study.report(t.number, step, k % 3 ? { loss: x / step, acc: 1 - x } : x / step);
    if (k === 35) break; // left running
    if (k % 7 === 3) await study.tell(t.number, { state: "failed", error: `boom ${k}` });
    else if (stopped) await study.tell(t.number, { state: "pruned" });
    else await study.tell(t.number, { value: x, metrics: { acc: 1 - x } });
  }
  return baseOf("hyperband", options, new JournalStorage(at).fileFor("hb"));
}

/** Random search with three trials in flight at once (their records interleave) and enqueues. */
async function writeInterleaved(at: string): Promise<Base> {
  const options = { name: "par", space: SPACE, direction: "maximize" as const, strategy: { name: "random" }, seed: 5 };
  const study = await Study.open({ ...options, storage: new JournalStorage(at, { onWarning: () => undefined }) });
  const open: FrozenTrial[] = [];
  for (let k = 0; k < 40; k++) {
    if (k % 9 === 2) await study.enqueue({ x: 0.5, n: k % 20 || 1, c: "a" });
    open.push((await study.ask())!);
    for (const t of open) await study.report(t.number, k, { value: k / 100, lr: 0.1 });
    if (open.length === 3) {
      const t = open.shift()!;
      if (k % 5 === 0) await study.tell(t.number, { state: "failed", error: "out of memory" });
      else if (k % 5 === 1) await study.tell(t.number, { state: "pruned" });
      else await study.tell(t.number, { value: t.params["x"] as number });
    }
  }
  return baseOf("interleaved", options, new JournalStorage(at).fileFor("par"));
}

beforeAll(async () => {
  dir = tempDir("damage");
  bases = [await writeHyperband(path.join(dir, "base-hb")), await writeInterleaved(path.join(dir, "base-par"))];
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// ---- damage -------------------------------------------------------------------------------

type LineDamage = { kind: "garble"; line: number; with: number[] | "prefix-suffix" | "foreign" } | { kind: "dup"; line: number; to: number } | { kind: "swap"; a: number; b: number };
type ByteDamage = { kind: "nul"; at: number; length: number } | { kind: "flip"; at: number; xor: number };
interface Plan {
  readonly base: number;
  readonly line?: LineDamage;
  readonly bytes: readonly ByteDamage[];
  /** Cut the file at this fraction of its length. */
  readonly truncate?: number;
}

const idx = fc.nat({ max: 1_000_000 });
const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 80 }).map((a) => [...a].map((b) => (b === 10 ? 32 : b))),
  fc.constant("prefix-suffix" as const),
  fc.constant("foreign" as const),
);
const lineDamage: fc.Arbitrary<LineDamage> = fc.oneof(
  fc.record({ kind: fc.constant("garble" as const), line: idx, with: garbage }),
  fc.record({ kind: fc.constant("dup" as const), line: idx, to: idx }),
  fc.record({ kind: fc.constant("swap" as const), a: idx, b: idx }),
);
const nul = fc.record({ kind: fc.constant("nul" as const), at: idx, length: fc.integer({ min: 1, max: 700 }) });
const flip = fc.record({ kind: fc.constant("flip" as const), at: idx, xor: fc.integer({ min: 1, max: 255 }) });
const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const baseIndex = fc.integer({ min: 0, max: 1 });

interface Damaged {
  readonly bytes: Buffer;
  /** Owners with a damaged, moved or repeated record. */
  readonly hit: ReadonlySet<string>;
}

/** Applies a plan: the damaged bytes and whose records it touched. */
function damage(base: Base, plan: Plan): Damaged {
  const hit = new Set<string>();
  const lines = base.lines.map((l) => ({ ...l }));
  const L = lines.length;
  const d = plan.line;
  if (d?.kind === "garble") {
    const i = d.line % L;
    const orig = lines[i]!.bytes;
    let bytes: Buffer;
    if (d.with === "prefix-suffix") bytes = Buffer.concat([orig.subarray(0, orig.length >> 2), orig.subarray(orig.length - (orig.length >> 2))]);
    else if (d.with === "foreign") bytes = Buffer.from(JSON.stringify({ op: "trial", n: (d.line % 7) + 1, params: { x: 0.5 }, t: 1 }));
    else bytes = Buffer.from(d.with);
    lines[i] = { bytes, owner: orig.equals(bytes) ? "" : lines[i]!.owner };
    hit.add(base.lines[i]!.owner);
  } else if (d?.kind === "dup") {
    const i = d.line % L;
    const to = 1 + (d.to % L);
    const copy = lines[i]!;
    lines.splice(to, 0, copy);
    hit.add(copy.owner);
  } else if (d?.kind === "swap") {
    const a = d.a % L;
    const b = d.b % L;
    if (a !== b) {
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      hit.add(lines[a]!.owner).add(lines[b]!.owner);
    }
  }
  const bytes = Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from("\n")]));
  // Each line's byte range, its newline included.
  const ranges: [number, number, string][] = [];
  let at = 0;
  for (const l of lines) {
    ranges.push([at, at + l.bytes.length + 1, l.owner]);
    at += l.bytes.length + 1;
  }
  // A line is hit when a damaged byte is in it, in its newline, or in the newline before it
  // (a lost newline joins two lines into one damaged line).
  const touch = (from: number, to: number) => {
    for (const [s, e, owner] of ranges) if (s - 1 < to && from < e) hit.add(owner);
  };
  for (const b of plan.bytes) {
    const p = b.at % bytes.length;
    if (b.kind === "flip") {
      bytes[p] = bytes[p]! ^ b.xor;
      touch(p, p + 1);
    } else {
      const end = Math.min(bytes.length, p + b.length);
      bytes.fill(0, p, end);
      touch(p, end);
    }
  }
  let out = bytes;
  if (plan.truncate !== undefined) {
    const cut = Math.floor(plan.truncate * bytes.length);
    out = bytes.subarray(0, cut);
    touch(cut, bytes.length);
  }
  return { bytes: out, hit };
}

// ---- the properties -------------------------------------------------------------------------

/** What the study looks like to a fresh reader of the file. */
async function reopen(file: string, options: Base["options"]): Promise<{ snap: StudySnapshot; warnings: string[] }> {
  const warnings: string[] = [];
  const storage = new JournalStorage(path.dirname(file), { onWarning: (m) => warnings.push(m) });
  const snap = await storage.openStudy({ ...(await specOf(file)), name: options.name });
  return { snap, warnings };
}

/** The browser's reader, fed the file in pieces of `piece` bytes. */
async function browserRead(file: string, piece: number): Promise<JournalReader> {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const r = new JournalReader(file, undefined, async () => undefined);
  for (let end = Math.min(piece, bytes.length); ; end = Math.min(end + piece, bytes.length)) {
    await r.feed(bytes.subarray(r.offset, end), end === bytes.length);
    if (end === bytes.length) break;
  }
  return r;
}

async function check(plan: Plan, piece: number): Promise<void> {
  const base = bases[plan.base]!;
  const { bytes, hit } = damage(base, plan);
  const at = path.join(dir, `run-${++runs}`);
  fs.mkdirSync(at);
  const file = new JournalStorage(at).fileFor(base.options.name);
  fs.writeFileSync(file, bytes);
  const header = base.lines[0]!.bytes;
  const firstLine = bytes.subarray(0, bytes.indexOf(10) < 0 ? bytes.length : bytes.indexOf(10));
  const headerIntact = bytes.length === 0 || firstLine.equals(header);

  const warnings: string[] = [];
  const storage = new JournalStorage(at, { onWarning: (m) => warnings.push(m) });
  let study: Study;
  try {
    study = await Study.open({ ...base.options, storage });
  } catch (e) {
    expect(headerIntact, `opening threw ${String(e)} though the first record is intact`).toBe(false);
    expect(e).toBeInstanceOf(TunelabError);
    expect((e as TunelabError).code).toBe("storage.bad_header");
    // The browser says so too, or (a first record cut off: it may still be being written)
    // waits for the rest of it.
    const r = await browserRead(file, piece);
    if (r.error === null) expect(r.replica).toBeNull();
    else expect(r.error.code).toBe("storage.bad_header");
    return;
  }
  expect(headerIntact, "a damaged first record was read as a study").toBe(true);
  const snap = study.snapshot;

  // Intact trials and queue positions are as written; numbering is consistent.
  snap.trials.forEach((t, i) => expect(t.number).toBe(i));
  for (const t of base.trials) if (!hit.has(`t${t.number}`)) expect(snap.trials[t.number], `trial ${t.number}`).toEqual(t);
  base.queue.forEach((q, i) => {
    if (!hit.has(`q${i}`)) expect(snap.queue[i], `queue position ${i}`).toEqual(q);
  });
  for (const w of warnings) {
    expect(w).toContain(file);
    expect(w).toMatch(/\b[Ll]ines? \d+/);
  }

  // The browser builds the same study from the same bytes (before anyone appends).
  const before = await browserRead(file, piece);
  expect(before.replica?.trials).toEqual(snap.trials);
  expect(before.replica?.queue).toEqual(snap.queue);

  // The study goes on; numbers are fresh.
  const length = snap.trials.length;
  for (let k = 0; k < 3; k++) {
    const t = (await study.ask())!;
    expect(t.number).toBe(length + k);
    await study.report(t.number, 1, 0.5);
    await study.tell(t.number, { value: 0.25 });
  }
  const mine = study.snapshot;

  // Another reader, and the browser, see what the writer believes.
  const again = await reopen(file, base.options);
  expect(again.snap.trials).toEqual(mine.trials);
  expect(again.snap.queue).toEqual(mine.queue);
  const after = await browserRead(file, piece);
  expect(after.replica!.trials).toEqual(mine.trials);
  expect(after.replica!.queue).toEqual(mine.queue);
  expect(after.warnings).toEqual(again.warnings.slice(0, 5));
  for (const w of again.warnings) expect(w).toMatch(/\b[Ll]ines? \d+/);
  fs.rmSync(at, { recursive: true, force: true });
}

/** Runs per property (more with TUNELAB_DAMAGE_RUNS, for a longer search). */
const RUNS = Number(process.env["TUNELAB_DAMAGE_RUNS"] ?? 15);
const PROPERTY_TIMEOUT = 60_000 * Math.max(1, RUNS / 15);

type Shape = Omit<Plan, "base">;
const piece = fc.integer({ min: 1, max: 5000 });

/**
 * Each kind of damage: what it does, and the counterexamples fast-check found on the way
 * (kept as regression examples: [damage, base journal, piece size]).
 */
const KINDS: readonly { name: string; damage: fc.Arbitrary<Shape>; runs: number; examples: [Shape, number, number][] }[] = [
  {
    name: "truncated at any offset",
    damage: fraction.map((truncate) => ({ bytes: [], truncate })),
    runs: RUNS,
    // The first record cut off: the browser waits for the rest of it, Node says bad_header.
    examples: [[{ bytes: [], truncate: 0.00003360779700890607 }, 0, 1]],
  },
  {
    name: "a garbled line (random bytes, a line cut in the middle, a record without its checksum)",
    damage: fc.record({ kind: fc.constant("garble" as const), line: idx, with: garbage }).map((line) => ({ bytes: [], line })),
    runs: RUNS,
    examples: [],
  },
  { name: "a NUL block of random length at a random offset", damage: nul.map((b) => ({ bytes: [b] })), runs: RUNS, examples: [] },
  {
    name: "a duplicated line, anywhere after the first",
    damage: fc.record({ kind: fc.constant("dup" as const), line: idx, to: idx }).map((line) => ({ bytes: [], line })),
    runs: RUNS,
    examples: [
      // A copy of a trial's record before the record that created it: the warning names the line.
      [{ bytes: [], line: { kind: "dup", line: 36848, to: 0 } }, 0, 1],
      // A copy of a later report before earlier ones: only that trial's reports suffer.
      [{ bytes: [], line: { kind: "dup", line: 564271, to: 214319 } }, 1, 1],
    ],
  },
  {
    name: "two swapped lines",
    damage: fc.record({ kind: fc.constant("swap" as const), a: idx, b: idx }).map((line) => ({ bytes: [], line })),
    runs: RUNS,
    examples: [[{ bytes: [], line: { kind: "swap", a: 27, b: 496912 } }, 0, 1]],
  },
  {
    name: "random byte flips",
    damage: fc.array(flip, { minLength: 1, maxLength: 4 }).map((bytes) => ({ bytes })),
    runs: RUNS,
    // A newline flipped: two lines become one damaged line.
    examples: [[{ bytes: [{ kind: "flip", at: 826008, xor: 1 }] }, 1, 1]],
  },
  {
    name: "several kinds at once",
    damage: fc.record({ line: fc.option(lineDamage, { nil: undefined }), bytes: fc.array(fc.oneof(nul, flip), { maxLength: 3 }), truncate: fc.option(fraction, { nil: undefined }) }).map((p) => ({
      bytes: p.bytes,
      ...(p.line ? { line: p.line } : {}),
      ...(p.truncate !== undefined ? { truncate: p.truncate } : {}),
    })),
    runs: RUNS * 2,
    examples: [],
  },
];

describe("a damaged journal costs only the damaged records", () => {
  it.each(KINDS)(
    "$name",
    async ({ damage: arb, runs, examples }) => {
      await fc.assert(
        fc.asyncProperty(arb, baseIndex, piece, (shape, base, size) => check({ ...shape, base }, size)),
        { numRuns: runs, examples },
      );
    },
    PROPERTY_TIMEOUT,
  );
});
