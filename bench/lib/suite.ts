import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseJsonl, type RunRecord } from "./record";

/** What `npm run bench -- <suite> [options]` hands a suite. */
export interface SuiteOptions {
  /** Seeds 0..seeds-1 (default 10). */
  readonly seeds: number;
  /** Trials per study of the per-function tables (default 100). */
  readonly trials: number;
  /** Trials of the long study (default 1000). */
  readonly longTrials: number;
  /** Functions of the per-function tables (default: all five). */
  readonly functions: readonly string[];
  /** Also run Optuna's rows (default true). */
  readonly optuna: boolean;
  /** The hyperband suite's methods (--methods; default all). */
  readonly methods?: readonly string[];
  /** hyperband suite (multi-fidelity suite): --problems, --set, --jobs, --optuna-cache, --tl-method (repeatable). */
  readonly problems?: readonly string[];
  readonly set?: "dev" | "validation" | "all";
  readonly jobs?: number;
  readonly optunaCache?: string;
  readonly tlMethods?: readonly string[];
  /** A shorter run (--quick; the suites that have one say what it leaves out). */
  readonly quick?: boolean;
  /** When set, tunelab's worker processes write V8 CPU profiles (.cpuprofile) here. */
  readonly cpuProf?: string;
  /** Whether these are the defaults (only then is the README rewritten, unless --readme). */
  readonly isDefault: boolean;
  /** The command line that ran the benchmark, for the README. */
  readonly command: string;
}

export interface SuiteResult {
  /** The suite's report (markdown): printed, and written into bench/README.md. */
  readonly markdown: string;
  /** False when a part is missing (e.g. no Python): the README is then left alone. */
  readonly complete: boolean;
}

/** A benchmark suite: bench/suites/<name>.ts exports one as `suite`. */
export interface Suite {
  readonly name: string;
  readonly description: string;
  run(options: SuiteOptions): Promise<SuiteResult>;
}

export function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

/** A temp folder for one run's JSON-lines files. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tunelab-bench-${prefix}-`));
}

/**
 * Runs tunelab's worker (bench/lib/worker.ts, bench.py's counterpart) in a child node process
 * and returns the records it wrote to `out`.
 */
export function runTunelabWorker(args: readonly string[], out: string, cpuProf?: string): RunRecord[] {
  const worker = path.join(__dirname, "worker.js");
  const flags = cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`] : [];
  log(`node worker.js ${args.join(" ")} --out ${out}`);
  const r = spawnSync(process.execPath, [...flags, worker, ...args, "--out", out], { stdio: ["ignore", 2, 2] });
  if (r.status !== 0) throw new Error(`tunelab worker ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  return parseJsonl(fs.readFileSync(out, "utf8"));
}
