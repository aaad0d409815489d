import { isBetter, type Direction } from "../model/trial";
import { finiteOrNull } from "./format";
import type { StudyPayload } from "./payload";
import type { ChartSize } from "./parallel";
import { BEST_COLOR } from "./encoding";
import { STATE_COLORS, VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vegalite";

/** A complete trial's value and the best value up to and including it. */
export interface HistoryPoint {
  readonly trial: number;
  readonly value: number;
  readonly best: number;
}

export interface HistoryData {
  readonly metric: string;
  readonly direction: Direction;
  /** Complete trials in trial-number order. */
  readonly points: readonly HistoryPoint[];
}

/**
 * The optimisation history: each complete trial's value and the best so far
 * in the study's direction.
 *
 * @example historyData(payload).points // [{ trial: 0, value: 3, best: 3 }, { trial: 1, value: 5, best: 3 }]
 */
export function historyData(p: StudyPayload): HistoryData {
  const points: HistoryPoint[] = [];
  let best: number | undefined;
  for (const t of [...p.trials].sort((a, b) => a.number - b.number)) {
    const v = finiteOrNull(t.value);
    if (t.state !== "complete" || v === null) continue;
    if (best === undefined || isBetter(p.study.direction, v, best)) best = v;
    points.push({ trial: t.number, value: v, best });
  }
  return { metric: p.study.metric, direction: p.study.direction, points };
}

/** Trial values as points and the best-so-far as a step line. */
export function historySpec(d: HistoryData, size: ChartSize = {}): VegaLiteSpec {
  const x = { field: "trial", type: "quantitative", title: "trial" };
  const color = (label: string) => ({
    datum: label,
    type: "nominal",
    title: null,
    scale: { domain: ["trial value", "best so far"], range: [STATE_COLORS.complete, BEST_COLOR] },
  });
  const values = d.points.map((pt) => ({ ...pt }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    width: size.width ?? 480,
    height: size.height ?? 260,
    // No ARIA: vega-lite would build description expressions from the axis title (the metric's name).
    config: { aria: false },
    title: { text: d.metric, subtitle: "optimisation history", anchor: "start" },
    data: { values },
    layer: [
      {
        mark: { type: "point", filled: true, size: 30, opacity: 0.8 },
        encoding: {
          x,
          y: { field: "value", type: "quantitative", title: d.metric, scale: { zero: false } },
          color: color("trial value"),
          tooltip: [
            { field: "trial", type: "quantitative", title: "trial" },
            { field: "value", type: "quantitative", title: "value", format: ".4~g" },
          ],
        },
      },
      {
        mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
        encoding: { x, y: { field: "best", type: "quantitative" }, color: color("best so far") },
      },
    ],
  };
}
