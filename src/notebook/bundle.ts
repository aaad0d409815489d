import { isBetter } from "../model/trial";
import { errorText } from "../util/errors";
import { finiteOrNull } from "../views/format";
import { STUDY_MIME, type PayloadTrial, type StudyPayload } from "../views/payload";
import { viewSpecs, type ChartName, type ViewName } from "../views/specs";
import { studyPicture, type RenderedChart, type StudyPicture } from "./picture";
import { studyText } from "./text";
import { renderSvg } from "./vega";

/**
 * What a study display sends: the payload for the extension, and for every
 * other renderer a picture (PNG: summary, charts, best trials; picture.ts
 * says why a PNG) and a short text. Without a picture (no resvg for this
 * platform) the text alone.
 */
export type StudyBundle = {
  readonly [STUDY_MIME]: StudyPayload;
  readonly "image/png"?: string;
  readonly "text/plain": string;
};

/** A display's content: the bundle and its metadata (the picture's display size). */
export interface StudyDisplay {
  readonly data: StudyBundle;
  readonly metadata: { readonly "image/png"?: { readonly width: number; readonly height: number } };
}

/** A payload's charts and picture, kept to be reused in later bundles of the same display. */
export interface ChartSet {
  readonly charts: readonly RenderedChart[];
  /** The picture drawn with them (summary and table of the same payload). */
  readonly picture?: StudyPicture;
  /** How many trials the payload they were drawn from had. */
  readonly trials: number;
  /** Set when the capped charts draw fewer trials than the payload has. */
  readonly note?: string;
}

/** Renders the payload's charts (only `payload.view` when set) to SVG, and the picture with them. */
export async function renderCharts(payload: StudyPayload): Promise<ChartSet> {
  const view: ViewName | undefined = payload.view;
  const wanted = (names: ChartName[]) => names.filter((n) => view === undefined || view === n);
  const subset = chartSubset(payload);
  const specs = [...viewSpecs(subset.payload, wanted(["parallel", "curves"])), ...viewSpecs(payload, wanted(["history", "importance"])), ...sliceSpecs(subset.payload, wanted)];
  const charts: RenderedChart[] = [];
  let note: string | undefined;
  try {
    for (const { name, spec } of specs) charts.push({ name, svg: await renderSvg(spec) });
    if (subset.payload !== payload && specs.some((s) => s.name !== "history")) {
      note = `Parallel coordinates, learning curves and slice plots draw ${subset.payload.trials.length} of the ${payload.trials.length} trials here (the best ${subset.best} and the latest others); the tunelab JupyterLab extension and study.dataframe() have them all.`;
    }
  } catch (e) {
    // Without vega (or with a broken one) the summary, the table and the payload still go out.
    charts.length = 0;
    note = `The charts could not be drawn here: ${errorText(e)}`;
  }
  const picture = studyPicture(payload, charts, { table: view === undefined || view === "table", ...(note !== undefined ? { note } : {}) });
  return { charts, trials: payload.trials.length, ...(picture ? { picture } : {}), ...(note !== undefined ? { note } : {}) };
}

/**
 * The slice plots in the static picture (issue 16 part 6): the capped trials (as parallel
 * coordinates, `chartSubset`), in the whole panel or `study.show("slice")`. The contour is
 * drawn alone only (`study.show("contour")`): a surface per pair is the extension's to choose.
 */
function sliceSpecs(p: StudyPayload, wanted: (names: ChartName[]) => ChartName[]): ReturnType<typeof viewSpecs> {
  const names = wanted(["slice"]);
  if (p.view === "contour") names.push("contour");
  return viewSpecs(p, names);
}

/**
 * The display from a payload and charts drawn earlier (a live display redraws
 * its charts and picture less often than it sends the payload; the picture
 * then shows the study as it was at its drawing, and says so in its summary).
 */
export function composeDisplay(payload: StudyPayload, charts: ChartSet): StudyDisplay {
  const pic = charts.picture;
  const data: StudyBundle = {
    [STUDY_MIME]: payload,
    ...(pic ? { "image/png": pic.png.toString("base64") } : {}),
    "text/plain": studyText(payload),
  };
  return { data, metadata: pic ? { "image/png": { width: pic.width, height: pic.height } } : {} };
}

/**
 * The MIME bundle for a payload: the payload itself, the picture (PNG) of the
 * summary, the charts (only `payload.view` when set) and the best trials, and
 * a short text.
 *
 * @example const bundle = await studyBundle(toPayload(study.snapshot, false));
 */
export async function studyBundle(payload: StudyPayload): Promise<StudyBundle> {
  return (await studyDisplay(payload)).data;
}

/** The bundle with its metadata, as a display sends it. */
export async function studyDisplay(payload: StudyPayload): Promise<StudyDisplay> {
  return composeDisplay(payload, await renderCharts(payload));
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
