/**
 * The Optuna side: a Python venv outside the package tree (<repo>/.bench-venv, gitignored),
 * created on first use and topped up with whatever a suite asks for, and runs of a copy of
 * the shared reference script bench.py (shared/ is read-only: it is copied, never edited).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseJsonl, type RunRecord } from "./record";

import { ROOT } from "./paths";

export { ROOT };

/** The venv (outside the package tree; gitignored); TUNELAB_BENCH_VENV puts it elsewhere. */
export const VENV = process.env["TUNELAB_BENCH_VENV"] ?? path.join(ROOT, ".bench-venv");
const STAMP = path.join(VENV, ".tunelab-bench-requirements.json");

/**
 * The pinned anchor: Optuna 5.1.0 (its GPSampler is faster than 5.0.0's, the version of
 * shared/bench/optuna/results.md), with that run's numpy 2.4.6, scipy 1.17.1 and torch
 * 2.13.0+cpu. Every table re-runs it in the same invocation; old 5.0.0 rows are not quoted.
 * `torch==2.13.0` picks the CPU wheel kept on this machine's disk.
 */
export const REQUIREMENTS = {
  optuna: "optuna==5.1.0",
  numpy: "numpy==2.4.6",
  scipy: "scipy==1.17.1",
  torch: "torch==2.13.0",
  greenlet: "greenlet",
  /** PostgreSQL's driver for Optuna's RDBStorage (the workers suite). */
  psycopg2: "psycopg2-binary==2.9.13",
} as const;

/** Where the reference script is: shared/ beside the repo, or TUNELAB_OPTUNA_BENCH. */
function referenceScript(): string {
  return process.env["TUNELAB_OPTUNA_BENCH"] ?? path.resolve(ROOT, "..", "shared", "bench", "optuna", "bench.py");
}

export type PythonEnv = { readonly ok: true; readonly python: string } | { readonly ok: false; readonly why: string };

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

function run(cmd: string, args: string[], logName: string): { ok: boolean; tail: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const text = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
  const logFile = path.join(os.tmpdir(), `tunelab-bench-${logName}.log`);
  fs.writeFileSync(logFile, text);
  const ok = r.status === 0;
  return { ok, tail: ok ? "" : `${text.split("\n").slice(-25).join("\n")}\n(full log: ${logFile})` };
}

/**
 * Makes sure the venv exists and has `requirements` (pip requirement strings) installed.
 * What was installed is remembered in a stamp file, so a second run asks pip nothing.
 */
export function ensureVenv(requirements: readonly string[]): PythonEnv {
  const venvPython = path.join(VENV, "bin", "python");
  if (!fs.existsSync(venvPython) || !run(venvPython, ["-c", "import sys"], "venv-check").ok) {
    const base = process.env["PYTHON"] ?? "python3";
    const v = spawnSync(base, ["--version"], { encoding: "utf8" });
    if (v.status !== 0) return { ok: false, why: `no Python interpreter ('${base} --version' failed)` };
    log(`creating ${path.relative(ROOT, VENV)} with ${base} (${(v.stdout || v.stderr).trim()}) ...`);
    fs.rmSync(VENV, { recursive: true, force: true });
    const c = run(base, ["-m", "venv", VENV], "venv");
    if (!c.ok) return { ok: false, why: `'${base} -m venv' failed:\n${c.tail}` };
  }
  let have: string[] = [];
  try {
    have = JSON.parse(fs.readFileSync(STAMP, "utf8")) as string[];
  } catch {
    have = [];
  }
  const missing = requirements.filter((r) => !have.includes(r));
  if (missing.length > 0) {
    log(`pip install ${missing.join(" ")} into ${path.relative(ROOT, VENV)} ...`);
    const p = run(venvPython, ["-m", "pip", "install", "--disable-pip-version-check", ...missing], "pip");
    if (!p.ok) return { ok: false, why: `pip install ${missing.join(" ")} failed:\n${p.tail}` };
    fs.writeFileSync(STAMP, JSON.stringify([...have, ...missing], null, 1));
  }
  return { ok: true, python: venvPython };
}

/** A fresh temp folder holding a copy of bench.py. */
export function copyReference(): { dir: string; script: string } {
  const src = referenceScript();
  if (!fs.existsSync(src)) throw new Error(`the reference script ${src} is missing (set TUNELAB_OPTUNA_BENCH to its path)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-bench-optuna-"));
  const script = path.join(dir, "bench.py");
  fs.copyFileSync(src, script);
  return { dir, script };
}

/**
 * Runs `python bench.py <args> --out <jsonl>` (progress lines go to our stderr) and returns
 * the records it wrote.
 */
export function runReference(python: string, script: string, args: readonly string[], out: string): RunRecord[] {
  log(`python bench.py ${args.join(" ")} --out ${out}`);
  const r = spawnSync(python, [script, ...args, "--out", out], { cwd: path.dirname(script), stdio: ["ignore", 2, 2] });
  if (r.status !== 0) throw new Error(`bench.py ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  return parseJsonl(fs.readFileSync(out, "utf8"));
}

/** bench.py's env_info() (versions of Python, Optuna, numpy, ...). */
function referenceEnv(python: string, script: string): Record<string, unknown> {
  const code = `import sys, json; sys.path.insert(0, ${JSON.stringify(path.dirname(script))}); import bench; print(json.dumps(bench.env_info()))`;
  const r = spawnSync(python, ["-c", code], { encoding: "utf8" });
  if (r.status !== 0) return {};
  try {
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** What `runOptunaRows` gives a suite: the records, the versions, and why rows are missing. */
export interface OptunaRows {
  readonly records: RunRecord[];
  readonly env: Record<string, unknown>;
  /** Empty when the rows are there; otherwise why they were left out. */
  readonly note: string;
  /** The copy of bench.py that ran ("" when none did). */
  readonly script: string;
}

/**
 * The Optuna side of a suite: makes the venv with `requirements`, then runs bench.py's `run`
 * with `samplers` and `long` with `longSamplers` on a fresh copy of the script. Never throws:
 * a missing Python, a failed install or a failed run leaves the rows out with a note.
 */
export function runOptunaRows(o: {
  readonly enabled: boolean;
  readonly requirements: readonly string[];
  readonly dir: string;
  readonly samplers: string;
  readonly longSamplers: string;
  readonly functions: readonly string[];
  readonly seeds: number;
  readonly trials: number;
  readonly longTrials: number;
  /** Progress line for the `run` phase (defaults to a plain one). */
  readonly runMessage?: string;
}): OptunaRows {
  if (!o.enabled) return { records: [], env: {}, note: "Optuna rows left out (--no-optuna).", script: "" };
  const venv = ensureVenv(o.requirements);
  if (!venv.ok) return { records: [], env: {}, note: `Optuna rows left out: ${venv.why}`, script: "" };
  try {
    const ref = copyReference();
    const out = path.join(o.dir, "optuna.jsonl");
    log(o.runMessage ?? `optuna: ${o.seeds} seeds x ${o.trials} trials ...`);
    runReference(venv.python, ref.script, ["run", "--samplers", o.samplers, "--functions", o.functions.join(","), "--seeds", String(o.seeds), "--trials", String(o.trials)], out);
    log(`optuna: long study (${o.longSamplers}), hartmann6, ${o.longTrials} trials ...`);
    const records = runReference(venv.python, ref.script, ["long", "--samplers", o.longSamplers, "--function", "hartmann6", "--trials", String(o.longTrials), "--seed", "0"], out);
    return { records, env: referenceEnv(venv.python, ref.script), note: "", script: ref.script };
  } catch (e) {
    return { records: [], env: {}, note: `Optuna rows left out: ${e instanceof Error ? e.message : String(e)}`, script: "" };
  }
}
