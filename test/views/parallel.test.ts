import { describe, expect, it } from "vitest";
import { paramScale } from "../../src/views/axis";
import { FAILED_POSITION } from "../../src/views/encoding";
import { axisLabels, axisMargins, axisTitle, estimatedWidth, parallelData, parallelRows, parallelSpec, type ParallelData } from "../../src/views/parallel";
import { payload, trial } from "./fixtures";

const r = (x: number | null) => (x === null ? null : Math.round(x * 1e9) / 1e9);
const M = Math.log(5) / Math.log(500); // momentum 0.9 on reverse-log [0.5, 0.999]

/** The data with positions rounded, so hand-computed values compare by equality. */
function rounded(d: ParallelData) {
  return {
    ...d,
    axes: d.axes.map((a) => ({ ...a, ticks: a.ticks.map((t) => [r(t.norm), t.label]) })),
    lines: d.lines.map((l) => ({ ...l, norms: l.norms.map(r) })),
  };
}

describe("parallelData", () => {
  it("has one axis per parameter (log, linear, categorical, reverse-log) and the objective last, with ticks in real units", () => {
    expect(rounded(parallelData(payload())).axes).toEqual([
      { index: 0, name: "lr", kind: "log", objective: false, failedBand: false, domain: [1e-4, 1], ticks: [[0, "1e-4"], [0.25, "0.001"], [0.5, "0.01"], [0.75, "0.1"], [1, "1"]] },
      { index: 1, name: "layers", kind: "linear", objective: false, failedBand: false, domain: [1, 5], ticks: [[0, "1"], [0.25, "2"], [0.5, "3"], [0.75, "4"], [1, "5"]] },
      { index: 2, name: "opt", kind: "categorical", objective: false, failedBand: false, domain: [0, 2], ticks: [[0, "sgd"], [0.5, "adam"], [1, "rmsprop"]] },
      { index: 3, name: "momentum", kind: "reverse-log", objective: false, failedBand: false, domain: [0.5, 0.999], ticks: [[0, "0.5"], [r(M), "0.9"], [r(Math.log(50) / Math.log(500)), "0.99"], [1, "0.999"]] },
      { index: 4, name: "loss", kind: "linear", objective: true, failedBand: true, domain: [0.25, 0.9], ticks: [[0, "0.25"], [0.25, "0.4125"], [0.5, "0.575"], [0.75, "0.7375"], [1, "0.9"]] },
    ]);
  });

  it("draws trials that have a value (complete and pruned) and failed ones (on the objective's failed band), null where a parameter is inactive", () => {
    const d = rounded(parallelData(payload()));
    expect(d.lines).toEqual([
      { number: 0, state: "complete", value: 0.5, norms: [0.5, 0.25, 0, r(M), r(0.25 / 0.65)], labels: ["0.01", "2", "sgd", "0.9", "0.5"] },
      { number: 1, state: "failed", value: null, norms: [0, 1, 0.5, null, FAILED_POSITION], labels: ["1e-4", "5", "adam", null, "failed"] },
      { number: 2, state: "pruned", value: 0.9, norms: [1, 0, 1, null, 1], labels: ["1", "1", "rmsprop", null, "0.9"] },
      { number: 3, state: "complete", value: 0.25, norms: [0.25, 0.5, 0.5, null, 0], labels: ["0.001", "3", "adam", null, "0.25"] },
    ]);
    expect(d.metric).toBe("loss");
    expect(d.direction).toBe("minimize");
  });

  it("has no failed band when no trial failed", () => {
    const d = parallelData(payload([trial(0, { params: { lr: 0.01, layers: 1, opt: "adam" }, value: 3 })]));
    expect(d.axes.map((a) => a.failedBand)).toEqual([false, false, false, false, false]);
    expect(axisLabels(d.axes[4]!).map((t) => t.label)).not.toContain("failed");
    expect(axisLabels(parallelData(payload()).axes[4]!).at(-1)).toEqual({ norm: FAILED_POSITION, label: "failed" });
  });

  it("puts an objective that never varied in the middle, and has no lines without values", () => {
    const one = parallelData(payload([trial(0, { params: { lr: 0.01, layers: 1, opt: "adam" }, value: 3 })]));
    expect(one.lines[0]!.norms[4]).toBe(0.5);
    expect(parallelData(payload([trial(0, { state: "running", params: { lr: 0.01 } })])).lines).toEqual([]);
  });

  it("places values it can't read (wrong type, unknown choice) as null", () => {
    const d = parallelData(payload([trial(0, { params: { lr: "x" as never, layers: 2, opt: "nadam" }, value: 1 })]));
    expect(d.lines[0]!.norms.slice(0, 3)).toEqual([null, 0.25, null]);
  });
});

describe("paramScale", () => {
  it("clamps values outside the declared range and thins long log ranges to a few ticks", () => {
    const s = paramScale({ type: "float", low: 1e-12, high: 1e3, scale: "log" });
    expect(s.norm(1e-20)).toBe(0);
    expect(s.norm(1e9)).toBe(1);
    expect(s.ticks.length).toBeLessThanOrEqual(7);
    expect(s.ticks[0]!.label).toBe("1e-12");
    expect(s.ticks[s.ticks.length - 1]!.label).toBe("1000");
  });

  it("puts a single choice in the middle", () => {
    expect(paramScale({ type: "categorical", choices: [true] }).ticks).toEqual([{ norm: 0.5, label: "true" }]);
  });
});

describe("parallelRows and parallelSpec", () => {
  it("lists each line's points axis by axis (none on an inactive parameter's axis): failed first, then pruned, then complete worst first", () => {
    const rows = parallelRows(parallelData(payload()));
    expect(rows.map((x) => [x.trial, x.axis])).toEqual([
      [1, 0], [1, 1], [1, 2], [1, 4],
      [2, 0], [2, 1], [2, 2], [2, 4],
      [0, 0], [0, 1], [0, 2], [0, 3], [0, 4],
      [3, 0], [3, 1], [3, 2], [3, 4],
    ]);
    expect(rows[3]).toEqual({ trial: 1, axis: 4, norm: FAILED_POSITION, label: "failed", value: null, state: "failed" });
    const max = parallelRows(parallelData(payload(undefined, { direction: "maximize" })));
    expect([...new Set(max.map((x) => x.trial))]).toEqual([1, 2, 3, 0]);
  });

  it("is a vega-lite v6 layer of axis rules, lines coloured by the objective and dashed by state, haloed tick labels and axis names", () => {
    const d = parallelData(payload());
    const spec = parallelSpec(d) as unknown as { $schema: string; width: number; layer: { mark: { type: string; color?: string }; data: { values: unknown[] }; encoding: Record<string, any> }[] };
    expect(spec.$schema).toBe("https://vega.github.io/schema/vega-lite/v6.json");
    expect(spec.width).toBe(650);
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["rule", "rule", "line", "text", "text", "text"]);
    const lines = spec.layer[2]!;
    expect(lines.data.values).toEqual(parallelRows(d));
    expect(lines.encoding["color"]).toMatchObject({ field: "value", condition: { value: "#8c8c8c" }, scale: { domain: [0.25, 0.9], reverse: true, interpolate: "rgb" } });
    expect(lines.encoding["strokeDash"].scale).toEqual({ domain: ["complete", "pruned", "failed"], range: [[1, 0], [6, 3], [2, 3]] });
    // Tick labels drawn twice: a white halo under the text, so lines never cover it.
    expect(spec.layer[3]!.data.values).toEqual(spec.layer[4]!.data.values);
    expect(spec.layer[3]!.mark.color).toBe("white");
    expect(spec.layer[4]!.data.values).toHaveLength(5 + 5 + 3 + 4 + 5 + 1);
    expect(spec.layer[5]!.data.values).toEqual(["lr", "layers", "opt", "momentum", "loss (min)"].map((name, axis) => ({ axis, name })));
  });

  it("spreads the axes over the whole width: the margins are what the outer titles and labels need", () => {
    const d = parallelData(payload());
    const first = d.axes[0]!;
    const last = d.axes[d.axes.length - 1]!;
    const m = axisMargins(first, last, "minimize", estimatedWidth);
    expect(m.left).toBe(Math.ceil(Math.max(8, estimatedWidth(axisTitle(first, "minimize"), "title") / 2)));
    const widest = Math.max(...axisLabels(last).map((t) => estimatedWidth(t.label, "tick")));
    expect(m.right).toBe(Math.ceil(Math.max(8, estimatedWidth("loss (min)", "title") / 2, widest + 9)));
    const spec = parallelSpec(d, { width: 500 }) as unknown as { layer: { encoding: { x: { scale: { range: number[] } } } }[] };
    expect(spec.layer[0]!.encoding.x.scale.range).toEqual([m.left, 500 - m.right]);
  });
});

describe("axes over values no double can span", () => {
  it("places values told anywhere up to ±1.8e308 in order on the objective's axis, with finite ticks", async () => {
    const { linearScale } = await import("../../src/views/axis");
    const a = linearScale(-1.7e308, 1.7e308);
    expect(a.norm(-1.7e308)).toBe(0);
    expect(a.norm(0)).toBe(0.5);
    expect(a.norm(1.7e308)).toBe(1);
    expect(a.norm(8.5e307)).toBeCloseTo(0.75, 12);
    for (const t of a.ticks) expect(Number.isFinite(t.norm)).toBe(true);
    a.ticks.forEach((t, i) => expect(t.norm).toBeCloseTo(i / 4, 12));
  });
});
