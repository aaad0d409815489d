import { curvesData, curvesSpec } from "./curves";
import { historyData, historySpec } from "./history";
import { parallelData, parallelSpec } from "./parallel";
import { sliceData, sliceSpec } from "./slice";
import { contourData, contourSpec, defaultPair } from "./contour";
import { hasImportance, importanceData, importanceSpec } from "./analysis/importance-view";
import type { StudyPayload } from "./payload";
import type { VegaLiteSpec } from "./vegalite";

/** The views a study can show: `study.show(name)`. */
export const ViewNames = ["table", "parallel", "curves", "history", "importance", "slice", "contour"] as const;
export type ViewName = (typeof ViewNames)[number];
/** The views drawn as charts. */
export type ChartName = Exclude<ViewName, "table">;

export function isViewName(v: unknown): v is ViewName {
  return (ViewNames as readonly unknown[]).includes(v);
}

/**
 * The charts, one row each: the static spec of a payload, or null when there is nothing to draw
 * (no trial with a value, none that reported, none complete). A new chart is a file in src/views
 * and a row here (and a row in the extension's chart table).
 */
const CHART_SPECS: { readonly [K in ChartName]: (p: StudyPayload) => VegaLiteSpec | null } = {
  parallel: (p) => {
    const d = parallelData(p);
    return d.lines.length > 0 ? parallelSpec(d) : null;
  },
  curves: (p) => {
    const d = curvesData(p);
    return d.trials.length > 0 ? curvesSpec(d) : null;
  },
  history: (p) => {
    const d = historyData(p);
    return d.points.length > 0 ? historySpec(d) : null;
  },
  importance: (p) => {
    const d = importanceData(p);
    return hasImportance(d) ? importanceSpec(d) : null;
  },
  slice: (p) => {
    const d = sliceData(p);
    return d.panels.some((s) => s.points.length > 0) ? sliceSpec(d) : null;
  },
  contour: (p) => {
    const pair = defaultPair(p);
    const d = pair ? contourData(p, pair[0], pair[1]) : null;
    return d && d.points.length > 0 ? contourSpec(d) : null;
  },
};

/**
 * The charts worth drawing for a payload, in panel order: parallel
 * coordinates when some trial has a value (or failed), curves when some trial
 * reported, history when some trial completed, importance when it says something
 * (enough complete trials). `only` keeps just those views.
 */
export function viewSpecs(p: StudyPayload, only?: readonly ChartName[]): { readonly name: ChartName; readonly spec: VegaLiteSpec }[] {
  const out: { name: ChartName; spec: VegaLiteSpec }[] = [];
  for (const name of Object.keys(CHART_SPECS) as ChartName[]) {
    if (only !== undefined && !only.includes(name)) continue;
    const spec = CHART_SPECS[name](p);
    if (spec !== null) out.push({ name, spec });
  }
  return out;
}
