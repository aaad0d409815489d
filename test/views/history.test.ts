import { describe, expect, it } from "vitest";
import { historyData, historySpec } from "../../src/views/history";
import { payload, trial } from "./fixtures";

describe("historyData", () => {
  it("gives complete trials' values and the best so far (minimize)", () => {
    expect(historyData(payload())).toEqual({
      metric: "loss",
      direction: "minimize",
      points: [
        { trial: 0, value: 0.5, best: 0.5 },
        { trial: 3, value: 0.25, best: 0.25 },
      ],
    });
  });

  it("follows the direction and the trial order", () => {
    const trials = [trial(3, { value: 2 }), trial(0, { value: 1 }), trial(1, { value: 3 }), trial(2, { state: "pruned", value: 9 }), trial(4, { value: 0 })];
    expect(historyData(payload(trials, { direction: "maximize" })).points).toEqual([
      { trial: 0, value: 1, best: 1 },
      { trial: 1, value: 3, best: 3 },
      { trial: 3, value: 2, best: 3 },
      { trial: 4, value: 0, best: 3 },
    ]);
    expect(historyData(payload(trials)).points.map((p) => p.best)).toEqual([1, 1, 1, 0]);
  });

  it("is a layer of points and a step line over the same rows", () => {
    const d = historyData(payload());
    const spec = historySpec(d) as unknown as { data: { values: unknown[] }; layer: { mark: { type: string; interpolate?: string } }[] };
    expect(spec.data.values).toEqual(d.points);
    expect(spec.layer.map((l) => [l.mark.type, l.mark.interpolate])).toEqual([["point", undefined], ["line", "step-after"]]);
  });
});
