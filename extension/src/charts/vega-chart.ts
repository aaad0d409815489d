/**
 * What the three charts share: a vega-lite view embedded once per chart shape, fed through
 * named datasets on every update (no re-embedding while a study runs), the selected trial as
 * the `sel` parameter, and hover/click on marks turned into trial numbers for the widget.
 */
import type { StudyModel } from "../study-model";
import type { Brush } from "../brush";
import type { ViewState } from "../view-state";
import { chartConfig, type ChartTheme } from "./theme";
import { embedChart, type Chart } from "./vega";

export interface ChartContext {
  readonly model: StudyModel;
  readonly state: ViewState;
  readonly theme: ChartTheme;
}

/** How a chart tells the widget about the pointer. */
export interface ChartEvents {
  select(trial: number | null, source: string): void;
  hover(trial: number | null, clientX: number, clientY: number, source: string): void;
  /** The parallel-coordinates brush changed (null: cleared). */
  brush(brush: Brush | null): void;
}

type Datasets = Record<string, readonly object[]>;
type View = Chart["view"];

/** The trial number a scenegraph item stands for (every dataset row carries it as `t`). */
function trialOf(item: unknown): number | null {
  const datum = (item as { datum?: { t?: unknown } } | null | undefined)?.datum;
  return typeof datum?.t === "number" ? datum.t : null;
}

export abstract class VegaChart {
  readonly node: HTMLDivElement;
  private chart: Chart | null = null;
  private shape = "";
  private fed = new Map<string, readonly object[]>();
  private downAt: { x: number; y: number } | null = null;
  private disposed = false;
  /** The context of the last render (the state object is shared, so it reads the current selection). */
  private lastCtx: ChartContext | null = null;

  constructor(
    readonly name: string,
    protected readonly events: ChartEvents,
  ) {
    this.node = document.createElement("div");
    this.node.className = `tl-chart tl-chart-${name}`;
    // A drag (brushing) ends in a click on the canvas too; only a still click selects.
    this.node.addEventListener("pointerdown", (e) => (this.downAt = { x: e.clientX, y: e.clientY }), true);
  }

  /** A string that changes exactly when the spec must be rebuilt (space, direction, theme). */
  protected abstract shapeKey(ctx: ChartContext): string;
  /** The vega-lite spec, without data: datasets are named and fed by `data`. */
  protected abstract spec(ctx: ChartContext): Record<string, unknown>;
  /** Every named dataset; return the same array object when a dataset hasn't changed. */
  protected abstract data(ctx: ChartContext): Datasets;
  /** Extra listeners on a freshly embedded view. */
  protected attach(_view: View, _ctx: ChartContext): void {}
  /** Called after every vega run of `render` and `select` (charts with a line layer repaint it). */
  protected drawn(_ctx: ChartContext): void {}
  /** The trial under the pointer when no vega mark is (lines drawn outside vega); null: none. */
  protected pick(_clientX: number, _clientY: number): number | null {
    return null;
  }

  get view(): View | null {
    return this.chart?.view ?? null;
  }

  /** Draws the chart for the context: embeds when the shape changed, else feeds new data. */
  async render(ctx: ChartContext): Promise<void> {
    const t0 = performance.now();
    await this.draw(ctx);
    // How long this chart took (the browser benchmark reads it).
    this.node.dataset.renderMs = (performance.now() - t0).toFixed(1);
  }

  private async draw(ctx: ChartContext): Promise<void> {
    const shape = this.shapeKey(ctx);
    if (this.chart === null || shape !== this.shape) {
      this.chart?.finalize();
      this.chart = null;
      this.fed.clear();
      this.node.textContent = "";
      const spec = { config: chartConfig(ctx.theme), ...this.spec(ctx) };
      const chart = await embedChart(this.node, spec);
      if (this.disposed) {
        chart.finalize();
        return;
      }
      this.chart = chart;
      this.shape = shape;
      this.node.dataset.embeds = String(Number(this.node.dataset.embeds ?? 0) + 1);
      this.listen(chart.view);
      this.attach(chart.view, ctx);
    }
    const view = this.chart.view;
    for (const [name, rows] of Object.entries(this.data(ctx))) {
      if (this.fed.get(name) === rows) continue;
      view.data(name, rows as object[]);
      this.fed.set(name, rows);
    }
    view.signal("sel", ctx.state.selected ?? -1);
    await view.runAsync();
    this.lastCtx = ctx;
    if (!this.disposed) this.drawn(ctx);
  }

  /** Highlights a trial without touching the data (a signal change: cheap). */
  async select(trial: number | null): Promise<void> {
    const view = this.chart?.view;
    if (!view) return;
    view.signal("sel", trial ?? -1);
    await view.runAsync();
    if (this.lastCtx && !this.disposed) this.drawn(this.lastCtx);
  }

  /** Replaces the chart with a line saying it couldn't be drawn; the next render tries afresh. */
  showFailure(err: unknown): void {
    this.chart?.finalize();
    this.chart = null;
    this.shape = "";
    this.fed.clear();
    this.node.textContent = "";
    const message = err instanceof Error ? err.message : String(err);
    const p = document.createElement("p");
    p.className = "tl-chart-error";
    p.textContent = `This chart could not be drawn: ${message}`;
    this.node.append(p);
  }

  /** Makes the next render embed afresh (drops interaction state such as a brush). */
  rebuild(): void {
    this.shape = "";
  }

  dispose(): void {
    this.disposed = true;
    this.chart?.finalize();
    this.chart = null;
  }

  private listen(view: View): void {
    view.addEventListener("click", (event, item) => {
      const e = event as MouseEvent;
      const d = this.downAt;
      if (d && Math.hypot(e.clientX - d.x, e.clientY - d.y) > 4) return;
      const t = trialOf(item) ?? this.pick(e.clientX, e.clientY);
      if (t !== null) this.events.select(t, this.name);
    });
    view.addEventListener("pointermove", (event, item) => {
      const e = event as PointerEvent;
      this.events.hover(trialOf(item) ?? this.pick(e.clientX, e.clientY), e.clientX, e.clientY, this.name);
    });
    view.addEventListener("pointerout", (event) => {
      const e = event as PointerEvent;
      this.events.hover(null, e.clientX, e.clientY, this.name);
    });
  }
}
