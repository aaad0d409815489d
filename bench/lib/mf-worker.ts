/**
 * The 4-worker idle-time table's child process (bench/suites/hyperband.ts runs it in a
 * process of its own):
 *
 *   node mf-worker.js parallel --methods par_asha_random,... --seeds 3 --out runs.jsonl
 *
 * method x seed in that order (see mf-parallel.ts), one JSON line per run appended to --out.
 */
import * as fs from "node:fs";
import { PARALLEL_METHODS, runParallelOne } from "./mf-parallel";

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
  if (cmd === "parallel") {
    for (const m of methods) if (!PARALLEL_METHODS[m]) throw new Error(`mf-worker: unknown method ${m}`);
    for (const m of methods) {
      for (const s of seeds) {
        const r = await runParallelOne(m, s);
        write(r);
        process.stderr.write(`${stamp()} ${m.padEnd(20)} seed=${s} trials=${r.n_trials} wall=${r.wall_s.toFixed(2)}s idle=${(100 * r.idle_share).toFixed(1)}% (until the last start ${(100 * r.idle_share_steady).toFixed(1)}%)\n`);
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
