/**
 * `npm run bench -- notebook`: what the notebook views cost on the kernel side.
 *
 * 1. In this process: the time to build one display (payload, three charts rendered to SVG by
 *    vega, the HTML table) for studies of 100 to 5,000 trials with 10 parameters and 10 steps
 *    each, the message sizes, and the pause the live display then keeps before redrawing its
 *    charts (max(500 ms, 40 x cost); the payload and the table update more often).
 * 2. In a real tslab kernel (the repo's .venv, a notebook that imports the built package):
 *    a 500-trial study of cheap trials run with the live display and without it; the kernel's
 *    time spent on the display (from the display's own accounting) and the difference in wall
 *    time between the two runs.
 *
 * Runs alone as well: `npx tsc -p bench/tsconfig.json && node node_modules/.cache/tunelab-bench/bench/suites/notebook.js`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { FrozenTrial, StudySnapshot } from "../../src/model/trial";
import { studyBundle } from "../../src/notebook/bundle";
import { preloadVega } from "../../src/notebook/vega";
import type { SpaceDef } from "../../src/space/types";
import { Rng } from "../../src/util/rng";
import { toPayload, STUDY_MIME } from "../../src/views/payload";
import { nodeEnv } from "../lib/env";
import { ROOT } from "../lib/paths";
import { log, type Suite, type SuiteResult } from "../lib/suite";

const SPACE: SpaceDef = {
  lr: { type: "float", low: 1e-5, high: 1, scale: "log" },
  weight_decay: { type: "float", low: 1e-6, high: 1e-2, scale: "log" },
  dropout: { type: "float", low: 0, high: 0.5 },
  momentum: { type: "float", low: 0.5, high: 0.999, scale: "reverse-log" },
  layers: { type: "int", low: 1, high: 8 },
  units: { type: "int", low: 16, high: 1024, scale: "log" },
  warmup: { type: "int", low: 0, high: 10 },
  batch: { type: "categorical", choices: [16, 32, 64, 128, 256] },
  optimizer: { type: "categorical", choices: ["sgd", "adam", "adamw", "rmsprop"] },
  activation: { type: "categorical", choices: ["relu", "gelu", "tanh"] },
};

/** A finished study of `n` trials with 10 steps each (seeded; a tenth pruned, a fiftieth failed). */
export function syntheticSnapshot(n: number): StudySnapshot {
  const rng = Rng.fromSeed(n);
  const trials: FrozenTrial[] = [];
  for (let i = 0; i < n; i++) {
    const lr = 10 ** rng.uniform(-5, 0);
    const params = {
      lr,
      weight_decay: 10 ** rng.uniform(-6, -2),
      dropout: rng.uniform(0, 0.5),
      momentum: 1 - 10 ** rng.uniform(-3, Math.log10(0.5)),
      layers: 1 + rng.int(8),
      units: Math.round(2 ** rng.uniform(4, 10)),
      warmup: rng.int(11),
      batch: [16, 32, 64, 128, 256][rng.int(5)]!,
      optimizer: ["sgd", "adam", "adamw", "rmsprop"][rng.int(4)]!,
      activation: ["relu", "gelu", "tanh"][rng.int(3)]!,
    };
    const state = i % 50 === 7 ? "failed" : i % 10 === 3 ? "pruned" : "complete";
    const steps = state === "pruned" ? 3 : state === "failed" ? 0 : 10;
    const base = Math.abs(Math.log10(lr) + 2.5) / 3 + rng.uniform(0, 0.2);
    const intermediate = Array.from({ length: steps }, (_, s) => [s + 1, base + 1 / (s + 1)] as const);
    const value = steps ? intermediate[steps - 1]![1] : undefined;
    trials.push({
      number: i,
      state,
      params,
      ...(value !== undefined ? { value } : {}),
      metrics: value !== undefined ? { loss: value, acc: 1 / (1 + value) } : {},
      intermediate,
      curves: {},
      startedAt: 1_000 * i,
      finishedAt: 1_000 * i + 900,
      ...(state === "failed" ? { error: "Error: diverged" } : {}),
      system: {},
    });
  }
  return {
    spec: { name: `synthetic-${n}`, space: SPACE, direction: "minimize", metric: "loss", strategy: { name: "random", options: {} }, seed: 0, createdAt: 0 },
    trials,
    queue: [],
  };
}

const ms = (x: number) => (x < 10 ? x.toFixed(1) : Math.round(x).toString());
const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

async function bundleCosts(sizes: readonly number[]): Promise<string> {
  await preloadVega();
  await studyBundle(toPayload(syntheticSnapshot(20), false)); // warm up vega's code paths
  const rows = ["| trials | build one display: wall (median of 3) | CPU | payload JSON | image/png (summary, 3 charts, table; base64) | pause before the next chart redraw |", "|---:|---:|---:|---:|---:|---:|"];
  for (const n of sizes) {
    const payload = toPayload(syntheticSnapshot(n), true);
    const times: [number, number][] = [];
    let png = "";
    let json = "";
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const b = await studyBundle(payload);
      json = JSON.stringify(b[STUDY_MIME]);
      const c = process.cpuUsage(c0);
      times.push([performance.now() - t0, (c.user + c.system) / 1000]);
      png = b["image/png"] ?? "";
    }
    const [median, cpu] = times.sort((a, b) => a[0] - b[0])[1]!;
    rows.push(`| ${n} | ${ms(median)} ms | ${ms(cpu)} ms | ${kb(json.length)} | ${kb(png.length)} | ${ms(Math.max(500, 40 * median))} ms |`);
    log(`bundle for ${n} trials: ${ms(median)} ms`);
  }
  return rows.join("\n");
}

interface KernelResult {
  readonly withDisplay: { seconds: number; stats: { messages: number; redraws: number; loadMs: number; chartMs: number; buildMs: number; sendMs: number; elapsedMs: number; share: number } };
  readonly withoutDisplay: { seconds: number };
}

/** The notebook's cells: the same 500-trial study with the display on, then off. */
function kernelCells(trials: number, trialMs: number): string[] {
  const objective = `async (p: { x: number; y: number; opt: string }, trial: { report(s: number, v: number): Promise<boolean> }) => {
  for (let s = 1; s <= 3; s++) { await trial.report(s, p.x * p.y + 1 / s); ${trialMs > 0 ? `await new Promise((r) => setTimeout(r, ${trialMs / 3}));` : ""} }
  return p.x * p.y + (p.opt === "a" ? 0 : 0.1);
}`;
  const study = (name: string) => `tune("${name}").space({ x: float(1e-3, 1, { scale: "log" }), y: float(0, 1), opt: choice(["a", "b", "c"]) }).minimize().strategy("random", { seed: 1 }).storage("memory").limits({ trials: ${trials} }).objective(${objective})`;
  return [
    `import { tune, float, choice } from "tunelab";\nimport { lastLiveStats } from "tunelab/dist/notebook";`,
    // Warm up: vega's first load and the JIT, so neither run pays for them.
    `await ${study("warmup")}.limits({ trials: 20 }).run();`,
    `const t0 = performance.now();\nawait ${study("with-display")}.run();\nconst withDisplay = { seconds: (performance.now() - t0) / 1000, stats: lastLiveStats() };`,
    `const t1 = performance.now();\nawait ${study("without-display")}.run({ display: false });\nconst withoutDisplay = { seconds: (performance.now() - t1) / 1000 };`,
    `console.log("RESULT " + JSON.stringify({ withDisplay: withDisplay, withoutDisplay: withoutDisplay }));`,
  ];
}

/** Runs the cells with nbconvert in the repo's venv and returns the RESULT line's JSON. */
function runInKernel(cells: string[]): KernelResult {
  const venv = path.join(ROOT, ".venv");
  const jupyter = path.join(venv, "bin", "jupyter");
  if (!fs.existsSync(jupyter)) throw new Error(`${jupyter} is missing: run \`bash scripts/setup.sh\` first`);
  const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", ROOT], { cwd: ROOT, encoding: "utf8" });
  if (tsc.status !== 0) throw new Error(`tsc -p . failed:\n${tsc.stdout}${tsc.stderr}`);
  fs.mkdirSync(path.join(ROOT, "tmp"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "tmp", "bench-notebook-"));
  try {
    const nb = {
      cells: cells.map((source, i) => ({ id: `c${i}`, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null })),
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const file = path.join(dir, "bench.ipynb");
    fs.writeFileSync(file, JSON.stringify(nb));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.join(venv, "bin")}${path.delimiter}${process.env.PATH ?? ""}`, JUPYTER_PREFER_ENV_PATH: "1", JUPYTER_CONFIG_DIR: path.join(dir, "config") };
    delete env.NODE_OPTIONS;
    const r = spawnSync(jupyter, ["nbconvert", "--to", "notebook", "--execute", "--output", "out.ipynb", "--ExecutePreprocessor.timeout=600", "--ExecutePreprocessor.kernel_name=tslab", file], { cwd: dir, env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`nbconvert failed:\n${r.stderr}`);
    const out = JSON.parse(fs.readFileSync(path.join(dir, "out.ipynb"), "utf8")) as { cells: { outputs?: { text?: string | string[] }[] }[] };
    const text = out.cells.flatMap((c) => c.outputs ?? []).map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text ?? "")).join("");
    const m = /^RESULT (.*)$/m.exec(text);
    if (!m) throw new Error(`the notebook printed no RESULT line:\n${text.slice(-2000)}`);
    return JSON.parse(m[1]!) as KernelResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function kernelTable(label: string, r: KernelResult): string {
  const s = r.withDisplay.stats;
  const overhead = r.withDisplay.seconds - r.withoutDisplay.seconds;
  return `| ${label} | ${r.withDisplay.seconds.toFixed(2)} s | ${r.withoutDisplay.seconds.toFixed(2)} s | ${s.messages} (${s.redraws}) | ${ms(s.chartMs)} ms | ${ms(s.buildMs)} ms | ${ms(s.sendMs)} ms | ${(100 * s.share).toFixed(1)} % | ${(100 * overhead / r.withoutDisplay.seconds).toFixed(1)} % |`;
}

export const suite: Suite = {
  name: "notebook",
  description: "kernel-side cost of the notebook views: one display at 100-5000 trials, and a live 500-trial run in a real tslab kernel",
  async run(): Promise<SuiteResult> {
    const env = nodeEnv();
    const md: string[] = ["## Notebook views: kernel-side cost", "", `${env["cpu"]}, ${env["cores"]} cores, Node ${env["node"]}; load average at start ${env["loadavg"]}.`, ""];
    md.push("One display (payload + parallel coordinates, learning curves and history rendered to SVG by vega in Node + the HTML table), 10 parameters, 10 steps per trial; the SVG charts draw at most 500 trials' lines (the best 250 and the latest others), the history every trial:", "");
    md.push(await bundleCosts([100, 500, 1000, 5000]), "");
    let complete = true;
    try {
      log("real kernel: 500 trials x 2 runs (display on, off), three trial lengths ...");
      const instant = runInKernel(kernelCells(500, 0));
      const slow = runInKernel(kernelCells(500, 6));
      const slower = runInKernel(kernelCells(500, 24));
      md.push(
        "A 500-trial study (3 reports per trial, memory storage) in a real tslab kernel, run with the live display and again without it (`run({ display: false })`). *display share* is the display's own accounting (drawing SVG charts + building payload/HTML + sending) over the run's time; *wall-time overhead* compares the two runs.",
        "",
        "| trials | run with display | run without | messages (chart redraws) | drawing charts | payload + HTML | sending | display share | wall-time overhead |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        kernelTable("500 instant trials", instant),
        kernelTable("500 trials of ~6 ms", slow),
        kernelTable("500 trials of ~24 ms", slower),
        "",
      );
    } catch (e) {
      complete = false;
      md.push(`Real-kernel rows left out: ${(e as Error).message.split("\n")[0]}`, "");
    }
    return { markdown: md.join("\n"), complete };
  },
};

if (require.main === module) {
  suite.run({} as never).then(
    (r) => process.stdout.write(`${r.markdown}\n`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
