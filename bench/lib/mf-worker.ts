/**
 * The hyperband suite's child process (one per phase, like each mf_bench.py process):
 *
 *   node mf-worker.js run      --methods tl_random_full,... --variants lc_h6,mfh6_bad --seeds 10 --out runs.jsonl
 *   node mf-worker.js parallel --methods par_asha_random,... --seeds 3 --out runs.jsonl
 *   node mf-worker.js mlp      --methods mlp_random_full,... --seeds 3 --out runs.jsonl
 *
 * `run`: like mf_bench.py's cmd_run, an untimed warm-up run per method first (budget 12 x 81
 * on the first variant, seed 12345), then variant x method x seed in that order, one JSON
 * line per run appended to --out. `parallel` and `mlp`: see mf-parallel.ts and mf-mlp.ts.
 */
import * as fs from "node:fs";
import { B_MAX } from "./multifidelity";
import { runMfOne, TUNELAB_MF_METHODS } from "./mf-run";
import { PARALLEL_METHODS, runParallelOne } from "./mf-parallel";
import { MLP_METHODS, runMlpOne } from "./mf-mlp";

function parseArgs(argv: string[]): { cmd: string; opts: Record<string, string> } {
  const [cmd, ...rest] = argv;
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const k = rest[i]!;
    if (!k.startsWith("--") || i + 1 >= rest.length) throw new Error(`mf-worker: bad argument ${k}`);
    opts[k.slice(2)] = rest[++i]!;
  }
  return { cmd: cmd ?? "", opts };
}

const list = (s: string | undefined) => (s ?? "").split(",").filter(Boolean);

export async function mfWorkerMain(argv: string[]): Promise<void> {
  const { cmd, opts } = parseArgs(argv);
  const out = opts["out"];
  if (!out) throw new Error("mf-worker: --out is required");
  const methods = list(opts["methods"]);
  const seeds = Array.from({ length: Number(opts["seeds"] ?? 10) }, (_, i) => i);
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(7)}s]`;
  const write = (r: unknown) => fs.appendFileSync(out, JSON.stringify(r) + "\n");
  if (cmd === "run") {
    const variants = list(opts["variants"] ?? "lc_h6,mfh6_bad");
    for (const m of methods) if (!TUNELAB_MF_METHODS[m]) throw new Error(`mf-worker: unknown method ${m}`);
    for (const m of methods) await runMfOne(variants[0]!, m, 12345, 12 * B_MAX); // untimed warm-up
    for (const v of variants) {
      for (const m of methods) {
        for (const s of seeds) {
          const r = await runMfOne(v, m, s);
          write(r);
          const ovh = r.overhead_ms.reduce((a, b) => a + b, 0);
          process.stderr.write(
            `${stamp()} ${v.padEnd(9)} ${m.padEnd(14)} seed=${s} trials=${String(r.n_trials).padStart(5)} complete=${String(r.n_complete).padStart(4)} ` +
              `wall=${r.wall_s.toFixed(1)}s ovh=${(ovh / r.n_trials).toFixed(3)}ms/trial ${(ovh / r.total_epochs).toFixed(4)}ms/epoch regret@100x=${r.regret_at["100"]?.toPrecision(4)}\n`,
          );
        }
      }
    }
  } else if (cmd === "parallel") {
    for (const m of methods) if (!PARALLEL_METHODS[m]) throw new Error(`mf-worker: unknown method ${m}`);
    for (const m of methods) {
      for (const s of seeds) {
        const r = await runParallelOne(m, s);
        write(r);
        process.stderr.write(`${stamp()} ${m.padEnd(20)} seed=${s} trials=${r.n_trials} wall=${r.wall_s.toFixed(2)}s idle=${(100 * r.idle_share).toFixed(1)}% (until the last start ${(100 * r.idle_share_steady).toFixed(1)}%)\n`);
      }
    }
  } else if (cmd === "mlp") {
    for (const m of methods) if (!MLP_METHODS[m]) throw new Error(`mf-worker: unknown method ${m}`);
    for (const m of methods) {
      for (const s of seeds) {
        const r = await runMlpOne(m, s);
        write(r);
        process.stderr.write(`${stamp()} ${m.padEnd(18)} seed=${s} trials=${r.n_trials} complete=${r.n_complete} wall=${r.wall_s.toFixed(1)}s best=${r.best_at[String(r.mults[r.mults.length - 1])]}\n`);
      }
    }
  } else {
    throw new Error(`mf-worker: unknown command ${cmd}`);
  }
}

if (require.main === module) {
  mfWorkerMain(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
