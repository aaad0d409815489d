/**
 * tunelab's counterpart of bench.py's `run` and `long` subcommands, run in a child process of
 * its own (like each bench.py process) so each phase starts from the same state:
 *
 *   node worker.js run  --samplers tunelab_random,... [--functions all] [--seeds 10] [--seed-start 0] [--trials 100] --out runs.jsonl
 *   node worker.js long --samplers tunelab_random,... [--function hartmann6] [--trials 1000] [--seed 0] --out runs.jsonl
 *
 * Like bench.py: an untimed 12-trial Branin warm-up study per sampler first, then
 * sampler x function x seed in that order, one JSON line per run appended to --out.
 */
import * as fs from "node:fs";
import { FUNCTIONS, FUNCTION_NAMES } from "./functions";
import { mean } from "./stats";
import { runOne, TUNELAB_SAMPLERS } from "./tunelab-run";

function parseArgs(argv: string[]): { cmd: string; opts: Record<string, string> } {
  const [cmd, ...rest] = argv;
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const k = rest[i]!;
    if (!k.startsWith("--") || i + 1 >= rest.length) throw new Error(`worker: bad argument ${k}`);
    opts[k.slice(2)] = rest[++i]!;
  }
  return { cmd: cmd ?? "", opts };
}

export async function workerMain(argv: string[]): Promise<void> {
  const { cmd, opts } = parseArgs(argv);
  if (cmd !== "run" && cmd !== "long") throw new Error(`worker: unknown command ${cmd}`);
  const out = opts["out"];
  if (!out) throw new Error("worker: --out is required");
  const samplers = (opts["samplers"] ?? "").split(",").filter(Boolean);
  for (const s of samplers) if (!TUNELAB_SAMPLERS[s]) throw new Error(`worker: unknown sampler ${s}`);
  let fnames: string[];
  let seeds: number[];
  let trials: number;
  if (cmd === "run") {
    fnames = !opts["functions"] || opts["functions"] === "all" ? FUNCTION_NAMES : opts["functions"].split(",");
    const start = Number(opts["seed-start"] ?? 0);
    seeds = Array.from({ length: Number(opts["seeds"] ?? 10) }, (_, i) => start + i);
    trials = Number(opts["trials"] ?? 100);
  } else {
    fnames = [opts["function"] ?? "hartmann6"];
    seeds = [Number(opts["seed"] ?? 0)];
    trials = Number(opts["trials"] ?? 1000);
  }
  for (const f of fnames) if (!FUNCTIONS[f]) throw new Error(`worker: unknown function ${f}`);

  // Untimed warm-up, as bench.py: one short throw-away study per sampler.
  for (const s of samplers) await runOne("branin", s, 12345, 12);

  const t0 = Date.now();
  for (const s of samplers) {
    for (const f of fnames) {
      for (const seed of seeds) {
        const r = await runOne(f, s, seed, trials);
        fs.appendFileSync(out, JSON.stringify(r) + "\n");
        process.stderr.write(
          `[${((Date.now() - t0) / 1000).toFixed(1).padStart(7)}s] ${s.padEnd(24)} ${f.padEnd(12)} seed=${seed} ` +
            `wall=${r.wall_s.toFixed(3)}s ovh=${mean(r.overhead_ms).toFixed(4)}ms/trial final regret=${(r.best_value - FUNCTIONS[f]!.optimum).toPrecision(4)}\n`,
        );
      }
    }
  }
}

if (require.main === module) {
  workerMain(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
