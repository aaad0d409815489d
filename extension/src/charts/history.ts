/**
 * Optimisation history (the shared `historyData`): each shown complete trial's value by trial
 * number, and the best-so-far line over the study's complete trials (a step line, so it reads as
 * a record).
 */
import { BEST_COLOR } from "../../../src/views/encoding";
import type { StudyModel } from "../study-model";
import { VegaChart, type ChartContext } from "./vega-chart";

export class HistoryChart extends VegaChart {
  private cache: { model: StudyModel; key: string; data: Record<string, readonly object[]> } | null = null;
  private bestCache: { model: StudyModel; rows: readonly object[] } | null = null;

  protected shapeKey({ model, theme }: ChartContext): string {
    return [logY(model), theme.dark, theme.text, theme.states.complete, model.metric].join("|");
  }

  protected spec({ model, theme }: ChartContext): Record<string, unknown> {
    const x = { field: "t", type: "quantitative", title: "trial", scale: { zero: false, nice: false }, axis: { tickMinStep: 1, format: "d" } };
    // The metric's name as the y title (inert: the charts' config turns ARIA expressions off).
    const y = { type: "quantitative", title: model.metric, scale: { zero: false, type: logY(model) ? "log" : "linear" } };
    return {
      width: "container",
      height: 220,
      autosize: { type: "fit-x", contains: "padding" },
      params: [{ name: "sel", value: -1 }],
      layer: [
        {
          data: { name: "best" },
          mark: { type: "line", interpolate: "step-after", color: BEST_COLOR, strokeWidth: 2 },
          encoding: { x, y: { ...y, field: "b" } },
        },
        {
          data: { name: "points" },
          mark: { type: "point", filled: true, size: 28, opacity: 0.85 },
          encoding: {
            x,
            y: { ...y, field: "v" },
            color: { value: theme.states.complete },
          },
        },
        {
          data: { name: "points" },
          transform: [{ filter: "datum.t === sel" }],
          mark: { type: "point", filled: false, size: 180, strokeWidth: 2.5, color: theme.highlight },
          encoding: { x, y: { ...y, field: "v" } },
        },
      ],
    };
  }

  protected data({ model, state }: ChartContext): Record<string, readonly object[]> {
    const visible = state.visible(model);
    const key = String(state.filterVersion);
    if (this.bestCache?.model !== model) this.bestCache = { model, rows: bestLine(model) };
    if (this.cache?.model !== model || this.cache.key !== key) {
      const points = model.history.points.filter((p) => visible.has(p.trial)).map((p) => ({ t: p.trial, v: p.value }));
      this.cache = { model, key, data: { points, best: this.bestCache.rows } };
      this.node.dataset.points = String(points.length);
    }
    return this.cache.data;
  }
}

function logY(model: StudyModel): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of model.history.points) {
    if (p.value < lo) lo = p.value;
    if (p.value > hi) hi = p.value;
  }
  return lo > 0 && hi / lo > 1e3;
}

/** The best-so-far line, carried on to the study's last trial so a run of failures doesn't end it early. */
function bestLine(model: StudyModel): { t: number; b: number }[] {
  const out = model.history.points.map((p) => ({ t: p.trial, b: p.best }));
  const last = model.rows.length > 0 ? model.rows[model.rows.length - 1]!.number : -1;
  const end = out[out.length - 1];
  if (end && last > end.t) out.push({ t: last, b: end.b });
  return out;
}
