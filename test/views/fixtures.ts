// Small hand-made study snapshots for the view tests: every state, a log
// parameter, a categorical one, a conditional one, extra metrics.
import type { FrozenTrial, StudySnapshot, StudySpec } from "../../src/model/trial";
import type { SpaceDef } from "../../src/space/types";
import { toPayload, type StudyPayload } from "../../src/views/payload";

export const SPACE = {
  lr: { type: "float", low: 1e-4, high: 1, scale: "log" },
  layers: { type: "int", low: 1, high: 5 },
  opt: { type: "categorical", choices: ["sgd", "adam", "rmsprop"] },
  momentum: { type: "float", low: 0.5, high: 0.999, scale: "reverse-log", when: { opt: ["sgd"] } },
} as const satisfies SpaceDef;

export function spec(over: Partial<StudySpec> = {}): StudySpec {
  return {
    name: "mlp",
    space: SPACE,
    direction: "minimize",
    metric: "loss",
    strategy: { name: "random", options: {} },
    seed: 1,
    createdAt: 0,
    ...over,
  };
}

export function trial(number: number, over: Partial<FrozenTrial> = {}): FrozenTrial {
  return { number, state: "complete", params: {}, metrics: {}, intermediate: [], curves: {}, startedAt: 1000 * number, system: {}, ...over };
}

/**
 * #0 complete 0.5 (sgd with momentum), #1 failed, #2 pruned at 0.9 after two
 * steps, #3 complete 0.25 (the best), #4 running.
 */
export function sampleTrials(): FrozenTrial[] {
  return [
    trial(0, {
      params: { lr: 0.01, layers: 2, opt: "sgd", momentum: 0.9 },
      value: 0.5,
      metrics: { loss: 0.5, acc: 0.8 },
      intermediate: [[1, 0.9], [2, 0.6], [3, 0.5]],
      finishedAt: 1500,
    }),
    trial(1, { state: "failed", params: { lr: 1e-4, layers: 5, opt: "adam" }, error: "Error: diverged", finishedAt: 1250 }),
    trial(2, { state: "pruned", params: { lr: 1, layers: 1, opt: "rmsprop" }, value: 0.9, metrics: {}, intermediate: [[2, 1.2], [1, 1.5]], finishedAt: 2000 + 65_000 }),
    trial(3, { params: { lr: 0.001, layers: 3, opt: "adam" }, value: 0.25, metrics: { loss: 0.25, acc: 0.9 }, intermediate: [[1, 0.25]], finishedAt: 3000 + 2500 }),
    trial(4, { state: "running", params: { lr: 0.1, layers: 4, opt: "sgd", momentum: 0.5 } }),
  ];
}

export function snapshot(trials: FrozenTrial[] = sampleTrials(), over: Partial<StudySpec> = {}): StudySnapshot {
  return { spec: spec(over), trials, queue: [] };
}

export function payload(trials: FrozenTrial[] = sampleTrials(), over: Partial<StudySpec> = {}, running = false): StudyPayload {
  return toPayload(snapshot(trials, over), running, 42);
}

/** A name and value that would run script if anything put them into HTML or vega code unescaped. */
export const HOSTILE = `<img src=x onerror="alert(1)">'];alert(2);//`;

/** A study whose parameter name, choices, metric name and error text are all hostile. */
export function hostilePayload(): StudyPayload {
  const space: SpaceDef = {
    [HOSTILE]: { type: "categorical", choices: [HOSTILE, "ok"] },
    x: { type: "float", low: 0, high: 1 },
  };
  const trials = [
    trial(0, { params: { [HOSTILE]: HOSTILE, x: 0.5 }, value: 1, metrics: { [HOSTILE]: 1 }, intermediate: [[1, 2]], finishedAt: 10 }),
    trial(1, { params: { [HOSTILE]: "ok", x: 0.25 }, value: 2, metrics: { [HOSTILE]: 2 }, intermediate: [[1, 3]], finishedAt: 20 }),
    trial(2, { state: "failed", params: { [HOSTILE]: "ok", x: 0.1 }, error: HOSTILE, finishedAt: 30 }),
  ];
  return toPayload({ spec: spec({ name: HOSTILE, space, metric: HOSTILE }), trials, queue: [] }, false, 0);
}
