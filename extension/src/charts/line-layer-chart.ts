/**
 * A vega chart whose many lines are painted on a LineLayer under it (line-layer.ts): vega draws
 * axes, labels and marks, `paint` draws the lines. The layer is repainted after every vega run
 * (render or select), when the plot's width changes, and on `repaint.request()` (next frame),
 * always for the context of the last vega run; disposing the chart removes the layer.
 */
import { frameScheduler, LineLayer } from "./line-layer";
import { VegaChart, type ChartContext, type ChartEvents } from "./vega-chart";

export abstract class LineLayerChart extends VegaChart {
  protected readonly layer: LineLayer;
  /** The context of the last vega run: what the layer shows. */
  protected drawnCtx: ChartContext | null = null;
  /** Repaints the layer at the next frame (several requests before it: one paint). */
  protected readonly repaint = frameScheduler(() => this.drawnCtx && this.paint(this.drawnCtx));

  constructor(name: string, events: ChartEvents, layerClass: string) {
    super(name, events);
    this.layer = new LineLayer(layerClass);
  }

  /** Draws the lines for `ctx` on `this.layer`. */
  protected abstract paint(ctx: ChartContext): void;

  protected override attach(view: NonNullable<VegaChart["view"]>, _ctx: ChartContext): void {
    // A new width (the panel resized) moves the axes: the lines follow.
    view.addSignalListener("width", () => this.repaint.request());
  }

  protected override drawn(ctx: ChartContext): void {
    this.drawnCtx = ctx;
    this.repaint.cancel();
    this.paint(ctx);
  }

  override dispose(): void {
    this.repaint.cancel();
    this.layer.remove();
    super.dispose();
  }
}
