/**
 * `npm run bench -- workers`: many worker processes on one study. tunelab on PostgreSQL and on
 * the journal file, against Optuna's RDBStorage on the same PostgreSQL (a database of its own)
 * and Optuna's JournalStorage(JournalFileBackend), in the same invocation:
 *
 * 1. Throughput and latency at 1, 4 and 16 worker processes (node for tunelab, python for
 *    Optuna), each running ask/tell with a random sampler and a trivial objective on the same
 *    three-parameter space for 10 s (3 s with --quick): trials per second (all trials over the
 *    time from the first ask to the last tell) and the p50/p99 of ask + tell per trial. Also
 *    tunelab's durable journal (Optuna's JournalFileBackend fsyncs every append, tunelab's
 *    journal by default doesn't), and both PostgreSQL rows at 16 workers on a database with
 *    synchronous_commit off (commits that don't wait for the disk: the software's own cost).
 * 2. Growth with the study's length: one study of 10k trials (3k with --quick; 4 workers),
 *    the p50/p99 of its first 1k trials against its last 1k; tunelab only (Optuna's rates
 *    here would make it take many minutes).
 * 3. Integrity of every run, read back from the storage itself afterwards: trial numbers
 *    0..n-1 without gaps, each stored once, complete, finished once (and no number handed to
 *    two asks).
 *
 * PostgreSQL is a throwaway cluster of Debian's package (test/helpers/pg-cluster.ts), with the
 * server's durable defaults (fsync and synchronous_commit on) and room for the connections.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { journalFileName } from "../../src/storage/journal";
import { psql, startCluster, stopCluster, urlOf } from "../../test/helpers/pg-cluster";
import { runHeader } from "../lib/env";
import { BENCH_DIR } from "../lib/paths";
import { REQUIREMENTS, ensureVenv } from "../lib/python";
import { percentile } from "../lib/stats";
import { log, tempDir, type Suite, type SuiteOptions, type SuiteResult } from "../lib/suite";
import { checkIntegrity, runWorkers, storedFromOps, storedJournal, type Integrity, type StoredTrial, type WorkerResult, type WorkerSpec } from "../lib/workers";

/** The venv's packages: the pinned Optuna anchor and psycopg2 for its RDBStorage on PostgreSQL. */
const VENV_PACKAGES = [REQUIREMENTS.optuna, REQUIREMENTS.numpy, REQUIREMENTS.scipy, REQUIREMENTS.psycopg2];

/** The server's settings: PostgreSQL's defaults (durable commits) plus connections for 16 workers of both sides. */
const PG_SETTINGS = { max_connections: "200" } as const;

const WORKER_COUNTS = [1, 4, 16] as const;
const RUN_TIMEOUT_MS = 600_000;

interface Sizes {
  /** Seconds of each run of part 1. */
  readonly seconds: number;
  /** Trials of the long study (part 2) and its workers. */
  readonly longTrials: number;
  readonly longWorkers: number;
  /** The window at each end of the long study. */
  readonly window: number;
}

const DEFAULT_SIZES: Sizes = { seconds: 10, longTrials: 10_000, longWorkers: 4, window: 1000 };
const QUICK_SIZES: Sizes = { seconds: 3, longTrials: 3000, longWorkers: 4, window: 1000 };

type SystemKey = "tl-pg" | "tl-pg-async" | "tl-journal" | "tl-journal-durable" | "op-rdb" | "op-rdb-async" | "op-journal";

interface System {
  readonly key: SystemKey;
  readonly label: string;
  readonly optuna: boolean;
  readonly storage: "postgresql" | "journal";
  /** PostgreSQL: a database whose commits don't wait for the disk (synchronous_commit = off). */
  readonly asyncCommit?: boolean;
  /** Journal: tunelab's durable mode (an fsync per append). */
  readonly durable?: boolean;
  /** The worker counts it runs at in part 1. */
  readonly counts: readonly number[];
}

const ASYNC = "synchronous_commit off";
const SYSTEMS: readonly System[] = [
  { key: "tl-pg", label: "tunelab, PostgreSQL", optuna: false, storage: "postgresql", counts: WORKER_COUNTS },
  { key: "op-rdb", label: "Optuna RDBStorage, PostgreSQL", optuna: true, storage: "postgresql", counts: WORKER_COUNTS },
  // Without the wait for the disk at each commit (what both sides' throughput on one study is
  // bound by above): the software's own cost. At 16 workers only, to keep the run short.
  { key: "tl-pg-async", label: `tunelab, PostgreSQL, ${ASYNC}`, optuna: false, storage: "postgresql", asyncCommit: true, counts: [16] },
  { key: "op-rdb-async", label: `Optuna RDBStorage, PostgreSQL, ${ASYNC}`, optuna: true, storage: "postgresql", asyncCommit: true, counts: [16] },
  { key: "tl-journal", label: "tunelab, journal file", optuna: false, storage: "journal", counts: WORKER_COUNTS },
  // Optuna's JournalFileBackend fsyncs every append; tunelab's journal does only when durable.
  { key: "tl-journal-durable", label: "tunelab, journal file, durable", optuna: false, storage: "journal", durable: true, counts: WORKER_COUNTS },
  { key: "op-journal", label: "Optuna JournalFileBackend", optuna: true, storage: "journal", counts: WORKER_COUNTS },
];

/** Where everything of one invocation lives. */
interface Env {
  readonly dir: string;
  /** Database URLs by side and commit mode. */
  readonly urls: { readonly [side in "tunelab" | "optuna"]: { readonly sync: string; readonly async: string } };
  readonly python: string | undefined;
}

/** One run: a fresh study, `workers` processes, `trials` trials in all. */
interface Run {
  readonly system: System;
  readonly workers: number;
  readonly trials: number;
  readonly perSecond: number;
  /** [trial number, ms of ask + tell] of every trial. */
  readonly latency: readonly (readonly [number, number])[];
  readonly integrity: Integrity;
  readonly warnings: number;
}

const WORKER_PY = path.join(BENCH_DIR, "workers", "optuna_worker.py");
const WORKER_JS = path.join(__dirname, "..", "workers", "tunelab-worker.js");

let studies = 0;

/** A run of `workers` processes, each making at most `perWorker` trials and starting none after `seconds`. */
async function runOnce(env: Env, system: System, workers: number, perWorker: number, seconds: number): Promise<Run> {
  const study = `${system.key}-w${workers}-${++studies}`;
  const runDir = path.join(env.dir, study);
  fs.mkdirSync(runDir);
  const target = system.storage === "postgresql" ? env.urls[system.optuna ? "optuna" : "tunelab"][system.asyncCommit ? "async" : "sync"] : system.optuna ? path.join(runDir, "optuna.log") : runDir;
  const specs: WorkerSpec[] = [];
  if (system.optuna) {
    const base = { storage: system.storage === "postgresql" ? "rdb" : "journal", target, study };
    const out = path.join(runDir, "w.json");
    const outs = Array.from({ length: workers }, (_, i) => `${out}.${i}`);
    specs.push({ cmd: env.python!, args: [WORKER_PY, JSON.stringify({ ...base, workers, trials: perWorker, seconds, out })], outs });
  } else {
    for (let i = 0; i < workers; i++) {
      const out = path.join(runDir, `w${i}.json`);
      specs.push({ cmd: process.execPath, args: [WORKER_JS, JSON.stringify({ location: target, durable: system.durable === true, study, trials: perWorker, seconds, out })], outs: [out] });
    }
  }
  log(`workers: ${system.label}, ${workers} worker${workers > 1 ? "s" : ""} ...`);
  const t0 = Date.now();
  const results = await runWorkers(specs, RUN_TIMEOUT_MS);
  const total = results.reduce((s, r) => s + r.numbers.length, 0);
  // Optuna's parent process wrote what its storage holds after its workers ended.
  const stored = system.optuna ? (JSON.parse(fs.readFileSync(path.join(runDir, "w.json.stored"), "utf8")) as StoredTrial[]) : system.storage === "postgresql" ? await storedPostgres(target, study) : storedJournal(path.join(runDir, journalFileName(study)));
  const integrity = checkIntegrity(stored, results.map((r) => r.numbers), total);
  for (const p of integrity.problems.slice(0, 5)) log(`  ${system.label}: ${p}`);
  const run: Run = {
    system,
    workers,
    trials: total,
    perSecond: total / ((Math.max(...results.map((r) => r.end)) - Math.min(...results.map((r) => r.start))) / 1000),
    latency: latencies(results),
    integrity,
    warnings: results.reduce((s, r) => s + r.warnings.length, 0),
  };
  const all = run.latency.map((l) => l[1]);
  log(`  ${run.perSecond.toFixed(0)} trials/s, p50 ${percentile(all, 50).toFixed(2)} ms, p99 ${percentile(all, 99).toFixed(2)} ms, lost ${integrity.lost}, duplicate ${integrity.duplicate}${run.warnings ? `, ${run.warnings} storage warnings` : ""} (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
  return run;
}

function latencies(results: readonly WorkerResult[]): [number, number][] {
  const out: [number, number][] = [];
  for (const r of results) r.numbers.forEach((n, i) => out.push([n, r.latency[i]!]));
  return out;
}

async function storedPostgres(url: string, study: string): Promise<StoredTrial[]> {
  const pg = require("pg") as typeof import("pg");
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query("SELECT o.op FROM tunelab_ops o JOIN tunelab_studies s ON s.id = o.study_id WHERE s.name = $1 ORDER BY o.seq", [JSON.stringify(study)]);
    return storedFromOps(r.rows.map((row: { op: string }) => row.op), false, `study ${study}`);
  } finally {
    await c.end();
  }
}


// ---- the report -------------------------------------------------------------------------------

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function throughputTable(runs: readonly Run[]): string[] {
  const L = ["| storage | workers | trials | trials/s | p50 ask+tell (ms) | p99 ask+tell (ms) | lost | duplicate |", "|---|---:|---:|---:|---:|---:|---:|---:|"];
  for (const r of runs) {
    const all = r.latency.map((l) => l[1]);
    const bold = r.system.optuna ? "" : "**";
    L.push(`| ${r.system.label} | ${r.workers} | ${r.trials} | ${bold}${r.perSecond.toFixed(0)}${bold} | ${ms(percentile(all, 50))} | ${ms(percentile(all, 99))} | ${r.integrity.lost} | ${r.integrity.duplicate} |`);
  }
  return L;
}

function ratioLines(runs: readonly Run[]): string[] {
  const get = (k: SystemKey, w: number) => runs.find((r) => r.system.key === k && r.workers === w);
  const L: string[] = [];
  for (const [ours, theirs, what] of [
    ["tl-pg", "op-rdb", "tunelab on PostgreSQL / Optuna RDBStorage"],
    ["tl-pg-async", "op-rdb-async", `the same, ${ASYNC}`],
    ["tl-journal", "op-journal", "tunelab's journal / Optuna's JournalFileBackend"],
    ["tl-journal-durable", "op-journal", "tunelab's durable journal / Optuna's JournalFileBackend (both fsync every append)"],
  ] as const) {
    const cells = WORKER_COUNTS.map((w) => {
      const a = get(ours, w);
      const b = get(theirs, w);
      return a && b ? `${(a.perSecond / b.perSecond).toFixed(1)}x at ${w}` : undefined;
    }).filter(Boolean);
    if (cells.length) L.push(`- Throughput, ${what}: ${cells.join(", ")}.`);
  }
  return L;
}

function lengthTable(runs: readonly Run[], window: number): string[] {
  const L = [
    `| storage | workers | trials | p50 / p99, trials 1-${window} (ms) | p50 / p99, last ${window} (ms) | p99 last / first | lost | duplicate |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of runs) {
    const first = r.latency.filter((l) => l[0] < window).map((l) => l[1]);
    const last = r.latency.filter((l) => l[0] >= r.trials - window).map((l) => l[1]);
    const p99a = percentile(first, 99);
    const p99b = percentile(last, 99);
    L.push(`| ${r.system.label} | ${r.workers} | ${r.trials} | ${ms(percentile(first, 50))} / ${ms(p99a)} | ${ms(percentile(last, 50))} / ${ms(p99b)} | ${(p99b / p99a).toFixed(2)} | ${r.integrity.lost} | ${r.integrity.duplicate} |`);
  }
  return L;
}

/** How long Optuna's faster storage would take for the long study, at its rate with the long study's worker count (or the nearest measured). */
function optunaMinutes(runs: readonly Run[], sizes: Sizes): string {
  const rates = runs.filter((r) => r.system.optuna).map((r) => ({ r, d: Math.abs(r.workers - sizes.longWorkers) }));
  if (!rates.length) return "(not measured)";
  const best = Math.min(...rates.map((x) => x.d));
  return rates
    .filter((x) => x.d === best)
    .map((x) => `${(sizes.longTrials / x.r.perSecond / 60).toFixed(0)} min (${x.r.system.label}, ${x.r.workers} workers)`)
    .join(" and ");
}

async function run(o: SuiteOptions): Promise<SuiteResult> {
  const sizes = o.quick ? QUICK_SIZES : DEFAULT_SIZES;
  let note = "";
  let python: string | undefined;
  let pyEnv: Record<string, unknown> = {};
  if (!o.optuna) note = "Optuna rows left out (--no-optuna).";
  else {
    const venv = ensureVenv(VENV_PACKAGES);
    if (venv.ok) {
      python = venv.python;
      const v = spawnSync(python, ["-c", "import sys, json, optuna, sqlalchemy, psycopg2; print(json.dumps({'python': sys.version.split()[0], 'optuna': optuna.__version__, 'sqlalchemy': sqlalchemy.__version__, 'psycopg2': psycopg2.__version__.split()[0]}))"], { encoding: "utf8" });
      if (v.status === 0) pyEnv = JSON.parse(v.stdout.trim()) as Record<string, unknown>;
    } else note = `Optuna rows left out: ${venv.why}`;
  }
  const systems = SYSTEMS.filter((s) => !s.optuna || python);
  log("workers: starting a throwaway PostgreSQL cluster ...");
  const cluster = await startCluster(PG_SETTINGS);
  const dir = tempDir("workers");
  try {
    // A database per side and commit mode; synchronous_commit off is set on the database (every session of it).
    for (const side of ["tunelab", "optuna"]) {
      psql(cluster, `CREATE DATABASE ${side}_bench`);
      psql(cluster, `CREATE DATABASE ${side}_async`);
      psql(cluster, `ALTER DATABASE ${side}_async SET synchronous_commit = off`);
    }
    const pgVersion = psql(cluster, "SHOW server_version");
    const sqlalchemy = (u: string) => u.replace(/^postgresql:/, "postgresql+psycopg2:");
    const urls = {
      tunelab: { sync: urlOf(cluster, "tunelab_bench"), async: urlOf(cluster, "tunelab_async") },
      optuna: { sync: sqlalchemy(urlOf(cluster, "optuna_bench")), async: sqlalchemy(urlOf(cluster, "optuna_async")) },
    };
    const env: Env = { dir, urls, python };
    // Warm-up (untimed): each side's tables created, the OS's caches filled.
    for (const s of systems) await runOnce(env, s, 1, 20, 60);
    const runs: Run[] = [];
    // Worker counts outermost, the systems alternating: a slow spell of the shared machine hits each.
    for (const w of WORKER_COUNTS) for (const s of systems) if (s.counts.includes(w)) runs.push(await runOnce(env, s, w, 1e9, sizes.seconds));
    const long: Run[] = [];
    // tunelab's storages only: at Optuna's rates here (part 1) a 10k-trial study would take many minutes.
    for (const s of systems.filter((x) => x.key === "tl-pg" || x.key === "tl-journal")) long.push(await runOnce(env, s, sizes.longWorkers, sizes.longTrials / sizes.longWorkers, 600));
    const bad = [...runs, ...long].filter((r) => r.integrity.lost + r.integrity.duplicate > 0);
    const L = runHeader("Workers: many processes on one study", o.command, {}, note);
    if (pyEnv["python"]) L.push(`Optuna side: Python ${pyEnv["python"]}, Optuna ${pyEnv["optuna"]}, SQLAlchemy ${pyEnv["sqlalchemy"]}, psycopg2 ${pyEnv["psycopg2"]}. PostgreSQL ${pgVersion} (a throwaway cluster on loopback in a temp folder, the server's default settings: fsync and synchronous_commit on; max_connections ${PG_SETTINGS.max_connections}; the rows marked ${ASYNC} use a database with that setting, whose commits don't wait for the disk).\n`);
    L.push(
      `Each run: a fresh study, N worker processes (node for tunelab; python for Optuna, forked after its imports) started together once each has opened it, each running ask, a trivial objective and tell with a random sampler on the same space (a float, an int, a 3-way categorical), starting no trial after ${sizes.seconds} s. Trials per second: all trials over the time from the first ask to the last tell. Latency: ask + tell per trial (Optuna's suggest_* calls, which write each parameter to the storage, count as part of its ask). Lost / duplicate: read back from the storage afterwards (trial numbers 0..n-1 without gaps, each stored once, complete, finished once; no number given to two asks).\n`,
    );
    L.push(...throughputTable(runs), "", ...ratioLines(runs), "");
    L.push(`**Study length**: one study of ${sizes.longTrials} trials on ${sizes.longWorkers} workers; latency of its first ${sizes.window} trials against its last ${sizes.window}. tunelab's PostgreSQL and journal only: at the Optuna rates above, a ${sizes.longTrials}-trial study would take ${optunaMinutes(runs, sizes)} on this machine.\n`);
    L.push(...lengthTable(long, sizes.window), "");
    if (bad.length) L.push(`**Integrity problems in ${bad.length} run(s)** (see the log above).`, "");
    return { markdown: L.join("\n"), complete: systems.length === SYSTEMS.length && bad.length === 0 };
  } finally {
    stopCluster(cluster);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const suite: Suite = {
  name: "workers",
  description: "1, 4 and 16 worker processes on one study: tunelab on PostgreSQL and the journal vs Optuna RDB and JournalFileBackend (~7 min; --quick ~4 min)",
  run: (o) => run(o),
};
