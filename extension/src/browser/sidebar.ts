/**
 * The "Studies" sidebar: every study journal under the watched folders with its name,
 * strategy, trials by state, best value and whether it still runs; sortable by name, last
 * change or best value; a checkbox per study to compare two or more; a row per file that can't
 * be read, saying why. Everything from the files goes in as text.
 *
 * Keyboard: Tab reaches the list; Up/Down move between studies, Enter opens one, Space ticks it
 * for comparison.
 */
import { Widget } from "@lumino/widgets";
import { formatNumber } from "../../../src/views";
import { el, setText } from "../dom";
import type { StudyLibrary } from "./study-files";
import type { EntrySummary } from "./study-summary";

export type SortKey = "name" | "modified" | "best";

export interface SidebarActions {
  open(path: string): void;
  compare(paths: readonly string[]): void;
}

export class StudySidebar extends Widget {
  private readonly list = el("ul", "tl-sb-list");
  private readonly status = el("div", "tl-sb-status");
  private readonly compareButton = el("button", "tl-sb-compare jp-mod-styled", "Compare");
  private readonly sortSelect = el("select", "tl-sb-sort");
  private readonly checked = new Set<string>();
  private sortKey: SortKey = "modified";
  private readonly stopWatching: () => void;

  constructor(
    private readonly library: StudyLibrary,
    private readonly actions: SidebarActions,
  ) {
    super();
    this.id = "tunelab-studies";
    this.addClass("tl-sidebar");
    this.title.caption = "tunelab studies";
    this.title.iconClass = "tl-sidebar-icon";
    this.build();
    library.changed.connect(this.render, this);
    this.stopWatching = library.watch(() => this.isVisible);
    this.render();
  }

  get sort(): SortKey {
    return this.sortKey;
  }

  set sort(key: SortKey) {
    this.sortKey = key;
    this.sortSelect.value = key;
    this.render();
  }

  /** The paths ticked for comparison, in list order. */
  get selection(): string[] {
    return this.library.entries.map((e) => e.path).filter((p) => this.checked.has(p));
  }

  override dispose(): void {
    if (this.isDisposed) return;
    this.stopWatching();
    this.library.changed.disconnect(this.render, this);
    super.dispose();
  }

  protected override onAfterShow(): void {
    void this.library.refresh();
  }

  private build(): void {
    const head = el("div", "tl-sb-head");
    head.append(el("h2", "tl-sb-title", "Studies"));
    const refresh = el("button", "tl-sb-refresh jp-mod-styled", "Refresh");
    refresh.type = "button";
    refresh.title = "Read the folders again (and look for new .tunelab folders)";
    refresh.addEventListener("click", () => void this.library.refresh(true));
    this.compareButton.type = "button";
    this.compareButton.title = "Tick two or more studies to compare them";
    this.compareButton.addEventListener("click", () => {
      const paths = this.selection;
      if (paths.length >= 2) this.actions.compare(paths);
    });
    head.append(refresh, this.compareButton);

    const sortRow = el("label", "tl-sb-sortrow", "Sort by ");
    for (const [value, text] of [
      ["modified", "last change"],
      ["name", "name"],
      ["best", "best value"],
    ] as const) {
      const o = el("option", "", text);
      o.value = value;
      this.sortSelect.append(o);
    }
    this.sortSelect.value = this.sortKey;
    this.sortSelect.addEventListener("change", () => (this.sort = this.sortSelect.value as SortKey));
    sortRow.append(this.sortSelect);

    this.list.setAttribute("aria-label", "tunelab studies");
    this.list.addEventListener("keydown", (e) => this.onKey(e));
    this.status.setAttribute("aria-live", "polite");
    this.node.append(head, sortRow, this.status, this.list);
  }

  private sorted(): EntrySummary[] {
    const sums = this.library.entries.map((e) => this.library.summary(e));
    const byName = (a: EntrySummary, b: EntrySummary) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path);
    if (this.sortKey === "name") return sums.sort(byName);
    if (this.sortKey === "modified") return sums.sort((a, b) => b.modified - a.modified || byName(a, b));
    // Best value, lowest first (studies without a complete trial, and unreadable files, last).
    return sums.sort((a, b) => (a.best === null || b.best === null ? (a.best === null ? 1 : 0) - (b.best === null ? 1 : 0) : a.best.value - b.best.value) || byName(a, b));
  }

  private render(): void {
    const focused = (document.activeElement as HTMLElement | null)?.closest?.(".tl-sb-item") as HTMLElement | null;
    const focusPath = focused && this.list.contains(focused) ? focused.dataset.path : undefined;
    const sums = this.sorted();
    for (const p of [...this.checked]) if (!this.library.entry(p)) this.checked.delete(p);
    const items = sums.map((s) => (s.status === "error" ? this.errorItem(s) : this.item(s)));
    this.list.replaceChildren(...items);
    this.node.dataset.studies = String(sums.filter((s) => s.status !== "error").length);
    this.node.dataset.errors = String(sums.filter((s) => s.status === "error").length);
    this.updateCompare();
    this.updateStatus(sums.length);
    if (focusPath !== undefined) {
      const again = items.find((i) => i.dataset.path === focusPath);
      again?.querySelector<HTMLElement>(".tl-sb-open")?.focus();
    }
  }

  private item(s: EntrySummary): HTMLLIElement {
    const li = el("li", `tl-sb-item tl-sb-${s.status}`);
    li.dataset.path = s.path;
    li.dataset.status = s.status;
    li.dataset.trials = String(s.trials);
    const box = el("input", "tl-sb-check");
    box.type = "checkbox";
    box.checked = this.checked.has(s.path);
    box.setAttribute("aria-label", `compare ${s.name}`);
    box.addEventListener("change", () => {
      if (box.checked) this.checked.add(s.path);
      else this.checked.delete(s.path);
      this.updateCompare();
    });
    const open = el("button", "tl-sb-open", s.name);
    open.type = "button";
    open.title = `Open ${s.path} in a tab`;
    open.addEventListener("click", () => this.actions.open(s.path));
    const badge = el("span", `tl-sb-badge tl-sb-badge-${s.status}`, s.status);
    if (s.status === "stalled") badge.title = "Trials are marked running but the file has not changed for 10 minutes: the process that ran them has probably stopped.";
    const top = el("div", "tl-sb-line tl-sb-top");
    top.append(box, open, badge);

    const best = s.best ? `best #${s.best.number}: ${formatNumber(s.best.value)}` : "no complete trial";
    const meta = el("div", "tl-sb-line tl-sb-meta", [s.strategy, `${s.direction ?? ""} ${s.metric}`.trim(), best].filter(Boolean).join(" · "));
    const counts = el("div", "tl-sb-line tl-sb-counts");
    counts.append(el("span", "tl-sb-total", `${s.trials} trial${s.trials === 1 ? "" : "s"}`));
    for (const st of ["complete", "running", "pruned", "failed"] as const) {
      if (s.counts[st] > 0) counts.append(el("span", `tl-sb-count tl-sb-count-${st}`, `${s.counts[st]} ${st}`));
    }
    const where = el("div", "tl-sb-line tl-sb-where", `${s.folder || "/"} · ${s.modified ? new Date(s.modified).toLocaleString() : ""}`);
    li.append(top, meta, counts, where);
    if (s.skipped > 0) {
      const warn = el("div", "tl-sb-line tl-sb-warn", `${s.skipped} damaged or foreign record${s.skipped === 1 ? "" : "s"} skipped`);
      warn.title = s.warnings.join("\n");
      li.append(warn);
    }
    return li;
  }

  private errorItem(s: EntrySummary): HTMLLIElement {
    const li = el("li", "tl-sb-item tl-sb-error");
    li.dataset.path = s.path;
    li.dataset.status = "error";
    const top = el("div", "tl-sb-line tl-sb-top");
    top.append(el("span", "tl-sb-filename", s.path), el("span", "tl-sb-badge tl-sb-badge-error", "can't read"));
    const msg = el("div", "tl-sb-line tl-sb-message", s.error ?? "");
    msg.setAttribute("role", "note");
    li.append(top, msg);
    return li;
  }

  private updateCompare(): void {
    const n = this.selection.length;
    this.compareButton.disabled = n < 2;
    setText(this.compareButton, n >= 2 ? `Compare ${n}` : "Compare");
  }

  private updateStatus(count: number): void {
    const folders = this.library.folders;
    const watched = this.library.watchedFolders;
    const missing = folders.filter((f) => !f.ok);
    let text = `Watching ${watched.map((f) => f || "/").join(", ")}`;
    if (count === 0) {
      text += ". No studies found yet.";
      if (missing.length > 0) {
        text +=
          ` ${missing.map((f) => `${f.path}: ${f.message}`).join("; ")}. Jupyter hides dot-folders such as .tunelab unless the server runs with --ContentsManager.allow_hidden=True;` +
          " or store studies in a visible folder and add it under Settings → tunelab study browser.";
      }
    }
    setText(this.status, text);
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const buttons = [...this.list.querySelectorAll<HTMLElement>(".tl-sb-open")];
    const i = buttons.indexOf(document.activeElement as HTMLElement);
    const next = buttons[Math.max(0, Math.min(buttons.length - 1, i + (e.key === "ArrowDown" ? 1 : -1)))];
    if (next) {
      next.focus();
      e.preventDefault();
    }
  }
}
