/**
 * tunelab's JupyterLab extension: a MIME renderer for study outputs
 * (application/vnd.tunelab.study.v1+json) drawing a linked trial table, parallel coordinates,
 * learning curves and the optimisation history.
 *
 * rank 0: the kernel's bundle also carries text/html (a static fallback for places without this
 * extension); without a low rank JupyterLab would prefer the HTML.
 * safe: true: the views draw in untrusted and reopened notebooks too, which is why the renderer
 * treats every payload as hostile (see payload-check.ts and dom.ts).
 */
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { STUDY_MIME } from "../../src/views/payload";
import { StudyWidget } from "./widget";

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [STUDY_MIME],
  defaultRank: 0,
  createRenderer: (options) => new StudyWidget(options),
};

const extension: IRenderMime.IExtension = {
  id: "tunelab-jupyterlab:study",
  description: "Renders tunelab studies: trial table, parallel coordinates, learning curves, optimisation history.",
  rendererFactory,
  rank: 0,
  dataType: "json",
};

export default extension;
