/**
 * What the workers benchmark (bench/suites/workers.ts) shares with its worker processes
 * (bench/workers/tunelab-worker.ts, bench/workers/optuna_worker.py), and its process plumbing:
 * start N workers, wait until each has opened the study, start them together, collect what
 * each measured; and the check, from what a storage holds, that no trial was lost or doubled.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import { decodeRecord } from "../../src/record/journal-format";
import type { SpaceDef } from "../../src/space/types";

/** The space on both sides (Optuna's worker suggests the same three parameters). */
export const WORKERS_SPACE: SpaceDef = {
  x: { type: "float", low: -10, high: 10 },
  y: { type: "int", low: 1, high: 100 },
  c: { type: "categorical", choices: ["a", "b", "c"] },
};

/** What a tunelab worker is told (argv[2], JSON). */
export interface WorkerArgs {
  readonly location: string;
  /** The journal's durable mode (an fsync per append). */
  readonly durable: boolean;
  readonly study: string;
  /** At most this many trials, */
  readonly trials: number;
  /** and none started after this many seconds from "go". */
  readonly seconds: number;
  readonly out: string;
}

/** What a worker of either side writes to its `out` file. */
export interface WorkerResult {
  /** The trial numbers it was given, in order. */
  readonly numbers: number[];
  /** ms of ask + tell per trial, in the same order. */
  readonly latency: number[];
  /** Epoch ms when it started its first ask, and when its last tell returned. */
  readonly start: number;
  readonly end: number;
  readonly warnings: string[];
}

/** One trial as the storage holds it: its number, its state, how many times it was finished. */
export interface StoredTrial {
  readonly number: number;
  readonly state: string;
  readonly finished: number;
}

/** How to start one worker process (or one that forks several): a program and its arguments, and where its workers write their results. */
export interface WorkerSpec {
  readonly cmd: string;
  readonly args: readonly string[];
  readonly outs: readonly string[];
}

/**
 * Starts every worker process, waits until each printed {"ready":true} (its study open, its imports
 * done: start-up is not measured), writes "go" to all, and waits for all to end; then reads
 * their results. Throws (after killing the ones still running) when one fails or `timeoutMs`
 * passes.
 */
export async function runWorkers(specs: readonly WorkerSpec[], timeoutMs: number): Promise<WorkerResult[]> {
  const children: ChildProcess[] = [];
  const stderr: string[] = specs.map(() => "");
  let timer: NodeJS.Timeout | undefined;
  try {
    const ready: Promise<void>[] = [];
    const exited: Promise<void>[] = [];
    specs.forEach((s, i) => {
      const c = spawn(s.cmd, [...s.args], { stdio: ["pipe", "pipe", "pipe"] });
      children.push(c);
      c.stderr!.on("data", (d: Buffer) => {
        stderr[i] = (stderr[i]! + d.toString()).slice(-4000);
      });
      const exit = new Promise<void>((resolve, reject) => {
        c.on("error", reject);
        c.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`worker ${i} (${s.cmd}) exited with ${code ?? signal}: ${stderr[i]!.trim().split("\n").slice(-6).join("\n")}`))));
      });
      exited.push(exit);
      ready.push(
        new Promise<void>((resolve, reject) => {
          let buf = "";
          c.stdout!.on("data", (d: Buffer) => {
            buf += d.toString();
            if (buf.includes('"ready"')) resolve();
          });
          exit.then(() => reject(new Error(`worker ${i} ended before it was ready`)), reject);
        }),
      );
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`workers did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    await Promise.race([Promise.all(ready), timeout]);
    for (const c of children) c.stdin!.write("go\n");
    await Promise.race([Promise.all(exited), timeout]);
    return specs.flatMap((s) => s.outs.map((out) => JSON.parse(fs.readFileSync(out, "utf8")) as WorkerResult));
  } finally {
    clearTimeout(timer);
    for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) c.kill("SIGKILL");
  }
}

/** Lost and doubled trials of a run, checked against what the storage holds. */
export interface Integrity {
  /** Trials the storage holds. */
  readonly recorded: number;
  /** Numbers from 0 to the expected count that the storage lacks, or holds not finished (complete) once. */
  readonly lost: number;
  /** Numbers the storage holds twice, trials finished more than once, or numbers given to two asks. */
  readonly duplicate: number;
  /** What went wrong, for the log (empty when nothing did). */
  readonly problems: string[];
}

/**
 * Checks a run: `expected` trials were asked and told (by every worker together, each told the
 * numbers in `given`); the storage must hold trials 0..expected-1, each once, each complete,
 * each finished exactly once.
 */
export function checkIntegrity(stored: readonly StoredTrial[], given: readonly (readonly number[])[], expected: number): Integrity {
  const problems: string[] = [];
  const byNumber = new Map<number, StoredTrial[]>();
  for (const t of stored) byNumber.set(t.number, [...(byNumber.get(t.number) ?? []), t]);
  let lost = 0;
  let duplicate = 0;
  for (let n = 0; n < expected; n++) {
    const ts = byNumber.get(n) ?? [];
    if (ts.length === 0) {
      lost++;
      problems.push(`trial ${n} is missing`);
      continue;
    }
    if (ts.length > 1) {
      duplicate += ts.length - 1;
      problems.push(`trial number ${n} is stored ${ts.length} times`);
    }
    for (const t of ts) {
      if (t.state !== "complete" || t.finished === 0) {
        lost++;
        problems.push(`trial ${n} is ${t.state}, finished ${t.finished} times`);
      } else if (t.finished > 1) {
        duplicate += t.finished - 1;
        problems.push(`trial ${n} was finished ${t.finished} times`);
      }
    }
  }
  for (const n of byNumber.keys()) {
    if (n < 0 || n >= expected || !Number.isInteger(n)) {
      duplicate++;
      problems.push(`trial ${n} is beyond the ${expected} asked for`);
    }
  }
  const seen = new Set<number>();
  for (const list of given) {
    for (const n of list) {
      if (seen.has(n)) {
        duplicate++;
        problems.push(`trial number ${n} was given to two asks`);
      }
      seen.add(n);
    }
  }
  return { recorded: stored.length, lost, duplicate, problems };
}

/** Counts trial and end operations per trial number in a study's raw log (not through the replica, which refuses a second end). */
export function storedFromOps(ops: Iterable<string>, checked: boolean, where: string): StoredTrial[] {
  const trials = new Map<number, number>();
  const ends = new Map<number, { state: string; count: number }>();
  for (const text of ops) {
    const d = decodeRecord(text, checked);
    if (!d.ok) throw new Error(`bench: a damaged record in ${where}: ${d.reason}`);
    const op = d.op;
    if (op.op === "trial") trials.set(op.n, (trials.get(op.n) ?? 0) + 1);
    else if (op.op === "end") {
      const e = ends.get(op.n);
      ends.set(op.n, { state: e?.state ?? op.state, count: (e?.count ?? 0) + 1 });
    }
  }
  const out: StoredTrial[] = [];
  for (const [n, count] of trials) {
    const e = ends.get(n);
    for (let i = 0; i < count; i++) out.push({ number: n, state: e ? e.state : "running", finished: e?.count ?? 0 });
  }
  return out;
}

/** What a tunelab journal file holds, read line by line (checksums checked). */
export function storedJournal(file: string): StoredTrial[] {
  return storedFromOps(fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== ""), true, file);
}
