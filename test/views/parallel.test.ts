import { describe, expect, it } from "vitest";
import { paramScale } from "../../src/views/axis";
import { parallelData, parallelRows, parallelSpec, type ParallelData } from "../../src/views/parallel";
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
      { index: 0, name: "lr", kind: "log", objective: false, domain: [1e-4, 1], ticks: [[0, "1e-4"], [0.25, "0.001"], [0.5, "0.01"], [0.75, "0.1"], [1, "1"]] },
      { index: 1, name: "layers", kind: "linear", objective: false, domain: [1, 5], ticks: [[0, "1"], [0.25, "2"], [0.5, "3"], [0.75, "4"], [1, "5"]] },
      { index: 2, name: "opt", kind: "categorical", objective: false, domain: [0, 2], ticks: [[0, "sgd"], [0.5, "adam"], [1, "rmsprop"]] },
      { index: 3, name: "momentum", kind: "reverse-log", objective: false, domain: [0.5, 0.999], ticks: [[0, "0.5"], [r(M), "0.9"], [r(Math.log(50) / Math.log(500)), "0.99"], [1, "0.999"]] },
      { index: 4, name: "loss", kind: "linear", objective: true, domain: [0.25, 0.9], ticks: [[0, "0.25"], [0.25, "0.4125"], [0.5, "0.575"], [0.75, "0.7375"], [1, "0.9"]] },
    ]);
  });

  it("draws trials that have a value (complete and pruned), null where a parameter is inactive", () => {
    const d = rounded(parallelData(payload()));
    expect(d.lines).toEqual([
      { number: 0, state: "complete", value: 0.5, norms: [0.5, 0.25, 0, r(M), r(0.25 / 0.65)], labels: ["0.01", "2", "sgd", "0.9", "0.5"] },
      { number: 2, state: "pruned", value: 0.9, norms: [1, 0, 1, null, 1], labels: ["1", "1", "rmsprop", null, "0.9"] },
      { number: 3, state: "complete", value: 0.25, norms: [0.25, 0.5, 0.5, null, 0], labels: ["0.001", "3", "adam", null, "0.25"] },
    ]);
    expect(d.metric).toBe("loss");
    expect(d.direction).toBe("minimize");
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
  it("lists each line's points axis by axis, worst trial first so the best is drawn on top", () => {
    const rows = parallelRows(parallelData(payload()));
    expect(rows.map((x) => [x.trial, x.axis])).toEqual([2, 0, 3].flatMap((t) => [0, 1, 2, 3, 4].map((a) => [t, a])));
    expect(rows[3]).toEqual({ trial: 2, axis: 3, norm: null, label: null, value: 0.9, state: "pruned" });
    const max = parallelRows(parallelData(payload(undefined, { direction: "maximize" })));
    expect(max.map((x) => x.trial).filter((_, i) => i % 5 === 0)).toEqual([3, 0, 2]);
  });

  it("is a vega-lite v6 layer of axis rules, lines coloured by the objective, tick labels and axis names", () => {
    const d = parallelData(payload());
    const spec = parallelSpec(d) as { $schema: string; width: number; layer: { mark: { type: string }; data: { values: unknown[] } }[] };
    expect(spec.$schema).toBe("https://vega.github.io/schema/vega-lite/v6.json");
    expect(spec.width).toBe(550);
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["rule", "line", "text", "text"]);
    expect(spec.layer[1]!.data.values).toEqual(parallelRows(d));
    expect(spec.layer[2]!.data.values).toHaveLength(5 + 5 + 3 + 4 + 5);
    expect(spec.layer[3]!.data.values).toEqual(["lr", "layers", "opt", "momentum", "loss"].map((name, axis) => ({ axis, name })));
    expect(spec.layer[1]).toMatchObject({ encoding: { color: { field: "value", scale: { scheme: "viridis", reverse: true } }, detail: { field: "trial" } } });
  });
});
