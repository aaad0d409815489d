/**
 * The trial table: one row per trial that passes the filters, sortable by any column (click a
 * header; again to reverse), the best trial marked, numbers formatted and right-aligned.
 * Virtualised: only the rows in view (plus a margin) exist in the DOM, recycled while scrolling,
 * so 5,000 trials scroll as smoothly as 50. Arrow keys move the selection.
 *
 * A row element stays with its trial while that trial is in the window: scrolling only rewrites
 * the rows that come into view (those that left are reused), so the element under a still
 * pointer does not change when a scroll's deferred redraw lands mid-click. A click selects the
 * trial the row showed when the button went down (read at pointerdown, acted on at pointerup),
 * whatever a live update or a redraw does to the rows before the button comes up.
 */
import type { Choice } from "../../src/space/types";
import type { TableColumn, TableRow } from "../../src/views";
import { el, setText } from "./dom";
import type { StudyModel } from "./study-model";
import type { ViewState } from "./view-state";

export const ROW_HEIGHT = 24;
const OVERSCAN = 8;

type SortValue = number | string | null;

interface Column {
  readonly label: string;
  /** CSS class of the cells: numbers right-aligned, states with their dot. */
  readonly kind: "number" | "text" | "state";
  readonly width: number;
  /** Long text: the full text is also the cell's tooltip. */
  readonly long?: boolean;
  text(row: TableRow): string;
  sortValue(row: TableRow): SortValue;
}

export interface TableEvents {
  select(trial: number | null, source: string): void;
}

function choiceSort(v: Choice | null | undefined): SortValue {
  if (v === null || v === undefined) return null;
  return typeof v === "number" ? v : String(v);
}

/** The shared table's columns with what this widget needs to draw and sort them. */
function toColumn(c: TableColumn): Column {
  const name = c.name ?? "";
  switch (c.kind) {
    case "number":
      return { label: c.label, kind: "number", width: 64, text: (r) => String(r.number), sortValue: (r) => r.number };
    case "state":
      return { label: c.label, kind: "state", width: 108, text: (r) => r.state, sortValue: (r) => r.state };
    case "value":
      return { label: c.label, kind: "number", width: 100, text: (r) => r.valueText || "—", sortValue: (r) => r.value };
    case "param":
      return {
        label: c.label,
        kind: c.numeric ? "number" : "text",
        width: c.numeric ? 92 : 112,
        text: (r) => r.paramsText[name] || "—",
        sortValue: (r) => choiceSort(r.params[name]),
      };
    case "metric":
      return { label: c.label, kind: "number", width: 92, text: (r) => r.metricsText[name] || "—", sortValue: (r) => r.metrics[name] ?? null };
    case "duration":
      return { label: c.label, kind: "number", width: 88, text: (r) => r.durationText || "—", sortValue: (r) => r.duration };
    case "error":
      return { label: c.label, kind: "text", width: 280, long: true, text: (r) => r.error ?? "", sortValue: (r) => r.error };
  }
}

function columnsOf(model: StudyModel): Column[] {
  const hasErrors = model.rows.some((r) => r.error !== null);
  return model.table.columns.filter((c) => c.kind !== "error" || hasErrors).map(toColumn);
}

/** Nulls last whatever the direction; ties by trial number. */
function compare(a: SortValue, b: SortValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

interface RowNode {
  readonly node: HTMLDivElement;
  readonly cells: HTMLDivElement[];
  /** Position in the current order, -1 before the first draw. */
  index: number;
  /** The trial the row shows (its cells and data-trial were drawn from it). */
  trial: number;
  /** The data the cells were drawn from (a new model brings new rows: redrawn). */
  row: TableRow | null;
  starred: boolean;
}

export class TrialTable {
  readonly node: HTMLDivElement;
  private readonly scroller: HTMLDivElement;
  private readonly head: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private columns: Column[] = [];
  private columnsKey = "";
  private order: TableRow[] = [];
  /** The rows in the DOM, by the trial they show. */
  private shown = new Map<number, RowNode>();
  private readonly byNode = new WeakMap<Element, RowNode>();
  /** The trial under the pointer when the primary button went down in the body. */
  private pressed: number | null = null;
  private sort: { column: number; descending: boolean } = { column: 0, descending: false };
  private model: StudyModel | null = null;
  private state: ViewState | null = null;
  private frame = 0;

  constructor(private readonly events: TableEvents) {
    this.node = el("div", "tl-table");
    this.scroller = el("div", "tl-table-scroll");
    this.scroller.tabIndex = 0;
    this.scroller.setAttribute("role", "grid");
    this.head = el("div", "tl-row tl-head");
    this.head.setAttribute("role", "row");
    this.body = el("div", "tl-body");
    this.body.setAttribute("role", "rowgroup");
    this.scroller.append(this.head, this.body);
    this.node.append(this.scroller);
    this.scroller.addEventListener("scroll", () => this.schedule(), { passive: true });
    this.scroller.addEventListener("keydown", (e) => this.onKey(e));
    // Not "click": a redraw between press and release can move rows (a live update re-sorts,
    // a scroll's redraw reuses elements), and then the click goes to the body or, if the
    // pressed element moved in the DOM, nowhere.
    this.body.addEventListener("pointerdown", (e) => {
      this.pressed = e.isPrimary && e.button === 0 ? this.trialAt(e.target) : null;
    });
    this.body.addEventListener("pointerup", (e) => {
      const trial = this.pressed;
      this.pressed = null;
      if (trial !== null && e.button === 0) this.events.select(trial, "table");
    });
    // A press dragged out of the table, or taken over by touch scrolling, selects nothing.
    this.body.addEventListener("pointerleave", () => (this.pressed = null));
    this.body.addEventListener("pointercancel", () => (this.pressed = null));
    // Clicks without a pointer (assistive technology, element.click()).
    this.body.addEventListener("click", (e) => {
      const trial = e.detail === 0 ? this.trialAt(e.target) : null;
      if (trial !== null) this.events.select(trial, "table");
    });
  }

  /** Rows in the current filter and sort order. */
  get rows(): readonly TableRow[] {
    return this.order;
  }

  render(model: StudyModel, state: ViewState): void {
    this.model = model;
    this.state = state;
    const columns = columnsOf(model);
    const key = columns.map((c) => `${c.kind}:${c.label}`).join("\u0000");
    if (key !== this.columnsKey) {
      this.columns = columns;
      this.columnsKey = key;
      if (this.sort.column >= columns.length) this.sort = { column: 0, descending: false };
      this.buildHead();
      for (const r of this.shown.values()) r.node.remove();
      this.shown.clear();
    } else {
      this.columns = columns;
    }
    const visible = state.visible(model);
    const col = this.columns[this.sort.column]!;
    const sign = this.sort.descending ? -1 : 1;
    this.order = model.rows
      .filter((r) => visible.has(r.number))
      .sort((a, b) => {
        const va = col.sortValue(a);
        const vb = col.sortValue(b);
        if (va === null || vb === null) return compare(va, vb) || a.number - b.number;
        return sign * compare(va, vb) || a.number - b.number;
      });
    this.scroller.setAttribute("aria-rowcount", String(this.order.length + 1));
    this.node.dataset.rows = String(this.order.length);
    this.body.style.height = `${this.order.length * ROW_HEIGHT}px`;
    this.renderWindow();
  }

  /** Sorts by a column (as a header click does): ascending first, again to reverse. */
  sortBy(column: number): void {
    this.sort = this.sort.column === column ? { column, descending: !this.sort.descending } : { column, descending: false };
    this.updateSortMarks();
    if (this.model && this.state) this.render(this.model, this.state);
  }

  /** Marks the selected row; scrolls it into view when asked (a selection made elsewhere). */
  showSelection(scroll: boolean): void {
    const selected = this.state?.selected ?? null;
    if (scroll && selected !== null) {
      const i = this.order.findIndex((r) => r.number === selected);
      if (i >= 0) {
        const top = i * ROW_HEIGHT;
        const view = this.scroller.clientHeight - ROW_HEIGHT * 2;
        if (top < this.scroller.scrollTop || top > this.scroller.scrollTop + view) {
          this.scroller.scrollTop = Math.max(0, top - view / 2);
        }
      }
    }
    this.renderWindow();
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderWindow();
    });
  }

  private buildHead(): void {
    this.head.textContent = "";
    // Each column at least its width, sharing any room left over.
    const template = this.columns.map((c) => `minmax(${c.width}px, ${c.long ? 3 : 1}fr)`).join(" ");
    // Widths are numbers chosen here, never payload text.
    this.node.style.setProperty("--tl-columns", template);
    this.node.style.setProperty("--tl-row-width", `${this.columns.reduce((w, c) => w + c.width, 0)}px`);
    this.columns.forEach((c, i) => {
      const cell = el("div", `tl-cell tl-${c.kind}`);
      cell.setAttribute("role", "columnheader");
      const button = el("button", "tl-sort", c.label);
      button.type = "button";
      button.title = `Sort by ${c.label}`;
      button.addEventListener("click", () => this.sortBy(i));
      cell.append(button);
      this.head.append(cell);
    });
    this.updateSortMarks();
  }

  private updateSortMarks(): void {
    Array.from(this.head.children).forEach((cell, i) => {
      const sorted = i === this.sort.column;
      cell.setAttribute("aria-sort", sorted ? (this.sort.descending ? "descending" : "ascending") : "none");
    });
  }

  private trialAt(target: EventTarget | null): number | null {
    const node = target instanceof Element ? target.closest(".tl-row") : null;
    const r = node ? this.byNode.get(node) : undefined;
    return r && r.index >= 0 ? r.trial : null;
  }

  private renderWindow(): void {
    const model = this.model;
    if (!model) return;
    const height = this.scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.order.length, Math.ceil((this.scroller.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    const inWindow = new Set<number>();
    for (let i = first; i < last; i++) inWindow.add(this.order[i]!.number);
    // Rows whose trial left the window are reused for the trials that came in.
    const free: RowNode[] = [];
    for (const [trial, r] of this.shown) {
      if (inWindow.has(trial)) continue;
      this.shown.delete(trial);
      free.push(r);
    }
    const best = model.best;
    const selected = this.state?.selected ?? null;
    const sequence: RowNode[] = [];
    const moved = new Set<RowNode>();
    for (let i = first; i < last; i++) {
      const row = this.order[i]!;
      let r = this.shown.get(row.number);
      if (!r) {
        r = free.pop() ?? this.makeRow();
        this.shown.set(row.number, r);
        moved.add(r);
      }
      this.draw(r, row, i, best, selected);
      sequence.push(r);
    }
    for (const r of free) r.node.remove();
    this.arrange(sequence, moved);
  }

  private draw(r: RowNode, row: TableRow, i: number, best: number | null, selected: number | null): void {
    const node = r.node;
    if (r.index !== i) {
      r.index = i;
      node.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      node.setAttribute("aria-rowindex", String(i + 2));
    }
    if (r.trial !== row.number) {
      r.trial = row.number;
      node.dataset.trial = String(row.number);
    }
    const className = `tl-row tl-state-${row.state}${row.number === best ? " tl-best" : ""}${row.number === selected ? " tl-selected" : ""}`;
    if (node.className !== className) node.className = className;
    node.setAttribute("aria-selected", row.number === selected ? "true" : "false");
    const starred = row.number === best;
    if (r.row === row && r.starred === starred) return; // a scroll: the cells already show this row
    r.row = row;
    r.starred = starred;
    this.columns.forEach((c, j) => {
      const cell = r.cells[j]!;
      const text = j === 0 && starred ? `★ ${row.number}` : c.text(row);
      setText(cell, text);
      if (c.long && cell.title !== text) cell.title = text;
    });
  }

  /**
   * Puts the rows in the DOM in display order (for assistive technology and readers of the
   * DOM), moving only the rows that changed trial when the others are already in order (a
   * scroll), so a row under the pointer stays put.
   */
  private arrange(sequence: readonly RowNode[], moved: Set<RowNode>): void {
    let previous = -1;
    for (const child of Array.from(this.body.children)) {
      const r = this.byNode.get(child);
      if (!r || moved.has(r)) continue;
      if (r.index < previous) {
        for (const s of sequence) moved.add(s); // re-sorted: every row to its place
        break;
      }
      previous = r.index;
    }
    let next: HTMLDivElement | null = null;
    for (let k = sequence.length - 1; k >= 0; k--) {
      const r = sequence[k]!;
      if (moved.has(r) && (r.node.parentNode !== this.body || r.node.nextSibling !== next)) this.body.insertBefore(r.node, next);
      next = r.node;
    }
  }

  private makeRow(): RowNode {
    const node = el("div", "tl-row");
    node.setAttribute("role", "row");
    const cells = this.columns.map((c) => {
      const cell = el("div", `tl-cell tl-${c.kind}`);
      cell.setAttribute("role", "gridcell");
      return cell;
    });
    node.append(...cells);
    const r: RowNode = { node, cells, index: -1, trial: -1, row: null, starred: false };
    this.byNode.set(node, r);
    return r;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    const selected = this.state?.selected ?? null;
    const i = selected === null ? -1 : this.order.findIndex((r) => r.number === selected);
    const next = Math.min(this.order.length - 1, Math.max(0, i + (e.key === "ArrowDown" ? 1 : -1)));
    const row = this.order[next];
    if (row) this.events.select(row.number, "table");
  }
}
