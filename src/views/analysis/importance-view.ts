/**
 * The importance bar chart as data and as a static vega-lite spec (the saved notebook's
 * picture); the extension draws the same data with its theme (extension/src/charts/importance.ts).
 */
import type { StudyPayload } from "../payload";
import type { ChartSize } from "../parallel";
import { STATE_COLORS, VEGA_LITE_SCHEMA, type VegaLiteSpec } from "../vegalite";
import { importance, type ImportanceMethod, type ParamImportance } from "./importance";

export interface ImportanceData {
  readonly method: ImportanceMethod;
  /** How many complete trials it was computed from. */
  readonly trials: number;
  /** Most important first; all 0 while there are too few trials to tell. */
  readonly bars: readonly ParamImportance[];
}

/** The methods' names as people read them. */
export const IMPORTANCE_LABELS: Readonly<Record<ImportanceMethod, string>> = { "ped-anova": "PED-ANOVA", fanova: "fANOVA" };

/**
 * The payload's importance (the payload has no seed: fANOVA's forest is drawn from seed 0 here).
 *
 * @example importanceData(payload).bars[0] // { param: "lr", importance: 0.7 }
 */
export function importanceData(p: StudyPayload, method: ImportanceMethod = "ped-anova"): ImportanceData {
  const trials = p.trials.filter((t) => t.state === "complete" && typeof t.value === "number" && Number.isFinite(t.value)).length;
  const bars = importance(p.trials, p.study.space, { method, direction: p.study.direction, ...(p.study.paramOrder ? { order: p.study.paramOrder } : {}) });
  return { method, trials, bars };
}

/** Whether the data says anything (some parameter has a share). */
export function hasImportance(d: ImportanceData): boolean {
  return d.bars.some((b) => b.importance > 0);
}

/** Horizontal bars, most important on top, shares as percentages. */
export function importanceSpec(d: ImportanceData, size: ChartSize = {}): VegaLiteSpec {
  const values = d.bars.map((b, rank) => ({ param: b.param, importance: b.importance, rank }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    width: size.width ?? 480,
    height: size.height ?? Math.max(40, 20 * values.length),
    config: { aria: false },
    title: { text: "parameter importance", subtitle: `${IMPORTANCE_LABELS[d.method]} over ${d.trials} complete trials`, anchor: "start" },
    data: { values },
    mark: { type: "bar", color: STATE_COLORS.complete },
    encoding: {
      y: { field: "param", type: "nominal", title: null, sort: { field: "rank", order: "ascending" } },
      x: { field: "importance", type: "quantitative", title: "share of importance", axis: { format: "%" }, scale: { domain: [0, 1] } },
      tooltip: [
        { field: "param", type: "nominal", title: "parameter" },
        { field: "importance", type: "quantitative", title: "importance", format: ".1%" },
      ],
    },
  };
}
