/**
 * The study widget: the renderer JupyterLab creates for each output carrying the study MIME
 * type. It checks the payload, builds the shared model, and lays out the summary, the filters,
 * the charts and the trial table, all linked through one ViewState. Live updates call
 * `renderModel` again on the same widget: the views keep their selection, sort, filters and
 * brush and are fed the new data in place; updates arriving while one is drawn are coalesced
 * (only the newest is drawn next).
 *
 * `data-renders` / `data-render-ms` on the node count finished renders and time the last one
 * (tests and the browser benchmark read them).
 */
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import { formatNumber, STUDY_MIME, type ChartName, type ViewName } from "../../src/views";
import { CHARTS, type ChartRow, type PanelChart } from "./charts/chart-table";
import { readTheme } from "./charts/theme";
import type { ChartContext, ChartEvents } from "./charts/vega-chart";
import { el, setText, yieldToBrowser } from "./dom";
import { FilterBar } from "./filter-bar";
import { ExportButtons } from "./export-buttons";
import { exportData } from "../../src/views/analysis/export";
import { canOpenInTab, openInTabHandler } from "./browser/open-in-tab";
import { checkPayload, type PayloadProblem } from "./payload-check";
import { STATES, StudyModel } from "./study-model";
import { TrialTable } from "./table";
import { SelectionLine, TrialTooltip, type StorageFolder } from "./trial-info";
import { StudyNoteView } from "./details";
import { ViewState, type Change } from "./view-state";
import { BoundaryNotice } from "./views/boundary";

export const WIDGET_CLASS = "tl-study";

/** Pause between back-to-back renders, as a multiple of the last render's cost... */
const PACE = 2;
/** ...but never longer than this (ms): one slow render must not make every later update slow. */
const MAX_PACE_MS = 500;

export class StudyWidget extends Widget implements IRenderMime.IRenderer {
  private readonly state = new ViewState();
  private readonly header = el("div", "tl-header");
  private readonly heading = el("span", "tl-title");
  private readonly summary = el("span", "tl-summary");
  private readonly live = el("span", "tl-live", "running");
  private readonly openTab = el("button", "tl-open-tab", "Open in tab");
  private readonly filters = new FilterBar(this.state, () => this.resetFilters());
  private readonly selection = new SelectionLine(() => this.state.select(null, "selection"));
  private readonly tooltip = new TrialTooltip();
  private readonly errorBox = el("div", "tl-error");
  private readonly studyNote = new StudyNoteView();
  private readonly boundary = new BoundaryNotice();
  private readonly content = el("div", "tl-content");
  /** Downloads the table's rows as shown (filtered, sorted). */
  private readonly exports = new ExportButtons(() => (this.model ? { name: this.model.summary.name, data: exportData(this.model.payload, this.table.rows.map((r) => r.number)) } : null));
  private readonly table: TrialTable;
  /** The charts of CHARTS, in its order. */
  private readonly charts: { readonly row: ChartRow; readonly chart: PanelChart }[];
  private readonly panels = new Map<ChartName, HTMLElement>();
  private model: StudyModel | null = null;
  private pending: StudyModel | null = null;
  private drawing: Promise<void> | null = null;
  private renders = 0;
  private paceUntil = 0;
  private chartPass: Promise<void> | null = null;
  private chartsWanted = false;
  private markAttached: () => void = () => undefined;
  private readonly attached = new Promise<void>((resolve) => (this.markAttached = resolve));
  private themeObserver: MutationObserver | null = null;
  private resizeObserver: ResizeObserver | null = null;

  constructor(_options: IRenderMime.IRendererOptions) {
    super();
    this.addClass(WIDGET_CLASS);
    this.node.dataset.mime = STUDY_MIME;
    const events: ChartEvents = {
      select: (t, source) => this.state.select(t, source),
      hover: (t, x, y) => this.tooltip.show(this.model, t === null ? undefined : this.model?.trial(t), x, y),
      brush: (b) => this.state.setBrush(b, "parallel"),
    };
    this.table = new TrialTable({ select: (t, source) => this.state.select(this.state.selected === t ? null : t, source) });
    this.charts = CHARTS.map((row) => ({ row, chart: row.make(events) }));
    this.build();
    this.state.subscribe((change, source) => this.onStateChange(change, source));
  }

  /** Draws (or updates to) the output's payload; resolves once everything shown is drawn. */
  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const check = checkPayload(model.data[STUDY_MIME]);
    if (!check.ok) {
      this.pending = null;
      this.showProblem(check.problem);
      return this.drawing ?? Promise.resolve();
    }
    const t0 = performance.now();
    this.pending = StudyModel.from(check.payload);
    this.node.dataset.modelMs = (performance.now() - t0).toFixed(1);
    this.drawing ??= this.drain();
    return this.drawing;
  }

  /**
   * Where the study's storage folder is from the server's root (a study tab knows: its
   * journal's folder) and how to open a file there: the selection line then names a trial's
   * whole log from the root and offers to open it.
   */
  setStorageFolder(folder: StorageFolder): void {
    this.selection.setFolder(folder);
    this.updateSelection();
  }

  protected override onAfterAttach(): void {
    this.markAttached();
    this.table.showSelection(false); // the table's window now has a height
    this.themeObserver = new MutationObserver(() => this.onThemeChange());
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
    // vega-lite's "container" width follows window resizes only; the notebook also changes
    // width when a side panel opens or closes. Then the chart is told its container's width,
    // as vega's own window:resize handler does (with autosize "fit" the width signal then
    // becomes the plot's inner width, so the first notice, on observe, is only recorded).
    const widths = new Map<Element, number>();
    this.resizeObserver = new ResizeObserver((entries) => {
      for (const entry of entries) {
        const width = Math.floor(entry.contentRect.width);
        const before = widths.get(entry.target);
        widths.set(entry.target, width);
        if (before === undefined || before === width || width === 0) continue;
        const chart = this.charts.find((c) => c.chart.node === entry.target)?.chart;
        if (chart?.view) void chart.view.width(width).runAsync();
      }
    });
    for (const c of this.charts) this.resizeObserver.observe(c.chart.node);
  }

  protected override onBeforeDetach(): void {
    this.themeObserver?.disconnect();
    this.resizeObserver?.disconnect();
    this.tooltip.remove();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const c of this.charts) c.chart.dispose();
    this.table.dispose();
    this.themeObserver?.disconnect();
    this.resizeObserver?.disconnect();
    this.tooltip.remove();
    super.dispose();
  }

  private build(): void {
    this.live.hidden = true;
    // Shown when the study browser is on (it finds the study's journal by name).
    this.openTab.type = "button";
    this.openTab.title = "Open this study in a main-area tab (from its journal on disk)";
    this.openTab.hidden = true;
    this.openTab.addEventListener("click", () => {
      const name = this.model?.summary.name;
      if (name !== undefined) openInTabHandler()?.(name);
    });
    this.header.append(this.heading, this.summary, this.live, this.openTab);

    const charts = el("div", "tl-charts");
    const pair = el("div", "tl-pair");
    // Wide charts before the first pair chart sit above the pair, later ones below it.
    for (const { row, chart } of this.charts) {
      const box = el("figure", `tl-panel tl-panel-${row.name}`);
      const caption = el("figcaption", "tl-caption", row.caption);
      if (row.controls) caption.append(row.controls(chart));
      box.append(caption, chart.node);
      this.panels.set(row.name, box);
      if (row.place === "wide") charts.append(box);
      else {
        if (pair.parentElement !== charts) charts.append(pair);
        pair.append(box);
      }
    }
    if (pair.parentElement !== charts) charts.append(pair);

    this.errorBox.hidden = true;
    this.errorBox.setAttribute("role", "alert");
    this.content.append(this.boundary.node, this.filters.node, this.selection.node, charts, this.exports.node, this.table.node);
    this.node.append(this.header, this.studyNote.node, this.errorBox, this.content);
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== null) {
        // Back-to-back updates (a live study) are paced: after a render that cost C ms the next
        // one starts no sooner than PACE * C ms later (at most MAX_PACE_MS), so drawing takes
        // about a third of the page's time; updates arriving meanwhile are coalesced.
        const wait = this.paceUntil - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const model = this.pending;
        if (model === null || this.isDisposed) break;
        this.pending = null;
        const t0 = performance.now();
        await this.draw(model);
        const cost = performance.now() - t0;
        this.paceUntil = performance.now() + Math.min(PACE * cost, MAX_PACE_MS);
        this.renders++;
        this.node.dataset.renderMs = cost.toFixed(1);
        this.node.dataset.renders = String(this.renders);
      }
    } finally {
      this.drawing = null;
    }
  }

  private async draw(model: StudyModel): Promise<void> {
    const t0 = performance.now();
    this.model = model;
    this.errorBox.hidden = true;
    this.content.hidden = false;
    this.node.dataset.status = "ready";
    this.node.dataset.trials = String(model.rows.length);
    this.updateHeader(model);
    this.studyNote.show(model.payload);
    this.boundary.update(model);
    this.filters.update(model);
    this.table.render(model, this.state);
    this.updateSelection();
    this.showOnly(model.payload.view, model);
    this.node.dataset.tableMs = (performance.now() - t0).toFixed(1);
    await this.drawCharts();
  }

  /**
   * `study.show("parallel")` sends `view`: that view alone; without it, the whole panel. A chart
   * the study has nothing for (CHARTS' `has`) is left out.
   */
  private showOnly(view: ViewName | undefined, model: StudyModel): void {
    for (const { row } of this.charts) this.panels.get(row.name)!.hidden = (view !== undefined && view !== row.name) || !(row.has?.(model) ?? true);
    this.table.node.hidden = view !== undefined && view !== "table";
    this.exports.node.hidden = this.table.node.hidden;
    this.node.dataset.view = view ?? "all";
  }

  private shown(name: ChartName): boolean {
    return !this.panels.get(name)?.hidden;
  }

  /**
   * Draws the charts for the current model, state and theme. Requests made while a pass runs
   * are coalesced into one more pass, so two passes never touch a chart at once.
   */
  private drawCharts(): Promise<void> {
    this.chartsWanted = true;
    this.chartPass ??= (async () => {
      try {
        while (this.chartsWanted && !this.isDisposed) {
          this.chartsWanted = false;
          await this.chartPassOnce();
        }
      } finally {
        this.chartPass = null;
      }
    })();
    return this.chartPass;
  }

  private async chartPassOnce(): Promise<void> {
    // JupyterLab calls renderModel before it attaches the widget; charts sized to their
    // container wait until there is one.
    if (!this.isAttached) await this.attached;
    const model = this.model;
    if (!model || this.isDisposed) return;
    const ctx: ChartContext = { model, state: this.state, theme: readTheme(document.body) };
    // The browser gets a turn first (the table and summary just drawn are shown), then between
    // charts: input, scrolling and painting go on while a big study draws.
    await yieldToBrowser();
    if (this.isDisposed) return;
    const shown = this.charts.filter(({ row }) => this.shown(row.name));
    // Every panel takes its final height now, before any chart is drawn: a chart appearing then
    // moves nothing below it, so the frames between charts paint that chart alone (rather than
    // laying out and repainting the rest of the panel, the table and the notebook again).
    // (All measured before any is set: one layout. A chart whose estimate throws gets no room; its
    // render fails the same way and says so in its panel.)
    const heights = shown.map(({ chart }) => {
      try {
        return chart.reservedHeight(ctx);
      } catch {
        return 0;
      }
    });
    shown.forEach(({ chart }, i) => (chart.node.style.minHeight = `${Math.ceil(heights[i]!)}px`));
    try {
      let first = true;
      for (const { row, chart } of shown) {
        if (!this.shown(row.name)) continue;
        // One chart per task (the first shares the reservation's): the browser is free in between.
        if (!first) {
          await yieldToBrowser();
          if (this.isDisposed) return;
        }
        first = false;
        try {
          await chart.render(ctx);
        } catch (err) {
          // One chart failing (a vega error) must not take the table and the other charts with it.
          chart.showFailure(err);
        }
      }
    } finally {
      // Drawn, each chart has its own height again (an estimate that was off changes it once, here).
      for (const { chart } of shown) chart.node.style.minHeight = "";
    }
  }

  private updateHeader(model: StudyModel): void {
    const sum = model.summary;
    setText(this.heading, sum.name);
    const parts = [
      `${sum.direction} ${sum.metric}`,
      sum.strategy,
      `${sum.trials} trial${sum.trials === 1 ? "" : "s"}`,
      sum.best ? `best #${sum.best.number}: ${formatNumber(sum.best.value)}` : "no complete trial yet",
    ];
    setText(this.summary, parts.join(" · "));
    this.live.hidden = !sum.running;
    this.openTab.hidden = openInTabHandler() === undefined || this.node.closest(".tl-study-tab") !== null || !canOpenInTab(model.payload.study.storage);
  }

  private updateSelection(): void {
    const n = this.state.selected;
    const row = this.model && n !== null ? this.model.trial(n) : undefined;
    this.node.dataset.selected = row ? String(row.number) : "";
    this.selection.show(this.model, row);
  }

  private onStateChange(change: Change, source: string): void {
    const model = this.model;
    if (!model) return;
    if (change === "selection") {
      this.table.showSelection(source !== "table");
      this.updateSelection();
      for (const c of this.charts) void c.chart.select(this.state.selected);
      return;
    }
    this.filters.update(model);
    this.table.render(model, this.state);
    void this.drawCharts();
  }

  private resetFilters(): void {
    for (const s of STATES) this.state.setStateShown(s, true, "reset");
    this.state.setBrush(null, "reset");
  }

  private onThemeChange(): void {
    if (this.model) void this.drawCharts();
  }

  private showProblem(problem: PayloadProblem): void {
    this.model = null;
    this.studyNote.show(null);
    this.content.hidden = true;
    this.live.hidden = true;
    setText(this.heading, "tunelab");
    setText(this.summary, "");
    this.node.dataset.status = "error";
    this.errorBox.hidden = false;
    this.errorBox.textContent = "";
    this.errorBox.append(
      el("strong", "", "This tunelab output can't be shown."),
      el("span", "tl-error-text", problem.message),
      el("span", "tl-error-hint", `(${problem.code}; the output's other formats, such as text/plain, still have its content.)`),
    );
  }
}
