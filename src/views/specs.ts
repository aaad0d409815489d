import { curvesData, curvesSpec } from "./curves";
import { historyData, historySpec } from "./history";
import { parallelData, parallelSpec } from "./parallel";
import type { StudyPayload } from "./payload";
import type { VegaLiteSpec } from "./vegalite";

/** The views a study can show: `study.show(name)`. */
export const ViewNames = ["table", "parallel", "curves", "history"] as const;
export type ViewName = (typeof ViewNames)[number];
/** The views drawn as charts. */
export type ChartName = Exclude<ViewName, "table">;

export function isViewName(v: unknown): v is ViewName {
  return (ViewNames as readonly unknown[]).includes(v);
}

/**
 * The charts worth drawing for a payload, in panel order: parallel
 * coordinates when some trial has a value, curves when some trial reported,
 * history when some trial completed. `only` keeps just those views.
 */
export function viewSpecs(p: StudyPayload, only?: readonly ChartName[]): { readonly name: ChartName; readonly spec: VegaLiteSpec }[] {
  const want = (n: ChartName) => only === undefined || only.includes(n);
  const out: { name: ChartName; spec: VegaLiteSpec }[] = [];
  if (want("parallel")) {
    const d = parallelData(p);
    if (d.lines.length > 0) out.push({ name: "parallel", spec: parallelSpec(d) });
  }
  if (want("curves")) {
    const d = curvesData(p);
    if (d.trials.length > 0) out.push({ name: "curves", spec: curvesSpec(d) });
  }
  if (want("history")) {
    const d = historyData(p);
    if (d.points.length > 0) out.push({ name: "history", spec: historySpec(d) });
  }
  return out;
}
