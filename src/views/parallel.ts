import type { Direction, TrialState } from "../model/trial";
import type { ParamDef } from "../space/types";
import { linearScale, paramScale, type AxisKind, type AxisScale, type AxisTick } from "./axis";
import { finiteOrNull, formatNumber, formatValue } from "./format";
import type { StudyPayload } from "./payload";
import { paramNames } from "./summary";
import { NO_VALUE_COLOR, FAILED_LABEL, FAILED_POSITION, LINE_STATES, objectiveColorChannel, stateDashChannel } from "./encoding";
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
  /** The objective's axis when some trial failed: it has a "failed" band at FAILED_POSITION. */
  readonly failedBand: boolean;
}

/**
 * One trial's polyline: per axis its place in [0, 1] and its value as text; null where the
 * parameter is inactive. A failed trial has no value: it meets the objective's axis at its
 * "failed" band (FAILED_POSITION).
 */
export interface ParallelLine {
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  readonly norms: readonly (number | null)[];
  readonly labels: readonly (string | null)[];
}

export interface ParallelData {
  readonly metric: string;
  readonly direction: Direction;
  readonly axes: readonly ParallelAxis[];
  /** Trials with an objective value (complete and pruned) and failed trials, in trial-number order. */
  readonly lines: readonly ParallelLine[];
}

/**
 * Parallel-coordinates data: one axis per parameter in declaration order
 * (log axes for log parameters, evenly spaced choices for categorical ones,
 * normalised over the declared range) and the objective last (normalised
 * over the observed range, with a "failed" band below it when some trial
 * failed). Ticks carry labels in real units.
 *
 * @example parallelData(payload).lines[0].norms // [0.25, 1, null, 0.8]
 */
export function parallelData(p: StudyPayload): ParallelData {
  const names = paramNames(p);
  const trials = [...p.trials].filter((t) => t.state === "failed" || finiteOrNull(t.value) !== null).sort((a, b) => a.number - b.number);
  const valued = trials.filter((t) => t.state !== "failed");
  const failed = valued.length < trials.length;
  const scales: AxisScale[] = [...names.map((n) => scaleFor(p.study.space[n]!, trials.map((t) => t.params[n]))), observedScale(valued.map((t) => t.value))];
  const defs: (ParamDef | undefined)[] = [...names.map((n) => p.study.space[n]), undefined];
  const axes = scales.map((s, index): ParallelAxis => ({
    index,
    name: index < names.length ? names[index]! : p.study.metric,
    kind: s.kind,
    objective: index === names.length,
    domain: s.domain,
    ticks: s.ticks,
    failedBand: index === names.length && failed,
  }));
  const lines = trials.map((t): ParallelLine => {
    const isFailed = t.state === "failed";
    const raw: unknown[] = [...names.map((n) => t.params[n]), isFailed ? null : t.value];
    const norms = raw.map((v, i) => scales[i]!.norm(v));
    const labels = raw.map((v, i) => (norms[i] === null ? null : formatValue(v as number, defs[i])));
    if (isFailed) {
      norms[names.length] = FAILED_POSITION;
      labels[names.length] = FAILED_LABEL;
    }
    return { number: t.number, state: t.state, value: isFailed ? null : (t.value as number), norms, labels };
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
  readonly norm: number;
  readonly label: string | null;
  readonly value: number | null;
  readonly state: TrialState;
}

/**
 * The lines in drawing order: failed ones first, then pruned, then complete, each worst first,
 * so the best complete trials are drawn on top.
 */
export function drawingOrder(d: ParallelData): ParallelLine[] {
  const rank = (l: ParallelLine) => LINE_STATES.indexOf(l.state as (typeof LINE_STATES)[number]);
  const sign = d.direction === "minimize" ? -1 : 1;
  return [...d.lines].sort((a, b) => rank(a) - rank(b) || sign * ((a.value ?? 0) - (b.value ?? 0)) || a.number - b.number);
}

/**
 * The points of every polyline in drawing order (`drawingOrder`), one row per trial and axis
 * where it has a place (an inactive parameter's axis is skipped: the line goes on to the next).
 */
export function parallelRows(d: ParallelData): ParallelRow[] {
  const rows: ParallelRow[] = [];
  for (const l of drawingOrder(d)) {
    for (let axis = 0; axis < d.axes.length; axis++) {
      const norm = l.norms[axis];
      if (norm === null || norm === undefined) continue;
      rows.push({ trial: l.number, axis, norm, label: l.labels[axis] ?? null, value: l.value, state: l.state });
    }
  }
  return rows;
}

export interface ChartSize {
  readonly width?: number;
  readonly height?: number;
}

/** At most this many labels on an axis of choices. */
const MAX_CHOICE_LABELS = 24;
/** Closer than this (in axis heights), two tick labels would overlap. */
const MIN_TICK_GAP = 0.055;
/** Tick labels sit this far (px) right of their axis. */
export const TICK_DX = 5;

/**
 * The ticks an axis labels, as the labels read: every choice up to 24 (then evenly thinned); on
 * numeric axes both ends, and inner ticks that don't crowd a label already kept (a log axis
 * 8..128 has ticks at 8, 10, 100 and 128); the objective's "failed" band when it has one.
 * Labels are shortened to 18 characters.
 */
export function axisLabels(a: ParallelAxis): AxisTick[] {
  let kept: readonly AxisTick[];
  if (a.kind === "categorical") {
    const every = Math.ceil(a.ticks.length / MAX_CHOICE_LABELS);
    kept = a.ticks.filter((_, i) => i % every === 0 || i === a.ticks.length - 1);
  } else if (a.ticks.length <= 2) {
    kept = a.ticks;
  } else {
    const k = [a.ticks[0]!, a.ticks[a.ticks.length - 1]!];
    for (const t of a.ticks.slice(1, -1)) if (k.every((x) => Math.abs(x.norm - t.norm) >= MIN_TICK_GAP)) k.push(t);
    kept = k;
  }
  const out = kept.map((t) => ({ norm: t.norm, label: shorten(t.label, 18) }));
  if (a.failedBand) out.push({ norm: FAILED_POSITION, label: FAILED_LABEL });
  return out;
}

/** An axis' title: its name shortened to 24 characters; the objective's says min or max. */
export function axisTitle(a: ParallelAxis, direction: Direction): string {
  return shorten(a.objective ? `${a.name} (${direction === "minimize" ? "min" : "max"})` : a.name, 24);
}

/** Shortens a text to `max` characters with an ellipsis. */
function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The width (px) of a tick label or an axis title: measured in a browser, estimated in Node. */
export type TextWidth = (text: string, kind: "tick" | "title") => number;

/** A Node-side guess at text widths (10 px labels, 11 px bold titles), generous rather than tight. */
export const estimatedWidth: TextWidth = (text, kind) => text.length * (kind === "tick" ? 6 : 7.2);

/**
 * The room (px) beside the outer axes: on the left half the first axis' title (titles are
 * centred); on the right the last axis' widest tick label (labels sit right of their axis) or
 * half its title. The axes spread over the rest, so no part of the width is left empty.
 */
export function axisMargins(first: ParallelAxis, last: ParallelAxis, direction: Direction, width: TextWidth): { left: number; right: number } {
  const half = (a: ParallelAxis) => width(axisTitle(a, direction), "title") / 2;
  let labels = 0;
  for (const t of axisLabels(last)) labels = Math.max(labels, width(t.label, "tick"));
  return { left: Math.ceil(Math.max(8, half(first))), right: Math.ceil(Math.max(8, half(last), labels + TICK_DX + 4)) };
}

/** The y scale's domain: the axes' [0, 1], the "failed" band below them when there is one. */
export function yDomain(d: ParallelData): [number, number] {
  return [d.axes.some((a) => a.failedBand) ? FAILED_POSITION - 0.04 : -0.02, 1.02];
}

/**
 * The static (SVG) spec: a rule per axis, one line per trial coloured by the objective on the
 * shared scale (pruned dashed, failed grey and dotted down to the objective's "failed" band), tick
 * labels in real units on a white halo so lines never cover them, axis names on top, and a
 * legend of the colours and the line styles. The axes spread over the whole width. Built from
 * data values only: names and labels are data, never expressions, and legend titles are fixed
 * words (vega-lite turns those into ARIA description expressions), so a hostile payload can't
 * inject vega code.
 */
export function parallelSpec(d: ParallelData, size: ChartSize = {}): VegaLiteSpec {
  const n = d.axes.length;
  const width = size.width ?? Math.max(360, 130 * n);
  const { left, right } = axisMargins(d.axes[0]!, d.axes[n - 1]!, d.direction, estimatedWidth);
  const x = { field: "axis", type: "quantitative", axis: null, scale: { domain: n > 1 ? [0, n - 1] : [-1, 1], range: [left, width - right], nice: false, zero: false } };
  const y = { field: "norm", type: "quantitative", axis: null, scale: { domain: yDomain(d), nice: false, zero: false } };
  const ticks = d.axes.flatMap((a) => axisLabels(a).map((t) => ({ axis: a.index, norm: t.norm, label: t.label })));
  const titles = d.axes.map((a) => ({ axis: a.index, name: axisTitle(a, d.direction) }));
  const rules = d.axes.map((a) => ({ axis: a.index, norm: 0, norm2: 1 }));
  const gaps = d.axes.filter((a) => a.failedBand).map((a) => ({ axis: a.index, norm: FAILED_POSITION, norm2: 0 }));
  const [low, high] = d.axes[n - 1]!.domain;
  const present = [...new Set(d.lines.map((l) => l.state))];
  const text = { type: "text", align: "left", baseline: "middle", dx: TICK_DX, fontSize: 10 };
  return {
    $schema: VEGA_LITE_SCHEMA,
    width,
    height: size.height ?? 300,
    padding: { top: 26, left: 4, right: 4, bottom: 8 },
    config: { view: { stroke: null }, legend: { labelFontSize: 10, titleFontSize: 10, titleFontWeight: "normal" } },
    layer: [
      {
        data: { values: rules },
        mark: { type: "rule", color: "#888", strokeWidth: 1 },
        encoding: { x, y, y2: { field: "norm2" } },
      },
      ...(gaps.length
        ? [{ data: { values: gaps }, mark: { type: "rule", color: "#888", strokeWidth: 1, strokeDash: [2, 3] }, encoding: { x, y, y2: { field: "norm2" } } }]
        : []),
      {
        data: { values: parallelRows(d) },
        // invalid "show": failed trials have no value, and are drawn (in NO_VALUE_COLOR), not dropped.
        mark: { type: "line", strokeWidth: 1.2, opacity: 0.75, invalid: "show" },
        encoding: {
          x,
          y,
          detail: { field: "trial", type: "nominal" },
          order: { field: "axis", type: "quantitative" },
          color: { condition: { test: "datum.state === 'failed'", value: NO_VALUE_COLOR }, ...objectiveColorChannel(d.direction, "value", [low, high]) },
          strokeDash: stateDashChannel(present),
        },
      },
      // A white halo under each tick label: the lines pass under it, never over the text.
      { data: { values: ticks }, mark: { ...text, color: "white", stroke: "white", strokeWidth: 3.5, strokeJoin: "round" }, encoding: { x, y, text: { field: "label", type: "nominal" } } },
      { data: { values: ticks }, mark: { ...text, color: "#555" }, encoding: { x, y, text: { field: "label", type: "nominal" } } },
      {
        data: { values: titles },
        mark: { type: "text", baseline: "bottom", fontSize: 11, fontWeight: "bold", color: "#333" },
        encoding: { x, y: { value: -8 }, text: { field: "name", type: "nominal" } },
      },
    ],
  };
}
