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

export class StudyTab extends Widget {
  readonly study: StudyWidget;
  private readonly notice = el("div", "tl-tab-notice");
  private shown = -1;
  private shownModified = -1;
  private readonly stopWatching: () => void;

  constructor(
    private readonly library: StudyLibrary,
    readonly path: string,
    openFile?: (path: string) => void,
  ) {
    super();
    this.addClass("tl-study-tab");
    this.title.closable = true;
    this.title.iconClass = "tl-tab-icon";
    this.title.caption = path;
    this.title.label = path.slice(path.lastIndexOf("/") + 1);
    this.study = new StudyWidget({} as IRenderMime.IRendererOptions);
    // The journal's folder is the study's storage folder: trial logs are named from there.
    this.study.setStorageFolder({ path: path.slice(0, Math.max(0, path.lastIndexOf("/"))), ...(openFile ? { open: openFile } : {}) });
    const layout = new PanelLayout();
    this.layout = layout;
    this.notice.hidden = true;
    this.node.append(this.notice);
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
    // Every size draws its charts at once (their many lines are painted on a canvas layer,
    // milliseconds even at 50,000 trials; see bench/README.md, browser-studies).
    const model = { data: { [STUDY_MIME]: payload }, metadata: {}, trusted: false, setData: () => undefined } as unknown as IRenderMime.IMimeModel;
    void this.study.renderModel(model);
  }
}
