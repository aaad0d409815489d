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
