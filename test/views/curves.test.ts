import { describe, expect, it } from "vitest";
import { curveEnds, curveRows, curvesData, curvesSpec } from "../../src/views/curves";
import { NO_VALUE_COLOR, OBJECTIVE_COLORS } from "../../src/views/encoding";
import { payload, trial } from "./fixtures";

describe("curvesData", () => {
  it("gives each trial that reported its values in step order, with its state and configuration", () => {
    expect(curvesData(payload())).toEqual({
      metric: "loss",
      direction: "minimize",
      trials: [
        { number: 0, state: "complete", params: "lr=0.01, layers=2, opt=sgd, momentum=0.9", points: [[1, 0.9], [2, 0.6], [3, 0.5]], bracket: null, rungs: [], stop: null, hedged: [], value: 0.5 },
        {
          number: 2,
          state: "pruned",
          params: "lr=1, layers=1, opt=rmsprop",
          points: [[1, 1.5], [2, 1.2]],
          bracket: null,
          rungs: [],
          stop: { rule: "other", step: 2, value: 1.2, rung: null, text: "pruned at step 2" },
          hedged: [],
          value: 0.9,
        },
        { number: 3, state: "complete", params: "lr=0.001, layers=3, opt=adam", points: [[1, 0.25]], bracket: null, rungs: [], stop: null, hedged: [], value: 0.25 },
      ],
      brackets: [],
      rungs: [],
      valueRange: [0.25, 0.9],
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
    expect(curveRows(d)[3]).toEqual({ trial: 2, step: 1, value: 1.5, state: "pruned", params: "lr=1, layers=1, opt=rmsprop", trialValue: 0.9 });
    expect(curveEnds(d).map((e) => [e.trial, e.step, e.value, e.state])).toEqual([
      [0, 3, 0.5, "complete"],
      [2, 2, 1.2, "pruned"],
      [3, 1, 0.25, "complete"],
    ]);
  });

  it("colours curves by their trial's objective value on the shared scale, dashes pruned ones, and ends pruned and failed ones in a cross", () => {
    const d = curvesData(payload());
    const spec = curvesSpec(d) as unknown as { layer: { mark: { type: string }; data: { values: { state: string }[] }; encoding: Record<string, any> }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["line", "point"]);
    expect(spec.layer[0]!.encoding["color"]).toMatchObject({ field: "trialValue", condition: { value: NO_VALUE_COLOR }, scale: { domain: [0.25, 0.9], range: [...OBJECTIVE_COLORS], reverse: true } });
    expect(spec.layer[0]!.encoding["strokeDash"].scale.domain).toEqual(["complete", "pruned"]);
    expect(spec.layer[0]!.encoding["y"].title).toBe("loss"); // the metric's name on the y axis
    expect(spec.layer[1]!.data.values.map((e) => e.state)).toEqual(["pruned"]);
    expect(spec.layer[0]!.encoding["tooltip"].map((t: { field: string }) => t.field)).toEqual(["trial", "state", "step", "value", "params"]);
  });
});
