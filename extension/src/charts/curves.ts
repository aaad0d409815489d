/**
 * Learning curves: each shown trial's intermediate objective values by step. Complete trials are
 * solid, pruned ones dashed and ending in a cross, failed ones dotted and ending in a cross, in
 * the theme's state colours. Hover names the trial and its parameters (drawn by the widget).
 *
 * A Hyperband/ASHA study (trials with brackets) is drawn by bracket instead: curves in bracket
 * colours (a legend of toggle buttons above the chart filters them), a dashed rule at every rung
 * resource, and a marker where each trial stopped (an x at a rung, a triangle for the median
 * rule, a diamond when it failed); hover says where and why it stopped.
 */
import { bracketLabel, endKind, logSteps, type CurvesData } from "../../../src/views/curves";
import { setText } from "../dom";
import type { StudyModel } from "../study-model";
import { BracketLegend, bracketScale, END_SHAPES } from "./curves-brackets";
import { stateScale, type ChartTheme } from "./theme";
import { VegaChart, type ChartContext, type ChartEvents } from "./vega-chart";

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
  /** The bracket's label, in a study with brackets. */
  readonly b?: string;
}

/** Where a trial of a study with brackets stopped or failed: its last point and the kind of end. */
interface StopRow extends PointRow {
  readonly b: string;
  readonly k: string;
}

/** The datasets: curve segments, crosses (plain) or stop markers (brackets), rung resources. */
type CurveData = { curves: SegmentRow[]; ends: PointRow[]; stops: StopRow[]; rungs: { x: number }[] };

/** Above this many points in all, each curve is thinned evenly (its last point always kept). */
export const MAX_CURVE_POINTS = 12_000;

export class CurvesChart extends VegaChart {
  private cache: { model: StudyModel; key: string; data: Record<string, readonly object[]> } | null = null;
  private last: ChartContext | null = null;
  /** Above the chart in a study with brackets: the bracket toggles and the marker key. */
  readonly legend = new BracketLegend(() => this.bracketsToggled());

  constructor(name: string, events: ChartEvents) {
    super(name, events);
    this.node.dataset.rungs = "";
    this.node.dataset.stops = "0";
  }

  protected shapeKey({ model, theme }: ChartContext): string {
    const d = model.curves;
    return [logY(model), integerSteps(model), theme.dark, theme.text, theme.states.complete, d.brackets.join(","), hasNone(d), logSteps(d)].join("|");
  }

  protected spec(ctx: ChartContext): Record<string, unknown> {
    return ctx.model.curves.brackets.length > 0 ? this.bracketSpec(ctx) : this.plainSpec(ctx);
  }

  private axes({ model }: ChartContext, logX: boolean) {
    const x = {
      field: "x",
      type: "quantitative",
      title: logX ? "step (log scale)" : "step",
      scale: logX ? { type: "log", nice: false } : { zero: false, nice: false },
      axis: integerSteps(model) ? { tickMinStep: 1, format: "d" } : {},
    };
    const y = { field: "y", type: "quantitative", title: null, scale: { zero: false, type: logY(model) ? "log" : "linear" } };
    return { x, y };
  }

  /** The trial under the selection, drawn over everything in the strongest text colour. */
  private selectedLayer(x: object, y: object, theme: ChartTheme): object {
    return {
      data: { name: "curves" },
      transform: [{ filter: "datum.t === sel" }],
      mark: { type: "rule", color: theme.highlight, strokeWidth: 3, opacity: 1, strokeCap: "round" },
      encoding: { x, y, x2: { field: "x2" }, y2: { field: "y2" } },
    };
  }

  private plainSpec(ctx: ChartContext): Record<string, unknown> {
    const { theme } = ctx;
    const states = stateScale(theme);
    const { x, y } = this.axes(ctx, false);
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
        this.selectedLayer(x, y, theme),
      ],
    };
  }

  /**
   * By bracket: rung rules (dashed, labelled at the top) under solid curves in bracket colours
   * (no dashes: most curves of such a study are stopped early, and dashes are slow to raster),
   * stop markers on top. The legend is the HTML row above the chart.
   */
  private bracketSpec(ctx: ChartContext): Record<string, unknown> {
    const { model, theme } = ctx;
    const d = model.curves;
    const { x, y } = this.axes(ctx, logSteps(d));
    const color = { field: "b", type: "nominal", scale: bracketScale(d, theme), legend: null };
    const shapes = Object.entries(END_SHAPES);
    const rungX = { field: "x", type: "quantitative" };
    return {
      width: "container",
      height: 240,
      autosize: { type: "fit-x", contains: "padding" },
      params: [{ name: "sel", value: -1 }],
      layer: [
        {
          data: { name: "rungs" },
          mark: { type: "rule", color: theme.muted, strokeDash: [4, 3], strokeWidth: 1, opacity: 0.7 },
          encoding: { x: rungX },
        },
        {
          data: { name: "rungs" },
          mark: { type: "text", color: theme.muted, fontSize: 9, align: "left", baseline: "top", dx: 3, dy: 2 },
          encoding: { x: rungX, y: { value: 0 }, text: { field: "x", type: "quantitative", format: "~g" } },
        },
        {
          data: { name: "curves" },
          mark: { type: "rule", strokeWidth: 1.3, opacity: 0.8, strokeCap: "round" },
          encoding: { x, y, x2: { field: "x2" }, y2: { field: "y2" }, color },
        },
        this.selectedLayer(x, y, theme),
        {
          // Where trials stopped at a rung: an x (the cross turned 45 degrees), filled.
          data: { name: "stops" },
          transform: [{ filter: "datum.k === 'at a rung'" }],
          mark: { type: "point", shape: "cross", angle: 45, filled: true, size: 60, opacity: 1, stroke: theme.highlight, strokeWidth: 0.4 },
          encoding: { x, y, color },
        },
        {
          // Stopped by the median rule (triangle), pruned otherwise (square), failed (diamond): outlined.
          data: { name: "stops" },
          transform: [{ filter: "datum.k !== 'at a rung'" }],
          mark: { type: "point", filled: false, size: 60, strokeWidth: 1.8, opacity: 1 },
          encoding: {
            x,
            y,
            color,
            shape: { field: "k", type: "nominal", scale: { domain: shapes.map(([k]) => k), range: shapes.map(([, v]) => v) }, legend: null },
          },
        },
      ],
    };
  }

  protected data(ctx: ChartContext): Record<string, readonly object[]> {
    const { model, state, theme } = ctx;
    this.last = ctx;
    this.legend.update(model.curves, theme);
    // The legend sits above the chart, in the chart's panel, whose caption says how to read it.
    if (!this.legend.node.isConnected && this.node.parentElement) this.node.before(this.legend.node);
    this.caption(model.curves.brackets.length > 0);
    const visible = state.visible(model);
    const key = `${state.filterVersion}|${[...this.legend.hidden].join(",")}`;
    if (this.cache?.model === model && this.cache.key === key) return this.cache.data;
    const rows = curveRows(model.curves, visible, this.legend.hidden);
    // Only the datasets the spec of this study names (vega refuses others).
    const data: Record<string, readonly object[]> = model.curves.brackets.length > 0 ? { curves: rows.curves, stops: rows.stops, rungs: rows.rungs } : { curves: rows.curves, ends: rows.ends };
    this.cache = { model, key, data };
    this.node.dataset.curves = String(model.curves.trials.filter((c) => visible.has(c.number) && !this.legend.hidden.has(bracketLabel(c.bracket))).length);
    this.node.dataset.rungs = rows.rungs.map((r) => r.x).join(",");
    this.node.dataset.stops = String(rows.stops.length);
    return data;
  }

  private plainCaption: string | null = null;

  /** The panel's caption (made by the widget for plain curves) describes the bracket view when shown. */
  private caption(byBracket: boolean): void {
    const cap = this.node.parentElement?.querySelector(":scope > .tl-caption");
    if (!cap) return;
    this.plainCaption ??= cap.textContent;
    setText(cap, byBracket ? "Learning curves by bracket · dashed: rungs · click a bracket to hide it" : (this.plainCaption ?? ""));
  }

  private bracketsToggled(): void {
    if (!this.last) return;
    const ctx = this.last;
    void this.render(ctx).catch((err: unknown) => this.showFailure(err));
  }
}

function hasNone(d: CurvesData): boolean {
  return d.brackets.length > 0 && d.trials.some((t) => t.bracket === null);
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

function curveRows(d: CurvesData, visible: ReadonlySet<number>, hiddenBrackets: ReadonlySet<string>): CurveData {
  const byBracket = d.brackets.length > 0;
  const shown = d.trials.filter((c) => visible.has(c.number) && !(byBracket && hiddenBrackets.has(bracketLabel(c.bracket))));
  const total = shown.reduce((n, c) => n + c.points.length, 0);
  const keepEvery = Math.max(1, Math.ceil(total / MAX_CURVE_POINTS));
  const curves: SegmentRow[] = [];
  const ends: PointRow[] = [];
  const stops: StopRow[] = [];
  for (const c of shown) {
    const b = byBracket ? bracketLabel(c.bracket) : undefined;
    const seg = (x: number, y: number, x2: number, y2: number): SegmentRow => (b === undefined ? { t: c.number, x, y, x2, y2, s: c.state } : { t: c.number, x, y, x2, y2, s: c.state, b });
    const last = c.points.length - 1;
    let prev: readonly [number, number] | null = null;
    for (let i = 0; i <= last; i++) {
      if (i % keepEvery !== 0 && i !== last) continue;
      const p = c.points[i]!;
      if (prev) curves.push(seg(prev[0], prev[1], p[0], p[1]));
      prev = p;
    }
    if (last === 0) curves.push(seg(c.points[0]![0], c.points[0]![1], c.points[0]![0], c.points[0]![1]));
    const [x, y] = c.points[last]!;
    if (b !== undefined) {
      const k = endKind(c);
      if (k !== null) stops.push({ t: c.number, x, y, s: c.state, b, k });
    } else if (c.state === "pruned" || c.state === "failed") {
      ends.push({ t: c.number, x, y, s: c.state });
    }
  }
  // Rung lines for the brackets shown (all of them when none is hidden).
  const rungs = new Set<number>();
  if (byBracket) for (const c of d.trials) if (!hiddenBrackets.has(bracketLabel(c.bracket))) for (const r of c.rungs) rungs.add(r);
  return { curves, ends, stops, rungs: [...rungs].sort((a, b) => a - b).map((x) => ({ x })) };
}
