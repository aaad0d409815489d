import { describe, expect, it } from "vitest";
import { curveEnds, curveRows, curvesData, curvesSpec } from "../../src/views/curves";
import { payload, trial } from "./fixtures";

describe("curvesData", () => {
  it("gives each trial that reported its values in step order, with its state and configuration", () => {
    expect(curvesData(payload())).toEqual({
      metric: "loss",
      direction: "minimize",
      trials: [
        { number: 0, state: "complete", params: "lr=0.01, layers=2, opt=sgd, momentum=0.9", points: [[1, 0.9], [2, 0.6], [3, 0.5]], bracket: null, rungs: [], stop: null },
        {
          number: 2,
          state: "pruned",
          params: "lr=1, layers=1, opt=rmsprop",
          points: [[1, 1.5], [2, 1.2]],
          bracket: null,
          rungs: [],
          stop: { rule: "other", step: 2, value: 1.2, rung: null, text: "pruned at step 2" },
        },
        { number: 3, state: "complete", params: "lr=0.001, layers=3, opt=adam", points: [[1, 0.25]], bracket: null, rungs: [], stop: null },
      ],
      brackets: [],
      rungs: [],
    });
  });

  it("skips points that aren't finite numbers", () => {
    const d = curvesData(payload([trial(0, { state: "running", intermediate: [[1, NaN], [2, 3], [NaN, 1]] as never })]));
    expect(d.trials[0]!.points).toEqual([[2, 3]]);
  });
});

describe("curve rows and spec", () => {
  it("has one row per point and one end per trial", () => {
    const d = curvesData(payload());
    expect(curveRows(d)).toHaveLength(6);
    expect(curveRows(d)[3]).toEqual({ trial: 2, step: 1, value: 1.5, state: "pruned", params: "lr=1, layers=1, opt=rmsprop" });
    expect(curveEnds(d).map((e) => [e.trial, e.step, e.value, e.state])).toEqual([
      [0, 3, 0.5, "complete"],
      [2, 2, 1.2, "pruned"],
      [3, 1, 0.25, "complete"],
    ]);
  });

  it("colours by state with a fixed scale and marks where stopped and failed trials ended with a cross", () => {
    const spec = curvesSpec(curvesData(payload())) as unknown as { layer: { mark: { type: string }; encoding: Record<string, any> }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["line", "point"]);
    expect(spec.layer[0]!.encoding["color"].scale).toEqual({ domain: ["running", "complete", "failed", "pruned"], range: ["#9d9d9d", "#4c78a8", "#e45756", "#f58518"] });
    expect(spec.layer[1]!.encoding["shape"].scale).toEqual({ domain: ["running", "complete", "failed", "pruned"], range: ["circle", "circle", "cross", "cross"] });
    expect(spec.layer[0]!.encoding["tooltip"].map((t: { field: string }) => t.field)).toEqual(["trial", "state", "step", "value", "params"]);
  });
});
