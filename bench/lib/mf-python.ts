/**
 * The Optuna side of the hyperband suite: a copy of shared/bench/multifidelity/mf_bench.py run
 * in the bench venv (bench/lib/python.ts). mf_bench.py loads ../optuna/bench.py relative to
 * itself, so both are copied into a fresh temp folder keeping that layout:
 *
 *   <tmp>/multifidelity/mf_bench.py
 *   <tmp>/optuna/bench.py
 *
 * Neither is edited. TUNELAB_MF_BENCH points at another mf_bench.py (TUNELAB_OPTUNA_BENCH at
 * another bench.py, as for the other suites).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ensureVenv, referenceEnv, referenceScript, REQUIREMENTS, ROOT } from "./python";
import type { MfRecord } from "./mf-run";

/** mf_bench.py's method keys, in its report's order. */
export const OPTUNA_MF_METHODS = ["random_full", "tpe_full", "random_hb", "tpe_hb", "tpe_sha", "tpe_median", "tpe_sha_default"] as const;

/** mf_bench.py's METHODS labels. */
export const OPTUNA_MF_LABELS: Readonly<Record<string, string>> = {
  random_full: "RandomSampler, no pruning",
  tpe_full: "TPESampler, no pruning",
  random_hb: "RandomSampler + HyperbandPruner(1, 81, eta=3)",
  tpe_hb: "TPESampler + HyperbandPruner(1, 81, eta=3)",
  tpe_sha: "TPESampler + SuccessiveHalvingPruner(1, eta=3, rate=0)",
  tpe_median: "TPESampler + MedianPruner (defaults)",
  tpe_sha_default: "TPESampler + SuccessiveHalvingPruner() defaults (min_resource='auto', eta=4)",
};

export function mfReferenceScript(): string {
  return process.env["TUNELAB_MF_BENCH"] ?? path.resolve(ROOT, "..", "shared", "bench", "multifidelity", "mf_bench.py");
}

export interface OptunaMfRows {
  readonly records: MfRecord[];
  readonly env: Record<string, unknown>;
  /** Empty when the rows are there; otherwise why they were left out. */
  readonly note: string;
  readonly seconds: number;
}

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}

/**
 * Runs `python mf_bench.py run --variants <variants> --methods <methods> --seeds <seeds>` on
 * fresh copies. Never throws: a missing Python, a failed install or a failed run leaves the
 * rows out with a note.
 */
export function runOptunaMfRows(o: { enabled: boolean; dir: string; variants: readonly string[]; methods: readonly string[]; seeds: number }): OptunaMfRows {
  const none = (note: string): OptunaMfRows => ({ records: [], env: {}, note, seconds: 0 });
  if (!o.enabled) return none("Optuna rows left out (--no-optuna).");
  if (o.methods.length === 0) return none("Optuna rows left out (no Optuna method in --methods).");
  const venv = ensureVenv([REQUIREMENTS.optuna, REQUIREMENTS.numpy, REQUIREMENTS.scipy]);
  if (!venv.ok) return none(`Optuna rows left out: ${venv.why}`);
  try {
    const src = mfReferenceScript();
    const bench = referenceScript();
    for (const f of [src, bench]) if (!fs.existsSync(f)) throw new Error(`the reference script ${f} is missing`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-bench-mf-"));
    fs.mkdirSync(path.join(dir, "multifidelity"));
    fs.mkdirSync(path.join(dir, "optuna"));
    const script = path.join(dir, "multifidelity", "mf_bench.py");
    fs.copyFileSync(src, script);
    fs.copyFileSync(bench, path.join(dir, "optuna", "bench.py"));
    const out = path.join(o.dir, "optuna-mf.jsonl");
    const args = ["run", "--variants", o.variants.join(","), "--methods", o.methods.join(","), "--seeds", String(o.seeds), "--out", out];
    log(`python mf_bench.py ${args.join(" ")}`);
    const t0 = Date.now();
    const r = spawnSync(venv.python, [script, ...args], {
      cwd: path.dirname(script),
      stdio: ["ignore", 2, 2],
      env: { ...process.env, OMP_NUM_THREADS: "1" },
    });
    if (r.status !== 0) throw new Error(`mf_bench.py run exited with ${r.status ?? r.signal}`);
    const records = fs
      .readFileSync(out, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as MfRecord);
    return { records, env: referenceEnv(venv.python, path.join(dir, "optuna", "bench.py")), note: "", seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    return none(`Optuna rows left out: ${e instanceof Error ? e.message : String(e)}`);
  }
}
