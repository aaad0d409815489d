import { STUDY_MIME, type StudyPayload } from "../views/payload";
import { viewSpecs, type ChartName, type ViewName } from "../views/specs";
import { studyHtml, studyText, type RenderedChart } from "./html";
import { renderSvg } from "./vega";

/** What a study display sends: the payload for the extension and two fallbacks. */
export type StudyBundle = {
  readonly [STUDY_MIME]: StudyPayload;
  readonly "text/html": string;
  readonly "text/plain": string;
};

/**
 * The MIME bundle for a payload: the payload itself, the HTML fallback with
 * the table and the charts as SVG images (only `payload.view` when set), and
 * a short text.
 *
 * @example const bundle = await studyBundle(toPayload(study.snapshot, false));
 */
export async function studyBundle(payload: StudyPayload): Promise<StudyBundle> {
  const view: ViewName | undefined = payload.view;
  const only: ChartName[] | undefined = view === undefined ? undefined : view === "table" ? [] : [view];
  const charts: RenderedChart[] = [];
  for (const { name, spec } of viewSpecs(payload, only)) charts.push({ name, svg: await renderSvg(spec) });
  return {
    [STUDY_MIME]: payload,
    "text/html": studyHtml(payload, charts, { table: view === undefined || view === "table" }),
    "text/plain": studyText(payload),
  };
}
