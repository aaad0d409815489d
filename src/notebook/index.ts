/**
 * The kernel side of the notebook views: the tslab bridge (tslab.ts is the
 * only file that touches tslab), the MIME bundle with its picture (PNG) and
 * text fallbacks, the live display that follows a run, and the trials as a
 * danfojs DataFrame. Node only.
 */
export { showStudy } from "./show";
export { studyBundle, studyDisplay } from "./bundle";
export type { StudyBundle, StudyDisplay } from "./bundle";
export { LiveDisplay, startLiveDisplay, lastLiveStats } from "./live";
export type { LiveOptions, LiveStats } from "./live";
export { watchStudy } from "./watch";
export type { WatchOptions, Watching } from "./watch";
export { trialsDataFrame, trialColumns } from "./dataframe";
export type { TrialColumns } from "./dataframe";
export { kernelWriter, inKernel } from "./tslab";
export type { DisplayWriter, DisplayContent } from "./tslab";
export { renderSvg } from "./vega";
export { studyText } from "./text";
export { studyPicture, studyPictureSvg } from "./picture";
export { frameHtml, frameText } from "./frame-display";
