import { describe, expect, it } from "vitest";
import { viewSpecs } from "../../src/views/specs";
import { summarize, summaryText } from "../../src/views/summary";
import { payload, trial } from "./fixtures";

describe("summary", () => {
  it("counts trials by state and names the best", () => {
    expect(summarize(payload())).toEqual({
      name: "mlp",
      direction: "minimize",
      metric: "loss",
      strategy: "random",
      trials: 5,
      counts: { running: 1, complete: 2, failed: 1, pruned: 1 },
      best: { number: 3, value: 0.25, params: "lr=0.001, layers=3, opt=adam" },
      running: false,
    });
  });

  it("says it in two lines", () => {
    expect(summaryText(payload(undefined, {}, true))).toBe(
      'study "mlp" (minimize loss, random): 5 trials: 1 running, 2 complete, 1 failed, 1 pruned (running)\nbest: #3 loss=0.25 (lr=0.001, layers=3, opt=adam)',
    );
    expect(summaryText(payload([]))).toBe('study "mlp" (minimize loss, random): 0 trials\nbest: none yet');
  });
});

describe("viewSpecs", () => {
  it("draws only the charts that have something to show", () => {
    expect(viewSpecs(payload()).map((v) => v.name)).toEqual(["parallel", "curves", "history", "slice", "contour"]);
    expect(viewSpecs(payload(), ["history"]).map((v) => v.name)).toEqual(["history"]);
    expect(viewSpecs(payload(), []).map((v) => v.name)).toEqual([]);
    // Slice and contour plots need a complete trial.
    expect(viewSpecs(payload([trial(0, { state: "pruned", value: 1, intermediate: [] })])).map((v) => v.name)).toEqual(["parallel"]);
    expect(viewSpecs(payload([]))).toEqual([]);
  });
});
