/**
 * A main-area tab comparing studies: their best-so-far values overlaid by trial number and by
 * wall time (seconds since each study's first trial started), and one table of every trial with
 * a study column. Follows the studies as they change on disk.
 */
import { Widget } from "@lumino/widgets";
import { chartConfig, readTheme } from "../charts/theme";
import { embedChart, type Chart } from "../charts/vega";
import { el, setText } from "../dom";
import { compareData, studyLabels, type BestPoint } from "./compare-data";
import { coalesced } from "./coalesce";
import { CompareTable } from "./compare-table";
import type { StudyLibrary } from "./study-files";
import { combineExports, exportData } from "../../../src/views/analysis/export";
import { edfLine } from "../../../src/views/edf";
import { toPayload } from "../../../src/views/payload";
import type { StudySnapshot } from "../../../src/model/trial";
import { ExportButtons } from "../export-buttons";

export class CompareTab extends Widget {
  private readonly header = el("div", "tl-cmp-header");
  private readonly note = el("div", "tl-cmp-note");
  private readonly byTrial = el("div", "tl-chart tl-cmp-chart tl-cmp-by-trial");
  private readonly byTime = el("div", "tl-chart tl-cmp-chart tl-cmp-by-time");
  private readonly table = new CompareTable();
  /** The objective values' distribution per study (issue 16 part 2). */
  private readonly edf = el("div", "tl-chart tl-cmp-chart tl-cmp-edf");
  /** The studies last drawn (what the export buttons write). */
  private studies: { label: string; snapshot: StudySnapshot }[] = [];
  private readonly exports = new ExportButtons(() =>
    this.studies.length === 0
      ? null
      : {
          name: "compare",
          data: combineExports(
            this.studies.map((s) => ({ label: s.label, data: exportData(toPayload(s.snapshot, false)) })),
            this.table.shownRows.map((r) => ({ study: r.study, number: r.number })),
          ),
        },
  );
  private charts: { trial: Chart; time: Chart; edf: Chart; theme: string } | null = null;
  private versions = "";
  /** Redraws when a compared study changed; calls while drawing coalesce into one more pass. */
  private readonly redraw = coalesced(() => this.drawOnce(), () => this.isDisposed);
  private readonly stopWatching: () => void;
  private themeObserver: MutationObserver | null = null;

  constructor(
    private readonly library: StudyLibrary,
    readonly paths: readonly string[],
  ) {
    super();
    this.addClass("tl-compare");
    this.title.closable = true;
    this.title.iconClass = "tl-tab-icon";
    const figure = (chart: HTMLElement, caption: string) => {
      const f = el("figure", "tl-panel");
      f.append(el("figcaption", "tl-caption", caption), chart);
      return f;
    };
    const charts = el("div", "tl-pair");
    charts.append(figure(this.byTrial, "Best so far · by trial number"), figure(this.byTime, "Best so far · by wall time (seconds since each study's first trial)"));
    charts.append(figure(this.edf, "Objective distribution (EDF) · share of each study's complete trials at or below a value"));
    this.note.hidden = true;
    this.node.append(this.header, this.note, charts, this.exports.node, this.table.node);
    this.library.changed.connect(this.onChange, this);
    this.stopWatching = library.watch(() => this.isVisible);
    void this.redraw();
  }

  protected override onAfterAttach(): void {
    this.themeObserver = new MutationObserver(() => {
      this.charts = null;
      this.versions = "";
      void this.redraw();
    });
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
    void this.redraw();
  }

  protected override onBeforeDetach(): void {
    this.themeObserver?.disconnect();
  }

  /** Closing the tab ends it (a plain Widget would only be detached, and go on polling). */
  protected override onCloseRequest(): void {
    this.dispose();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.stopWatching();
    this.library.changed.disconnect(this.onChange, this);
    this.themeObserver?.disconnect();
    this.table.dispose();
    for (const c of [this.charts?.trial, this.charts?.time, this.charts?.edf]) c?.finalize();
    super.dispose();
  }

  private onChange(): void {
    void this.redraw();
  }

  private async drawOnce(): Promise<void> {
    const entries = this.paths.map((p) => this.library.entry(p)).filter((e) => e !== undefined && e.reader.replica !== null);
    const versions = entries.map((e) => `${e!.path}:${e!.reader.version}`).join("|");
    if (versions === this.versions || this.isDisposed) return;
    const labels = studyLabels(entries.map((e) => ({ name: e!.reader.spec!.name, folder: e!.folder })));
    this.studies = entries.map((e, i) => ({ label: labels[i]!, snapshot: e!.reader.replica! }));
    const data = compareData(this.studies);
    setText(this.header, `Comparing ${labels.length} stud${labels.length === 1 ? "y" : "ies"}: ${labels.join(" · ")}`);
    this.title.label = `Compare: ${labels.join(", ")}`;
    this.note.hidden = !data.mixed && entries.length === this.paths.length;
    setText(
      this.note,
      [data.mixed ? "These studies differ in metric or direction: the lines compare unlike values." : "", entries.length < this.paths.length ? `${this.paths.length - entries.length} selected file(s) can't be read any more.` : ""].join(" ").trim(),
    );
    this.table.update(data.rows);
    this.node.dataset.studies = String(labels.length);
    this.node.dataset.rows = String(data.rows.length);
    if (!this.isAttached) return; // charts size to their container: wait for one
    this.versions = versions;
    const theme = readTheme(document.body);
    const key = `${theme.dark}|${theme.text}`;
    try {
      if (!this.charts || this.charts.theme !== key) {
        for (const c of [this.charts?.trial, this.charts?.time, this.charts?.edf]) c?.finalize();
        this.byTrial.textContent = "";
        this.byTime.textContent = "";
        this.edf.textContent = "";
        const trial = await embedChart(this.byTrial, spec(chartConfig(theme), "trial", data.metric));
        const time = await embedChart(this.byTime, spec(chartConfig(theme), "seconds", data.metric));
        const edf = await embedChart(this.edf, edfSpec(chartConfig(theme), data.metric));
        this.charts = { trial, time, edf, theme: key };
      }
      await feed(this.charts.trial, data.byTrial);
      await feed(this.charts.time, data.byTime);
      const lines = edfRows(this.studies);
      this.edf.dataset.points = String(lines.length);
      await this.charts.edf.view.data("edf", lines).runAsync();
      this.node.dataset.status = "ready";
    } catch (err) {
      this.node.dataset.status = "error";
      setText(this.note, `The charts could not be drawn: ${err instanceof Error ? err.message : String(err)}`);
      this.note.hidden = false;
    }
    this.table.draw();
  }
}

function feed(chart: Chart, rows: readonly BestPoint[]): Promise<unknown> {
  return chart.view.data("best", rows.map((r) => ({ ...r }))).runAsync();
}

/** A step line per study; study names are data values only (legend text), never expressions. */
function spec(config: object, x: "trial" | "seconds", metric: string): object {
  return stepLines(config, "best", { type: "line", interpolate: "step-after", strokeWidth: 2, point: { size: 14 } }, {
    x: { field: "x", type: "quantitative", title: x === "trial" ? "trial" : "seconds", scale: { zero: true, nice: false } },
    y: { field: "best", type: "quantitative", title: `best ${metric}`, scale: { zero: false } },
  });
}

/** A line per study from the named dataset, coloured by study with the legend below. */
function stepLines(config: object, data: string, mark: object, axes: { x: object; y: object }): object {
  return {
    width: "container",
    height: 240,
    autosize: { type: "fit-x", contains: "padding" },
    config,
    data: { name: data },
    mark,
    encoding: { ...axes, color: { field: "study", type: "nominal", title: null, legend: { orient: "bottom", labelLimit: 240 } } },
  };
}

/** Each study's EDF of its complete trials' values, as chart rows (at most EDF_POINTS per study). */
export function edfRows(studies: readonly { label: string; snapshot: StudySnapshot }[]): { study: string; x: number; p: number }[] {
  const out: { study: string; x: number; p: number }[] = [];
  for (const { label, snapshot } of studies) {
    const values: number[] = [];
    for (const t of snapshot.trials) if (t.state === "complete" && typeof t.value === "number") values.push(t.value);
    for (const pt of edfLine(values)) out.push({ study: label, x: pt.x, p: pt.p });
  }
  return out;
}

/** The EDF as a step line per study (study names are data: legend text, never expressions). */
function edfSpec(config: object, metric: string): object {
  return stepLines(config, "edf", { type: "line", interpolate: "step-after", strokeWidth: 2 }, {
    x: { field: "x", type: "quantitative", title: metric, scale: { zero: false, nice: false } },
    y: { field: "p", type: "quantitative", title: "share of trials ≤ value", scale: { domain: [0, 1] }, axis: { format: "%" } },
  });
}
