/**
 * The multi-fidelity suite's tunelab side and its process pool.
 *
 * runTunelabOne: one sequential study of a method on a problem (bench/lib/mfsuite/problem.ts),
 * through the Study API (ask / report after every step / tell), in-memory storage, `.seed(s)`:
 * each trial opens the problem's run for (x, seed, trial number) and trains step b = 1..R
 * (R = maxResource), reporting the loss after each; it ends when report() answers "stop" (told
 * pruned, costing the b steps it ran) or after step R (told complete with the step-R loss).
 * The study stops at the end of the first trial after which budgetMult x R steps were spent
 * (cap 20000 trials), exactly as mf_bench.py and mf_suite.py (the Optuna side) stop.
 *
 * Overhead = wall time minus time inside the problem's next() (proposal, report and stopping
 * rule, storage, the harness loop), per trial and per step spent.
 *
 * runParallelOne: the same problem through the DSL runner with `.limits({ parallel: 4 })`
 * (steps are pure computation), stopped with an AbortSignal once the budget is spent.
 *
 * The pool (runPool) hands JSON job lines to long-lived child processes (this file's `worker`
 * command for tunelab, mf_suite.py's `worker` for Optuna), one job at a time per process, and
 * collects one JSON record line per job.
 *
 *   node run.js worker     (reads jobs on stdin, writes records on stdout)
 */
import { spawn } from "node:child_process";
import * as readline from "node:readline";
import { tune } from "../../../src/index";
import { optionsFor, type TlMethod } from "./methods";
import type { MfProblem } from "./problem";
import { MF_SUITE } from "./problems/index";

export const MAX_TRIALS = 20000;
/** Budgets (multiples of maxResource) the tables read. */
export const BUDGET_MULTS = [1, 3, 10, 30, 100] as const;
export const FULL_MULT = 100;

/** One (problem, method, seed) run of either side. */
export interface SuiteRecord {
  readonly side: "tunelab" | "optuna";
  readonly problem: string;
  readonly set: "dev" | "validation";
  readonly method: string;
  readonly seed: number;
  readonly max_resource: number;
  readonly budget_mult: number;
  readonly n_trials: number;
  readonly n_complete: number;
  readonly total_steps: number;
  /** Every complete trial (ran all max_resource steps), in the order they ended: [steps spent in the study when it ended, its final loss]. */
  readonly complete: readonly (readonly [number, number])[];
  readonly wall_s: number;
  /** Time inside the problem's steps (tunelab: next(); Optuna: the server calls, pipes included). */
  readonly eval_s: number;
  readonly overhead_ms_per_trial: number;
  readonly overhead_ms_per_step: number;
  /** tunelab only: time inside report() per reported step. */
  readonly report_ms_per_step?: number;
  /** Time of each proposal (tunelab: ask(); Optuna: study.ask() plus the suggest calls), median and max. */
  readonly ask_ms_median: number;
  readonly ask_ms_max: number;
  /** Workers (1 = sequential). */
  readonly workers?: number;
  readonly cached?: boolean;
  /** CPU time of the run's process (user + system; for Optuna the Python process only, the server's not included). */
  readonly cpu_s?: number;
}

export interface TunelabJob {
  readonly problem: string;
  readonly method: string;
  readonly spec: TlMethod;
  readonly seed: number;
  readonly budgetMult: number;
  /** 1 (default): sequential Study API loop; 4: the DSL runner with parallel 4. */
  readonly workers?: number;
}

export function problemByName(name: string): MfProblem {
  const p = MF_SUITE.find((q) => q.name === name);
  if (!p) throw new Error(`unknown problem ${name} (problems: ${MF_SUITE.map((q) => q.name).join(", ")})`);
  return p;
}

function medianOf(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const a = [...xs].sort((x, y) => x - y);
  const h = a.length >> 1;
  return a.length % 2 ? a[h]! : (a[h - 1]! + a[h]!) / 2;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
}

function maxOf(xs: readonly number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return xs.length ? m : NaN;
}

async function openStudy(p: MfProblem, key: string, m: TlMethod, seed: number) {
  return tune(`${p.name}-${key}-seed${seed}`)
    .space(p.space as never)
    .minimize()
    .strategy(m.strategy as "random", optionsFor(m, p.maxResource) as never)
    .seed(seed)
    .storage("memory")
    .display(false);
}

export async function runTunelabOne(p: MfProblem, key: string, m: TlMethod, seed: number, budgetMult: number = FULL_MULT): Promise<SuiteRecord> {
  const study = await (await openStudy(p, key, m, seed)).open();
  const R = p.maxResource;
  const budget = budgetMult * R;
  const askMs: number[] = [];
  const complete: [number, number][] = [];
  let spent = 0;
  let nTrials = 0;
  let evalMs = 0;
  let reportMs = 0;
  const cpu0 = process.cpuUsage();
  const tStart = performance.now();
  while (spent < budget && nTrials < MAX_TRIALS) {
    const ta = performance.now();
    const trial = await study.ask();
    askMs.push(performance.now() - ta);
    if (!trial) throw new Error(`${p.name}/${key}/seed ${seed}: ask() gave no trial`);
    const steps = trial.budget ?? R;
    if (steps !== R) throw new Error(`${p.name}/${key}: trial budget ${steps}, expected maxResource ${R}`);
    nTrials++;
    const run = p.open(trial.params as Record<string, unknown>, seed, trial.number);
    let v = NaN;
    let stoppedAt = 0;
    for (let b = 1; b <= R; b++) {
      const t0 = performance.now();
      v = run.next();
      const t1 = performance.now();
      evalMs += t1 - t0;
      const stop = await study.report(trial.number, b, v);
      reportMs += performance.now() - t1;
      if (stop) {
        stoppedAt = b;
        break;
      }
    }
    if (stoppedAt) {
      await study.tell(trial.number, { state: "pruned" });
      spent += stoppedAt;
    } else {
      await study.tell(trial.number, { value: v });
      spent += R;
      complete.push([spent, v]);
    }
  }
  const wallMs = performance.now() - tStart;
  const stored = study.snapshot.trials;
  if (stored.length !== nTrials) throw new Error(`${p.name}/${key}/seed ${seed}: ${stored.length} trials stored, ${nTrials} run`);
  return tunelabRecord(p, key, seed, budgetMult, { nTrials, complete, spent, wallMs, evalMs, cpu0, workers: 1, reportMs, askMs });
}

/**
 * The method through the DSL runner with `.limits({ parallel: workers })`: every step is the
 * problem's next() (pure computation) and a report; a trial's steps are counted when reported,
 * and a complete trial is recorded with the steps spent by the whole study when it returned.
 * The run is aborted (AbortSignal) once budgetMult x R steps were spent; the trials still in
 * flight then are not counted (they had not ended within the budget).
 */
export async function runParallelOne(p: MfProblem, key: string, m: TlMethod, seed: number, budgetMult: number, workers = 4): Promise<SuiteRecord> {
  const R = p.maxResource;
  const budget = budgetMult * R;
  const ac = new AbortController();
  const complete: [number, number][] = [];
  let spent = 0;
  let evalMs = 0;
  let nTrials = 0;
  const tuner = (await openStudy(p, key, m, seed)).limits({ trials: MAX_TRIALS, parallel: workers }).objective(async (params, trial) => {
    nTrials++;
    const run = p.open(params as Record<string, unknown>, seed, trial.number);
    const steps = trial.budget ?? R;
    let v = NaN;
    for (let b = 1; b <= steps; b++) {
      const t0 = performance.now();
      v = run.next();
      evalMs += performance.now() - t0;
      spent++;
      if (b === R && spent <= budget) complete.push([spent, v]);
      if (spent >= budget) ac.abort();
      if (await trial.report(b, v)) return v;
    }
    return v;
  });
  await tuner.open();
  const cpu0 = process.cpuUsage();
  const tStart = performance.now();
  await tuner.run({ display: false, handleSigint: false, signal: ac.signal });
  const wallMs = performance.now() - tStart;
  return tunelabRecord(p, key, seed, budgetMult, { nTrials, complete, spent, wallMs, evalMs, cpu0, workers });
}

/** The record of a tunelab run, from what its loop counted. */
function tunelabRecord(
  p: MfProblem,
  key: string,
  seed: number,
  budgetMult: number,
  c: { nTrials: number; complete: [number, number][]; spent: number; wallMs: number; evalMs: number; cpu0: NodeJS.CpuUsage; workers: number; reportMs?: number; askMs?: number[] },
): SuiteRecord {
  const ovh = c.wallMs - c.evalMs;
  return {
    side: "tunelab",
    problem: p.name,
    set: p.set,
    method: key,
    seed,
    max_resource: p.maxResource,
    budget_mult: budgetMult,
    n_trials: c.nTrials,
    n_complete: c.complete.length,
    total_steps: c.spent,
    complete: c.complete,
    wall_s: c.wallMs / 1000,
    eval_s: c.evalMs / 1000,
    overhead_ms_per_trial: ovh / c.nTrials,
    overhead_ms_per_step: ovh / c.spent,
    ...(c.reportMs !== undefined ? { report_ms_per_step: c.reportMs / c.spent } : {}),
    ask_ms_median: c.askMs ? medianOf(c.askMs) : NaN,
    ask_ms_max: c.askMs ? maxOf(c.askMs) : NaN,
    workers: c.workers,
    cpu_s: cpuSeconds(c.cpu0),
  };
}

/** Runs one job (the worker's unit), after an untimed warm-up the first time a method is seen. */
export async function runTunelabJob(job: TunelabJob, warmed?: Set<string>): Promise<SuiteRecord> {
  const p = problemByName(job.problem);
  const w = job.workers ?? 1;
  const wkey = `${job.method}/${w}`;
  if (warmed && !warmed.has(wkey)) {
    warmed.add(wkey);
    if (w === 1) await runTunelabOne(p, job.method, job.spec, 12345, 12);
    else await runParallelOne(p, job.method, job.spec, 12345, 12, w);
  }
  return w === 1 ? runTunelabOne(p, job.method, job.spec, job.seed, job.budgetMult) : runParallelOne(p, job.method, job.spec, job.seed, job.budgetMult, w);
}

/** The child process: a job per stdin line, a record per stdout line. */
export function workerMain(): void {
  const warmed = new Set<string>();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  const queue: string[] = [];
  let busy = false;
  const pump = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    while (queue.length) {
      const line = queue.shift()!;
      try {
        const r = await runTunelabJob(JSON.parse(line) as TunelabJob, warmed);
        process.stdout.write(JSON.stringify(r) + "\n");
      } catch (e) {
        process.stdout.write(JSON.stringify({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }) + "\n");
      }
    }
    busy = false;
  };
  rl.on("line", (l) => {
    if (l.trim()) {
      queue.push(l);
      void pump();
    }
  });
}

// ---- the pool -------------------------------------------------------------------------------

export interface PoolJob<J> {
  readonly job: J;
  /** Progress key, e.g. the method: the estimate uses the mean duration per key. */
  readonly key: string;
}

export interface PoolProgress {
  readonly side: string;
  readonly done: number;
  readonly total: number;
  /** Estimated seconds left for this side (NaN until a job finished). */
  readonly etaS: number;
}

/**
 * Runs `jobs` on `n` child processes made by `start` (each reads one JSON job per stdin line
 * and answers one JSON line per job, in order), handing the next job to whichever process
 * answered. Resolves with the records in the jobs' order; a record `{error}` or a process
 * that dies rejects.
 */
export function runPool<J, R>(o: {
  side: string;
  n: number;
  start: () => ReturnType<typeof spawn>;
  jobs: readonly PoolJob<J>[];
  onRecord?: (r: R, p: PoolProgress) => void;
}): Promise<R[]> {
  const out: R[] = new Array(o.jobs.length);
  if (o.jobs.length === 0) return Promise.resolve(out);
  const durations = new Map<string, number[]>();
  let nextJob = 0;
  let done = 0;
  const t0 = Date.now();
  return new Promise<R[]>((resolve, reject) => {
    let failed = false;
    const procs: ReturnType<typeof spawn>[] = [];
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const c of procs) c.kill();
      reject(e);
    };
    const eta = (): number => {
      const all = [...durations.values()].flat();
      if (!all.length) return NaN;
      const overall = all.reduce((s, x) => s + x, 0) / all.length;
      let left = 0;
      for (let i = nextJob; i < o.jobs.length; i++) {
        const d = durations.get(o.jobs[i]!.key);
        left += d ? d.reduce((s, x) => s + x, 0) / d.length : overall;
      }
      return left / Math.min(o.n, procs.length) ;
    };
    const workers = Math.min(o.n, o.jobs.length);
    for (let w = 0; w < workers; w++) {
      const child = o.start();
      procs.push(child);
      let current = -1;
      let started = 0;
      const give = () => {
        current = -1;
        if (nextJob >= o.jobs.length) {
          child.stdin!.end();
          return;
        }
        current = nextJob++;
        started = Date.now();
        child.stdin!.write(JSON.stringify(o.jobs[current]!.job) + "\n");
      };
      const rl = readline.createInterface({ input: child.stdout!, crlfDelay: Infinity });
      rl.on("line", (line) => {
        if (failed || !line.trim()) return;
        let r: unknown;
        try {
          r = JSON.parse(line);
        } catch {
          return fail(new Error(`${o.side} worker wrote a line that is not JSON: ${line.slice(0, 200)}`));
        }
        if (current < 0) return fail(new Error(`${o.side} worker wrote a line without a job: ${line.slice(0, 200)}`));
        if (r && typeof r === "object" && "error" in r) return fail(new Error(`${o.side} job ${JSON.stringify(o.jobs[current]!.job).slice(0, 300)} failed: ${(r as { error: string }).error}`));
        const key = o.jobs[current]!.key;
        if (!durations.has(key)) durations.set(key, []);
        durations.get(key)!.push((Date.now() - started) / 1000);
        out[current] = r as R;
        done++;
        o.onRecord?.(r as R, { side: o.side, done, total: o.jobs.length, etaS: eta() });
        if (done === o.jobs.length) {
          current = -1;
          for (const c of procs) c.stdin!.end();
          resolve(out);
        } else give();
      });
      child.on("error", (e) => fail(e));
      child.on("exit", (code, signal) => {
        if (current >= 0 && !failed) fail(new Error(`${o.side} worker exited with ${code ?? signal} after ${done} of ${o.jobs.length} jobs (${(Date.now() - t0) / 1000} s)`));
      });
      give();
    }
  });
}

if (require.main === module) {
  if (process.argv[2] === "worker") workerMain();
  else {
    process.stderr.write("usage: node run.js worker\n");
    process.exit(2);
  }
}
