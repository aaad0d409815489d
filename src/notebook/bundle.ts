import { isBetter } from "../model/trial";
import { errorText } from "../util/errors";
import { finiteOrNull } from "../views/format";
import { STUDY_MIME, type PayloadTrial, type StudyPayload } from "../views/payload";
import { viewSpecs, type ChartName, type ViewName } from "../views/specs";
import { studyHtml, studyText, type RenderedChart } from "./html";
import { renderSvg } from "./vega";

/** What a study display sends: the payload for the extension and two fallbacks. */
export type StudyBundle = {
  readonly [STUDY_MIME]: StudyPayload;
  readonly "text/html": string;
  readonly "text/plain": string;
};

/** A payload's charts rendered to SVG, kept to be reused in later bundles of the same display. */
export interface ChartSet {
  readonly charts: readonly RenderedChart[];
  /** How many trials the payload they were drawn from had. */
  readonly trials: number;
  /** Set when the capped charts draw fewer trials than the payload has. */
  readonly note?: string;
}

/** Renders the payload's charts (only `payload.view` when set) to SVG. */
export async function renderCharts(payload: StudyPayload): Promise<ChartSet> {
  const view: ViewName | undefined = payload.view;
  const wanted = (names: ChartName[]) => names.filter((n) => view === undefined || view === n);
  const subset = chartSubset(payload);
  const specs = [...viewSpecs(subset.payload, wanted(["parallel", "curves"])), ...viewSpecs(payload, wanted(["history"]))];
  const charts: RenderedChart[] = [];
  try {
    for (const { name, spec } of specs) charts.push({ name, svg: await renderSvg(spec) });
  } catch (e) {
    // Without vega (or with a broken one) the table and the payload still go out.
    return { charts: [], trials: payload.trials.length, note: `The charts could not be drawn here: ${errorText(e)}` };
  }
  const capped = subset.payload !== payload && specs.some((s) => s.name !== "history");
  return {
    charts,
    trials: payload.trials.length,
    ...(capped ? { note: `Parallel coordinates and learning curves draw ${subset.payload.trials.length} of the ${payload.trials.length} trials here (the best ${subset.best} and the latest others); the tunelab JupyterLab extension and study.dataframe() have them all.` } : {}),
  };
}

/**
 * The MIME bundle from a payload and charts rendered earlier (a live display
 * redraws its charts less often than it sends the payload and the table;
 * the HTML then says which trial count the charts show).
 */
export function composeBundle(payload: StudyPayload, charts: ChartSet): StudyBundle {
  const view = payload.view;
  const stale = charts.trials !== payload.trials.length ? `Charts drawn at ${charts.trials} of ${payload.trials.length} trials; they catch up at the next redraw.` : undefined;
  const note = [stale, charts.note].filter((n) => n !== undefined).join(" ");
  return {
    [STUDY_MIME]: payload,
    "text/html": studyHtml(payload, charts.charts, { table: view === undefined || view === "table", ...(note ? { note } : {}) }),
    "text/plain": studyText(payload),
  };
}

/**
 * The MIME bundle for a payload: the payload itself, the HTML fallback with
 * the table and the charts as SVG images (only `payload.view` when set), and
 * a short text.
 *
 * @example const bundle = await studyBundle(toPayload(study.snapshot, false));
 */
export async function studyBundle(payload: StudyPayload): Promise<StudyBundle> {
  return composeBundle(payload, await renderCharts(payload));
}

/**
 * The most trials the SVG fallback draws in parallel coordinates and learning
 * curves: their cost and size grow with every line (about 1 s and 1 MB per
 * 1,000 trials), and the fallback is a picture, not a tool. The history chart
 * draws every trial (a point each).
 */
export const MAX_CHART_TRIALS = 500;

/**
 * The trials the capped charts draw: all of them, or the best half (by value,
 * in the study's direction) and the latest of the others, in number order.
 */
export function chartSubset(p: StudyPayload, max = MAX_CHART_TRIALS): { payload: StudyPayload; best: number } {
  if (p.trials.length <= max) return { payload: p, best: 0 };
  const dir = p.study.direction;
  const ranked = p.trials.filter((t) => finiteOrNull(t.value) !== null).sort((a, b) => (isBetter(dir, a.value!, b.value!) ? -1 : isBetter(dir, b.value!, a.value!) ? 1 : a.number - b.number));
  const keep = new Set<PayloadTrial>(ranked.slice(0, Math.floor(max / 2)));
  const best = keep.size;
  const latest = [...p.trials].sort((a, b) => b.number - a.number);
  for (const t of latest) {
    if (keep.size >= max) break;
    keep.add(t);
  }
  return { payload: { ...p, trials: p.trials.filter((t) => keep.has(t)).sort((a, b) => a.number - b.number) }, best };
}
