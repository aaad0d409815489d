/**
 * A chart painted on one plain <canvas>, axes and all: for views with a mark per trial in
 * several plots at once (slice plots: 10,000 trials × every parameter), where vega's one
 * scenegraph item per mark would cost seconds. Points are painted as small squares batched by
 * colour (one fill per colour bucket), so 60,000 points cost a few milliseconds.
 *
 * Text (parameter names, choices, tick labels) is drawn with fillText: canvas text is pixels,
 * never markup, so a hostile payload string can't run. Colours come from the theme and the
 * shared encodings only.
 *
 * Subclasses lay out and paint in `paint`, recording each drawn mark with `mark()`; hovering
 * and clicking pick the nearest recorded mark within PICK_PX. The node carries `data-marks`
 * (marks drawn by the last paint) and `data-render-ms`.
 */
import { objectiveColor } from "../../../src/views/encoding";
import type { ChartContext, ChartEvents } from "./vega-chart";
import type { ChartTheme } from "./theme";

/** How close (CSS px) the pointer must be to a mark to hover or pick it. */
const PICK_PX = 6;
/** A press that moved more than this (px) before the click is a drag: no selection. */
const CLICK_SLOP_PX = 4;
/** Colour buckets of the objective scale: marks are filled one bucket at a time. */
const BUCKETS = 48;
/** The side (CSS px) of a trial's mark. */
export const MARK_PX = 4;

/** The marks of one paint: their centres in CSS px and their trial numbers. */
class MarkIndex {
  xs: number[] = [];
  ys: number[] = [];
  trials: number[] = [];
  clear(): void {
    this.xs.length = 0;
    this.ys.length = 0;
    this.trials.length = 0;
  }
  add(x: number, y: number, trial: number): void {
    this.xs.push(x);
    this.ys.push(y);
    this.trials.push(trial);
  }
  nearest(x: number, y: number, within: number): number | null {
    let best = within * within;
    let found: number | null = null;
    for (let i = 0; i < this.xs.length; i++) {
      const dx = this.xs[i]! - x;
      const dy = this.ys[i]! - y;
      const d = dx * dx + dy * dy;
      if (d <= best) {
        best = d;
        found = this.trials[i]!;
      }
    }
    return found;
  }
  where(trial: number): { x: number; y: number }[] {
    const out: { x: number; y: number }[] = [];
    for (let i = 0; i < this.trials.length; i++) if (this.trials[i] === trial) out.push({ x: this.xs[i]!, y: this.ys[i]! });
    return out;
  }
}

/** Marks waiting to be filled, by colour bucket of a goodness in [0, 1]. */
export class MarkBatch {
  private readonly buckets: number[][] = Array.from({ length: BUCKETS }, () => []);
  /** Adds a mark at (x, y) of goodness g. */
  add(x: number, y: number, g: number): void {
    const b = Math.min(BUCKETS - 1, Math.max(0, Math.round((Number.isFinite(g) ? g : 0) * (BUCKETS - 1))));
    this.buckets[b]!.push(x, y);
  }
  /** Fills every mark, worst bucket first (the best on top). */
  fill(ctx: CanvasRenderingContext2D, size = MARK_PX): void {
    const h = size / 2;
    for (let b = 0; b < BUCKETS; b++) {
      const xy = this.buckets[b]!;
      if (xy.length === 0) continue;
      ctx.fillStyle = objectiveColor(b / (BUCKETS - 1));
      ctx.beginPath();
      for (let i = 0; i < xy.length; i += 2) ctx.rect(xy[i]! - h, xy[i + 1]! - h, size, size);
      ctx.fill();
    }
  }
}

export abstract class CanvasChart {
  readonly node: HTMLDivElement;
  /** Never a vega view: the widget's resize handling skips it (this chart observes its own size). */
  readonly view = null;
  protected readonly canvas: HTMLCanvasElement;
  protected readonly marks = new MarkIndex();
  protected ctx: ChartContext | null = null;
  private press: { x: number; y: number; trial: number | null } | null = null;
  private readonly resize: ResizeObserver;
  private lastWidth = 0;
  private disposed = false;

  constructor(
    readonly name: string,
    protected readonly events: ChartEvents,
  ) {
    this.node = document.createElement("div");
    this.node.className = `tl-chart tl-canvas-chart tl-chart-${name}`;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "tl-canvas-plot";
    this.node.append(this.canvas);
    this.canvas.addEventListener("pointermove", (e) => {
      const t = this.pick(e);
      this.canvas.style.cursor = t === null ? "" : "pointer";
      this.events.hover(t, e.clientX, e.clientY, this.name);
    });
    this.canvas.addEventListener("pointerleave", (e) => this.events.hover(null, e.clientX, e.clientY, this.name));
    this.canvas.addEventListener("pointerdown", (e) => {
      this.press = e.button === 0 ? { x: e.clientX, y: e.clientY, trial: this.pick(e) } : null;
    });
    this.canvas.addEventListener("click", (e) => {
      const p = this.press;
      this.press = null;
      if (!p || Math.hypot(e.clientX - p.x, e.clientY - p.y) > CLICK_SLOP_PX || p.trial === null) return;
      this.events.select(p.trial, this.name);
    });
    // Width changes (a side panel opened) relayout the plots.
    this.resize = new ResizeObserver(() => {
      const w = Math.floor(this.node.clientWidth);
      if (w === this.lastWidth || w === 0) return;
      this.lastWidth = w;
      if (this.ctx) this.repaint(this.ctx);
    });
    this.resize.observe(this.node);
  }

  /** Lays out and paints everything for `ctx` on `g` (CSS px), recording each trial's mark with `this.marks.add`. */
  protected abstract paint(g: CanvasRenderingContext2D, ctx: ChartContext, width: number): void;
  /** The height (CSS px) the chart needs at `width` (the canvas is sized before painting). */
  protected abstract heightFor(ctx: ChartContext, width: number): number;

  async render(ctx: ChartContext): Promise<void> {
    const t0 = performance.now();
    this.ctx = ctx;
    this.repaint(ctx);
    this.node.dataset.renderMs = (performance.now() - t0).toFixed(1);
  }

  /** The height (CSS px) the chart takes for `ctx`: its canvas's (exact: the canvas is sized before it is painted) plus what sits above it. */
  reservedHeight(ctx: ChartContext): number {
    const above = this.node.offsetHeight - this.canvas.offsetHeight;
    return this.heightFor(ctx, this.plotWidth()) + Math.max(0, above);
  }

  async select(_trial: number | null): Promise<void> {
    if (this.ctx) this.repaint(this.ctx);
  }

  showFailure(err: unknown): void {
    const p = document.createElement("p");
    p.className = "tl-chart-error";
    p.textContent = `This chart could not be drawn: ${err instanceof Error ? err.message : String(err)}`;
    this.node.querySelector(".tl-chart-error")?.remove();
    this.node.append(p);
  }

  dispose(): void {
    this.disposed = true;
    this.resize.disconnect();
  }

  /** Where the marks of `trial` are drawn, in client coordinates (tests and tools). */
  markPositions(trial: number): { x: number; y: number }[] {
    const box = this.canvas.getBoundingClientRect();
    return this.marks.where(trial).map((p) => ({ x: box.left + p.x, y: box.top + p.y }));
  }

  protected repaint(ctx: ChartContext): void {
    if (this.disposed) return;
    this.node.querySelector(".tl-chart-error")?.remove();
    const width = this.plotWidth();
    this.lastWidth = Math.floor(this.node.clientWidth) || this.lastWidth;
    const height = this.heightFor(ctx, width);
    const dpr = window.devicePixelRatio || 1;
    const c = this.canvas;
    c.style.width = `${width}px`;
    c.style.height = `${height}px`;
    const w = Math.round(width * dpr);
    const h = Math.round(height * dpr);
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    const g = c.getContext("2d");
    if (!g) return;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, w, h);
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.marks.clear();
    this.paint(g, ctx, width);
    this.node.dataset.marks = String(this.marks.trials.length);
    // Where the selected trial's marks are (canvas CSS px), for tests and tools.
    const sel = ctx.state.selected;
    this.node.dataset.selectedAt = JSON.stringify(sel === null ? [] : this.marks.where(sel).map((p) => [Math.round(p.x * 10) / 10, Math.round(p.y * 10) / 10]));
  }

  /** The width (CSS px) the chart is painted at: its node's. */
  private plotWidth(): number {
    return Math.max(200, Math.floor(this.canvas.parentElement?.clientWidth || this.node.clientWidth || 600));
  }

  private pick(e: MouseEvent): number | null {
    const box = this.canvas.getBoundingClientRect();
    return this.marks.nearest(e.clientX - box.left, e.clientY - box.top, PICK_PX);
  }
}

/** Axis and label drawing shared by the canvas charts. */
export function axisText(g: CanvasRenderingContext2D, theme: ChartTheme, size = 10): void {
  g.font = `${size}px ${theme.font}`;
  g.fillStyle = theme.muted;
}

/** `text` cut with an ellipsis to fit `max` px. */
export function fitText(g: CanvasRenderingContext2D, text: string, max: number): string {
  if (g.measureText(text).width <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (g.measureText(`${text.slice(0, mid)}…`).width <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

/** Ticks that don't crowd: both ends, then inner ones at least `gap` (in [0, 1]) from those kept. */
export function spreadTicks<T extends { norm: number }>(ticks: readonly T[], gap: number): T[] {
  if (ticks.length <= 2) return [...ticks];
  const kept = [ticks[0]!, ticks[ticks.length - 1]!];
  for (const t of ticks.slice(1, -1)) if (kept.every((k) => Math.abs(k.norm - t.norm) >= gap)) kept.push(t);
  return kept.sort((a, b) => a.norm - b.norm);
}
