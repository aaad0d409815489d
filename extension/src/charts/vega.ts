/**
 * The one adapter to vega-embed: loaded with import() on the first chart (JupyterLab's own vega
 * renderer does the same), so opening a notebook costs nothing until a study is shown.
 *
 * Charts built here never load anything: the loader refuses every URL and file, data arrives
 * through `view.data(name, rows)`, and vega-tooltip (which writes HTML) is off — hover text is
 * drawn by the widget as DOM text.
 *
 *   const chart = await embedChart(div, spec);
 *   await chart.view.data("lines", rows).runAsync();
 */
import type { Result } from "vega-embed";

type EmbedModule = typeof import("vega-embed");

let loading: Promise<EmbedModule> | null = null;
let loaded: EmbedModule | null = null;

/** vega-embed (with vega and vega-lite), loaded once. */
export function loadVegaEmbed(): Promise<EmbedModule> {
  loading ??= import("vega-embed").then((m) => (loaded = m));
  return loading;
}

/** vega's colour scheme `name` as an interpolator over [0, 1], once vega is loaded (a chart has been embedded); else null. */
export function vegaScheme(name: string): ((t: number) => string) | null {
  const s = loaded?.vega.scheme(name) as unknown;
  return typeof s === "function" ? (s as (t: number) => string) : null;
}

export type Chart = Result;

export async function embedChart(el: HTMLElement, spec: object): Promise<Chart> {
  const mod = await loadVegaEmbed();
  const loader = mod.vega.loader();
  // No chart of ours names a URL; if one ever did, it must not reach the network.
  loader.sanitize = () => Promise.reject(new Error("tunelab charts load nothing"));
  return mod.default(el, spec as Parameters<typeof mod.default>[1], {
    mode: "vega-lite",
    actions: false,
    renderer: "canvas",
    tooltip: false,
    hover: false,
    defaultStyle: false,
    loader,
    logLevel: 0,
  });
}
