import type { Direction, TrialState } from "../model/trial";
import type { ParamDef } from "../space/types";
import { paramScale } from "./axis";

/**
 * How the charts encode a study, defined once: the kernel's static SVG (vega-lite specs in
 * src/views) and the JupyterLab extension (in light and dark themes) draw with these, so a
 * colour or a dash means the same everywhere.
 */

/**
 * The objective's colour scale, worst to best: muted violet, blue, teal, green. Every stop has a
 * CIE lightness of 52-60, which reads on a white page and on JupyterLab's near-black dark theme
 * alike (contrast at least 3:1 against both): one scale for every theme and for the SVG. The
 * best end is green, as the best trial's marks in the table and the history.
 */
export const OBJECTIVE_COLORS = ["#8d80a6", "#607ac1", "#0086bc", "#0094a8", "#009c88", "#3ca453"] as const;

/**
 * The colour of a goodness in [0, 1] (1: the best value seen), interpolated between the stops
 * as vega's linear scale with `interpolate: "rgb"` does, so a vega legend and the extension's own
 * painting agree to the unit.
 *
 * @example objectiveColor(1) // "rgb(60, 164, 83)"
 */
export function objectiveColor(goodness: number): string {
  return rampColor(OBJECTIVE_COLORS, goodness);
}

/**
 * A numeric parameter's colour scale, low to high: blue, violet, magenta, red. Mid lightness as
 * the objective's (reads on light and dark), other hues: a parameter's value is neither good nor
 * bad.
 */
export const PARAM_COLORS = ["#008dcf", "#7b6fce", "#d34f9e", "#f26244"] as const;

/** Colours of a categorical parameter's choices (Tableau 10 without its lightest), choice i: colour i mod 7. */
export const CATEGORY_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#9d755d"] as const;

/**
 * The colour of a parameter's value: a number on PARAM_COLORS along the parameter's own scale
 * (log for log parameters, over its declared range), a choice by its index in CATEGORY_COLORS;
 * null when the trial has no value for it.
 *
 * @example paramColor({ type: "categorical", choices: ["sgd", "adam"] }, "adam") // "#f58518"
 */
export function paramColor(def: ParamDef, value: unknown): string | null {
  if (def.type === "categorical") {
    const i = def.choices.indexOf(value as never);
    return i < 0 ? null : CATEGORY_COLORS[i % CATEGORY_COLORS.length]!;
  }
  const t = paramScale(def).norm(value);
  return t === null ? null : rampColor(PARAM_COLORS, t);
}

/** A colour of `stops` at t in [0, 1], interpolated in RGB between evenly spaced stops (vega's way). */
export function rampColor(stops: readonly string[], t: number): string {
  const c = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const n = stops.length - 1;
  if (n < 1) return stops[0] ?? "#888888";
  const i = Math.min(n - 1, Math.floor(c * n));
  const f = c * n - i;
  const a = rgb(stops[i]!);
  const b = rgb(stops[i + 1]!);
  const mix = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * f);
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

function rgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** The best-so-far line of the history: the scale's best colour. */
export const BEST_COLOR = OBJECTIVE_COLORS[OBJECTIVE_COLORS.length - 1];

/** How good a value is, from its place on the objective's axis (0: lowest seen, 1: highest). */
export function goodness(direction: Direction, position: number): number {
  return direction === "minimize" ? 1 - position : position;
}

/** "lower is better" / "higher is better". */
export function betterText(direction: Direction): string {
  return direction === "minimize" ? "lower is better" : "higher is better";
}

/**
 * The vega-lite colour channel of the objective (`field`), over `domain` (else the data's range):
 * the better end green, a gradient legend titled with which way is better (a fixed phrase:
 * vega-lite builds ARIA expressions from legend titles, so no payload string goes there).
 */
export function objectiveColorChannel(direction: Direction, field = "value", domain?: readonly [number, number]) {
  return {
    field,
    type: "quantitative",
    scale: {
      ...(domain ? { domain: [...domain] } : {}),
      range: [...OBJECTIVE_COLORS],
      reverse: direction === "minimize",
      interpolate: "rgb",
      zero: false,
      nice: false,
    },
    legend: {
      type: "gradient",
      title: betterText(direction),
      direction: "horizontal",
      orient: "bottom",
      gradientLength: 160,
      gradientThickness: 10,
      labelLimit: 80,
      // Opaque whatever the marks' opacity (vega-lite would pass a layer's on to the gradient).
      gradientOpacity: 1,
      encode: { gradient: { update: { opacity: { value: 1 } } } },
    },
  } as const;
}

/** Dash patterns of a trial's line by state: solid when complete (or running), dashed when pruned, dotted when failed. */
export const STATE_DASHES: Readonly<Record<TrialState, readonly number[]>> = {
  complete: [],
  running: [],
  pruned: [6, 3],
  failed: [2, 3],
};

/** How the legend names each state's line. */
export const STATE_LINE_LABELS: Readonly<Record<TrialState, string>> = {
  complete: "complete",
  running: "running",
  pruned: "pruned (dashed)",
  failed: "failed (no value)",
};

/** The order of states in a line-style legend. */
export const STATE_ORDER = ["complete", "running", "pruned", "failed"] as const satisfies readonly TrialState[];

/** Lines of trials without a value (failed, and running ones' curves): a neutral grey that reads on light and dark backgrounds. */
export const NO_VALUE_COLOR = "#8c8c8c";

/** The states a parallel-coordinates line is drawn for, in drawing order (later on top). */
export const LINE_STATES = ["failed", "pruned", "complete"] as const satisfies readonly TrialState[];

/**
 * Where failed trials meet the objective's axis: a band below its lowest value (a failed trial
 * has no value), labelled "failed". In the axis' [0, 1] units.
 */
export const FAILED_POSITION = -0.12;
export const FAILED_LABEL = "failed";

/**
 * The vega-lite strokeDash channel of the line states `present`, with its legend (the line
 * styles' key). `field` names the state.
 */
export function stateDashChannel(present: readonly TrialState[], field = "state") {
  const domain = STATE_ORDER.filter((s) => present.includes(s));
  return {
    field,
    type: "nominal",
    scale: { domain, range: domain.map((s) => (STATE_DASHES[s].length ? [...STATE_DASHES[s]] : [1, 0])) },
    legend: {
      title: null,
      orient: "bottom",
      direction: "horizontal",
      symbolType: "stroke",
      symbolStrokeWidth: 1.6,
      symbolSize: 300,
      symbolOpacity: 1,
      labelExpr: `{${domain.map((s) => `'${s}': '${STATE_LINE_LABELS[s]}'`).join(", ")}}[datum.label]`,
    },
  } as const;
}
