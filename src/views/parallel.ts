import type { Direction, TrialState } from "../model/trial";
import type { ParamDef } from "../space/types";
import { linearScale, paramScale, type AxisKind, type AxisScale, type AxisTick } from "./axis";
import { finiteOrNull, formatNumber, formatValue } from "./format";
import type { StudyPayload } from "./payload";
import { paramNames } from "./summary";
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vegalite";

/** One vertical axis: a parameter, or (the last one) the objective. */
export interface ParallelAxis {
  readonly index: number;
  /** The parameter's name, or the objective metric's name. */
  readonly name: string;
  readonly kind: AxisKind;
  readonly objective: boolean;
  /** Real units at the bottom and top (categorical: first and last choice index). */
  readonly domain: readonly [number, number];
  readonly ticks: readonly AxisTick[];
}

/** One trial's polyline: per axis its place in [0, 1] and its value as text; null where the parameter is inactive. */
export interface ParallelLine {
  readonly number: number;
  readonly state: TrialState;
  readonly value: number;
  readonly norms: readonly (number | null)[];
  readonly labels: readonly (string | null)[];
}

export interface ParallelData {
  readonly metric: string;
  readonly direction: Direction;
  readonly axes: readonly ParallelAxis[];
  /** Trials with an objective value (complete and pruned), in trial-number order. */
  readonly lines: readonly ParallelLine[];
}

/**
 * Parallel-coordinates data: one axis per parameter in declaration order
 * (log axes for log parameters, evenly spaced choices for categorical ones,
 * normalised over the declared range) and the objective last (normalised
 * over the observed range). Ticks carry labels in real units.
 *
 * @example parallelData(payload).lines[0].norms // [0.25, 1, null, 0.8]
 */
export function parallelData(p: StudyPayload): ParallelData {
  const names = paramNames(p);
  const trials = [...p.trials].filter((t) => finiteOrNull(t.value) !== null).sort((a, b) => a.number - b.number);
  const values = trials.map((t) => t.value as number);
  const scales: AxisScale[] = [...names.map((n) => scaleFor(p.study.space[n]!, trials.map((t) => t.params[n]))), observedScale(values)];
  const defs: (ParamDef | undefined)[] = [...names.map((n) => p.study.space[n]), undefined];
  const axes = scales.map((s, index): ParallelAxis => ({
    index,
    name: index < names.length ? names[index]! : p.study.metric,
    kind: s.kind,
    objective: index === names.length,
    domain: s.domain,
    ticks: s.ticks,
  }));
  const lines = trials.map((t): ParallelLine => {
    const raw: unknown[] = [...names.map((n) => t.params[n]), t.value];
    const norms = raw.map((v, i) => scales[i]!.norm(v));
    return {
      number: t.number,
      state: t.state,
      value: t.value as number,
      norms,
      labels: raw.map((v, i) => (norms[i] === null ? null : formatValue(v as number, defs[i]))),
    };
  });
  return { metric: p.study.metric, direction: p.study.direction, axes, lines };
}

/** The definition's scale, or the observed range when the definition is unusable (a hostile payload). */
function scaleFor(def: ParamDef, seen: readonly unknown[]): AxisScale {
  if (def.type === "categorical" && Array.isArray(def.choices)) return paramScale(def);
  if ((def.type === "float" || def.type === "int") && Number.isFinite(def.low) && Number.isFinite(def.high) && def.low <= def.high) return paramScale(def);
  return observedScale(seen);
}

/** A linear scale over the finite numbers seen ([0, 1] when there are none). A loop, not
 * Math.min(...xs): spreading tens of thousands of arguments overflows the stack. */
function observedScale(seen: readonly unknown[]): AxisScale {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of seen) {
    if (typeof v !== "number" || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? linearScale(lo, hi) : linearScale(0, 1);
}

/** One point of a polyline, as the spec's data rows carry it. */
export interface ParallelRow {
  readonly trial: number;
  readonly axis: number;
  readonly norm: number | null;
  readonly label: string | null;
  readonly value: number;
  readonly state: TrialState;
}

/**
 * The points of every polyline, one row per trial and axis; worst trials
 * first so the best are drawn on top.
 */
export function parallelRows(d: ParallelData): ParallelRow[] {
  const order = [...d.lines].sort((a, b) => (d.direction === "minimize" ? b.value - a.value : a.value - b.value) || a.number - b.number);
  const rows: ParallelRow[] = [];
  for (const l of order) {
    for (let axis = 0; axis < d.axes.length; axis++) {
      rows.push({ trial: l.number, axis, norm: l.norms[axis] ?? null, label: l.labels[axis] ?? null, value: l.value, state: l.state });
    }
  }
  return rows;
}

export interface ChartSize {
  readonly width?: number;
  readonly height?: number;
}

/**
 * The vega-lite spec (as vega-lite's parallel-coordinates example: one
 * normalised y scale, a rule per axis, lines coloured by the objective),
 * with tick labels in real units and axis names drawn as text marks. Built
 * from data values only: names and labels are data, never expressions, and
 * axis and legend titles are fixed words (vega-lite turns those into ARIA
 * description expressions), so a hostile payload can't inject vega code.
 */
export function parallelSpec(d: ParallelData, size: ChartSize = {}): VegaLiteSpec {
  const x = { field: "axis", type: "ordinal", axis: null, scale: { domain: d.axes.map((a) => a.index), paddingOuter: 0.15 } };
  const y = { field: "norm", type: "quantitative", axis: null, scale: { domain: [0, 1], nice: false, zero: false } };
  const ticks = d.axes.flatMap((a) => a.ticks.map((t) => ({ axis: a.index, norm: t.norm, label: t.label })));
  const headers = d.axes.map((a) => ({ axis: a.index, name: a.name }));
  return {
    $schema: VEGA_LITE_SCHEMA,
    width: size.width ?? Math.max(320, 110 * d.axes.length),
    height: size.height ?? 300,
    padding: { top: 24, left: 8, right: 48, bottom: 8 },
    config: { view: { stroke: null } },
    layer: [
      {
        data: { values: headers },
        mark: { type: "rule", color: "#888", strokeWidth: 1 },
        encoding: { x },
      },
      {
        data: { values: parallelRows(d) },
        mark: { type: "line", strokeWidth: 1.2, opacity: 0.7 },
        encoding: {
          x,
          y,
          detail: { field: "trial", type: "nominal" },
          color: { field: "value", type: "quantitative", title: "objective", scale: { scheme: "viridis", reverse: d.direction === "minimize" } },
          tooltip: [
            { field: "trial", type: "quantitative", title: "trial" },
            { field: "label", type: "nominal", title: "value on axis" },
            { field: "value", type: "quantitative", title: "objective", format: ".4~g" },
          ],
        },
      },
      {
        data: { values: ticks },
        mark: { type: "text", align: "left", dx: 4, fontSize: 10, color: "#555" },
        encoding: { x, y, text: { field: "label", type: "nominal" } },
      },
      {
        data: { values: headers },
        mark: { type: "text", baseline: "bottom", fontSize: 11, fontWeight: "bold", color: "#333" },
        encoding: { x, y: { value: -6 }, text: { field: "name", type: "nominal" } },
      },
    ],
  };
}
