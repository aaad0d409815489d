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
import type { ChartEvents, VegaChart } from "./vega-chart";

export interface ChartRow {
  readonly name: ChartName;
  readonly make: (events: ChartEvents) => VegaChart;
  readonly caption: string;
  /** "wide": a row of its own; "pair": side by side with the other "pair" charts. */
  readonly place: "wide" | "pair";
  /** Controls shown after the caption (e.g. the importance method), made once with the chart. */
  readonly controls?: (chart: VegaChart) => HTMLElement;
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
];
