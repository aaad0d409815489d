/**
 * `npm run bench -- random` (the default suite): tunelab's random strategy against Optuna's
 * RandomSampler on bench.py's five functions (seeds x 100 trials: regret at 10/25/50/100 and
 * overhead per trial), plus a 1000-trial Hartmann6 study for overhead growth.
 *
 * tunelab rows: the DSL (`tune(...).storage("memory").strategy("random", {seed}).run()`, what
 * users run) and the same study driven by hand with `ask()`/`tell()`. Optuna rows: a copy of
 * shared/bench/optuna/bench.py, `run --samplers random` and `long --samplers random`, in
 * <repo>/.bench-venv.
 */
import * as path from "node:path";
import { runHeader } from "../lib/env";
import { FUNCTIONS } from "../lib/functions";
import { REQUIREMENTS, runOptunaRows } from "../lib/python";
import type { RunRecord } from "../lib/record";
import { functionTable, longTable, overheadRatio, summarizeLong, type Ratio, type Row } from "../lib/report";
import { fmtMs, fmtRatio } from "../lib/stats";
import { log, runTunelabWorker, tempDir, type Suite, type SuiteOptions, type SuiteResult } from "../lib/suite";
import { TUNELAB_SAMPLERS } from "../lib/tunelab-run";

const DSL = "tunelab_random";
const ASKTELL = "tunelab_random_asktell";
const OPTUNA_LABEL = "Optuna Random";
/** The issue's target: tunelab's overhead per trial at most 1/10 of Optuna's RandomSampler. */
const TARGET_RATIO = 10;

export const suite: Suite = {
  name: "random",
  description: "tunelab random vs Optuna RandomSampler: regret and overhead per trial on 5 functions, and a 1000-trial Hartmann6 study",
  async run(o: SuiteOptions): Promise<SuiteResult> {
    const dir = tempDir("random");
    const fnArg = o.functions.join(",");

    // One process per tunelab row and phase, so that no row runs on code the JIT already
    // warmed up for another (Python has no JIT: bench.py runs its samplers in one process).
    const tl: RunRecord[] = [];
    const tlLong: RunRecord[] = [];
    for (const s of [DSL, ASKTELL]) {
      log(`tunelab (${s}): ${o.seeds} seeds x ${o.trials} trials on ${fnArg} ...`);
      tl.push(...runTunelabWorker(["run", "--samplers", s, "--functions", fnArg, "--seeds", String(o.seeds), "--trials", String(o.trials)], path.join(dir, `${s}.jsonl`), o.cpuProf));
      log(`tunelab (${s}): long study, hartmann6, ${o.longTrials} trials ...`);
      tlLong.push(...runTunelabWorker(["long", "--samplers", s, "--function", "hartmann6", "--trials", String(o.longTrials), "--seed", "0"], path.join(dir, `${s}-long.jsonl`), o.cpuProf));
    }

    const optuna = runOptunaRows({
      enabled: o.optuna,
      requirements: [REQUIREMENTS.optuna, REQUIREMENTS.numpy, REQUIREMENTS.scipy],
      dir,
      samplers: "random",
      longSamplers: "random",
      functions: o.functions,
      seeds: o.seeds,
      trials: o.trials,
      longTrials: o.longTrials,
    });
    const opt = optuna.records;
    const optunaNote = optuna.note;
    const reference = optuna.script;
    if (optunaNote) log(optunaNote);

    const rows: Row[] = [
      { label: TUNELAB_SAMPLERS[DSL]!.label, records: tl.filter((r) => r.sampler === DSL) },
      { label: TUNELAB_SAMPLERS[ASKTELL]!.label, records: tl.filter((r) => r.sampler === ASKTELL) },
      { label: OPTUNA_LABEL, records: opt.filter((r) => r.sampler === "random" && r.n_trials === o.trials) },
    ];
    const longRows: Row[] = [
      { label: TUNELAB_SAMPLERS[DSL]!.label, records: tlLong.filter((r) => r.sampler === DSL) },
      { label: TUNELAB_SAMPLERS[ASKTELL]!.label, records: tlLong.filter((r) => r.sampler === ASKTELL) },
      { label: OPTUNA_LABEL, records: opt.filter((r) => r.sampler === "random" && r.n_trials > o.trials) },
    ];
    const ratio: Ratio = { label: "overhead ratio (Optuna/tunelab)", num: OPTUNA_LABEL, den: TUNELAB_SAMPLERS[DSL]!.label };

    const L: string[] = [];
    L.push(...runHeader("random: tunelab random vs Optuna RandomSampler", o.command, optuna.env, optunaNote));
    L.push(
      "Cells: simple regret (best found - known optimum), **median [q25, q75]** across seeds. Overhead = study wall time minus time in the benchmark function, " +
        "per trial (mean over trials 1-100, median [q25, q75] across seeds; also mean over trials 91-100), in ms. " +
        "Rows: `tunelab random` = the DSL (`tune(...).strategy(\"random\", { seed }).storage(\"memory\").limits({ trials }).objective(f).run()`); " +
        "`tunelab random (ask/tell)` = the same study driven by `ask()`/`tell()`; `Optuna Random` = `RandomSampler(seed=s)` via bench.py. " +
        `The ratio row divides Optuna's medians by the DSL row's; the target is at least ${TARGET_RATIO}x.`,
    );
    for (const f of o.functions) L.push(...functionTable(f, rows, [ratio]));
    L.push(...longTable("Overhead growth: Hartmann6, long study, 1 seed", longRows, [ratio]));

    // The verdict against the target.
    if (rows[2]!.records.length > 0) {
      L.push("\n### Overhead ratio (Optuna/tunelab) and the target\n");
      const parts: string[] = [];
      let met = 0;
      for (const f of o.functions) {
        const r = overheadRatio(f, rows[2]!, rows[0]!);
        const ra = overheadRatio(f, rows[2]!, rows[1]!);
        if (r >= TARGET_RATIO) met++;
        parts.push(`- ${f}: ${fmtRatio(r)} (DSL), ${fmtRatio(ra)} (ask/tell)`);
      }
      const lt = longRows[0]!.records[0];
      const lo = longRows[2]!.records[0];
      let longOk = true;
      if (lt && lo) {
        const a = summarizeLong("", lt);
        const b = summarizeLong("", lo);
        const rs = [b.ovh1 / a.ovh1, b.ovhMid! / a.ovhMid!, b.ovhLast / a.ovhLast];
        longOk = rs.every((x) => x >= TARGET_RATIO);
        parts.push(
          `- hartmann6, ${lt.n_trials} trials: ${rs.map(fmtRatio).join(" / ")} (trials 1-100 / 401-500 / 901-1000; tunelab ${fmtMs(a.ovh1)} / ${fmtMs(a.ovhMid!)} / ${fmtMs(a.ovhLast)} ms)`,
        );
      }
      L.push(...parts);
      const ok = met === o.functions.length && longOk;
      L.push(
        `\nTarget (tunelab's overhead per trial at most 1/${TARGET_RATIO} of Optuna RandomSampler's; DSL row, median over seeds, trials 1-100): ` +
          `**${ok ? "met" : "missed"}**: met on ${met}/${o.functions.length} functions${lt && lo ? `, ${longOk ? "met" : "missed"} in the long study` : ""}.`,
      );
    }
    L.push(
      "\nNotes: timing follows bench.py (interval between consecutive trial completions minus time in the function; sampling counts as overhead; in-memory storage; " +
        "an untimed 12-trial Branin warm-up study per sampler in each process; each tunelab row and each phase (per-function runs, long study) runs in a process of its own). " +
        "tunelab uses performance.now(), bench.py time.perf_counter(). tunelab and Optuna draw different random numbers, so regrets agree only in distribution. " +
        "Overhead cells below 0.1 ms get two significant digits instead of bench.py's `.2f`. The machine is a shared 2-core VM: treat overheads as roughly +-30% " +
        "(see shared/bench/optuna/results.md) and the ratios as the robust part.",
    );
    if (reference) L.push(`\nReference script: a copy of shared/bench/optuna/bench.py (${FUNCTIONS_NOTE}).`);
    return { markdown: L.join("\n") + "\n", complete: optunaNote === "" };
  },
};

const FUNCTIONS_NOTE = `functions ${Object.keys(FUNCTIONS).join(", ")} ported formula for formula to bench/lib/functions.ts`;
