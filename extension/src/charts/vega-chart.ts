/**
 * What the three charts share: a vega-lite view embedded once per chart shape, fed through
 * named datasets on every update (no re-embedding while a study runs), the selected trial as
 * the `sel` parameter, and hover/click on marks turned into trial numbers for the widget.
 *
 * A click selects the trial that was under the pointer when it was pressed, as hover found it
 * (a vega mark, else `pick` on a line layer), read at pointerdown: Chromium gives a click
 * whole-pixel coordinates where pointer events have fractions, so picking again at the click
 * missed hairlines that the tooltip had just named. On a chart whose double-click clears
 * something (the parallel brush), a click waits for the double-click time before selecting,
 * and a double-click selects nothing.
 */
import type { StudyModel } from "../study-model";
import type { Brush } from "../brush";
import type { ViewState } from "../view-state";
import { plotOrigin } from "./line-layer";
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

/** The room (CSS px) vega's axes (labels, title) take below and above a chart's plot, as drawn in JupyterLab's themes. */
const AXES_PX = 42;

/** How long a click on a chart that a double-click clears waits for the second click before selecting. */
export const DOUBLE_CLICK_MS = 300;
/** A pointer that moved more than this (px) between press and click dragged (brushing): no selection. */
const CLICK_SLOP_PX = 4;

/** A press on the chart: where, the trial picked on a line layer there, and whether a double-click would clear something. */
interface Press {
  readonly x: number;
  readonly y: number;
  readonly trial: number | null;
  readonly clears: boolean;
}
type View = Chart["view"];

/**
 * The sides ("left bottom") where something the chart drew lies outside its canvas, "" when all of
 * it is shown: a check on vega's layout, for tests and tools (the scenegraph's bounds are in plot
 * coordinates; the canvas puts the plot at padding + origin).
 */
export function clippedSides(view: View, canvas: HTMLCanvasElement | null): string {
  const root = (view.scenegraph() as { root?: { bounds?: { x1: number; y1: number; x2: number; y2: number } } }).root;
  const b = root?.bounds;
  if (!b || !canvas || !Number.isFinite(b.x1) || b.x2 < b.x1) return "";
  const [x0, y0] = plotOrigin(view);
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  const sides: string[] = [];
  if (b.x1 + x0 < -1) sides.push("left");
  if (b.x2 + x0 > w + 1) sides.push("right");
  if (b.y1 + y0 < -1) sides.push("top");
  if (b.y2 + y0 > h + 1) sides.push("bottom");
  return sides.join(" ");
}

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
  private press: Press | null = null;
  /** A click's selection waiting out the double-click time (charts a double-click clears). */
  private pendingSelect: ReturnType<typeof setTimeout> | undefined;
  /** The selection the last first click made after waiting, and the one before it (a slow double-click undoes it). */
  private clickSelected: { trial: number; before: number | null } | null = null;
  /** Whether a double-click would clear something when the first click of this click (or pair) was pressed. */
  private pairClears = false;
  private disposed = false;
  /** The context of the last render (the state object is shared, so it reads the current selection). */
  private lastCtx: ChartContext | null = null;

  constructor(
    readonly name: string,
    protected readonly events: ChartEvents,
  ) {
    this.node = document.createElement("div");
    this.node.className = `tl-chart tl-chart-${name}`;
    // Captured before vega sees the press (so a brush the press starts to replace still counts).
    this.node.addEventListener("pointerdown", (e) => this.pressed(e), true);
    this.node.addEventListener("click", (e) => e.detail < 2 && this.firstClick(), true);
    this.node.addEventListener("dblclick", () => this.doubleClicked(), true);
  }

  /** A string that changes exactly when the spec must be rebuilt (space, direction, theme). */
  protected abstract shapeKey(ctx: ChartContext): string;
  /** The vega-lite spec, without data: datasets are named and fed by `data`. */
  protected abstract spec(ctx: ChartContext): Record<string, unknown>;
  /** Every named dataset; return the same array object when a dataset hasn't changed. */
  protected abstract data(ctx: ChartContext): Datasets;
  /** Signal values to set before each run (e.g. layout measured from the data). */
  protected signals(_ctx: ChartContext): Record<string, unknown> {
    return {};
  }
  /** The height (CSS px) the chart adds to its spec's plot height (axes, legend, titles): an estimate for `reservedHeight`. */
  protected axesHeight(): number {
    return AXES_PX;
  }
  /** Whether the chart used the last still click itself (it then selects nothing). */
  protected clickUsed(): boolean {
    return false;
  }
  /** Extra listeners on a freshly embedded view. */
  protected attach(_view: View, _ctx: ChartContext): void {}
  /** Called after every vega run of `render` and `select` (charts with a line layer repaint it). */
  protected drawn(_ctx: ChartContext): void {}
  /** Whether a double-click on the chart clears something (then a click waits before selecting). */
  protected doubleClickClears(): boolean {
    return false;
  }
  /** The trial under the pointer when no vega mark is (lines drawn outside vega); null: none. */
  protected pick(_clientX: number, _clientY: number): number | null {
    return null;
  }

  get view(): View | null {
    return this.chart?.view ?? null;
  }

  /**
   * The height (CSS px) the chart takes: as drawn once it is, else its spec's plot height plus
   * the room of its axes (an estimate: vega knows the labels' size only once it has laid them out).
   */
  reservedHeight(ctx: ChartContext): number {
    if (this.chart !== null) {
      const h = this.node.offsetHeight;
      if (h > 0) return h;
    }
    const height = this.spec(ctx).height;
    return typeof height === "number" ? height + this.axesHeight() : 0;
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
    let fed = false;
    for (const [name, rows] of Object.entries(this.data(ctx))) {
      if (this.fed.get(name) === rows) continue;
      view.data(name, rows as object[]);
      this.fed.set(name, rows);
      fed = true;
    }
    // New data brings new axis labels, legend entries and titles: vega lays the chart out again
    // only when asked (its autosize runs once, at embed, with no data yet), so without this a chart
    // embedded empty and fed later keeps the margins of an empty chart and cuts off its labels.
    if (fed) view.resize();
    for (const [name, value] of Object.entries(this.signals(ctx))) if (view.signal(name) !== value) view.signal(name, value);
    view.signal("sel", ctx.state.selected ?? -1);
    await view.runAsync();
    this.lastCtx = ctx;
    this.node.dataset.clipped = clippedSides(view, this.node.querySelector("canvas"));
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
    clearTimeout(this.pendingSelect);
    this.chart?.finalize();
    this.chart = null;
  }

  private pressed(e: PointerEvent): void {
    if (e.button !== 0) {
      this.press = null;
      return;
    }
    this.press = { x: e.clientX, y: e.clientY, trial: this.pick(e.clientX, e.clientY), clears: this.doubleClickClears() };
  }

  /** A click that may start a double-click: what earlier clicks left waiting or undoable is forgotten. */
  private firstClick(): void {
    clearTimeout(this.pendingSelect);
    this.pendingSelect = undefined;
    this.clickSelected = null;
    // Decided at the first press: that press may itself replace the brush (vega-lite starts a new one).
    this.pairClears = this.press?.clears ?? false;
  }

  /** A double-click selects nothing: a click's selection still waiting is dropped, one made by a slow double-click undone. */
  private doubleClicked(): void {
    clearTimeout(this.pendingSelect);
    this.pendingSelect = undefined;
    const c = this.clickSelected;
    this.clickSelected = null;
    const state = this.lastCtx?.state;
    if (c && state && state.selected === c.trial) this.events.select(c.before, this.name);
  }

  private listen(view: View): void {
    view.addEventListener("click", (event, item) => {
      const e = event as MouseEvent;
      const p = this.press;
      // A drag (brushing) ends in a click on the canvas too; only a still click selects.
      if (!p || Math.hypot(e.clientX - p.x, e.clientY - p.y) > CLICK_SLOP_PX || this.clickUsed()) return;
      const t = trialOf(item) ?? p.trial;
      if (!this.pairClears) {
        if (t !== null) this.events.select(t, this.name);
        return;
      }
      // The second click of a double-click selects nothing (and the dblclick drops the first's selection).
      if (e.detail >= 2 || t === null) return;
      const before = this.lastCtx?.state.selected ?? null;
      this.pendingSelect = setTimeout(() => {
        this.pendingSelect = undefined;
        if (this.disposed) return;
        this.clickSelected = { trial: t, before };
        this.events.select(t, this.name);
      }, DOUBLE_CLICK_MS);
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
