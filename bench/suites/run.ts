/**
 * `npm run bench -- run`: what running trials as external processes (command(), `tunelab run`)
 * costs beyond the processes themselves.
 *
 * 1. Overhead per trial: a study of trivial commands (`python -c`, `node -e`, each printing one
 *    metric line) run one at a time through command() on the on-disk journal, against the same
 *    command spawned directly with the same pipes (spawn to close). Batches of both alternate,
 *    so load drifts hit both. tunelab's time per trial is the time between consecutive
 *    recorded trials: the proposal, the journal records (trial, process, command, result),
 *    the log file, the spawn, the output read, the process group check and the result.
 * 2. Output parsing: MB/s of typical training output (epoch lines for two regexes, noise,
 *    structured lines) through the line splitter, the metric reader and the capped log, in
 *    this process; and end to end, 100 MB printed by a process through a trial.
 * 3. Prune to gone: from the stopping rule's decision to the trial recorded as pruned, which
 *    happens only once no process of its group is left (the process exits on SIGTERM).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { command } from "../../src/command/command";
import { LineSplitter } from "../../src/command/lines";
import { TrialLog } from "../../src/command/log";
import { compileMetrics, MetricReader } from "../../src/command/metrics";
import { JournalStorage } from "../../src/storage/journal";
import type { StopContext, StopDecision, Stopper } from "../../src/strategies/strategy";
import { runStudy } from "../../src/study/runner";
import { Study } from "../../src/study/study";
import { nodeEnv } from "../lib/env";
import { median, percentile } from "../lib/stats";
import { log, tempDir, type Suite, type SuiteResult } from "../lib/suite";

const PY = process.env["PYTHON"] ?? "python3";
const NODE = process.execPath;

const PROGRAMS: { label: string; argv: string[] }[] = [
  { label: "`python3 -c` (prints one metric line)", argv: [PY, "-c", 'print(\'tunelab: {"loss": 1}\')'] },
  { label: "`node -e` (prints one metric line)", argv: [NODE, "-e", 'console.log(\'tunelab: {"loss": 1}\')'] },
];

/** Spawns argv as command() does (detached, stdout/stderr piped and read) and resolves at close: its own cost. */
function direct(argv: readonly string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    c.stdout!.on("data", () => {});
    c.stderr!.on("data", () => {});
    c.on("error", reject);
    c.on("close", () => resolve(performance.now() - t0));
  });
}

async function openStudy(dir: string, name: string, stopping?: Stopper): Promise<Study> {
  return Study.open({ name, space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", metric: "loss", seed: 1, storage: new JournalStorage(dir), ...(stopping ? { stopping } : {}) });
}

/** Per-trial wall times of `n` trials run one at a time: the gaps between consecutive recorded trials. */
async function tunelabTrials(study: Study, argv: readonly string[], n: number): Promise<number[]> {
  const times: number[] = [];
  let last = performance.now();
  const off = study.events.on("trialFinished", () => {
    const now = performance.now();
    times.push(now - last);
    last = now;
  });
  const done = study.snapshot.trials.length;
  await runStudy(study, command(argv) as never, { trials: done + n }, { handleSigint: false });
  off();
  if (study.snapshot.trials.slice(done).some((t) => t.state !== "complete")) throw new Error(`bench: a trial of ${argv.join(" ")} did not complete`);
  return times;
}

async function overhead(rounds: number, batch: number): Promise<string[]> {
  const rows: string[] = [];
  for (const p of PROGRAMS) {
    const dir = tempDir("run");
    const study = await openStudy(dir, "overhead");
    const base: number[] = [];
    const ours: number[] = [];
    await tunelabTrials(study, p.argv, 3); // warm-up: the reaper, the journal, the code paths
    for (let i = 0; i < 3; i++) await direct(p.argv);
    // CPU time of this process (user + system) per trial: what tunelab itself spends, whatever the load.
    let cpuBase = 0;
    let cpuOurs = 0;
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    for (let r = 0; r < rounds; r++) {
      let c0 = cpu();
      for (let i = 0; i < batch; i++) base.push(await direct(p.argv));
      cpuBase += cpu() - c0;
      c0 = cpu();
      ours.push(...(await tunelabTrials(study, p.argv, batch)));
      cpuOurs += cpu() - c0;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const b = median(base);
    const t = median(ours);
    const n = rounds * batch;
    log(`${p.label}: direct ${b.toFixed(2)} ms, through tunelab ${t.toFixed(2)} ms; CPU ${(cpuBase / n).toFixed(2)} vs ${(cpuOurs / n).toFixed(2)} ms`);
    rows.push(`| ${p.label} | ${n} | ${b.toFixed(1)} | ${t.toFixed(1)} | **${(t - b).toFixed(2)}** | ${(cpuBase / n).toFixed(2)} | ${(cpuOurs / n).toFixed(2)} | **${((cpuOurs - cpuBase) / n).toFixed(2)}** |`);
  }
  return rows;
}

/** Typical training output: per "epoch" two regex lines, noise, and a structured line. */
function sampleOutput(mb: number): Buffer {
  const lines: string[] = [];
  for (let k = 1; lines.join("\n").length < 1 << 20; k++) {
    lines.push(`epoch ${k}: train_loss=${(1 / k).toFixed(6)} val_loss=${(1.1 / k).toFixed(6)} val_acc=${(1 - 0.5 / k).toFixed(4)}`);
    lines.push(`[2026-12-01 10:00:${String(k % 60).padStart(2, "0")}] INFO data loader: batch ${k * 32} of 60000 (${(k * 0.053).toFixed(2)} s), lr 0.00100`);
    lines.push(`tunelab: {"step": ${k}, "val_loss": ${(1.1 / k).toFixed(6)}, "val_acc": ${(1 - 0.5 / k).toFixed(4)}}`);
    lines.push("  warnings.warn(  # a line the regexes don't match, of a usual length for a log");
  }
  const mib = Buffer.from(lines.join("\n") + "\n");
  return Buffer.concat(Array.from({ length: mb }, () => mib));
}

/**
 * MB per second of `data` (in 64 KiB chunks) through the splitter, the reader (two regex
 * definitions) and optionally the capped log: [wall, CPU] (CPU: this process's user + system
 * time, which a loaded machine does not inflate as it does the wall time).
 */
function parseRate(data: Buffer, withLog: boolean, dir: string): [number, number] {
  const defs = compileMetrics([
    { name: "val_loss", regex: "val_loss=([-+0-9.eE]+)" },
    { name: "train_loss", regex: "train_loss=([-+0-9.eE]+)" },
  ]);
  let reports = 0;
  const reader = new MetricReader("val_loss", defs, () => reports++);
  const trialLog = withLog ? new TrialLog(path.join(dir, "parse.log")) : undefined;
  const lines = new LineSplitter(64 * 1024, (l) => reader.line(l), (t) => trialLog?.write(t));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < data.length; i += 65536) lines.push(data.subarray(i, i + 65536));
  lines.end();
  trialLog?.close();
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  if (reports === 0) throw new Error("bench: the parser read no metric");
  return [data.length / 1e6 / s, data.length / 1e6 / ((c.user + c.system) / 1e6)];
}

async function parsing(): Promise<string[]> {
  const dir = tempDir("parse");
  const data = sampleOutput(50);
  const garbage = Buffer.alloc(50 << 20);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
  const noNewline = Buffer.alloc(50 << 20, 97);
  const rows: string[] = [];
  const best = (f: () => [number, number]): string => {
    const r = [f(), f()];
    return `${Math.max(...r.map((x) => x[0])).toFixed(0)} | **${Math.max(...r.map((x) => x[1])).toFixed(0)}**`;
  };
  rows.push(`| typical training output, 50 MB: reader only | ${best(() => parseRate(data, false, dir))} |`);
  rows.push(`| typical training output, 50 MB: reader + capped log file | ${best(() => parseRate(data, true, dir))} |`);
  rows.push(`| binary garbage, 50 MB (reader + log) | ${best(() => parseRate(Buffer.concat([garbage, Buffer.from("\nval_loss=1\n")]), true, dir))} |`);
  rows.push(`| one 50 MB line without a newline (reader + log) | ${best(() => parseRate(Buffer.concat([noNewline, Buffer.from("\nval_loss=1\n")]), true, dir))} |`);
  // End to end: a process prints 100 MB (from a file, with cat) read through a trial: mostly
  // noise, with an objective value every ~100 KB. Every objective value printed is a report
  // recorded in the journal (~0.1 ms each): a process printing them faster than that is
  // paused by its full pipe, so this row measures reading, not recording.
  const file = path.join(dir, "out.txt");
  const noise = Buffer.from(Array.from({ length: 1200 }, (_, i) => `[2026-12-01 10:00:00] INFO step ${i}: batch of 32 images loaded in 0.05 s, lr 0.001, grad norm 1.234`).join("\n") + "\n");
  const chunks: Buffer[] = [];
  for (let k = 1, size = 0; size < 100e6; k++) {
    const b = Buffer.concat([noise, Buffer.from(`epoch ${k}: val_loss=${(1 / k).toFixed(6)}\n`)]);
    chunks.push(b);
    size += b.length;
  }
  fs.writeFileSync(file, Buffer.concat(chunks));
  const study = await openStudy(dir, "parse-e2e");
  const catTime = await direct(["cat", file]);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await runStudy(study, command(["cat", file], { metrics: [{ name: "loss", regex: "val_loss=([-+0-9.eE]+)" }] }) as never, { trials: 1 }, { handleSigint: false });
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const mb = fs.statSync(file).size / 1e6;
  rows.push(`| end to end: \`cat\` of 100 MB (noise, an objective value every 100 KB) through a trial (\`cat\` alone into a pipe: ${(mb / (catTime / 1000)).toFixed(0)} MB/s wall) | ${(mb / s).toFixed(0)} | **${(mb / ((c.user + c.system) / 1e6)).toFixed(0)}** |`);
  fs.rmSync(dir, { recursive: true, force: true });
  return rows;
}

/** Stops every trial at step 3 and notes when it decided. */
class StopAtThree implements Stopper {
  readonly name = "stop-at-3";
  readonly decided = new Map<number, number>();
  shouldStop(ctx: StopContext): StopDecision {
    if (ctx.step < 3) return { stop: false };
    this.decided.set(ctx.trial.number, performance.now());
    return { stop: true };
  }
}

async function pruneToGone(n: number): Promise<string[]> {
  const rows: string[] = [];
  const programs = [
    { label: "Node script (exits on SIGTERM)", argv: [NODE, "-e", 'let k=0;setInterval(()=>console.log("tunelab: "+JSON.stringify({loss:1/++k})),10)'] },
    { label: "Python script (exits on SIGTERM)", argv: [PY, "-c", "import time,json\nk=0\nwhile True:\n    k+=1; print('tunelab: '+json.dumps({'loss':1/k}),flush=True); time.sleep(0.01)"] },
  ];
  for (const p of programs) {
    const dir = tempDir("prune");
    const stopper = new StopAtThree();
    const study = await openStudy(dir, "prune", stopper);
    const gone: number[] = [];
    study.events.on("trialFinished", ({ trial }) => {
      const at = stopper.decided.get(trial.number);
      if (at !== undefined && trial.state === "pruned") gone.push(performance.now() - at);
    });
    await runStudy(study, command(p.argv) as never, { trials: n }, { handleSigint: false });
    fs.rmSync(dir, { recursive: true, force: true });
    if (gone.length !== n) throw new Error(`bench: ${n - gone.length} trials were not pruned`);
    log(`${p.label}: prune to gone median ${median(gone).toFixed(1)} ms`);
    rows.push(`| ${p.label} | ${n} | **${median(gone).toFixed(1)}** | ${percentile(gone, 90).toFixed(1)} | ${Math.max(...gone).toFixed(1)} |`);
  }
  return rows;
}

async function run(o: { command: string; isDefault: boolean }): Promise<SuiteResult> {
  const env = nodeEnv();
  const quick = !o.isDefault;
  log("overhead per trial ...");
  const over = await overhead(quick ? 2 : 5, quick ? 10 : 20);
  log("parsing ...");
  const parse = await parsing();
  log("prune to gone ...");
  const prune = await pruneToGone(quick ? 5 : 20);
  const md = [
    "## External trials: command() and tunelab run\n",
    `\`${o.command}\` on ${new Date().toISOString().slice(0, 10)}; tunelab ${env["tunelab"]}, Node ${env["node"]}, ${env["cpu"]} (${env["cores"]} cores), load average ${env["loadavg"]}.\n`,
    "**Overhead per trial** beyond the process's own start-up (target: under 5 ms). Trials run one at a time on the on-disk journal; the direct run is the same command spawned as command() spawns it (detached, both outputs piped and read) until it closes. Wall: median milliseconds per trial (on a loaded machine, every extra wake-up of the event loop waits for a core, so the wall difference overstates the work); CPU: this process's user + system time per trial, what tunelab itself spends whatever the load.\n",
    "| program | trials | direct, wall (ms) | through tunelab, wall (ms) | overhead, wall (ms) | direct, CPU (ms) | through tunelab, CPU (ms) | overhead, CPU (ms) |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...over,
    "",
    "**Output parsing** (target: above 50 MB/s): the line splitter, the metric reader with two regex definitions (the objective and one more) and the structured `tunelab:` lines, and the 1 MiB capped log; best of three, in 64 KiB chunks as pipes deliver them.\n",
    "| output | MB/s, wall | MB/s, CPU |",
    "|---|---:|---:|",
    ...parse,
    "",
    "**Prune to gone** (target: under 100 ms): from the stopping rule's decision to the trial recorded as pruned, which happens once no process of its group is left. The scripts report every 10 ms and are stopped at step 3.\n",
    "| program | trials | median (ms) | p90 (ms) | max (ms) |",
    "|---|---:|---:|---:|---:|",
    ...prune,
  ].join("\n");
  return { markdown: md + "\n", complete: true };
}

export const suite: Suite = {
  name: "run",
  description: "external trials: overhead per process, output parsing MB/s, prune to gone",
  run: (o) => run(o),
};
