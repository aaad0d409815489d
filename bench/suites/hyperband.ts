/**
 * `npm run bench -- hyperband`: the multi-fidelity suite (issue 15; bench/lib/mfsuite/): every
 * problem of MF_SUITE (dev and validation sets) x tunelab's methods (bench/lib/mfsuite/methods.ts,
 * run through the Study API in `--jobs` node worker processes) x Optuna's samplers + pruners
 * (bench/lib/mf_suite.py in the bench venv, `--jobs` Python processes, each training the problems
 * through its own problem server), both sides at once, seeds 0..N-1; then the per-problem
 * tables, the aggregate rank table, the targets of issue 15, the 4-worker regret check and the
 * 4-worker idle-time table (bench/lib/mf-parallel.ts, in an mf-worker.ts child process).
 *
 *   npm run bench -- hyperband [--problems a,b] [--set dev|validation|all] [--seeds N] [--jobs N]
 *                              [--methods k,...] [--tl-method 'key={"strategy":...,"options":{...}}']...
 *                              [--no-optuna] [--optuna-cache DIR]
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runHeader } from "../lib/env";
import { PARALLEL_METHODS, PARALLEL_TRIALS, type ParallelRecord } from "../lib/mf-parallel";
import { parallelTable } from "../lib/mf-report";
import { DEFAULT_OPTUNA_METHODS, DEFAULT_TL_METHODS, FULL_BUDGET_BY_SAMPLER, OPTUNA_METHODS, parseTlMethod, samplerOf, TL_METHODS, type TlMethod } from "../lib/mfsuite/methods";
import { runOptunaSide, type OptunaJob } from "../lib/mfsuite/optuna";
import type { MfProblem } from "../lib/mfsuite/problem";
import { MF_SUITE } from "../lib/mfsuite/problems/index";
import { problemTable, rankTable, targets, type MethodInfo } from "../lib/mfsuite/report";
import { FULL_MULT, runPool, type PoolProgress, type SuiteRecord, type TunelabJob } from "../lib/mfsuite/run";
import { log, tempDir, type Suite, type SuiteOptions, type SuiteResult } from "../lib/suite";

/** Seeds of the 4-worker idle-time table (each run takes seconds of real time). */
const SIDE_SEEDS = 3;
/** Problems (with a known optimum) of the 4-worker regret check, per set. */
const PARALLEL_CHECK_PROBLEMS = 2;
/** The 4-worker regret check's budget (x maxResource). */
const PARALLEL_CHECK_MULT = 30;
/** The Optuna method the 4-worker check also runs with 4 trials in flight, as its anchor. */
const PARALLEL_ANCHOR = "tpe_hb";
/**
 * The engine-cost runs, made alone after the suite (one process, no Optuna running): the
 * methods of the cost targets (random and tpe sampling, and the GP's proposals), on problems
 * with the most trials per step (pow3_mlp: ~500 hyperband trials) and cheap steps, 2 seeds.
 */
const COST_METHODS = ["tl_hb", "tl_asha", "tl_hb_classic", "tl_random_full", "tl_tpe_full", "tl_hb_bayes"];
const COST_PROBLEMS = ["pow3_mlp", "lc_h6", "exp3_noisy"];
const COST_SEEDS = 2;

/** Every method key --methods accepts (besides --tl-method's). */
export const HYPERBAND_METHOD_KEYS = [...Object.keys(TL_METHODS), ...Object.keys(OPTUNA_METHODS), ...Object.keys(PARALLEL_METHODS)];

function runWorker<T>(cmd: string, args: readonly string[], out: string): T[] {
  const worker = path.join(__dirname, "..", "lib", "mf-worker.js");
  log(`node mf-worker.js ${cmd} ${args.join(" ")} --out ${out}`);
  const r = spawnSync(process.execPath, [worker, cmd, ...args, "--out", out], { stdio: ["ignore", 2, 2] });
  if (r.status !== 0) throw new Error(`mf-worker ${cmd} exited with ${r.status ?? r.signal}`);
  return fs
    .readFileSync(out, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** The problems a run covers: --set (default all), then --problems. */
export function selectProblems(o: Pick<SuiteOptions, "problems" | "set">): MfProblem[] {
  const set = o.set ?? "all";
  let ps = MF_SUITE.filter((p) => set === "all" || p.set === set);
  if (o.problems) {
    for (const n of o.problems) if (!MF_SUITE.some((p) => p.name === n)) throw new Error(`unknown problem ${n} (problems: ${MF_SUITE.map((p) => p.name).join(", ")})`);
    ps = ps.filter((p) => o.problems!.includes(p.name));
  }
  return ps;
}

const fmtS = (s: number) => (!Number.isFinite(s) ? "?" : s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

export const suite: Suite = {
  name: "hyperband",
  description: "the multi-fidelity suite (dev + validation problems): tunelab's hyperband / asha / full-budget methods vs Optuna's pruners, ranks, issue 15's targets, 4 workers",
  async run(o: SuiteOptions): Promise<SuiteResult> {
    const dir = tempDir("hyperband");
    const t0 = Date.now();
    const problems = selectProblems(o);
    if (!problems.length) throw new Error("no problem selected (--set / --problems)");
    const adhoc = (o.tlMethods ?? []).map(parseTlMethod);
    const tl: Record<string, TlMethod> = { ...TL_METHODS, ...Object.fromEntries(adhoc) };
    const want = (k: string) => !o.methods || o.methods.includes(k);
    const tlKeys = [...(o.methods ? Object.keys(TL_METHODS).filter(want) : DEFAULT_TL_METHODS), ...adhoc.map(([k]) => k)];
    const optKeys = o.methods ? Object.keys(OPTUNA_METHODS).filter(want) : DEFAULT_OPTUNA_METHODS;
    const parMethods = Object.keys(PARALLEL_METHODS).filter(want);
    const seeds = Array.from({ length: o.seeds }, (_, i) => i);
    const jobs = o.jobs ?? 2;
    const parCheck = tlKeys.includes("tl_hb")
      ? (["dev", "validation"] as const).flatMap((set) => problems.filter((p) => p.set === set && p.fStar !== undefined).slice(0, PARALLEL_CHECK_PROBLEMS))
      : [];

    // Jobs: seed outermost, so early progress covers every problem and method.
    const tlJobs: { job: TunelabJob; key: string }[] = [];
    for (const seed of seeds)
      for (const p of problems) {
        for (const m of tlKeys) tlJobs.push({ job: { problem: p.name, method: m, spec: tl[m]!, seed, budgetMult: FULL_MULT }, key: `${m}/${p.name}` });
        if (parCheck.includes(p)) tlJobs.push({ job: { problem: p.name, method: "tl_hb", spec: tl["tl_hb"]!, seed, budgetMult: PARALLEL_CHECK_MULT, workers: 4 }, key: `tl_hb@4/${p.name}` });
      }
    const optJobs: OptunaJob[] = o.optuna
      ? seeds.flatMap((seed) =>
          problems.flatMap((p) => [
            ...optKeys.map((method) => ({ problem: p.name, method, seed, budgetMult: FULL_MULT })),
            // The 4-worker check's anchor: Optuna's TPE + HyperbandPruner with 4 trials in flight.
            ...(parCheck.includes(p) && optKeys.includes(PARALLEL_ANCHOR) ? [{ problem: p.name, method: PARALLEL_ANCHOR, seed, budgetMult: PARALLEL_CHECK_MULT, workers: 4 }] : []),
          ]),
        )
      : [];
    log(
      `multi-fidelity suite: ${problems.length} problems (${problems.map((p) => `${p.name}/${p.set}`).join(", ")}), ${o.seeds} seeds; ` +
        `tunelab ${tlKeys.join(", ")} (${tlJobs.length} runs, ${jobs} processes); optuna ${o.optuna ? optKeys.join(", ") : "off"} (${optJobs.length} runs, ${jobs} processes)`,
    );
    const progress = new Map<string, PoolProgress>();
    let lastLog = 0;
    const partial = path.join(dir, "records.partial.jsonl");
    log(`records as they come: ${partial}`);
    const onRecord = (r: SuiteRecord, p: PoolProgress) => {
      fs.appendFileSync(partial, JSON.stringify(r) + "\n");
      progress.set(p.side, p);
      const now = Date.now();
      if (now - lastLog < 5000 && p.done !== p.total) return;
      lastLog = now;
      const parts = [...progress.values()].map((x) => `${x.side} ${x.done}/${x.total} (~${fmtS(x.etaS)} left)`);
      log(`[${fmtS((now - t0) / 1000)}] ${parts.join(", ")}; last: ${r.side} ${r.method} ${r.problem} seed ${r.seed} ${r.wall_s.toFixed(1)} s`);
    };
    const worker = path.join(__dirname, "..", "lib", "mfsuite", "run.js");
    const [tlRecs, opt] = await Promise.all([
      runPool<TunelabJob, SuiteRecord>({ side: "tunelab", n: jobs, start: () => spawn(process.execPath, [worker, "worker"], { stdio: ["pipe", "pipe", "inherit"] }), jobs: tlJobs, onRecord }),
      o.optuna
        ? runOptunaSide({ jobs: optJobs, n: jobs, ...(o.optunaCache ? { cacheDir: o.optunaCache } : {}), log, onRecord })
        : Promise.resolve({ records: [] as SuiteRecord[], note: "Optuna rows left out (--no-optuna).", version: "", cached: 0 }),
    ]);
    const suiteSeconds = (Date.now() - t0) / 1000;
    const cpuSeconds = [...tlRecs, ...opt.records].filter((r) => !r.cached).reduce((s, r) => s + (r.cpu_s ?? 0), 0);
    if (opt.note) log(opt.note);
    log(`suite runs done in ${fmtS(suiteSeconds)}`);

    const par: ParallelRecord[] = [];
    const sideSeeds = Math.min(SIDE_SEEDS, o.seeds);
    if (parMethods.length) {
      log(`tunelab: 4 parallel workers (idle time), ${parMethods.join(", ")}, ${sideSeeds} seeds x ${PARALLEL_TRIALS} trials ...`);
      par.push(...runWorker<ParallelRecord>("parallel", ["--methods", parMethods.join(","), "--seeds", String(sideSeeds)], path.join(dir, "tunelab-parallel.jsonl")));
    }

    // The engine-cost runs, alone (the suite's runs above shared the cores with each other and Optuna).
    const costKeys = COST_METHODS.filter((k) => k === "tl_hb_bayes" || tlKeys.includes(k));
    const costProblems = problems.filter((p) => COST_PROBLEMS.includes(p.name));
    const costSeeds = Math.min(COST_SEEDS, o.seeds);
    const costJobs: { job: TunelabJob; key: string }[] = [];
    if (costKeys.some((k) => k !== "tl_hb_bayes"))
      for (const seed of Array.from({ length: costSeeds }, (_, i) => i))
        for (const p of costProblems) for (const m of costKeys) costJobs.push({ job: { problem: p.name, method: m, spec: tl[m]!, seed, budgetMult: FULL_MULT }, key: `${m}/${p.name}` });
    let costRecs: SuiteRecord[] = [];
    const costNote = `\`--problems ${costProblems.map((p) => p.name).join(",")} --seeds ${costSeeds} --jobs 1 --methods ${costKeys.join(",")} --no-optuna\``;
    if (costJobs.length) {
      log(`tunelab: engine cost, alone: ${costNote} (${costJobs.length} runs) ...`);
      costRecs = await runPool<TunelabJob, SuiteRecord>({ side: "tunelab-cost", n: 1, start: () => spawn(process.execPath, [worker, "worker"], { stdio: ["pipe", "pipe", "inherit"] }), jobs: costJobs, onRecord: () => {} });
      fs.writeFileSync(path.join(dir, "cost-records.jsonl"), costRecs.map((r) => JSON.stringify(r)).join("\n") + "\n");
    }

    const records = [...tlRecs, ...opt.records];
    fs.writeFileSync(path.join(dir, "records.jsonl"), records.map((r) => JSON.stringify(r)).join("\n") + "\n");
    log(`records: ${path.join(dir, "records.jsonl")}`);
    const methods: MethodInfo[] = [...tlKeys.map((k) => ({ key: k, label: tl[k]!.label })), ...optKeys.map((k) => ({ key: k, label: OPTUNA_METHODS[k]!.label }))];
    const samplers = new Map(tlKeys.map((k) => [k, samplerOf(tl[k]!) ?? tl[k]!.strategy]));
    const defaults = ["tl_hb", "tl_asha"]
      .filter((k) => tlKeys.includes(k))
      .map((k) => ({ key: k, label: tl[k]!.label, sampler: samplers.get(k)!, full: FULL_BUDGET_BY_SAMPLER[samplers.get(k)!] ?? "" }));

    const cacheNote = opt.cached ? `**${opt.cached} of the Optuna records came from --optuna-cache (development only): not a measurement of this run.**` : "";
    const L: string[] = [];
    L.push(...runHeader("hyperband: the multi-fidelity suite, tunelab vs Optuna's pruners", o.command, {}, [opt.note, cacheNote].filter(Boolean).join(" ")));
    L.push(
      `Problems: bench/lib/mfsuite/problems/ (README.md there says where each comes from); ${problems.filter((p) => p.set === "dev").length} dev, ` +
        `${problems.filter((p) => p.set === "validation").length} validation (held back: defaults are never tuned on them). ` +
        "Each trial trains steps b = 1..R (R = the problem's maxResource) and reports the loss after every step; a stopped trial costs the steps it ran; a study stops at the end of " +
        `the first trial after which ${FULL_MULT} x R steps were spent (cap 20000 trials). A cell at K x R is the best final loss of a complete trial (all R steps) that ended within K x R steps ` +
        `(regret = that - fStar when the optimum is known), **median [q25, q75]** over seeds 0-${o.seeds - 1}. Both sides train the same curves: tunelab's rows in-process through the Study API ` +
        "(ask / report / tell, in-memory storage, `.seed(s)`), Optuna's (Optuna " +
        `${opt.version || "?"}, bench/lib/mf_suite.py, ask/tell with define-by-run suggestions) through the problem server (bench/lib/mfsuite/server.ts); overhead = wall minus time in the problem's steps ` +
        `(for Optuna: in the server calls). tunelab's defaults measured here: hyperband samples with "${samplers.get("tl_hb") ?? "?"}", asha with "${samplers.get("tl_asha") ?? "?"}". ` +
        `Wall time of the suite's runs: ${fmtS(suiteSeconds)} (${jobs} tunelab + ${jobs} Optuna processes on this machine), CPU time of the runs ${fmtS(cpuSeconds)} ` +
        "(the Optuna side's problem servers not included).",
    );
    L.push("\n### Aggregate ranks\n");
    L.push(
      "For each problem x seed x budget the methods are ranked by their cell (1 = best; ties, including \"no complete trial yet\", share the average rank); " +
        "then the median and mean rank per method over those cells. Sorted by mean rank at 30x.",
    );
    L.push(...rankTable("dev", records, methods, problems.filter((p) => p.set === "dev")));
    L.push(...rankTable("validation", records, methods, problems.filter((p) => p.set === "validation")));
    L.push(...rankTable("all", records, methods, problems));
    L.push(
      ...targets({
        records,
        problems,
        defaults,
        samplerOf: (m) => (samplers.has(m) ? samplers.get(m) : tl[m] ? (samplerOf(tl[m]!) ?? tl[m]!.strategy) : undefined),
        parallelKey: "tl_hb",
        parallelAnchor: PARALLEL_ANCHOR,
        costRecords: costRecs,
        costNote,
      }),
    );
    if (parCheck.length) {
      L.push(
        `\n4-worker check: tl_hb through the DSL runner (\`.limits({ parallel: 4 })\`, every step the problem's next(), pure computation) on ${parCheck.map((p) => p.name).join(", ")}, ` +
          `seeds 0-${o.seeds - 1}, stopped (AbortSignal) once ${PARALLEL_CHECK_MULT} x R steps were spent; a complete trial counts at the steps the whole study had spent when its last step ran. ` +
          `The anchor, ${OPTUNA_METHODS[PARALLEL_ANCHOR]!.label} with its defaults (no constant liar), ran the same way in mf_suite.py (run_parallel: 4 trials in flight through ask/tell, each stepped once per round, a freed slot filled at the next round) ` +
          "and is reported as its own ratio, 4 workers against its sequential run: how much of the loss any asynchronous method with 4 workers pays at this budget.",
      );
    }
    L.push("\n## Per-problem tables");
    for (const p of problems) L.push(...problemTable(p, records, methods));

    if (par.length) {
      L.push(`\n### 4 parallel workers: idle time\n`);
      L.push(
        `lc_h6 through the DSL runner (\`tune(...).strategy(...).limits({ trials: ${PARALLEL_TRIALS}, parallel: 4 }).objective(async (params, trial) => ...)\`), ` +
          "every epoch computes f(x, b), then waits 2 + floor(7·x1) ms (a timer: real time, different per configuration, so trials finish out of order), then reports. " +
          "Idle share = 1 - (time trials spent in the objective, summed) / (4 x wall time of run()); 'until the last trial started' = the same over the part of the run before the last trial " +
          "was handed out; 'epoch waits / (4 x wall)' counts only the nominal waits as work. " +
          `Median [q25, q75] over seeds 0-${sideSeeds - 1}.\n`,
      );
      L.push(...parallelTable(parMethods.map((k) => ({ label: PARALLEL_METHODS[k]!.label, records: par.filter((r) => r.method === k) }))));
    }
    const complete = opt.note === "" && opt.cached === 0 && !o.methods && !o.tlMethods?.length && (o.set ?? "all") === "all" && !o.problems && parMethods.length > 0;
    return { markdown: L.join("\n") + "\n", complete };
  },
};
