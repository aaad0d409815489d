/**
 * The views' vega-lite specs are plain JSON objects. They are typed loosely
 * here so that src/views needs no vega-lite import (the browser bundle and
 * the kernel each load vega-lite themselves, lazily).
 */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** A vega-lite v6 top-level spec (JSON). */
export type VegaLiteSpec = { readonly $schema: string } & Readonly<Record<string, unknown>>;

/** Colours of trial states, shared by the charts (and the extension's table). */
export const STATE_COLORS = {
  complete: "#4c78a8",
  pruned: "#f58518",
  failed: "#e45756",
  running: "#9d9d9d",
} as const;

/** Colours of Hyperband/ASHA brackets in the static curves (bracket i: colour i mod 10). */
export const BRACKET_COLORS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2", "#eeca3b", "#9d755d", "#ff9da6", "#bab0ac"] as const;

/** Rung rules and their labels in the static curves. */
export const RUNG_COLOR = "#8a8a8a";
