/**
 * Parallel coordinates: one vertical axis per parameter and one for the objective, one line per
 * trial with a value, coloured by it. Axes, ticks and each line's positions come from the shared
 * `parallelData` (log axes for log parameters, slots for choices), so the chart has a single
 * [0, 1] y scale and draws the tick labels itself from data. Every string shown (parameter
 * names, choices) is a data value of a text mark; field names and expressions are fixed here.
 *
 * Brushing: drag a rectangle over part of one or more axes; trials whose values lie inside on
 * every covered axis stay coloured, the rest turn grey, and the table, curves and history show
 * only them. Double-click clears.
 */
import type { AxisTick, ParallelAxis } from "../../../src/views";
import { brushFrom } from "../brush";
import type { StudyModel } from "../study-model";
import { VegaChart, type ChartContext } from "./vega-chart";

/**
 * One segment of a trial's polyline, between two neighbouring axes where it has values. Lines
 * are drawn as segments (rule marks) rather than line marks grouped by trial: a line mark per
 * trial makes vega build one sub-dataflow per trial, several times slower at 1,000 trials.
 */
interface SegmentRow {
  readonly t: number;
  readonly d: number;
  readonly y: number;
  readonly d2: number;
  readonly y2: number;
  readonly c: number;
  readonly a: 0 | 1;
}

const Y_DOMAIN = [-0.04, 1.1];
/** At most this many labels on an axis of choices. */
const MAX_CHOICE_LABELS = 24;

export class ParallelChart extends VegaChart {
  private cache: { model: StudyModel; static: Record<string, readonly object[]>; lines?: { key: number; rows: SegmentRow[] } } | null = null;
  private brushTimer: ReturnType<typeof setTimeout> | undefined;

  protected shapeKey({ model, theme }: ChartContext): string {
    return [model.parallel.axes.length, model.direction, theme.dark, theme.text, theme.states.complete].join("|");
  }

  protected spec({ model, theme }: ChartContext): Record<string, unknown> {
    const n = model.parallel.axes.length;
    const x = { field: "d", type: "quantitative", axis: null, scale: { domain: [-0.12, n - 1 + 0.7], nice: false, zero: false } };
    const y = { field: "y", type: "quantitative", axis: null, scale: { domain: Y_DOMAIN, nice: false, zero: false } };
    const x2 = { field: "d2" };
    const y2 = { field: "y2" };
    const lines = model.parallel.lines.length;
    const opacity = lines > 2000 ? 0.35 : lines > 300 ? 0.55 : 0.8;
    // Better values get the stronger end of the scheme: dark on light themes, bright on dark;
    // the faintest end (yellow on white, purple on black) is left out.
    const reverse = (model.direction === "maximize") !== theme.dark;
    const extent = theme.dark ? [0.3, 1] : [0, 0.9];
    return {
      width: "container",
      height: 300,
      autosize: { type: "fit-x", contains: "padding" },
      padding: { left: 4, right: 4, top: 6, bottom: 4 },
      params: [{ name: "sel", value: -1 }],
      layer: [
        {
          data: { name: "axes" },
          params: [
            {
              name: "brush",
              select: { type: "interval", encodings: ["x", "y"], zoom: false, clear: "dblclick" },
            },
          ],
          mark: { type: "rule", color: theme.border, strokeWidth: 1 },
          encoding: { x, y, y2: { field: "y1" } },
        },
        {
          data: { name: "lines" },
          transform: [{ filter: "datum.a === 0" }],
          mark: { type: "rule", color: theme.faint, strokeWidth: 1, opacity: 0.18 },
          encoding: { x, y, x2, y2 },
        },
        {
          data: { name: "lines" },
          transform: [{ filter: "datum.a === 1" }],
          mark: { type: "rule", strokeWidth: 1.2, opacity, strokeCap: "round" },
          encoding: {
            x,
            y,
            x2,
            y2,
            // c is the objective's place on its axis (0 = lowest value seen), so colours keep
            // their meaning while brushing hides lines.
            color: { field: "c", type: "quantitative", scale: { scheme: { name: "viridis", extent }, domain: [0, 1], reverse }, legend: null },
          },
        },
        {
          data: { name: "lines" },
          transform: [{ filter: "datum.t === sel" }],
          mark: { type: "rule", color: theme.highlight, strokeWidth: 3.5, opacity: 1, strokeCap: "round" },
          encoding: { x, y, x2, y2 },
        },
        {
          data: { name: "ticks" },
          mark: { type: "text", align: "left", baseline: "middle", dx: 5, fontSize: 10, color: theme.muted },
          encoding: { x, y, text: { field: "label" } },
        },
        {
          data: { name: "titles" },
          mark: { type: "text", align: "center", baseline: "bottom", dy: -2, fontSize: 11, fontWeight: "bold", color: theme.text },
          encoding: { x, y, text: { field: "label" } },
        },
      ],
    };
  }

  protected data({ model, state }: ChartContext): Record<string, readonly object[]> {
    if (this.cache?.model !== model) {
      const axes = model.parallel.axes;
      this.cache = {
        model,
        static: {
          axes: axes.map((_, d) => ({ d, y: 0, y1: 1 })),
          ticks: axes.flatMap((a, d) => readableTicks(a).map((t) => ({ d, y: t.norm, label: shorten(t.label) }))),
          titles: axes.map((a, d) => ({ d, y: 1.06, label: shorten(a.objective ? `${a.name} (${model.direction === "minimize" ? "min" : "max"})` : a.name, 24) })),
        },
      };
    }
    const visible = state.visible(model);
    const key = state.filterVersion;
    if (this.cache.lines?.key !== key) {
      this.cache.lines = { key, rows: lineRows(model, visible) };
      // What is drawn, for tests and tools (a canvas can't be inspected): lines, and those not greyed out.
      this.node.dataset.lines = String(model.parallel.lines.length);
      this.node.dataset.activeLines = String(model.parallel.lines.filter((l) => visible.has(l.number)).length);
    }
    return { ...this.cache.static, lines: this.cache.lines.rows };
  }

  protected override attach(view: NonNullable<VegaChart["view"]>, ctx: ChartContext): void {
    // A fresh chart (new theme, new axes) has no brush rectangle: drop the brush filter too, so
    // the other views never stay filtered by a band nobody can see.
    // A brush change still waiting from the previous chart must not come back after that.
    clearTimeout(this.brushTimer);
    if (ctx.state.brush !== null) queueMicrotask(() => this.events.brush(null));
    const axes = ctx.model.parallel.axes.length;
    view.addSignalListener("brush", (_name, value) => {
      clearTimeout(this.brushTimer);
      // Applied once the pointer rests, not on every pointer move of a drag.
      this.brushTimer = setTimeout(() => {
        if (this.view === view) this.events.brush(brushFrom(value, axes));
      }, 120);
    });
  }

  override dispose(): void {
    clearTimeout(this.brushTimer);
    super.dispose();
  }
}

/**
 * The segments of every trial's line; worst trials first, so the best lines are drawn on top.
 */
function lineRows(model: StudyModel, visible: ReadonlySet<number>): SegmentRow[] {
  const sign = model.direction === "minimize" ? -1 : 1;
  const lines = [...model.parallel.lines].sort((p, q) => sign * (p.value - q.value) || p.number - q.number);
  const objective = model.parallel.axes.length - 1;
  const rows: SegmentRow[] = [];
  for (const line of lines) {
    const a = visible.has(line.number) ? 1 : 0;
    const c = line.norms[objective] ?? 0.5;
    let prev = -1;
    line.norms.forEach((y, d) => {
      if (y === null) return; // an inactive parameter: the line goes on to the next axis
      if (prev >= 0) rows.push({ t: line.number, d: prev, y: line.norms[prev]!, d2: d, y2: y, c, a });
      prev = d;
    });
  }
  return rows;
}

/** Closer than this (in axis heights), two tick labels would overlap. */
const MIN_TICK_GAP = 0.055;

/**
 * The ticks worth labelling: every choice up to MAX_CHOICE_LABELS (then evenly thinned); on
 * numeric axes both ends, and inner ticks that don't crowd a label already kept (a log axis
 * 8..128 has ticks at 8, 10, 100 and 128).
 */
function readableTicks(a: ParallelAxis): readonly AxisTick[] {
  if (a.kind === "categorical") {
    const every = Math.ceil(a.ticks.length / MAX_CHOICE_LABELS);
    return a.ticks.filter((_, i) => i % every === 0 || i === a.ticks.length - 1);
  }
  if (a.ticks.length <= 2) return a.ticks;
  const kept = [a.ticks[0]!, a.ticks[a.ticks.length - 1]!];
  for (const t of a.ticks.slice(1, -1)) {
    if (kept.every((k) => Math.abs(k.norm - t.norm) >= MIN_TICK_GAP)) kept.push(t);
  }
  return kept;
}

/** Shortens a label to `max` characters with an ellipsis. */
function shorten(text: string, max = 18): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
