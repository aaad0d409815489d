import { TrialStates, type Direction, type TrialState } from "../model/trial";
import { formatParams } from "./format";
import type { StudyPayload } from "./payload";
import type { ChartSize } from "./parallel";
import { paramNames } from "./summary";
import { STATE_COLORS, VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vegalite";

/** One trial's learning curve: the objective metric it reported, by step. */
export interface CurveTrial {
  readonly number: number;
  readonly state: TrialState;
  /** Its configuration as text ("lr=0.01, opt=adam"), for hover. */
  readonly params: string;
  /** [step, value] in step order, finite values only. */
  readonly points: readonly (readonly [number, number])[];
}

export interface CurvesData {
  readonly metric: string;
  readonly direction: Direction;
  /** Trials that reported at least one value, in trial-number order. */
  readonly trials: readonly CurveTrial[];
}

/**
 * Learning curves: each trial's intermediate values by step, with its state
 * so pruned and failed trials can be drawn differently.
 *
 * @example curvesData(payload).trials[0].points // [[1, 0.9], [2, 0.7]]
 */
export function curvesData(p: StudyPayload): CurvesData {
  const names = paramNames(p);
  const trials = [...p.trials]
    .sort((a, b) => a.number - b.number)
    .map((t): CurveTrial => ({
      number: t.number,
      state: t.state,
      params: formatParams(t.params, names, p.study.space),
      points: t.intermediate
        .filter((sv) => Array.isArray(sv) && Number.isFinite(sv[0]) && Number.isFinite(sv[1]))
        .map((sv) => [sv[0], sv[1]] as const)
        .sort((a, b) => a[0] - b[0]),
    }))
    .filter((t) => t.points.length > 0);
  return { metric: p.study.metric, direction: p.study.direction, trials };
}

/** One point of a curve as the spec's data rows carry it. */
export interface CurveRow {
  readonly trial: number;
  readonly step: number;
  readonly value: number;
  readonly state: TrialState;
  readonly params: string;
}

export function curveRows(d: CurvesData): CurveRow[] {
  return d.trials.flatMap((t) => t.points.map(([step, value]) => ({ trial: t.number, step, value, state: t.state, params: t.params })));
}

/** The last point of each curve: where a pruned trial was stopped. */
export function curveEnds(d: CurvesData): CurveRow[] {
  return d.trials.map((t) => {
    const [step, value] = t.points[t.points.length - 1]!;
    return { trial: t.number, step, value, state: t.state, params: t.params };
  });
}

/** Where a curve ends: a cross for trials stopped early or failed. */
const STATE_SHAPES: Readonly<Record<TrialState, string>> = { running: "circle", complete: "circle", pruned: "cross", failed: "cross" };

/** The state colour scale, fixed so colours mean the same in every chart. */
export const stateColor = {
  field: "state",
  type: "nominal",
  title: "state",
  scale: { domain: [...TrialStates], range: TrialStates.map((s) => STATE_COLORS[s]) },
} as const;

/**
 * Lines by trial coloured by state; pruned and failed trials end in a cross
 * at their last step; hover names the trial and its parameters.
 */
export function curvesSpec(d: CurvesData, size: ChartSize = {}): VegaLiteSpec {
  const x = { field: "step", type: "quantitative", title: "step" };
  const y = { field: "value", type: "quantitative", title: "objective", scale: { zero: false } };
  const tooltip = [
    { field: "trial", type: "quantitative", title: "trial" },
    { field: "state", type: "nominal", title: "state" },
    { field: "step", type: "quantitative", title: "step" },
    { field: "value", type: "quantitative", title: "value", format: ".4~g" },
    { field: "params", type: "nominal", title: "params" },
  ];
  return {
    $schema: VEGA_LITE_SCHEMA,
    width: size.width ?? 480,
    height: size.height ?? 260,
    title: { text: d.metric, subtitle: "learning curves", anchor: "start" },
    layer: [
      {
        data: { values: curveRows(d) },
        mark: { type: "line", strokeWidth: 1.2, opacity: 0.75 },
        encoding: { x, y, detail: { field: "trial", type: "nominal" }, color: stateColor, tooltip },
      },
      {
        data: { values: curveEnds(d) },
        mark: { type: "point", filled: true, size: 36 },
        encoding: {
          x,
          y,
          color: stateColor,
          shape: { field: "state", type: "nominal", title: "state", scale: { domain: [...TrialStates], range: TrialStates.map((s) => STATE_SHAPES[s]) } },
          tooltip,
        },
      },
    ],
  };
}
