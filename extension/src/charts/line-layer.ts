/**
 * A plain <canvas> under a vega chart for drawing many lines fast: vega keeps the axes, labels,
 * brush and markers, and this layer draws the polylines itself (milliseconds to record 100,000
 * segments, where vega's dataflow spends seconds on one datum per segment). The layer sits in
 * the chart's panel, positioned exactly under the vega canvas (whose background is transparent),
 * so it is outside the chart node: `.tl-chart-x canvas` is still vega's canvas alone.
 *
 * Positions come from the vega view's own scales ("x", "y") and origin, so lines and axes agree.
 * Nothing from a payload is drawn as text here: lines only.
 *
 *   const layer = new LineLayer("tl-lines-parallel");
 *   const plot = layer.begin(chart.node, view); // null while not laid out
 *   if (plot) { plot.ctx.beginPath(); plot.ctx.moveTo(plot.x(0), plot.y(1)); ... }
 */
type View = {
  origin(): [number, number];
  padding(): unknown;
  width(): number;
  height(): number;
  scale(name: string): unknown;
};

/** A scale turned into a plain function of a number (linear scales inline, others called). */
export type Position = (v: number) => number;

/** What a draw gets: the context translated to the plot's origin, plot size, and the scales. */
export interface Plot {
  readonly ctx: CanvasRenderingContext2D;
  readonly width: number;
  readonly height: number;
  readonly x: Position;
  readonly y: Position;
  /** One device pixel, in the context's units: the width of a hairline. */
  readonly hairline: number;
}

/**
 * Above this many lines, lines are hairlines (one device pixel wide): the canvas rasterises a
 * hairline on a fast path, while a 1.2 px stroke goes through the general stroker (in Chromium's
 * software raster 10,000 polylines took 1.9 s at 1.2 px and 75 ms as hairlines).
 */
export const HAIRLINES_ABOVE = 1000;

interface VegaScale {
  (v: number): number;
  type?: string;
  domain(): number[];
  range(): number[];
}

/** A fast form of a vega scale: linear maps are computed inline, others (log) call the scale. */
export function positionOf(scale: unknown): Position | null {
  if (typeof scale !== "function") return null;
  const s = scale as VegaScale;
  if (s.type === "linear" && typeof s.domain === "function" && typeof s.range === "function") {
    const [d0, d1] = s.domain() as [number, number];
    const [r0, r1] = s.range() as [number, number];
    const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
    return (v) => r0 + (v - d0) * k;
  }
  return (v) => s(v);
}

export class LineLayer {
  readonly canvas: HTMLCanvasElement;

  constructor(className: string) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = `tl-lines ${className}`;
    this.canvas.setAttribute("aria-hidden", "true");
  }

  /**
   * Clears the layer and places it under the vega canvas of `chartNode` (appended to the chart
   * node's panel); returns the plot to draw in, or null when there is nothing to
   * draw on (chart hidden or not laid out yet).
   */
  begin(chartNode: HTMLElement, view: View): Plot | null {
    const panel = chartNode.parentElement;
    const vegaCanvas = chartNode.querySelector("canvas");
    if (!panel || !vegaCanvas) return this.hide();
    // Last in the panel (out of the way of sibling selectors); absolutely placed, under the chart by z-index.
    if (this.canvas.parentElement !== panel) panel.append(this.canvas);
    const box = vegaCanvas.getBoundingClientRect();
    const outer = panel.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) return this.hide();
    const x = positionOf(view.scale("x"));
    const y = positionOf(view.scale("y"));
    if (!x || !y) return this.hide();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(box.width * dpr);
    const h = Math.round(box.height * dpr);
    const c = this.canvas;
    c.hidden = false;
    c.style.left = `${box.left - outer.left - panel.clientLeft}px`;
    c.style.top = `${box.top - outer.top - panel.clientTop}px`;
    c.style.width = `${box.width}px`;
    c.style.height = `${box.height}px`;
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    const ctx = c.getContext("2d");
    if (!ctx) return null;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const [ox, oy] = plotOrigin(view);
    ctx.setTransform(dpr, 0, 0, dpr, ox * dpr, oy * dpr);
    // The plot area only: a line never strays over the axis labels outside it.
    ctx.beginPath();
    ctx.rect(0, 0, view.width(), view.height());
    ctx.clip();
    return { ctx, width: view.width(), height: view.height(), x, y, hairline: 1 / dpr };
  }

  /** Where a pointer event falls in plot coordinates (null when the layer isn't shown). */
  plotPoint(chartNode: HTMLElement, view: View, clientX: number, clientY: number): { x: number; y: number } | null {
    const vegaCanvas = chartNode.querySelector("canvas");
    if (!vegaCanvas || this.canvas.hidden) return null;
    const box = vegaCanvas.getBoundingClientRect();
    const [ox, oy] = plotOrigin(view);
    return { x: clientX - box.left - ox, y: clientY - box.top - oy };
  }

  private hide(): null {
    this.canvas.hidden = true;
    return null;
  }

  remove(): void {
    this.canvas.remove();
  }
}

/** Where vega's canvas puts the plot's (0, 0): its padding plus the layout's origin. */
export function plotOrigin(view: View): [number, number] {
  const [ox, oy] = view.origin();
  const pad = view.padding() as number | { left?: number; top?: number } | undefined;
  if (typeof pad === "number") return [ox + pad, oy + pad];
  return [ox + (pad?.left ?? 0), oy + (pad?.top ?? 0)];
}

/** Runs `fn` once in the next animation frame however often it is asked for before then. */
export function frameScheduler(fn: () => void): { request(): void; cancel(): void } {
  let id = 0;
  return {
    request() {
      if (id === 0)
        id = requestAnimationFrame(() => {
          id = 0;
          fn();
        });
    },
    cancel() {
      if (id !== 0) cancelAnimationFrame(id);
      id = 0;
    },
  };
}
