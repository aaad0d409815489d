import type { Direction, TrialState } from "../model/trial";
import { MAX_BRACKET, MAX_RUNGS, rungRecordOf, stopCauseOf, type SystemRecord } from "../record/system";
import { goodness, NO_VALUE_COLOR, objectiveColor, objectiveColorChannel, stateDashChannel } from "./encoding";
import { finiteOrNull, formatNumber, formatParams } from "./format";
import type { StudyPayload } from "./payload";
import type { ChartSize } from "./parallel";
import { paramNames } from "./summary";
import { BRACKET_COLORS, RUNG_COLOR, STATE_COLORS, VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vegalite";

/** Why a pruned trial stopped: at a Hyperband/ASHA rung, by the median rule, or otherwise. */
export const StopRules = ["rung", "median", "other"] as const;
export type StopRule = (typeof StopRules)[number];

/** Where and why a pruned trial stopped: its last point and a sentence for hover. */
export interface CurveStop {
  readonly rule: StopRule;
  /** The step of its last point (where the curve ends). */
  readonly step: number;
  readonly value: number;
  /** The rung resource it was judged at (rule "rung"), else null. */
  readonly rung: number | null;
  /** "stopped at rung 9 by hyperband", "stopped by the median rule at step 12", "pruned at step 5". */
  readonly text: string;
}

/** One trial's learning curve: the objective metric it reported, by step. */
export interface CurveTrial {
  readonly number: number;
  readonly state: TrialState;
  /** Its configuration as text ("lr=0.01, opt=adam"), for hover. */
  readonly params: string;
  /** [step, value] in step order, finite values only. */
  readonly points: readonly (readonly [number, number])[];
  /** Its Hyperband/ASHA bracket (system.hyperband.bracket), null for other trials. */
  readonly bracket: number | null;
  /** The resources it is judged at (system.hyperband.rungs), ascending; empty for other trials. */
  readonly rungs: readonly number[];
  /** Set for pruned trials: where and why they stopped. */
  readonly stop: CurveStop | null;
  /** The rung resources that would have stopped it but where hedged stopping let it go on (system.hyperband.hedged), ascending; usually empty. */
  readonly hedged: readonly number[];
  /** Its objective value (complete and pruned trials), null without one (running, failed). */
  readonly value: number | null;
}

export interface CurvesData {
  readonly metric: string;
  readonly direction: Direction;
  /** Trials that reported at least one value, in trial-number order. */
  readonly trials: readonly CurveTrial[];
  /** The brackets of those trials, ascending; empty for a study without brackets. */
  readonly brackets: readonly number[];
  /** Every rung resource of those trials (the study's rung lines), ascending. */
  readonly rungs: readonly number[];
  /**
   * The range of the study's objective values (complete and pruned trials, as the parallel
   * coordinates' objective axis), which curves are coloured over; null when no trial has one.
   */
  readonly valueRange: readonly [number, number] | null;
}

/** Bounds on what is read from a system record (it is untrusted: any notebook may carry it). */
export { MAX_BRACKET, MAX_RUNGS };

/** [step, value] pairs with finite numbers, in step order (one pass; sorted only when out of order). */
function finitePoints(intermediate: readonly (readonly [number, number])[]): (readonly [number, number])[] {
  const out: (readonly [number, number])[] = [];
  let ordered = true;
  let prev = -Infinity;
  for (const sv of intermediate) {
    if (!Array.isArray(sv)) continue;
    const [step, value] = sv;
    if (!Number.isFinite(step) || !Number.isFinite(value)) continue;
    if (step < prev) ordered = false;
    prev = step;
    out.push([step, value]);
  }
  return ordered ? out : out.sort((a, b) => a[0] - b[0]);
}

/** A trial's multi-fidelity record as the views use it, or null when absent or malformed. */
export interface RungInfo {
  readonly bracket: number;
  readonly rungs: readonly number[];
  /** How many rungs it reached (the length of system.hyperband.values). */
  readonly reached: number;
  /** The rung resources where hedged stopping let it go on (system.hyperband.hedged, indices into its rungs). */
  readonly hedged: readonly number[];
}

/** Reads system.hyperband defensively (record/system.ts): an integer bracket 0..64, ascending finite rungs (at most 64). */
export function rungInfo(system: SystemRecord): RungInfo | null {
  const r = rungRecordOf(system);
  if (!r) return null;
  const hedged: number[] = [];
  for (const k of r.hedged ?? []) if (k < r.rungs.length && !hedged.includes(r.rungs[k]!)) hedged.push(r.rungs[k]!);
  return { bracket: r.bracket, rungs: r.rungs, reached: Math.min(r.values.length, r.rungs.length), hedged: hedged.sort((a, b) => a - b) };
}

/** Where and why a pruned trial stopped, from its system record and its last point. */
export function curveStop(
  system: Readonly<Record<string, unknown>>,
  info: RungInfo | null,
  last: readonly [number, number],
  strategy: string,
): CurveStop {
  const [step, value] = last;
  const by = stopCauseOf(system);
  if (by === "rung" && info) {
    // The rung it was judged at: the last it recorded a value for (the step may be past it when
    // the trial reported sparsely), else the last rung at or below its last step.
    let rung = info.reached > 0 ? info.rungs[info.reached - 1]! : null;
    if (rung === null) for (const r of info.rungs) if (r <= step) rung = r;
    const who = strategy === "asha" ? "asha" : "hyperband";
    return { rule: "rung", step, value, rung: rung ?? step, text: `stopped at rung ${formatNumber(rung ?? step)} by ${who}` };
  }
  if (by === "median") return { rule: "median", step, value, rung: null, text: `stopped by the median rule at step ${formatNumber(step)}` };
  return { rule: "other", step, value, rung: null, text: `pruned at step ${formatNumber(step)}` };
}

/**
 * Learning curves: each trial's intermediate values by step, with its state
 * so pruned and failed trials can be drawn differently, its Hyperband/ASHA
 * bracket and rungs, and where and why a pruned trial stopped. Linear in the
 * points (plus sorting trials by number): it runs on every live update.
 *
 * @example curvesData(payload).trials[0].points // [[1, 0.9], [2, 0.7]]
 */
export function curvesData(p: StudyPayload): CurvesData {
  const names = paramNames(p);
  const brackets = new Set<number>();
  const rungs = new Set<number>();
  const trials: CurveTrial[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of [...p.trials].sort((a, b) => a.number - b.number)) {
    const value = t.state === "failed" ? null : finiteOrNull(t.value);
    if (value !== null) {
      if (value < lo) lo = value;
      if (value > hi) hi = value;
    }
    const points = finitePoints(t.intermediate);
    if (points.length === 0) continue;
    const system = t.system ?? {};
    const info = rungInfo(system);
    if (info) {
      brackets.add(info.bracket);
      for (const r of info.rungs) rungs.add(r);
    }
    trials.push({
      number: t.number,
      state: t.state,
      params: formatParams(t.params, names, p.study.space),
      points,
      bracket: info?.bracket ?? null,
      rungs: info?.rungs ?? [],
      stop: t.state === "pruned" ? curveStop(system, info, points[points.length - 1]!, p.study.strategy) : null,
      hedged: info?.hedged ?? [],
      value,
    });
  }
  const ascending = (a: number, b: number) => a - b;
  return {
    metric: p.study.metric,
    direction: p.study.direction,
    trials,
    brackets: [...brackets].sort(ascending),
    rungs: [...rungs].sort(ascending),
    valueRange: lo <= hi ? [lo, hi] : null,
  };
}

/** One point of a curve as the spec's data rows carry it. */
export interface CurveRow {
  readonly trial: number;
  readonly step: number;
  readonly value: number;
  readonly state: TrialState;
  readonly params: string;
  /** The trial's objective value (what its curve is coloured by), null without one. */
  readonly trialValue: number | null;
  /** The bracket as a legend label ("0", "1", ..., "none"): set when the study has brackets. */
  readonly bracket?: string;
}

/** A trial's bracket as the legend names it. */
export function bracketLabel(bracket: number | null): string {
  return bracket === null ? "none" : String(bracket);
}

function row(d: CurvesData, t: CurveTrial, step: number, value: number): CurveRow {
  const r = { trial: t.number, step, value, state: t.state, params: t.params, trialValue: t.value };
  return d.brackets.length > 0 ? { ...r, bracket: bracketLabel(t.bracket) } : r;
}

export function curveRows(d: CurvesData): CurveRow[] {
  return d.trials.flatMap((t) => t.points.map(([step, value]) => row(d, t, step, value)));
}

/** The last point of each curve: where a pruned trial was stopped. */
export function curveEnds(d: CurvesData): CurveRow[] {
  return d.trials.map((t) => {
    const [step, value] = t.points[t.points.length - 1]!;
    return row(d, t, step, value);
  });
}

/** How a curve ends in a study with brackets, as the marker legend names it. */
export const EndKinds = ["at a rung", "median rule", "pruned", "failed"] as const;
export type EndKind = (typeof EndKinds)[number];

export function endKind(t: CurveTrial): EndKind | null {
  if (t.state === "failed") return "failed";
  if (!t.stop) return null;
  return t.stop.rule === "rung" ? "at a rung" : t.stop.rule === "median" ? "median rule" : "pruned";
}

/** An "x" (vega symbols take SVG paths in a unit square): drawn stroked, not filled. */
export const X_SHAPE = "M-0.7,-0.7L0.7,0.7M-0.7,0.7L0.7,-0.7";
const END_SHAPES: Readonly<Record<EndKind, string>> = {
  "at a rung": X_SHAPE,
  "median rule": "triangle-down",
  pruned: "cross",
  failed: "diamond",
};

/** A stop marker of the bracket view: where a stopped or failed trial's curve ends, and why. */
export interface CurveStopRow extends CurveRow {
  readonly end: EndKind;
  readonly why: string;
}

export function curveStops(d: CurvesData): CurveStopRow[] {
  const out: CurveStopRow[] = [];
  for (const t of d.trials) {
    const end = endKind(t);
    if (end === null) continue;
    const [step, value] = t.points[t.points.length - 1]!;
    out.push({ ...row(d, t, step, value), end, why: t.stop?.text ?? "failed" });
  }
  return out;
}

/** The bracket colour scale: the study's brackets in order (then "none"), a fixed palette. */
export function bracketColor(d: CurvesData) {
  const domain = d.brackets.map(String);
  if (d.trials.some((t) => t.bracket === null)) domain.push("none");
  return {
    field: "bracket",
    type: "nominal",
    title: "bracket",
    scale: { domain, range: domain.map((b, i) => (b === "none" ? STATE_COLORS.running : BRACKET_COLORS[i % BRACKET_COLORS.length]!)) },
    legend: { orient: "top", direction: "horizontal", symbolType: "stroke" },
  } as const;
}

/** A log step axis when the rungs grow geometrically over more than a decade and every step is > 0. */
export function logSteps(d: CurvesData): boolean {
  if (d.rungs.length < 2) return false;
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of d.trials) {
    const first = t.points[0]![0];
    const last = t.points[t.points.length - 1]![0];
    if (first < lo) lo = first;
    if (last > hi) hi = last;
  }
  return lo > 0 && hi / lo >= 10;
}

/**
 * Lines by trial coloured by the trial's objective value on the shared scale (green is better;
 * running and failed trials grey), pruned ones dashed and failed ones dotted, each of those
 * ending in a cross; the metric's name on the y axis. A study with Hyperband/ASHA brackets is
 * drawn as `bracketCurvesSpec`.
 */
export function curvesSpec(d: CurvesData, size: ChartSize = {}): VegaLiteSpec {
  if (d.brackets.length > 0) return bracketCurvesSpec(d, size);
  const x = { field: "step", type: "quantitative", title: "step" };
  const y = { field: "value", type: "quantitative", title: d.metric, scale: { zero: false } };
  const color = {
    condition: { test: "datum.trialValue === null || datum.state === 'failed' || datum.state === 'running'", value: NO_VALUE_COLOR },
    ...objectiveColorChannel(d.direction, "trialValue", d.valueRange ?? [0, 1]),
  };
  const present = [...new Set(d.trials.map((t) => t.state))];
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
    // No ARIA: vega-lite would build description expressions from the axis title (the metric's name).
    config: { aria: false },
    title: { text: d.metric, subtitle: "learning curves", anchor: "start" },
    layer: [
      {
        data: { values: curveRows(d) },
        mark: { type: "line", strokeWidth: 1.2, opacity: 0.75, invalid: "show" },
        encoding: { x, y, detail: { field: "trial", type: "nominal" }, color, strokeDash: stateDashChannel(present), tooltip },
      },
      {
        // Crosses in their curve's colour (given in the rows: a scale shared with the lines
        // would turn the gradient legend into a symbol legend).
        data: { values: curveEnds(d).filter((e) => e.state === "pruned" || e.state === "failed").map((e) => ({ ...e, c: curveColor(d, e.trialValue, e.state) })) },
        mark: { type: "point", shape: "cross", filled: true, size: 36 },
        encoding: { x, y, color: { field: "c", type: "nominal", scale: null }, tooltip },
      },
    ],
  };
}

/** A curve's colour: its trial's objective value on the shared scale, grey for running and failed trials. */
export function curveColor(d: CurvesData, value: number | null, state: TrialState): string {
  if (value === null || state === "failed" || state === "running" || !d.valueRange) return NO_VALUE_COLOR;
  const [lo, hi] = d.valueRange;
  return objectiveColor(goodness(d.direction, hi > lo ? (value - lo) / (hi - lo) : 0.5));
}

/**
 * A study with brackets: curves coloured by bracket, a dashed vertical rule at every rung
 * resource (labelled at the top), and a marker where each stopped or failed trial ended (an
 * "x" at a rung, a triangle for the median rule), with legends for both. The step axis is
 * logarithmic when the rungs span more than a decade.
 */
export function bracketCurvesSpec(d: CurvesData, size: ChartSize = {}): VegaLiteSpec {
  const log = logSteps(d);
  const x = { field: "step", type: "quantitative", title: log ? "step (log scale)" : "step", scale: log ? { type: "log", nice: false } : { zero: false } };
  const y = { field: "value", type: "quantitative", title: d.metric, scale: { zero: false } };
  const color = bracketColor(d);
  const tooltip = [
    { field: "trial", type: "quantitative", title: "trial" },
    { field: "bracket", type: "nominal", title: "bracket" },
    { field: "state", type: "nominal", title: "state" },
    { field: "step", type: "quantitative", title: "step" },
    { field: "value", type: "quantitative", title: "value", format: ".4~g" },
    { field: "params", type: "nominal", title: "params" },
  ];
  const rungX = { field: "rung", type: "quantitative" };
  const rungs = d.rungs.map((rung) => ({ rung }));
  const stops = curveStops(d);
  // Only the kinds of end the study has, so the legend names nothing absent.
  const ends = EndKinds.filter((k) => stops.some((s) => s.end === k));
  return {
    $schema: VEGA_LITE_SCHEMA,
    width: size.width ?? 480,
    height: size.height ?? 260,
    config: { aria: false },
    title: { text: d.metric, subtitle: `learning curves · ${d.brackets.length} bracket${d.brackets.length === 1 ? "" : "s"} · dashed rules: rungs`, anchor: "start" },
    layer: [
      {
        data: { values: rungs },
        mark: { type: "rule", color: RUNG_COLOR, strokeDash: [4, 3], strokeWidth: 1, opacity: 0.8 },
        encoding: { x: rungX },
      },
      {
        data: { values: rungs },
        mark: { type: "text", color: RUNG_COLOR, fontSize: 9, align: "left", baseline: "top", dx: 3, dy: 2 },
        encoding: { x: rungX, y: { value: 0 }, text: { field: "rung", type: "quantitative", format: "~g" } },
      },
      {
        data: { values: curveRows(d) },
        mark: { type: "line", strokeWidth: 1.2, opacity: 0.8 },
        encoding: { x, y, detail: { field: "trial", type: "nominal" }, color, tooltip },
      },
      {
        data: { values: stops },
        mark: { type: "point", filled: false, size: 50, strokeWidth: 1.6, opacity: 1 },
        encoding: {
          x,
          y,
          color,
          shape: {
            field: "end",
            type: "nominal",
            title: "curve end",
            scale: { domain: ends, range: ends.map((k) => END_SHAPES[k]) },
            legend: { orient: "top", direction: "horizontal", symbolStrokeColor: RUNG_COLOR },
          },
          tooltip: [{ field: "why", type: "nominal", title: "why" }, ...tooltip],
        },
      },
    ],
  };
}
