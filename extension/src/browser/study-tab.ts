/**
 * A study in a main-area tab: the cell panel's StudyWidget (table, parallel coordinates,
 * learning curves, history, linked as in the cell) at full size, fed the payload built in the
 * browser from the study's journal, and fed again whenever the journal grows.
 */
import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { PanelLayout, Widget } from "@lumino/widgets";
import { STUDY_MIME } from "../../../src/views";
import { el, setText } from "../dom";
import { StudyWidget } from "../widget";
import type { StudyLibrary } from "./study-files";
import { entryPayload } from "./study-summary";

/**
 * Above this many trials the charts wait for a click: vega draws each chart in one task, and
 * at 50,000 trials the parallel coordinates alone hold the page for many seconds (see
 * bench/README.md, browser-studies). The table, virtualised, shows any size at once.
 */
export const CHARTS_ON_REQUEST_ABOVE = 20_000;

export class StudyTab extends Widget {
  readonly study: StudyWidget;
  private readonly notice = el("div", "tl-tab-notice");
  private readonly gate = el("div", "tl-tab-gate");
  private readonly gateText = el("span", "tl-tab-gate-text");
  private readonly gateButton = el("button", "tl-tab-draw-charts jp-mod-styled", "Draw the charts");
  private chartsRequested = false;
  private shown = -1;
  private shownModified = -1;
  private readonly stopWatching: () => void;

  constructor(
    private readonly library: StudyLibrary,
    readonly path: string,
  ) {
    super();
    this.addClass("tl-study-tab");
    this.title.closable = true;
    this.title.iconClass = "tl-tab-icon";
    this.title.caption = path;
    this.title.label = path.slice(path.lastIndexOf("/") + 1);
    this.study = new StudyWidget({} as IRenderMime.IRendererOptions);
    const layout = new PanelLayout();
    this.layout = layout;
    this.notice.hidden = true;
    this.gate.hidden = true;
    this.gateButton.type = "button";
    this.gateButton.addEventListener("click", () => {
      this.chartsRequested = true;
      this.shown = -1;
      this.redraw();
    });
    this.gate.append(this.gateText, this.gateButton);
    this.node.append(this.notice, this.gate);
    layout.addWidget(this.study);
    this.library.changed.connect(this.redraw, this);
    this.stopWatching = library.watch(() => this.isVisible);
    this.redraw();
  }

  /** Closing the tab ends it (a plain Widget would only be detached, and go on polling). */
  protected override onCloseRequest(): void {
    this.dispose();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.stopWatching();
    this.library.changed.disconnect(this.redraw, this);
    super.dispose();
  }

  /** Draws the study if its journal changed since it was last drawn. */
  redraw(): void {
    const e = this.library.entry(this.path);
    this.notice.hidden = e !== undefined;
    if (!e) {
      setText(this.notice, `${this.path} is no longer in the watched folders; this is its last known state.`);
      return;
    }
    if (e.reader.version === this.shown && e.modified === this.shownModified) return;
    const payload = entryPayload(e);
    if (!payload) {
      this.notice.hidden = false;
      setText(this.notice, e.reader.error?.message ?? e.fetchError ?? "This file has no study record yet.");
      return;
    }
    this.shown = e.reader.version;
    this.shownModified = e.modified;
    this.title.label = payload.study.name;
    const gated = payload.trials.length > CHARTS_ON_REQUEST_ABOVE && !this.chartsRequested;
    this.gate.hidden = !gated;
    if (gated) {
      setText(this.gateText, `${payload.trials.length.toLocaleString("en")} trials: above ${CHARTS_ON_REQUEST_ABOVE.toLocaleString("en")} the charts are drawn on request, as drawing them keeps the page busy for several seconds. The table shows every trial.`);
    }
    const model = { data: { [STUDY_MIME]: gated ? { ...payload, view: "table" } : payload }, metadata: {}, trusted: false, setData: () => undefined } as unknown as IRenderMime.IMimeModel;
    void this.study.renderModel(model);
  }
}
