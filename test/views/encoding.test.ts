// One encoding for every chart (DESIGN.md §5): the objective's colour scale is defined once in
// src/views/encoding.ts; vega (the saved SVG, the extension's legends) and the extension's own
// painting compute the same colours from it, its colours read on white and on JupyterLab's dark
// background, and the saved SVG's parallel coordinates use it with pruned lines dashed and
// failed ones grey and dotted.
import { describe, expect, it } from "vitest";
import { renderSvg } from "../../src/notebook/vega";
import { BEST_COLOR, NO_VALUE_COLOR, goodness, objectiveColor, objectiveColorChannel, OBJECTIVE_COLORS, STATE_DASHES } from "../../src/views/encoding";
import { curvesData, curvesSpec } from "../../src/views/curves";
import { historyData, historySpec } from "../../src/views/history";
import { parallelData, parallelSpec } from "../../src/views/parallel";
import { payload, trial } from "./fixtures";

type Rgb = [number, number, number];
const parse = (c: string): Rgb => {
  const m = /^rgb\((\d+), ?(\d+), ?(\d+)\)$/.exec(c);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const v = parseInt(c.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
};
const close = (a: string, b: string) => parse(a).every((x, i) => Math.abs(x - parse(b)[i]!) <= 1);
function contrast(a: Rgb, b: Rgb): number {
  const lum = (c: Rgb) => c.map((x) => (x / 255 <= 0.04045 ? x / 255 / 12.92 : ((x / 255 + 0.055) / 1.055) ** 2.4)).reduce((s, x, i) => s + x * [0.2126, 0.7152, 0.0722][i]!, 0);
  const [l1, l2] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (l1! + 0.05) / (l2! + 0.05);
}

describe("the objective's colour scale", () => {
  it("runs from the worst stop to the best, and reads on a white page and on JupyterLab's dark theme", () => {
    expect(close(objectiveColor(0), OBJECTIVE_COLORS[0])).toBe(true);
    expect(close(objectiveColor(1), OBJECTIVE_COLORS[OBJECTIVE_COLORS.length - 1])).toBe(true);
    for (let i = 0; i <= 40; i++) {
      const c = parse(objectiveColor(i / 40));
      expect(contrast(c, [255, 255, 255])).toBeGreaterThanOrEqual(3);
      expect(contrast(c, [17, 17, 17])).toBeGreaterThanOrEqual(3);
    }
    expect(goodness("minimize", 0)).toBe(1);
    expect(goodness("maximize", 0)).toBe(0);
  });

  it("is the colour vega computes from the same channel (legends and the SVG), in both directions", async () => {
    const vega = (await import("vega" as string)) as { parse(s: unknown): unknown; View: new (r: unknown, o: object) => { runAsync(): Promise<unknown>; scale(n: string): (v: number) => string } };
    const vl = (await import("vega-lite" as string)) as { compile(s: unknown): { spec: unknown } };
    for (const direction of ["minimize", "maximize"] as const) {
      const spec = { data: { values: [{ v: 2 }, { v: 10 }] }, mark: "point", encoding: { color: objectiveColorChannel(direction, "v") } };
      const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
      await view.runAsync();
      const scale = view.scale("color");
      for (let v = 2; v <= 10; v += 0.25) expect([v, scale(v)]).toSatisfy(([, c]: [number, string]) => close(c, objectiveColor(goodness(direction, (v - 2) / 8))));
    }
  });
});

describe("the saved SVG's parallel coordinates", () => {
  const p = payload([
    trial(0, { params: { lr: 0.01, layers: 2, opt: "adam" }, value: 0.5, finishedAt: 10 }),
    trial(1, { params: { lr: 0.1, layers: 3, opt: "sgd" }, value: 0.2, finishedAt: 20 }),
    trial(2, { params: { lr: 0.001, layers: 4, opt: "adam" }, value: 0.9, finishedAt: 30 }),
    trial(3, { state: "pruned", params: { lr: 0.3, layers: 1, opt: "rmsprop" }, value: 0.7, finishedAt: 40 }),
    trial(4, { state: "failed", params: { lr: 0.05, layers: 5, opt: "sgd" }, error: "nan", finishedAt: 50 }),
  ]);

  it("colours lines on the shared scale, dashes pruned ones, draws failed ones grey and dotted, with the scale as its legend", async () => {
    const svg = await renderSvg(parallelSpec(parallelData(p)));
    const paths = [...svg.matchAll(/<path[^>]*stroke="([^"]+)"[^>]*>/g)].map((m) => ({ tag: m[0], stroke: m[1]! }));
    // Lines, not the legend's symbols (drawn 1.6 wide).
    const dashed = (d: readonly number[]) => paths.filter((x) => x.tag.includes(`stroke-dasharray="${d.join(",")}"`) && !x.tag.includes('stroke-width="1.6"'));
    expect(dashed(STATE_DASHES.failed).map((x) => x.stroke)).toEqual([NO_VALUE_COLOR]);
    const pruned = dashed(STATE_DASHES.pruned);
    expect(pruned).toHaveLength(1);
    // Complete and pruned lines: the colour of their place on the objective's axis (0.2 .. 0.9, lower is better).
    const want = (v: number) => objectiveColor(goodness("minimize", (v - 0.2) / 0.7));
    expect(close(pruned[0]!.stroke, want(0.7))).toBe(true);
    const solid = dashed([1, 0]);
    expect(solid).toHaveLength(3);
    for (const v of [0.5, 0.2, 0.9]) expect(solid.some((x) => close(x.stroke, want(v)))).toBe(true);
    // The legend: a gradient from the best colour (at 0.2) to the worst (at 0.9).
    const stops = [...svg.matchAll(/<stop offset="([^"]+)" stop-color="([^"]+)"/g)].map((m) => m[2]!);
    expect(close(stops[0]!, objectiveColor(1))).toBe(true);
    expect(close(stops[stops.length - 1]!, objectiveColor(0))).toBe(true);
    expect(svg).toContain("lower is better");
    expect(svg).toContain("pruned (dashed)");
    expect(svg).toContain("failed (no value)");
    expect(svg).toContain(">failed<"); // the objective axis' failed band
  });

  it("the curves and the history use the same scale: curves coloured by their trial's value with the same legend, the best-so-far line in the best colour", async () => {
    const withCurves = payload(
      [0.5, 0.2, 0.9].map((v, i) => trial(i, { params: { lr: 0.01, layers: 2, opt: "adam" }, value: v, intermediate: [[1, v + 0.5], [2, v]], finishedAt: 10 * i + 5 })),
    );
    const curves = await renderSvg(curvesSpec(curvesData(withCurves)));
    const strokes = [...curves.matchAll(/<path[^>]*stroke="(rgb\([^"]+\))"[^>]*stroke-dasharray="1,0"/g)].map((m) => m[1]!);
    for (const v of [0.5, 0.2, 0.9]) expect(strokes.some((c) => close(c, objectiveColor(goodness("minimize", (v - 0.2) / 0.7))))).toBe(true);
    const stops = [...curves.matchAll(/<stop offset="[^"]+" stop-color="([^"]+)"/g)].map((m) => m[1]!);
    expect(close(stops[0]!, objectiveColor(1))).toBe(true);
    expect(close(stops[stops.length - 1]!, objectiveColor(0))).toBe(true);
    const history = await renderSvg(historySpec(historyData(withCurves)));
    expect(history).toContain(`stroke="${BEST_COLOR}"`);
  });
});
