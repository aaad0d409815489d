/**
 * Learning curves: each shown trial's intermediate objective values by step. Complete trials are
 * solid, pruned ones dashed and ending in a cross, failed ones dotted and ending in a cross, in
 * the theme's state colours. Hover names the trial and its parameters (drawn by the widget).
 */
import type { StudyModel } from "../study-model";
import { stateScale } from "./theme";
import { VegaChart, type ChartContext } from "./vega-chart";

interface PointRow {
  readonly t: number;
  readonly x: number;
  readonly y: number;
  readonly s: string;
}

/**
 * One segment of a curve, from a step to the next. Curves are drawn as segments (rule marks):
 * a line mark per trial makes vega build one sub-dataflow per trial, several times slower.
 */
interface SegmentRow extends PointRow {
  readonly x2: number;
  readonly y2: number;
}

/** Above this many points in all, each curve is thinned evenly (its last point always kept). */
export const MAX_CURVE_POINTS = 12_000;

export class CurvesChart extends VegaChart {
  private cache: { model: StudyModel; key: string; data: Record<string, readonly object[]> } | null = null;

  protected shapeKey({ model, theme }: ChartContext): string {
    return [logY(model), integerSteps(model), theme.dark, theme.text, theme.states.complete].join("|");
  }

  protected spec({ model, theme }: ChartContext): Record<string, unknown> {
    const states = stateScale(theme);
    const x = {
      field: "x",
      type: "quantitative",
      title: "step",
      scale: { zero: false, nice: false },
      axis: integerSteps(model) ? { tickMinStep: 1, format: "d" } : {},
    };
    const y = { field: "y", type: "quantitative", title: null, scale: { zero: false, type: logY(model) ? "log" : "linear" } };
    return {
      width: "container",
      height: 220,
      autosize: { type: "fit-x", contains: "padding" },
      params: [{ name: "sel", value: -1 }],
      layer: [
        {
          // Complete and running trials: solid. (A dash pattern, even a solid one, makes the
          // canvas stroke every segment through the dasher: seconds of raster at 5,000 trials.)
          data: { name: "curves" },
          transform: [{ filter: "datum.s === 'complete' || datum.s === 'running'" }],
          mark: { type: "rule", strokeWidth: 1.3, opacity: 0.75, strokeCap: "round" },
          encoding: {
            x,
            y,
            x2: { field: "x2" },
            y2: { field: "y2" },
            color: {
              field: "s",
              type: "nominal",
              scale: states,
              legend: { orient: "top", title: null, direction: "horizontal", symbolType: "stroke", symbolStrokeWidth: 2 },
            },
          },
        },
        {
          // Pruned (dashed) and failed (dotted) trials: fewer, and shorter.
          data: { name: "curves" },
          transform: [{ filter: "datum.s === 'pruned' || datum.s === 'failed'" }],
          mark: { type: "rule", strokeWidth: 1.3, opacity: 0.85 },
          encoding: {
            x,
            y,
            x2: { field: "x2" },
            y2: { field: "y2" },
            color: { field: "s", type: "nominal", scale: states, legend: null },
            strokeDash: { field: "s", type: "nominal", scale: { domain: ["pruned", "failed"], range: [[6, 3], [2, 2]] }, legend: null },
          },
        },
        {
          data: { name: "ends" },
          mark: { type: "point", shape: "cross", size: 50, filled: true, opacity: 0.9 },
          encoding: { x, y, color: { field: "s", type: "nominal", scale: states, legend: null } },
        },
        {
          data: { name: "curves" },
          transform: [{ filter: "datum.t === sel" }],
          mark: { type: "rule", color: theme.highlight, strokeWidth: 3, opacity: 1, strokeCap: "round" },
          encoding: { x, y, x2: { field: "x2" }, y2: { field: "y2" } },
        },
      ],
    };
  }

  protected data({ model, state }: ChartContext): Record<string, readonly object[]> {
    const visible = state.visible(model);
    const key = String(state.filterVersion);
    if (this.cache?.model === model && this.cache.key === key) return this.cache.data;
    const data = curveRows(model, visible);
    this.cache = { model, key, data };
    this.node.dataset.curves = String(model.curves.trials.filter((c) => visible.has(c.number)).length);
    return data;
  }
}

/** Whether every step is a whole number (then the axis shows no 1.5). */
function integerSteps(model: StudyModel): boolean {
  return model.curves.trials.every((c) => c.points.every(([x]) => Number.isInteger(x)));
}

/** Log y when every intermediate value is positive and they span more than three decades. */
function logY(model: StudyModel): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const c of model.curves.trials) {
    for (const [, v] of c.points) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo > 0 && hi / lo > 1e3;
}

function curveRows(model: StudyModel, visible: ReadonlySet<number>): { curves: SegmentRow[]; ends: PointRow[] } {
  const shown = model.curves.trials.filter((c) => visible.has(c.number));
  const total = shown.reduce((n, c) => n + c.points.length, 0);
  const keepEvery = Math.max(1, Math.ceil(total / MAX_CURVE_POINTS));
  const curves: SegmentRow[] = [];
  const ends: PointRow[] = [];
  for (const c of shown) {
    const last = c.points.length - 1;
    let prev: readonly [number, number] | null = null;
    for (let i = 0; i <= last; i++) {
      if (i % keepEvery !== 0 && i !== last) continue;
      const p = c.points[i]!;
      if (prev) curves.push({ t: c.number, x: prev[0], y: prev[1], x2: p[0], y2: p[1], s: c.state });
      prev = p;
    }
    if (last === 0) curves.push({ t: c.number, x: c.points[0]![0], y: c.points[0]![1], x2: c.points[0]![0], y2: c.points[0]![1], s: c.state });
    if (c.state === "pruned" || c.state === "failed") {
      const [x, y] = c.points[last]!;
      ends.push({ t: c.number, x, y, s: c.state });
    }
  }
  return { curves, ends };
}
