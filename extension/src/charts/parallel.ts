/**
 * Parallel coordinates: one vertical axis per parameter and one for the objective, one line per
 * trial with a value, coloured by it. Axes, ticks and each line's positions come from the shared
 * `parallelData` (log axes for log parameters, slots for choices), so the chart has a single
 * [0, 1] y scale and draws the tick labels itself from data. Every string shown (parameter
 * names, choices) is a data value of a text mark; field names and expressions are fixed here.
 *
 * Brushing: drag a rectangle over part of one or more axes; trials whose values lie inside on
 * every covered axis stay coloured, the rest turn grey, and the table, curves and history show
 * only them. Double-click clears (and selects no line: while a brush is drawn, a click on a line
 * selects it once the double-click time has passed, see vega-chart.ts).
 *
 * vega draws the axes, labels and brush; the lines are drawn on a canvas layer under it
 * (line-layer.ts): one datum per segment made vega hold the page 1-2 s at 10,000 trials and
 * 8-17 s at 50,000, the layer paints them in milliseconds, and repaints while a brush is dragged.
 * Hover and click find the line under the pointer themselves (`pick`; a click takes the line
 * picked when it was pressed, the one the tooltip names).
 */
import type { AxisTick, ParallelAxis } from "../../../src/views";
import { brushFrom, inBrush, type Brush } from "../brush";
import type { StudyModel } from "../study-model";
import { HAIRLINES_ABOVE } from "./line-layer";
import { LineLayerChart } from "./line-layer-chart";
import type { ChartTheme } from "./theme";
import { vegaScheme } from "./vega";
import type { ChartContext, ChartEvents, VegaChart } from "./vega-chart";

const Y_DOMAIN = [-0.04, 1.1];
/** At most this many labels on an axis of choices. */
const MAX_CHOICE_LABELS = 24;
/** Line colours: the viridis scheme sampled in this many steps (one batch of strokes per step). */
const COLOR_STEPS = 48;
/** Lines stroked together: overlaps inside one stroke don't add up, across strokes they do. */
const LINES_PER_STROKE = 24;
/** A pointer this close (px, vertically) to a line is on it. */
const PICK_PX = 3;

/** The trials' lines in drawing order (worst first, so the best are drawn on top), with their colour step. */
interface LineSet {
  readonly model: StudyModel;
  readonly lines: StudyModel["parallel"]["lines"];
  /** Per line (in `lines` order): its colour step, 0..COLOR_STEPS-1. */
  readonly step: Uint8Array;
}

export class ParallelChart extends LineLayerChart {
  private cache: { model: StudyModel; static: Record<string, readonly object[]> } | null = null;
  private brushTimer: ReturnType<typeof setTimeout> | undefined;
  private ordered: LineSet | null = null;
  /** The brush as the pointer draws it (undefined: none seen since the chart was built; use the state's). */
  private liveBrush: Brush | null | undefined = undefined;
  /** Which lines are coloured (not greyed out) at the last paint, in `ordered.lines` order. */
  private active: Uint8Array = new Uint8Array(0);
  private palette: { key: string; colors: string[] } | null = null;

  protected shapeKey({ model, theme }: ChartContext): string {
    return [model.parallel.axes.length, model.direction, theme.dark, theme.text, theme.states.complete].join("|");
  }

  /** Axes, tick labels, titles and the brush; the lines are drawn by the line layer under it. */
  protected spec({ model, theme }: ChartContext): Record<string, unknown> {
    const n = model.parallel.axes.length;
    const x = { field: "d", type: "quantitative", axis: null, scale: { domain: [-0.12, n - 1 + 0.7], nice: false, zero: false } };
    const y = { field: "y", type: "quantitative", axis: null, scale: { domain: Y_DOMAIN, nice: false, zero: false } };
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
    // What is drawn, for tests and tools (a canvas can't be inspected): lines, and those not greyed out.
    const visible = state.visible(model);
    this.node.dataset.lines = String(model.parallel.lines.length);
    this.node.dataset.activeLines = String(model.parallel.lines.filter((l) => visible.has(l.number)).length);
    return this.cache.static;
  }

  constructor(name: string, events: ChartEvents) {
    super(name, events, "tl-lines-parallel");
  }

  protected override attach(view: NonNullable<VegaChart["view"]>, ctx: ChartContext): void {
    super.attach(view, ctx);
    // A fresh chart (new theme, new axes) has no brush rectangle: drop the brush filter too, so
    // the other views never stay filtered by a band nobody can see.
    // A brush change still waiting from the previous chart must not come back after that.
    clearTimeout(this.brushTimer);
    this.liveBrush = undefined;
    if (ctx.state.brush !== null) queueMicrotask(() => this.events.brush(null));
    const axes = ctx.model.parallel.axes.length;
    view.addSignalListener("brush", (_name, value) => {
      clearTimeout(this.brushTimer);
      // The lines grey out as the pointer drags (a repaint of the layer, next frame)...
      this.liveBrush = brushFrom(value, axes);
      this.repaint.request();
      // ...and the other views follow once the pointer rests, not on every pointer move.
      this.brushTimer = setTimeout(() => {
        if (this.view === view) this.events.brush(brushFrom(value, axes));
      }, 120);
    });
  }

  /** Draws every line on the layer: greyed out ones, coloured ones by colour step, the selected one on top. */
  protected paint(ctx: ChartContext): void {
    const view = this.view;
    if (!view) return;
    const t0 = performance.now();
    const { model, state, theme } = ctx;
    const set = this.linesOf(model);
    const plot = this.layer.begin(this.node, view);
    if (!plot) return;
    const { lines, step } = set;
    const brush = this.liveBrush === undefined ? state.brush : this.liveBrush;
    const shown = state.states;
    const active = this.active.length === lines.length ? this.active : (this.active = new Uint8Array(lines.length));
    let activeCount = 0;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      const on = shown.has(l.state) && (brush === null || inBrush(brush, l.norms));
      active[i] = on ? 1 : 0;
      if (on) activeCount++;
    }
    const axes = model.parallel.axes.length;
    const xs = Array.from({ length: axes }, (_, d) => plot.x(d));
    const { ctx: g } = plot;
    const y = plot.y;
    const trace = (norms: readonly (number | null)[]) => {
      let started = false;
      for (let d = 0; d < norms.length; d++) {
        const v = norms[d];
        if (v === null || v === undefined) continue; // an inactive parameter: the line goes on to the next axis
        if (started) g.lineTo(xs[d]!, y(v));
        else g.moveTo(xs[d]!, y(v));
        started = true;
      }
    };
    g.lineCap = "round";
    g.lineJoin = "round";
    // Greyed out (filtered) lines: one faint stroke under everything.
    if (activeCount < lines.length) {
      g.globalAlpha = 0.18;
      g.strokeStyle = theme.faint;
      g.lineWidth = plot.hairline;
      g.beginPath();
      for (let i = 0; i < lines.length; i++) if (active[i] === 0) trace(lines[i]!.norms);
      g.stroke();
    }
    // Coloured lines, worst first; a new stroke at each colour change or every few lines.
    const colors = this.colors(model, theme);
    g.globalAlpha = activeCount > 2000 ? 0.35 : activeCount > 300 ? 0.55 : 0.8;
    g.lineWidth = lines.length > HAIRLINES_ABOVE ? plot.hairline : 1.2;
    let current = -1;
    let inStroke = 0;
    for (let i = 0; i < lines.length; i++) {
      if (active[i] === 0) continue;
      if (step[i] !== current || inStroke >= LINES_PER_STROKE) {
        if (inStroke > 0) g.stroke();
        current = step[i]!;
        g.strokeStyle = colors[current]!;
        g.beginPath();
        inStroke = 0;
      }
      trace(lines[i]!.norms);
      inStroke++;
    }
    if (inStroke > 0) g.stroke();
    // The selected trial, over everything, in the strongest text colour.
    const sel = state.selected === null ? undefined : model.positions(state.selected);
    if (sel) {
      g.globalAlpha = 1;
      g.strokeStyle = theme.highlight;
      g.lineWidth = 3.5;
      g.beginPath();
      trace(sel);
      g.stroke();
    }
    g.globalAlpha = 1;
    // For tests and tools: what the layer shows, and what it cost.
    const n = this.layer.canvas;
    n.dataset.lines = String(lines.length);
    n.dataset.activeLines = String(activeCount);
    n.dataset.selected = sel ? String(state.selected) : "";
    n.dataset.paintMs = (performance.now() - t0).toFixed(1);
  }

  /** The lines sorted worst first (so the best are drawn on top) with their colour steps, once per model. */
  private linesOf(model: StudyModel): LineSet {
    if (this.ordered?.model === model) return this.ordered;
    const sign = model.direction === "minimize" ? -1 : 1;
    const lines = [...model.parallel.lines].sort((p, q) => sign * (p.value - q.value) || p.number - q.number);
    const objective = model.parallel.axes.length - 1;
    const step = new Uint8Array(lines.length);
    // c is the objective's place on its axis (0 = lowest value seen), so colours keep their
    // meaning while brushing hides lines.
    lines.forEach((l, i) => (step[i] = Math.min(COLOR_STEPS - 1, Math.max(0, Math.floor((l.norms[objective] ?? 0.5) * COLOR_STEPS)))));
    this.ordered = { model, lines, step };
    this.active = new Uint8Array(0);
    return this.ordered;
  }

  /**
   * The colour of each step: viridis, better values at the stronger end (dark on light themes,
   * bright on dark), the faintest end (yellow on white, purple on black) left out.
   */
  private colors(model: StudyModel, theme: ChartTheme): string[] {
    const key = `${model.direction}|${theme.dark}`;
    if (this.palette?.key === key) return this.palette.colors;
    const reverse = (model.direction === "maximize") !== theme.dark;
    const [lo, hi] = theme.dark ? [0.3, 1] : [0, 0.9];
    const viridis = vegaScheme("viridis");
    const colors = Array.from({ length: COLOR_STEPS }, (_, i) => {
      const c = (i + 0.5) / COLOR_STEPS;
      const t = reverse ? 1 - c : c;
      return viridis ? viridis(lo + t * (hi - lo)) : theme.states.complete;
    });
    this.palette = { key, colors };
    return colors;
  }

  /** A double-click clears the brush: while one is drawn, a click on a line waits to see it isn't one. */
  protected override doubleClickClears(): boolean {
    const brush = this.liveBrush === undefined ? (this.drawnCtx?.state.brush ?? null) : this.liveBrush;
    return brush !== null;
  }

  /** The line under the pointer: the selected one, else the topmost coloured one, else a grey one, within a few pixels. */
  protected override pick(clientX: number, clientY: number): number | null {
    const view = this.view;
    const set = this.ordered;
    const ctx = this.drawnCtx;
    if (!view || !set || !ctx) return null;
    const p = this.layer.plotPoint(this.node, view, clientX, clientY);
    const x = view.scale("x") as ((v: number) => number) & { invert?(v: number): number };
    const y = view.scale("y") as ((v: number) => number) & { invert?(v: number): number };
    if (!p || typeof x.invert !== "function" || typeof y.invert !== "function") return null;
    const d = x.invert(p.x);
    const yPerPx = Math.abs(y.invert(0) - y.invert(1));
    const at = (norms: readonly (number | null)[]): number | null => {
      let a = -1;
      let b = -1;
      for (let i = 0; i < norms.length; i++) {
        if (norms[i] === null || norms[i] === undefined) continue;
        if (i <= d) a = i;
        if (i >= d) {
          b = i;
          break;
        }
      }
      if (a < 0 || b < 0) return null;
      const ya = norms[a]!;
      const yb = norms[b]!;
      return a === b ? ya : ya + ((yb - ya) * (d - a)) / (b - a);
    };
    const target = y.invert(p.y);
    const near = (norms: readonly (number | null)[], px: number) => {
      const v = at(norms);
      return v === null ? Infinity : Math.abs(v - target) / yPerPx <= px ? Math.abs(v - target) : Infinity;
    };
    const sel = ctx.state.selected;
    const selNorms = sel === null ? undefined : ctx.model.positions(sel);
    if (sel !== null && selNorms && near(selNorms, PICK_PX + 1) < Infinity) return sel;
    for (const wanted of [1, 0]) {
      let best: number | null = null;
      let bestDist = Infinity;
      // Topmost first: later lines are drawn over earlier ones.
      for (let i = set.lines.length - 1; i >= 0; i--) {
        if ((this.active[i] ?? 1) !== wanted) continue;
        const dist = near(set.lines[i]!.norms, PICK_PX);
        if (dist < bestDist) {
          bestDist = dist;
          best = set.lines[i]!.number;
        }
      }
      if (best !== null) return best;
    }
    return null;
  }

  override dispose(): void {
    clearTimeout(this.brushTimer);
    super.dispose();
  }
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
