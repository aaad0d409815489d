/**
 * Study payloads for the extension's browser tests and benchmark, made without a kernel: a
 * synthetic study of any size (seeded, so every run draws the same), hostile payloads, and
 * notebooks whose saved outputs carry them (JupyterLab renders saved outputs with no kernel).
 */
import type { TrialState } from "../../src/model/trial";
import type { ParamDef, SpaceDef } from "../../src/space/types";
import { Rng } from "../../src/util/rng";
import { STUDY_MIME, type PayloadTrial, type StudyPayload } from "../../src/views/payload";
import type { Notebook, NotebookOutput } from "../helpers/jupyter";

/** The first parameters of every synthetic space (then more floats up to `params`). */
const BASE_SPACE: [string, ParamDef][] = [
  ["lr", { type: "float", low: 1e-5, high: 1, scale: "log" }],
  ["layers", { type: "int", low: 1, high: 8 }],
  ["opt", { type: "categorical", choices: ["sgd", "adam", "rmsprop"] }],
  ["momentum", { type: "float", low: 0.5, high: 0.999, scale: "reverse-log" }],
  ["dropout", { type: "float", low: 0, high: 0.5 }],
  ["batch", { type: "int", low: 16, high: 512, scale: "log" }],
  ["act", { type: "categorical", choices: ["relu", "gelu", "tanh", "silu"] }],
];

export interface SyntheticOptions {
  trials: number;
  /** Number of parameters (default 10). */
  params?: number;
  /** Steps of intermediate values per trial (default 12; 0 for none). */
  steps?: number;
  seed?: number;
  /** The last `running` trials are still running (and the payload says so). */
  running?: number;
  name?: string;
  direction?: "minimize" | "maximize";
}

export function syntheticSpace(params: number): SpaceDef {
  const space: Record<string, ParamDef> = {};
  for (let i = 0; i < params; i++) {
    const [name, def] = i < BASE_SPACE.length ? BASE_SPACE[i]! : [`x${i}`, { type: "float", low: -1, high: 1 } as ParamDef];
    space[name] = def;
  }
  return space;
}

function sample(def: ParamDef, rng: Rng): string | number | boolean {
  if (def.type === "categorical") return def.choices[rng.int(def.choices.length)]!;
  if (def.scale === "log") {
    const v = Math.exp(rng.uniform(Math.log(def.low), Math.log(def.high)));
    return def.type === "int" ? Math.round(v) : v;
  }
  if (def.scale === "reverse-log") return 1 - Math.exp(rng.uniform(Math.log(1 - def.high), Math.log(1 - def.low)));
  const v = rng.uniform(def.low, def.high);
  return def.type === "int" ? Math.round(v) : v;
}

/**
 * A study of `trials` trials: ~80% complete, ~10% pruned (curves cut short), ~5% failed, the
 * last `running` ones running. The loss is smooth in lr and layers, so the charts show a shape.
 */
export function syntheticPayload(o: SyntheticOptions): StudyPayload {
  const { trials: n, params = 10, steps = 12, seed = 7, running = 0, name = "synthetic", direction = "minimize" } = o;
  const space = syntheticSpace(params);
  const names = Object.keys(space);
  const rng = Rng.fromSeed(seed);
  const t0 = 1_767_225_600_000; // 2026-01-01
  const trials: PayloadTrial[] = [];
  for (let i = 0; i < n; i++) {
    const p: Record<string, string | number | boolean> = {};
    for (const k of names) p[k] = sample(space[k]!, rng);
    const lr = typeof p.lr === "number" ? p.lr : 0.01;
    const layers = typeof p.layers === "number" ? p.layers : 3;
    const base = 0.1 + (Math.log10(lr) + 2.5) ** 2 * 0.08 + Math.abs(layers - 4) * 0.05 + rng.uniform(0, 0.05);
    const u = rng.next();
    let state: TrialState = u < 0.1 ? "pruned" : u < 0.15 ? "failed" : "complete";
    if (i >= n - running) state = "running";
    const last = state === "pruned" ? Math.max(1, Math.floor(steps / 3)) : state === "running" ? Math.max(1, Math.floor(steps / 2)) : steps;
    const curve: [number, number][] = [];
    for (let s = 1; s <= (state === "failed" ? Math.min(2, steps) : last); s++) {
      curve.push([s, base + (1.2 - base) * Math.exp(-s / 3) + rng.uniform(0, 0.02)]);
    }
    const value = state === "complete" ? (curve.length ? curve[curve.length - 1]![1] : base) : state === "pruned" ? curve[curve.length - 1]?.[1] ?? base : null;
    const startedAt = t0 + i * 1500;
    trials.push({
      number: i,
      state,
      params: p,
      value: direction === "maximize" && value !== null ? 2 - value : value,
      metrics: value === null ? {} : { loss: value, acc: 1 - value / 2 },
      intermediate: curve,
      startedAt,
      finishedAt: state === "running" ? null : startedAt + 1200 + Math.round(rng.uniform(0, 800)),
      error: state === "failed" ? "Error: loss became NaN at step 2" : null,
      system: {},
    });
  }
  return {
    version: 1,
    study: { name, direction, metric: "loss", strategy: "random", space, paramOrder: names, metricOrder: ["acc"] },
    trials,
    running: running > 0,
    updatedAt: t0 + n * 1500,
  };
}

/** A crafted string that would run script if it ever reached HTML unescaped. */
export const XSS = "<img src=x onerror=window.__pwned=1>";

/** A small study whose parameter name, categorical value, metric, study name and error text are all XSS. */
export function hostilePayload(): StudyPayload {
  const space: SpaceDef = {
    [XSS]: { type: "categorical", choices: [XSS, "safe"] },
    lr: { type: "float", low: 0.001, high: 0.1, scale: "log" },
  };
  const trial = (number: number, state: TrialState, choice: string, value: number | null, error: string | null): PayloadTrial => ({
    number,
    state,
    params: { [XSS]: choice, lr: 0.001 * (number + 1) },
    value,
    metrics: value === null ? {} : { [XSS]: value },
    intermediate: value === null ? [] : [[1, value + 0.5], [2, value]],
    startedAt: 1000 * number,
    finishedAt: 1000 * number + 500,
    error,
    system: {},
  });
  return {
    version: 1,
    study: { name: XSS, direction: "minimize", metric: XSS, strategy: XSS, space },
    trials: [trial(0, "complete", XSS, 0.5, null), trial(1, "failed", "safe", null, XSS), trial(2, "complete", "safe", 0.25, null)],
    running: false,
    updatedAt: 5000,
  };
}

/** A display_data output carrying a study bundle, as the kernel bridge sends it. */
export function studyOutput(data: unknown, html = "<p>tunelab study (static fallback)</p>"): NotebookOutput {
  return {
    output_type: "display_data",
    data: { [STUDY_MIME]: data, "text/html": html, "text/plain": "tunelab study" },
    metadata: {},
  };
}

/** A tslab notebook with one code cell per output list (no kernel needed to show them). */
export function notebookWithOutputs(outputs: NotebookOutput[][]): Notebook {
  return {
    cells: outputs.map((outs, i) => ({
      id: `cell-${i}`,
      cell_type: "code" as const,
      metadata: {},
      source: [`// output ${i}`],
      outputs: outs,
      execution_count: i + 1,
    })),
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      language_info: { name: "typescript", file_extension: ".ts", mimetype: "text/typescript" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

export interface HyperbandFixtureOptions {
  trials: number;
  seed?: number;
  /** Rungs are 1, eta, eta², ... up to maxResource (default 81, eta 3: brackets 0..4). */
  maxResource?: number;
  eta?: number;
  /** Trial numbers stopped by the median rule instead (at step 12 or their last step). */
  median?: readonly number[];
  /** Trial numbers that fail at step 2. */
  failed?: readonly number[];
  /** The last `running` trials are still running, half-way through their budget. */
  running?: number;
  strategy?: "hyperband" | "asha";
}

/**
 * A Hyperband-like study made by hand with the system records of the multi-fidelity contract:
 * trial i in bracket i mod nBrackets (bracket b judged at rungs r·η^b ... < maxResource),
 * promoted at a rung while among the best ⌊n/η⌋ of that rung's values in its bracket (as the
 * strategy does), else pruned there with `stopped: "rung"`; the `median` trials are pruned with
 * `stopped: "median"`. Curves fall smoothly towards a per-trial floor, so brackets show a shape.
 */
export function hyperbandPayload(o: HyperbandFixtureOptions): StudyPayload {
  const { trials: n, seed = 11, maxResource = 81, eta = 3, median = [], failed = [], running = 0, strategy = "hyperband" } = o;
  const all: number[] = [];
  for (let r = 1; r < maxResource; r *= eta) all.push(r);
  const nBrackets = all.length + 1;
  const space = syntheticSpace(3);
  const names = Object.keys(space);
  const rng = Rng.fromSeed(seed);
  const atRung: number[][][] = Array.from({ length: nBrackets }, () => all.map(() => []));
  const t0 = 1_767_225_600_000;
  const trials: PayloadTrial[] = [];
  for (let i = 0; i < n; i++) {
    const params: Record<string, string | number | boolean> = {};
    for (const k of names) params[k] = sample(space[k]!, rng);
    const bracket = i % nBrackets;
    const rungs = all.slice(bracket);
    const floor = 0.15 + rng.uniform(0, 0.5);
    const speed = 4 + rng.uniform(0, 20);
    const loss = (s: number) => floor + (1.4 - floor) * Math.exp(-s / speed) + rng.uniform(0, 0.01);
    const isRunning = i >= n - running;
    const budget = isRunning ? Math.ceil(maxResource / 2) : maxResource;
    const values: number[] = [];
    const curve: [number, number][] = [];
    let state: TrialState = isRunning ? "running" : "complete";
    let stopped: string | undefined;
    for (let s = 1; s <= budget; s++) {
      const v = loss(s);
      curve.push([s, v]);
      if (failed.includes(i) && s === 2) {
        state = "failed";
        break;
      }
      if (median.includes(i) && (s === 12 || s === budget)) {
        state = "pruned";
        stopped = "median";
        break;
      }
      const k = rungs.indexOf(s);
      if (k >= 0) {
        values.push(v);
        const seen = atRung[bracket]![all.indexOf(s)]!;
        seen.push(v);
        const better = seen.filter((w) => w < v).length;
        if (better >= Math.max(1, Math.floor(seen.length / eta))) {
          state = "pruned";
          stopped = "rung";
          break;
        }
      }
    }
    const last = curve[curve.length - 1]![1];
    const value = state === "failed" || state === "running" ? null : last;
    const startedAt = t0 + i * 1500;
    trials.push({
      number: i,
      state,
      params,
      value,
      metrics: value === null ? {} : { loss: value },
      intermediate: curve,
      startedAt,
      finishedAt: state === "running" ? null : startedAt + 10 * curve.length,
      error: state === "failed" ? "Error: loss became NaN at step 2" : null,
      system: { hyperband: { bracket, rungs, values }, ...(stopped ? { stopped } : {}) },
    });
  }
  return {
    version: 1,
    study: { name: `${strategy}-demo`, direction: "minimize", metric: "loss", strategy, space },
    trials,
    running: running > 0,
    updatedAt: t0 + n * 1500,
  };
}
