/**
 * The panel's charts, one row each: the chart class, its caption, where it sits (the full width,
 * or one of a pair), and when it is left out. A new view is one file in src/views (its data and
 * static spec, with a row in src/views/specs.ts), one chart class here, and one row below.
 */
import type { ChartName } from "../../../src/views";
import type { StudyModel } from "../study-model";
import { CurvesChart } from "./curves";
import { HistoryChart } from "./history";
import { hasImportanceTrials, ImportanceChart } from "./importance";
import { ParallelChart } from "./parallel";
import type { ChartContext, ChartEvents, VegaChart } from "./vega-chart";
import { SliceChart } from "./slice";
import { ContourChart } from "./contour";

/** What the widget asks of a chart: a vega chart (VegaChart) or one painted on a canvas (CanvasChart). */
export interface PanelChart {
  readonly node: HTMLElement;
  /** The vega view, which the widget tells about width changes; null for charts that watch their own size. */
  readonly view: VegaChart["view"];
  render(ctx: ChartContext): Promise<void>;
  /** The height (CSS px) the chart node will take for `ctx`: its own once drawn, else an estimate made without drawing. */
  reservedHeight(ctx: ChartContext): number;
  select(trial: number | null): Promise<void>;
  showFailure(err: unknown): void;
  dispose(): void;
}

export interface ChartRow {
  readonly name: ChartName;
  readonly make: (events: ChartEvents) => PanelChart;
  readonly caption: string;
  /** "wide": a row of its own; "pair": side by side with the other "pair" charts. */
  readonly place: "wide" | "pair";
  /** Controls shown after the caption (e.g. the importance method), made once with the chart. */
  readonly controls?: (chart: PanelChart) => HTMLElement;
  /** Whether the study has anything for it (its panel is left out otherwise); default: always. */
  readonly has?: (model: StudyModel) => boolean;
}

/** In drawing order (the first is drawn first); the panel lays them out by `place`. */
export const CHARTS: readonly ChartRow[] = [
  {
    name: "parallel",
    make: (e) => new ParallelChart("parallel", e),
    caption: "Parallel coordinates · drag along axes to filter (a band per axis), drag a name to move its axis, double-click to clear",
    place: "wide",
  },
  { name: "history", make: (e) => new HistoryChart("history", e), caption: "Optimisation history · complete trials and the best so far", place: "pair" },
  {
    name: "curves",
    make: (e) => new CurvesChart("curves", e),
    caption: "Learning curves · each trial's reported values by step",
    place: "pair",
    // Left out while no trial has reported an intermediate value (the history then takes the row).
    has: (m) => m.curves.trials.length > 0,
  },
  {
    name: "importance",
    make: (e) => new ImportanceChart("importance", e),
    caption: "Parameter importance · each parameter's share",
    place: "wide",
    controls: (chart) => (chart as ImportanceChart).methodPicker(),
    has: hasImportanceTrials,
  },
  // ---- slice and contour plots (issue 16 part 2): painted on a canvas, below the pair ----
  {
    name: "slice",
    make: (e) => new SliceChart("slice", e),
    caption: "Slice plots · the objective against each parameter, one mark per complete trial (click one to select it)",
    place: "wide",
    has: (m) => m.summary.counts.complete > 0,
  },
  {
    name: "contour",
    make: (e) => new ContourChart("contour", e),
    caption: "Contour · the objective over a pair of parameters (surface: inverse-distance interpolation), one mark per complete trial",
    place: "wide",
    has: (m) => m.summary.counts.complete > 0 && m.paramNames.length >= 2,
  },
];
