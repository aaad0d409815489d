/**
 * Parallel coordinates: one vertical axis per parameter (in declared order) and one for the
 * objective, one line per trial, coloured by its objective value on the scale every chart shares
 * (src/views/encoding.ts: green is better, the same in light and dark themes and in the saved
 * SVG); pruned trials dashed, failed ones grey and dotted down to a "failed" band under the
 * objective's axis; a legend of both below the plot. Axes, ticks and each line's positions come
 * from the shared `parallelData`, tick labels and titles from `axisLabels`/`axisTitle`, so the
 * chart and the SVG say the same. The axes spread over the whole width: the outer margins are
 * the room the first title and the last axis' labels need, measured in the theme's font.
 *
 * Interaction (no vega selection: the pointer is handled here):
 * - drag along an axis to brush it: a band per axis, several at once, filtering together (a
 *   trial must pass every band); drag a band to move it; click the axis outside its band to
 *   remove it; double-click (or "Show all") removes every band;
 * - drag an axis' name sideways to move the axis (the order is kept across live updates);
 * - hover names the line under the pointer; click selects it.
 *
 * vega draws the axes, labels, titles and the legend; the lines (and bands) are painted on a
 * canvas layer under it (line-layer.ts): one datum per segment made vega hold the page 1-2 s at
 * 10,000 trials, the layer paints them in milliseconds. Lines never cover a tick label: the
 * layer is cleared under each label's box. Every string shown is a data value of a text mark.
 */
import { NO_VALUE_COLOR, FAILED_POSITION, goodness, objectiveColor, objectiveColorChannel, stateDashChannel, STATE_DASHES } from "../../../src/views/encoding";
import { axisLabels, axisMargins, axisTitle, drawingOrder, TICK_DX, yDomain, type ParallelLine } from "../../../src/views/parallel";
import { bandOf, inBrush, withBand, withoutBand, type Brush } from "../brush";
import type { StudyModel } from "../study-model";
import { HAIRLINES_ABOVE, plotOrigin } from "./line-layer";
import { LineLayerChart } from "./line-layer-chart";
import type { ChartTheme } from "./theme";
import type { ChartContext, ChartEvents, VegaChart } from "./vega-chart";

type View = NonNullable<VegaChart["view"]>;
type Scale = ((v: number) => number) & { invert?(v: number): number };

/** Line colours: the shared scale sampled in this many steps (one batch of strokes per step). */
const COLOR_STEPS = 48;
/** Lines stroked together: overlaps inside one stroke don't add up, across strokes they do. */
const LINES_PER_STROKE = 24;
/** A pointer this close (px, vertically) to a line is on it. */
const PICK_PX = 3;
/** A press this close (px) to an axis brushes it. */
const BRUSH_REACH = 14;
/** Bands are drawn this wide (px) on each side of their axis. */
const BAND_HALF = 7;
/** A pointer that moved less than this (px) since it was pressed clicked. */
const DRAG_SLOP = 3;
/** How far (px) above the plot the axis titles reach: pressing there and dragging moves an axis. */
const TITLE_REACH = 26;

/** Line states as painted, in drawing order. */
const FAILED = 0;
const PRUNED = 1;
const COMPLETE = 2;

/** The lines in drawing order with their colour step and state group, once per model. */
interface LineSet {
  readonly model: StudyModel;
  readonly lines: readonly ParallelLine[];
  /** Per line: its colour step, 0..COLOR_STEPS-1 (better is higher). */
  readonly step: Uint8Array;
  /** Per line: FAILED, PRUNED or COMPLETE. */
  readonly group: Uint8Array;
}

/** A drag in progress: a band being drawn or moved on an axis, or an axis being moved. */
type Gesture =
  | { kind: "band"; axis: number; x: number; y: number; moved: boolean; anchor: number; grab: { lo: number; hi: number; at: number } | null }
  | { kind: "axis"; axis: number; x: number; y: number; moved: boolean };

/** Where things are on screen, in plot coordinates (px from the plot's top-left). */
interface Geometry {
  readonly view: View;
  /** x of each displayed axis, in display order. */
  readonly xs: readonly number[];
  readonly y: Scale;
  readonly x: Scale;
  /** The lowest y a band may reach (the plot's top is y 0). */
  readonly bottom: number;
}

export class ParallelChart extends LineLayerChart {
  private cache: { model: StudyModel; order: string; data: Record<string, readonly object[]> } | null = null;
  private ordered: LineSet | null = null;
  /** The axes in display order (indices into the model's axes); kept while the axes stay the same. */
  private order: number[] = [];
  private axesKey = "";
  /** The brush as a drag draws it (undefined: no drag; the view state's). */
  private liveBrush: Brush | null | undefined = undefined;
  private gesture: Gesture | null = null;
  /** Set when a still click was used here (to remove a band): it selects nothing. */
  private usedClick = false;
  /** Which lines are coloured (not greyed out) at the last paint, in `ordered.lines` order. */
  private active: Uint8Array = new Uint8Array(0);
  private palette: string[] | null = null;

  constructor(name: string, events: ChartEvents) {
    super(name, events, "tl-lines-parallel");
    this.node.addEventListener("pointerdown", (e) => this.onDown(e));
    this.node.addEventListener("pointermove", (e) => this.onMove(e));
    this.node.addEventListener("pointerup", (e) => this.onUp(e));
    this.node.addEventListener("pointercancel", () => this.endGesture(false));
    this.node.addEventListener("dblclick", () => this.clearBands());
  }

  protected shapeKey({ model, theme }: ChartContext): string {
    const d = model.parallel;
    return [d.axes.length, model.direction, yDomain(d).join(","), presentStates(model).join(","), theme.dark, theme.text, theme.font].join("|");
  }

  /** Its legend (colour and line styles) sits below the plot as well as the axis labels. */
  protected override axesHeight(): number {
    return 82;
  }

  /** Axes, tick labels, titles and the legend; the lines are painted by the line layer under it. */
  protected spec({ model, theme }: ChartContext): Record<string, unknown> {
    const d = model.parallel;
    const n = d.axes.length;
    const x = { field: "x", type: "quantitative", axis: null, scale: { domain: n > 1 ? [0, n - 1] : [-1, 1], range: [{ expr: "padL" }, { expr: "width - padR" }], nice: false, zero: false } };
    const y = { field: "y", type: "quantitative", axis: null, scale: { domain: yDomain(d), nice: false, zero: false } };
    const color = objectiveColorChannel(model.direction, "v");
    const dash = stateDashChannel(presentStates(model), "s");
    return {
      width: "container",
      height: 300,
      autosize: { type: "fit-x", contains: "padding" },
      padding: { left: 6, right: 0, top: 4, bottom: 2 },
      params: [
        { name: "sel", value: -1 },
        { name: "padL", value: 8 },
        { name: "padR", value: 40 },
      ],
      layer: [
        { data: { name: "axes" }, mark: { type: "rule", color: theme.border, strokeWidth: 1 }, encoding: { x, y, y2: { field: "y2" } } },
        // The objective's axis, dotted on down to its "failed" band.
        { data: { name: "gaps" }, mark: { type: "rule", color: theme.border, strokeWidth: 1, strokeDash: [2, 3] }, encoding: { x, y, y2: { field: "y2" } } },
        {
          name: "ticks",
          data: { name: "ticks" },
          mark: { type: "text", align: "left", baseline: "middle", dx: TICK_DX, fontSize: 10, color: theme.muted },
          encoding: { x, y, text: { field: "label" } },
        },
        {
          data: { name: "titles" },
          mark: { type: "text", align: "center", baseline: "bottom", dy: -8, fontSize: 11, fontWeight: "bold", color: theme.text },
          encoding: { x, y: { value: 0 }, text: { field: "label" } },
        },
        {
          // The legend: the colour scale and the line styles, carried by an invisible mark.
          data: { name: "legend" },
          mark: { type: "rule", opacity: 0, interactive: false },
          encoding: {
            x: { value: 0 },
            y: { value: 0 },
            color: { ...color, legend: { ...color.legend, labelColor: theme.muted, titleColor: theme.text } },
            strokeDash: { ...dash, legend: { ...dash.legend, symbolStrokeColor: theme.text, labelColor: theme.text } },
          },
        },
      ],
    };
  }

  protected data({ model, state }: ChartContext): Record<string, readonly object[]> {
    const order = this.displayOrder(model);
    const key = order.join(",");
    if (this.cache?.model !== model || this.cache.order !== key) {
      const d = model.parallel;
      const objective = d.axes.length - 1;
      const axes = order.map((_, x) => ({ x, y: 0, y2: 1 }));
      const gaps = d.axes[objective]?.failedBand ? [{ x: order.indexOf(objective), y: FAILED_POSITION, y2: 0 }] : [];
      const present = presentStates(model);
      const [low, high] = d.axes[objective]?.domain ?? [0, 1];
      const hasValues = d.lines.some((l) => l.value !== null);
      this.cache = {
        model,
        order: key,
        data: {
          axes,
          gaps,
          ticks: order.flatMap((i, x) => axisLabels(d.axes[i]!).map((t) => ({ x, y: t.norm, label: t.label }))),
          titles: order.map((i, x) => ({ x, label: axisTitle(d.axes[i]!, model.direction) })),
          legend: [...present.map((s) => ({ v: low, s })), ...(hasValues ? [{ v: high, s: present[0] }] : [])].filter(() => present.length > 0),
        },
      };
    }
    // What is drawn, for tests and tools (a canvas can't be inspected): lines, and those not greyed out.
    const visible = state.visible(model);
    this.node.dataset.lines = String(model.parallel.lines.length);
    this.node.dataset.activeLines = String(model.parallel.lines.filter((l) => visible.has(l.number)).length);
    this.node.dataset.order = order.map((i) => model.parallel.axes[i]?.name ?? "").join("\u001f");
    return this.cache.data;
  }

  /** The outer margins, measured in the theme's font for the axes shown first and last. */
  protected override signals({ model, theme }: ChartContext): Record<string, unknown> {
    const axes = model.parallel.axes;
    const order = this.displayOrder(model);
    const m = axisMargins(axes[order[0]!]!, axes[order[order.length - 1]!]!, model.direction, (text, kind) => textWidth(text, kind === "tick" ? `10px ${theme.font}` : `bold 11px ${theme.font}`));
    return { padL: m.left, padR: m.right };
  }

  /** The display order for the model's axes: the user's, while the axes are the same ones. */
  private displayOrder(model: StudyModel): number[] {
    const key = model.parallel.axes.map((a) => a.name).join("\u001f");
    if (key !== this.axesKey || this.order.length !== model.parallel.axes.length) {
      this.axesKey = key;
      this.order = model.parallel.axes.map((_, i) => i);
    }
    return this.order;
  }

  /** Paints the lines (greyed out ones, failed, pruned, complete, the selected one on top), clears them under the labels, then the bands. */
  protected paint(ctx: ChartContext): void {
    const g0 = this.geometry();
    if (!g0) return;
    const t0 = performance.now();
    const { model, state, theme } = ctx;
    const set = this.linesOf(model);
    const plot = this.layer.begin(this.node, g0.view);
    if (!plot) return;
    const { lines, step, group } = set;
    const brush = this.brushNow(ctx);
    const shown = state.states;
    const active = this.active.length === lines.length ? this.active : (this.active = new Uint8Array(lines.length));
    let activeCount = 0;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      const on = shown.has(l.state) && (brush === null || inBrush(brush, l.norms));
      active[i] = on ? 1 : 0;
      if (on) activeCount++;
    }
    const order = this.displayOrder(model);
    const xs = g0.xs;
    const { ctx: g } = plot;
    const y = plot.y;
    const trace = (norms: readonly (number | null)[]) => {
      let started = false;
      for (let d = 0; d < order.length; d++) {
        const v = norms[order[d]!];
        if (v === null || v === undefined) continue; // an inactive parameter: the line goes on to the next axis
        if (started) g.lineTo(xs[d]!, y(v));
        else g.moveTo(xs[d]!, y(v));
        started = true;
      }
    };
    g.lineCap = "round";
    g.lineJoin = "round";
    const hair = lines.length > HAIRLINES_ABOVE;
    // Greyed out (filtered) lines: one faint stroke under everything (fainter as hairlines,
    // whose overlaps add up).
    if (activeCount < lines.length) {
      g.globalAlpha = hair ? 0.07 : 0.18;
      g.strokeStyle = theme.faint;
      g.lineWidth = plot.hairline;
      g.beginPath();
      for (let i = 0; i < lines.length; i++) if (active[i] === 0) trace(lines[i]!.norms);
      g.stroke();
    }
    const alpha = activeCount > 2000 ? 0.35 : activeCount > 300 ? 0.55 : 0.8;
    const colors = this.colors();
    g.lineWidth = hair ? plot.hairline : 1.2;
    // Failed: grey, dotted, one batch. Pruned: dashed, by colour step. Complete: solid, by colour step, on top.
    for (const which of [FAILED, PRUNED, COMPLETE]) {
      g.lineCap = which === COMPLETE ? "round" : "butt";
      g.setLineDash(which === FAILED ? [...STATE_DASHES.failed] : which === PRUNED ? [...STATE_DASHES.pruned] : []);
      g.globalAlpha = which === COMPLETE ? alpha : which === PRUNED ? alpha * 0.85 : Math.min(0.7, alpha + 0.1);
      let current = -1;
      let inStroke = 0;
      for (let i = 0; i < lines.length; i++) {
        if (active[i] === 0 || group[i] !== which) continue;
        const color = which === FAILED ? 0 : step[i]!;
        if (color !== current || inStroke >= LINES_PER_STROKE) {
          if (inStroke > 0) g.stroke();
          current = color;
          g.strokeStyle = which === FAILED ? NO_VALUE_COLOR : colors[color]!;
          g.beginPath();
          inStroke = 0;
        }
        trace(lines[i]!.norms);
        inStroke++;
      }
      if (inStroke > 0) g.stroke();
    }
    g.setLineDash([]);
    g.lineCap = "round";
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
    // No line over a tick label: the layer is cleared under each label's box.
    for (const b of labelBoxes(g0.view)) g.clearRect(b.x1 - 1, b.y1, b.x2 - b.x1 + 2, b.y2 - b.y1);
    this.paintBands(g, g0, brush, theme, order);
    // For tests and tools: what the layer shows, where the axes are, and what it cost.
    const n = this.layer.canvas;
    n.dataset.lines = String(lines.length);
    n.dataset.activeLines = String(activeCount);
    n.dataset.selected = sel ? String(state.selected) : "";
    n.dataset.paintMs = (performance.now() - t0).toFixed(1);
    const [ox, oy] = plotOrigin(g0.view);
    this.node.dataset.layout = JSON.stringify({
      axes: order.map((i, d) => ({ axis: i, name: model.parallel.axes[i]?.name ?? "", x: ox + xs[d]! })),
      y1: oy + g0.y(1),
      y0: oy + g0.y(0),
      yFailed: model.parallel.axes.some((a) => a.failedBand) ? oy + g0.y(FAILED_POSITION) : null,
    });
    this.node.dataset.brush = JSON.stringify(brush ?? []);
  }

  /** The bands: a translucent box on each brushed axis. */
  private paintBands(g: CanvasRenderingContext2D, geo: Geometry, brush: Brush | null, theme: ChartTheme, order: readonly number[]): void {
    if (!brush) return;
    g.fillStyle = theme.text;
    g.strokeStyle = theme.text;
    g.lineWidth = 1;
    for (const b of brush) {
      const d = order.indexOf(b.axis);
      if (d < 0) continue;
      const x = geo.xs[d]! - BAND_HALF;
      const top = geo.y(b.hi);
      const h = geo.y(b.lo) - top;
      g.globalAlpha = 0.14;
      g.fillRect(x, top, BAND_HALF * 2, h);
      g.globalAlpha = 0.7;
      g.strokeRect(x + 0.5, top + 0.5, BAND_HALF * 2 - 1, Math.max(0, h - 1));
    }
    g.globalAlpha = 1;
  }

  /** The lines in drawing order with their colour steps and groups, once per model. */
  private linesOf(model: StudyModel): LineSet {
    if (this.ordered?.model === model) return this.ordered;
    const lines = drawingOrder(model.parallel);
    const objective = model.parallel.axes.length - 1;
    const step = new Uint8Array(lines.length);
    const group = new Uint8Array(lines.length);
    // The colour is the objective's place on its axis (0 = lowest value seen), so colours keep
    // their meaning while brushing hides lines.
    lines.forEach((l, i) => {
      group[i] = l.state === "failed" ? FAILED : l.state === "pruned" ? PRUNED : COMPLETE;
      const good = goodness(model.direction, l.norms[objective] ?? 0.5);
      step[i] = Math.min(COLOR_STEPS - 1, Math.max(0, Math.floor(good * COLOR_STEPS)));
    });
    this.ordered = { model, lines, step, group };
    this.active = new Uint8Array(0);
    return this.ordered;
  }

  /** The colour of each step: the shared objective scale (the same in every theme). */
  private colors(): string[] {
    this.palette ??= Array.from({ length: COLOR_STEPS }, (_, i) => objectiveColor((i + 0.5) / COLOR_STEPS));
    return this.palette;
  }

  /** The brush shown now: the one being dragged, else the view state's. */
  private brushNow(ctx: ChartContext | null): Brush | null {
    return this.liveBrush === undefined ? (ctx?.state.brush ?? null) : this.liveBrush;
  }

  /** Positions of the axes and the y scale, in plot coordinates (null before the chart is drawn). */
  private geometry(): Geometry | null {
    const view = this.view;
    const ctx = this.drawnCtx;
    if (!view || !ctx) return null;
    const x = view.scale("x") as Scale;
    const y = view.scale("y") as Scale;
    if (typeof x !== "function" || typeof y !== "function") return null;
    const n = ctx.model.parallel.axes.length;
    const [lowest] = yDomain(ctx.model.parallel);
    return { view, x, y, xs: Array.from({ length: n }, (_, d) => x(d)), bottom: y(lowest) };
  }

  // ---- the pointer: bands, moving axes ------------------------------------------------------

  /** What a pointer at plot point (px, py) would grab: an axis' band, an axis' title, or nothing. */
  private target(px: number, py: number): { kind: "band" | "axis"; display: number } | null {
    const geo = this.geometry();
    if (!geo || geo.xs.length === 0) return null;
    let display = 0;
    for (let d = 1; d < geo.xs.length; d++) if (Math.abs(geo.xs[d]! - px) < Math.abs(geo.xs[display]! - px)) display = d;
    const dx = Math.abs(geo.xs[display]! - px);
    const spacing = geo.xs.length > 1 ? Math.abs(geo.xs[1]! - geo.xs[0]!) : Infinity;
    // The titles sit above the plot's top edge (y 0); the bands go from there down to the lowest position.
    if (py < -2 && py >= -TITLE_REACH && dx < Math.max(BRUSH_REACH, spacing / 2)) return { kind: "axis", display };
    if (dx <= BRUSH_REACH && py >= -2 && py <= geo.bottom + 4) return { kind: "band", display };
    return null;
  }

  private plotPointOf(e: PointerEvent): { x: number; y: number } | null {
    const view = this.view;
    return view ? this.layer.plotPoint(this.node, view, e.clientX, e.clientY) : null;
  }

  private onDown(e: PointerEvent): void {
    if (e.button !== 0 || !this.drawnCtx) return;
    const p = this.plotPointOf(e);
    const hit = p && this.target(p.x, p.y);
    const geo = this.geometry();
    if (!p || !hit || !geo) return;
    const axis = this.displayOrder(this.drawnCtx.model)[hit.display]!;
    if (hit.kind === "axis") {
      this.gesture = { kind: "axis", axis, x: e.clientX, y: e.clientY, moved: false };
      return;
    }
    const at = this.normAt(geo, p.y);
    const band = bandOf(this.brushNow(this.drawnCtx), axis);
    const grab = band && at >= band.lo && at <= band.hi ? { lo: band.lo, hi: band.hi, at } : null;
    this.gesture = { kind: "band", axis, x: e.clientX, y: e.clientY, moved: false, anchor: at, grab };
  }

  private onMove(e: PointerEvent): void {
    const gesture = this.gesture;
    const p = this.plotPointOf(e);
    if (!gesture) {
      // The cursor says what a press here would do.
      const hit = p && this.target(p.x, p.y);
      this.node.style.cursor = !hit ? "" : hit.kind === "axis" ? "grab" : "crosshair";
      return;
    }
    if (!p) return;
    if (!gesture.moved) {
      if (Math.hypot(e.clientX - gesture.x, e.clientY - gesture.y) < DRAG_SLOP) return;
      gesture.moved = true;
      this.node.setPointerCapture?.(e.pointerId);
      this.events.hover(null, e.clientX, e.clientY, this.name);
    }
    const geo = this.geometry();
    const ctx = this.drawnCtx;
    if (!geo || !ctx) return;
    if (gesture.kind === "band") {
      const at = this.normAt(geo, p.y);
      let lo: number;
      let hi: number;
      if (gesture.grab) {
        const span = gesture.grab.hi - gesture.grab.lo;
        const [min, max] = this.bandLimits(ctx);
        lo = Math.min(max - span, Math.max(min, gesture.grab.lo + at - gesture.grab.at));
        hi = lo + span;
      } else {
        lo = Math.min(gesture.anchor, at);
        hi = Math.max(gesture.anchor, at);
      }
      this.liveBrush = hi - lo > 1e-6 ? withBand(this.brushNow(ctx), { axis: gesture.axis, lo, hi }) : withoutBand(this.brushNow(ctx), gesture.axis);
      this.repaint.request();
      return;
    }
    // Moving an axis: it takes the slot nearest the pointer.
    this.node.style.cursor = "grabbing";
    const order = this.displayOrder(ctx.model);
    const from = order.indexOf(gesture.axis);
    let to = 0;
    for (let d = 1; d < geo.xs.length; d++) if (Math.abs(geo.xs[d]! - p.x) < Math.abs(geo.xs[to]! - p.x)) to = d;
    if (to === from || from < 0) return;
    order.splice(from, 1);
    order.splice(to, 0, gesture.axis);
    void this.render(ctx).catch((err: unknown) => this.showFailure(err));
  }

  private onUp(e: PointerEvent): void {
    const gesture = this.gesture;
    if (!gesture) return;
    if (!gesture.moved && gesture.kind === "band") {
      // A click on an axis outside its band removes the band (and selects nothing).
      const band = bandOf(this.brushNow(this.drawnCtx), gesture.axis);
      if (band && (gesture.anchor < band.lo || gesture.anchor > band.hi)) {
        this.liveBrush = withoutBand(this.brushNow(this.drawnCtx), gesture.axis);
        this.usedClick = true;
        this.endGesture(true);
        return;
      }
    }
    this.node.releasePointerCapture?.(e.pointerId);
    this.endGesture(gesture.moved && gesture.kind === "band");
  }

  /** Ends a drag; a band drawn or moved becomes the brush every view filters by. */
  private endGesture(commit: boolean): void {
    this.gesture = null;
    this.node.style.cursor = "";
    if (commit && this.liveBrush !== undefined) this.events.brush(this.liveBrush);
    this.liveBrush = undefined;
    this.repaint.request();
  }

  private clearBands(): void {
    this.gesture = null;
    this.liveBrush = undefined;
    if (this.drawnCtx?.state.brush) this.events.brush(null);
  }

  /** The normalised position at plot y, clamped to where bands may go. */
  private normAt(geo: Geometry, py: number): number {
    const inv = geo.y.invert;
    const [min, max] = this.drawnCtx ? this.bandLimits(this.drawnCtx) : [0, 1];
    const v = typeof inv === "function" ? inv(py) : 0;
    return Math.min(max, Math.max(min, v));
  }

  /** Bands span the axes' [0, 1], and the objective's failed band below it when there is one. */
  private bandLimits(ctx: ChartContext): [number, number] {
    return [Math.max(yDomain(ctx.model.parallel)[0], FAILED_POSITION - 0.03), 1];
  }

  protected override clickUsed(): boolean {
    const used = this.usedClick;
    this.usedClick = false;
    return used;
  }

  /** A double-click removes the bands: while there are some, a click on a line waits to see it isn't one. */
  protected override doubleClickClears(): boolean {
    return this.brushNow(this.drawnCtx) !== null;
  }

  /** The line under the pointer: the selected one, else the topmost coloured one, else a grey one, within a few pixels. */
  protected override pick(clientX: number, clientY: number): number | null {
    const view = this.view;
    const set = this.ordered;
    const ctx = this.drawnCtx;
    if (!view || !set || !ctx || (this.gesture?.moved ?? false)) return null;
    const p = this.layer.plotPoint(this.node, view, clientX, clientY);
    const x = view.scale("x") as Scale;
    const y = view.scale("y") as Scale;
    if (!p || typeof x.invert !== "function" || typeof y.invert !== "function") return null;
    const order = this.displayOrder(ctx.model);
    const d = x.invert(p.x);
    const yPerPx = Math.abs(y.invert(0) - y.invert(1));
    const at = (norms: readonly (number | null)[]): number | null => {
      let a = -1;
      let b = -1;
      for (let i = 0; i < order.length; i++) {
        const v = norms[order[i]!];
        if (v === null || v === undefined) continue;
        if (i <= d) a = i;
        if (i >= d) {
          b = i;
          break;
        }
      }
      if (a < 0 || b < 0) return null;
      const ya = norms[order[a]!]!;
      const yb = norms[order[b]!]!;
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
}

const present = new WeakMap<StudyModel, ("failed" | "pruned" | "complete")[]>();

/** The line states the study has (failed, pruned, complete), in drawing order; once per model. */
function presentStates(model: StudyModel): ("failed" | "pruned" | "complete")[] {
  let states = present.get(model);
  if (!states) {
    const seen = new Set(model.parallel.lines.map((l) => l.state));
    present.set(model, (states = (["failed", "pruned", "complete"] as const).filter((s) => seen.has(s))));
  }
  return states;
}

/** The boxes (plot coordinates) of the tick labels vega drew: the scenegraph items of the "ticks" layer. */
function labelBoxes(view: View): { x1: number; y1: number; x2: number; y2: number }[] {
  type Item = { marktype?: string; name?: string; items?: Item[]; bounds?: { x1: number; y1: number; x2: number; y2: number } };
  const out: { x1: number; y1: number; x2: number; y2: number }[] = [];
  const walk = (item: Item | undefined): void => {
    if (!item) return;
    if (item.marktype === "text" && item.name === "ticks_marks") {
      for (const t of item.items ?? []) if (t.bounds && Number.isFinite(t.bounds.x1)) out.push(t.bounds);
      return;
    }
    for (const child of item.items ?? []) walk(child);
  };
  walk((view.scenegraph() as { root?: Item }).root);
  return out;
}

let measurer: CanvasRenderingContext2D | null = null;

/** The width (px) of `text` in a CSS font. */
function textWidth(text: string, font: string): number {
  measurer ??= document.createElement("canvas").getContext("2d");
  if (!measurer) return text.length * 7;
  measurer.font = font;
  return measurer.measureText(text).width;
}
