// Learning curves of multi-fidelity studies (issue 6): each trial's bracket and rungs from
// system.hyperband, where and why pruned trials stopped, the study's rung lines, and the
// static (vega-lite -> SVG) chart: rung rules, stop markers and a bracket legend when the study
// has brackets, and the plain chart otherwise.
import { describe, expect, it } from "vitest";
import { renderSvg } from "../../src/notebook/vega";
import { svgToPng } from "../../src/notebook/png";
import { bracketCurvesSpec, curvesData, curvesSpec, curveStops, rungInfo, X_SHAPE } from "../../src/views/curves";
import { hyperbandPayload } from "../extension/study-fixtures";
import { payload, trial } from "./fixtures";

const hb = (bracket: number, rungs: number[], values: number[]) => ({ hyperband: { bracket, rungs, values } });
const curve = (n: number) => Array.from({ length: n }, (_, i) => [i + 1, 1 / (i + 1)] as [number, number]);

/** Brackets 0..4 of maxResource 81, eta 3; #1 stopped at rung 3, #2 at rung 9 (reported every other step), #5 by the median rule. */
function study() {
  return payload(
    [
      trial(0, { intermediate: curve(81), system: hb(4, [], []) }),
      trial(1, { state: "pruned", intermediate: curve(3), system: { ...hb(0, [1, 3, 9, 27], [1, 1 / 3]), stopped: "rung" } }),
      trial(2, { state: "pruned", intermediate: [[1, 1], [5, 0.5], [10, 0.25]], system: { ...hb(1, [3, 9, 27], [0.5, 0.25]), stopped: "rung" } }),
      trial(3, { intermediate: curve(81), system: hb(2, [9, 27], [0.1, 0.03]) }),
      trial(4, { state: "running", intermediate: curve(30), system: hb(3, [27], [0.03]) }),
      trial(5, { state: "pruned", intermediate: curve(12), system: { ...hb(4, [], []), stopped: "median" } }),
      trial(6, { state: "failed", intermediate: curve(2), system: hb(0, [1, 3, 9, 27], [1]) }),
    ],
    { strategy: { name: "hyperband", options: { maxResource: 81 } } },
  );
}

describe("curvesData of a study with brackets", () => {
  it("names the rungs where hedged stopping let a trial on (system.hyperband.hedged, indices into its rungs); a malformed list is ignored", () => {
    const d = curvesData(
      payload(
        [
          trial(0, { state: "pruned", intermediate: curve(9), system: { hyperband: { bracket: 1, rungs: [3, 9, 27], values: [1, 0.5], hedged: [0] }, stopped: "rung" } }),
          trial(1, { intermediate: curve(81), system: { hyperband: { bracket: 0, rungs: [1, 3, 9, 27], values: [1, 1, 1, 1], hedged: [2, 0, 9] } } }),
          trial(2, { intermediate: curve(81), system: { hyperband: { bracket: 0, rungs: [1, 3, 9, 27], values: [1, 1, 1, 1], hedged: ["0"] } } }),
          trial(3, { intermediate: curve(81), system: hb(0, [1, 3, 9, 27], [1, 1, 1, 1]) }),
        ],
        { strategy: { name: "asha", options: { maxResource: 81 } } },
      ),
    );
    expect(d.trials.map((t) => t.hedged)).toEqual([[3], [1, 9], [], []]);
    // The malformed record still gives its bracket and rungs.
    expect(d.trials[2]!.bracket).toBe(0);
  });

  it("gives each trial its bracket and rungs, and the study its brackets and rung lines", () => {
    const d = curvesData(study());
    expect(d.trials.map((t) => t.bracket)).toEqual([4, 0, 1, 2, 3, 4, 0]);
    expect(d.trials[2]!.rungs).toEqual([3, 9, 27]);
    expect(d.brackets).toEqual([0, 1, 2, 3, 4]);
    expect(d.rungs).toEqual([1, 3, 9, 27]);
  });

  it("says where and why pruned trials stopped: the rung judged at, the median rule's step", () => {
    const stops = curvesData(study()).trials.map((t) => t.stop && [t.number, t.stop.rule, t.stop.step, t.stop.rung, t.stop.text]);
    expect(stops).toEqual([
      null,
      [1, "rung", 3, 3, "stopped at rung 3 by hyperband"],
      [2, "rung", 10, 9, "stopped at rung 9 by hyperband"], // judged at 9, its last report was step 10
      null,
      null,
      [5, "median", 12, null, "stopped by the median rule at step 12"],
      null, // failed: not a stop
    ]);
  });

  it("names asha for an asha study, and falls back to the last rung below the step when no value was recorded", () => {
    const p = payload([trial(0, { state: "pruned", intermediate: curve(4), system: { ...hb(0, [1, 3, 9], []), stopped: "rung" } })], {
      strategy: { name: "asha", options: {} },
    });
    expect(curvesData(p).trials[0]!.stop!.text).toBe("stopped at rung 3 by asha");
  });

  it("ignores malformed or hostile multi-fidelity records (the payload is untrusted)", () => {
    for (const bad of [
      null,
      "x",
      [],
      { bracket: -1, rungs: [], values: [] },
      { bracket: 1.5, rungs: [], values: [] },
      { bracket: 1e9, rungs: [], values: [] },
      { bracket: 0, rungs: [3, 1], values: [] },
      { bracket: 0, rungs: [1, NaN], values: [] },
      { bracket: 0, rungs: ["<img src=x>"], values: [] },
      { bracket: 0, rungs: Array.from({ length: 65 }, (_, i) => i + 1), values: [] },
      { bracket: "0", rungs: [1], values: [] },
    ]) {
      expect(rungInfo({ hyperband: bad })).toBeNull();
    }
    expect(rungInfo({ hyperband: { bracket: 2, rungs: [9, 27], values: "no" } })).toEqual({ bracket: 2, rungs: [9, 27], reached: 0, hedged: [] });
    const d = curvesData(payload([trial(0, { state: "pruned", intermediate: curve(2), system: { hyperband: { bracket: "<b>", rungs: 1 }, stopped: "rung" } })]));
    expect(d.brackets).toEqual([]);
    expect(d.trials[0]!.stop!.text).toBe("pruned at step 2");
  });

  it("is the plain curves data for a study without brackets", () => {
    const d = curvesData(payload());
    expect(d.brackets).toEqual([]);
    expect(d.rungs).toEqual([]);
    expect(d.trials.every((t) => t.bracket === null && t.rungs.length === 0)).toBe(true);
  });
});

type Layer = { mark: { type: string }; data: { values: Record<string, unknown>[] }; encoding: Record<string, any> };

describe("the static curves spec", () => {
  it("with brackets: rung rules, curves coloured by bracket, markers where trials stopped or failed", () => {
    const d = curvesData(study());
    const spec = curvesSpec(d) as unknown as { layer: Layer[] };
    expect(spec).toEqual(bracketCurvesSpec(d));
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["rule", "text", "line", "point"]);
    expect(spec.layer[0]!.data.values).toEqual([{ rung: 1 }, { rung: 3 }, { rung: 9 }, { rung: 27 }]);
    expect(spec.layer[2]!.encoding["color"].field).toBe("bracket");
    expect(spec.layer[2]!.encoding["color"].scale.domain).toEqual(["0", "1", "2", "3", "4"]);
    expect(curveStops(d).map((s) => [s.trial, s.end, s.step])).toEqual([
      [1, "at a rung", 3],
      [2, "at a rung", 10],
      [5, "median rule", 12],
      [6, "failed", 2],
    ]);
    // The marker legend names only the ends the study has.
    expect(spec.layer[3]!.encoding["shape"].scale).toEqual({ domain: ["at a rung", "median rule", "failed"], range: [X_SHAPE, "triangle-down", "diamond"] });
  });

  it("keeps the plain chart (objective colours, no rules) for a study without brackets", () => {
    const spec = curvesSpec(curvesData(payload())) as unknown as { layer: Layer[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["line", "point"]);
    expect(spec.layer[0]!.encoding["color"].field).toBe("trialValue");
  });

  it("renders to an SVG with rung rules, stop markers and both legends, and without them for a plain study", async () => {
    const d = curvesData(hyperbandPayload({ trials: 40, median: [9], failed: [4] }));
    const svg = await renderSvg(curvesSpec(d));
    const group = (cls: string) => svg.match(new RegExp(`<g class="${cls}"[^>]*>([\\s\\S]*?)</g>`))?.[1] ?? "";
    expect(group("mark-rule role-mark layer_0_marks").match(/<line /g)).toHaveLength(4); // rungs 1, 3, 9, 27
    expect(group("mark-text role-mark layer_1_marks")).toContain(">27</text>"); // rung labels
    const stops = curveStops(d);
    expect(stops.length).toBeGreaterThan(10);
    expect(group("mark-symbol role-mark layer_3_marks").match(/<path /g)).toHaveLength(stops.length); // a marker per stopped or failed trial
    expect(svg).toContain("role-legend");
    for (const label of ["bracket", "curve end", "at a rung", "median rule", "failed"]) expect(svg).toContain(`>${label}</text>`);
    expect(svg).toContain("step (log scale)");

    const plain = await renderSvg(curvesSpec(curvesData(payload())));
    expect(plain).not.toContain("mark-rule role-mark");
    expect(plain).not.toContain(">bracket</text>");
    expect(plain).not.toContain(">at a rung</text>");
  });

  it("stays a plain picture: no script, no foreign content, no external reference, and rasterises", async () => {
    const svg = await renderSvg(curvesSpec(curvesData(hyperbandPayload({ trials: 20, median: [3] }))));
    expect(svg).not.toMatch(/<script|<foreignObject|href=|url\(http|on[a-z]+=/i);
    expect(svgToPng(svg)!.subarray(1, 4).toString("latin1")).toBe("PNG"); // drawn into the saved notebook's picture
  });
});
