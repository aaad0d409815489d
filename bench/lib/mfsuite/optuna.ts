/**
 * The Optuna side's launcher: bench/lib/mf_suite.py in the bench venv (bench/lib/python.ts,
 * Optuna 5.1.0), `--jobs` worker processes fed by the pool (run.ts), each with its own problem
 * server (server.js beside this file once compiled).
 *
 * `--optuna-cache DIR` (development only) reuses records keyed by Optuna's version, the
 * problem's fingerprint (server.ts: its space and its curves at fixed configurations), a hash of
 * mf_suite.py, the method, the seed and the budget; the suite prints a loud line when it does,
 * and a report built from cached records says so and is never written into bench/README.md.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureVenv, REQUIREMENTS, ROOT } from "../python";
import { runPool, type PoolProgress, type SuiteRecord } from "./run";
import { fingerprint } from "./server";
import { problemByName } from "./run";

export const MF_SUITE_PY = path.join(ROOT, "bench", "lib", "mf_suite.py");
export const SERVER_JS = path.join(__dirname, "server.js");

export interface OptunaJob {
  readonly problem: string;
  readonly method: string;
  readonly seed: number;
  readonly budgetMult: number;
  /** Trials in flight (mf_suite.py's run_parallel); 1 when absent. */
  readonly workers?: number;
}

export interface OptunaSide {
  readonly records: SuiteRecord[];
  /** Empty when the rows are there; otherwise why they were left out. */
  readonly note: string;
  readonly version: string;
  /** Records taken from --optuna-cache. */
  readonly cached: number;
}

function cacheKey(version: string, scriptHash: string, job: OptunaJob, fp: string): string {
  return `optuna${version}-${job.problem}-${fp}-py${scriptHash}-${job.method}-seed${job.seed}-x${job.budgetMult}${(job.workers ?? 1) > 1 ? `-w${job.workers}` : ""}.json`;
}

/** The Python of the venv and Optuna's version there, or why there is none. */
export function optunaPython(): { python: string; version: string } | { why: string } {
  const venv = ensureVenv([REQUIREMENTS.optuna, REQUIREMENTS.numpy]);
  if (!venv.ok) return { why: venv.why };
  const v = spawnSync(venv.python, ["-c", "import optuna; print(optuna.__version__)"], { encoding: "utf8" });
  if (v.status !== 0) return { why: `import optuna failed: ${v.stderr}` };
  return { python: venv.python, version: v.stdout.trim() };
}

export async function runOptunaSide(o: {
  jobs: readonly OptunaJob[];
  n: number;
  cacheDir?: string;
  log: (msg: string) => void;
  onRecord?: (r: SuiteRecord, p: PoolProgress) => void;
}): Promise<OptunaSide> {
  if (o.jobs.length === 0) return { records: [], note: "Optuna rows left out (no Optuna method).", version: "", cached: 0 };
  const py = optunaPython();
  if ("why" in py) return { records: [], note: `Optuna rows left out: ${py.why}`, version: "", cached: 0 };
  if (!fs.existsSync(SERVER_JS)) return { records: [], note: `Optuna rows left out: ${SERVER_JS} is missing (run through \`npm run bench\`, which compiles it)`, version: py.version, cached: 0 };
  const out: (SuiteRecord | undefined)[] = new Array(o.jobs.length);
  const keys: string[] = [];
  let cached = 0;
  if (o.cacheDir) {
    fs.mkdirSync(o.cacheDir, { recursive: true });
    const scriptHash = createHash("sha256").update(fs.readFileSync(MF_SUITE_PY)).digest("hex").slice(0, 12);
    const fps = new Map<string, string>();
    o.jobs.forEach((j, i) => {
      if (!fps.has(j.problem)) fps.set(j.problem, fingerprint(problemByName(j.problem)));
      keys[i] = path.join(o.cacheDir!, cacheKey(py.version, scriptHash, j, fps.get(j.problem)!));
      if (fs.existsSync(keys[i]!)) {
        out[i] = { ...(JSON.parse(fs.readFileSync(keys[i]!, "utf8")) as SuiteRecord), cached: true };
        cached++;
      }
    });
    o.log(
      `!!!!!!!! --optuna-cache ${o.cacheDir}: ${cached} of ${o.jobs.length} Optuna records REUSED from the cache (development only: ` +
        "the final table must be measured without it; bench/README.md is not written) !!!!!!!!",
    );
  }
  const todo = o.jobs.map((job, i) => ({ job, i })).filter((e) => !out[e.i]);
  const recs = await runPool<OptunaJob, SuiteRecord>({
    side: "optuna",
    n: o.n,
    start: () =>
      spawn(py.python, [MF_SUITE_PY, "worker", "--server", SERVER_JS], {
        cwd: path.dirname(MF_SUITE_PY),
        stdio: ["pipe", "pipe", "inherit"],
        env: { ...process.env, OMP_NUM_THREADS: "1" },
      }),
    jobs: todo.map((e) => ({ job: e.job, key: `${e.job.method}${(e.job.workers ?? 1) > 1 ? `@${e.job.workers}` : ""}/${e.job.problem}` })),
    onRecord: (r, p) => {
      if (o.cacheDir) {
        const i = todo.find((e) => e.job.problem === r.problem && e.job.method === r.method && e.job.seed === r.seed && (e.job.workers ?? 1) === (r.workers ?? 1))!.i;
        fs.writeFileSync(keys[i]!, JSON.stringify(r));
      }
      o.onRecord?.(r, p);
    },
  });
  todo.forEach((e, k) => (out[e.i] = recs[k]));
  return { records: out as SuiteRecord[], note: "", version: py.version, cached };
}
