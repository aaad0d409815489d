/**
 * The compare tab's trial table: every trial of every compared study, one study column,
 * sortable by any column. Windowed (only the rows in view exist in the DOM) so 100,000 rows
 * scroll like 100; every cell is text.
 */
import { formatNumber } from "../../../src/views";
import { el, setText } from "../dom";
import type { CompareRow } from "./compare-data";

const ROW_HEIGHT = 24;
const OVERSCAN = 10;

type Key = "study" | "number" | "state" | "value" | "seconds" | "params";

const COLUMNS: readonly { key: Key; title: string }[] = [
  { key: "study", title: "study" },
  { key: "number", title: "#" },
  { key: "state", title: "state" },
  { key: "value", title: "value" },
  { key: "seconds", title: "duration" },
  { key: "params", title: "parameters" },
];

export class CompareTable {
  readonly node = el("div", "tl-cmp-table");
  private readonly head = el("div", "tl-cmp-row tl-cmp-head");
  private readonly body = el("div", "tl-cmp-body");
  private readonly spacer = el("div", "tl-cmp-spacer");
  private rows: readonly CompareRow[] = [];
  private sorted: CompareRow[] = [];
  private sort: { key: Key; up: boolean } = { key: "study", up: true };
  private frame = 0;
  private readonly buttons = new Map<Key, HTMLButtonElement>();

  constructor() {
    this.node.setAttribute("role", "table");
    this.head.setAttribute("role", "row");
    for (const c of COLUMNS) {
      const b = el("button", `tl-cmp-cell tl-cmp-col-${c.key}`, c.title);
      b.type = "button";
      b.setAttribute("role", "columnheader");
      b.addEventListener("click", () => this.sortBy(c.key));
      this.buttons.set(c.key, b);
      this.head.append(b);
    }
    this.body.append(this.spacer);
    this.body.tabIndex = 0;
    this.body.setAttribute("aria-label", "trials of the compared studies");
    this.body.addEventListener("scroll", () => this.schedule());
    this.node.append(this.head, this.body);
  }

  /** The rows in the order shown (the current sort). */
  get shownRows(): readonly CompareRow[] {
    return this.sorted;
  }

  update(rows: readonly CompareRow[]): void {
    this.rows = rows;
    this.node.dataset.rows = String(rows.length);
    this.resort();
  }

  private sortBy(key: Key): void {
    this.sort = { key, up: this.sort.key === key ? !this.sort.up : true };
    this.resort();
  }

  private resort(): void {
    const { key, up } = this.sort;
    const sign = up ? 1 : -1;
    this.sorted = [...this.rows].sort((a, b) => {
      const x = a[key];
      const y = b[key];
      // Nulls (no value yet) last whichever way.
      if (x === null || y === null) return x === y ? a.number - b.number : x === null ? 1 : -1;
      const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return c !== 0 ? sign * c : a.study === b.study ? a.number - b.number : a.study.localeCompare(b.study);
    });
    for (const [k, b] of this.buttons) {
      b.setAttribute("aria-sort", k === key ? (up ? "ascending" : "descending") : "none");
      setText(b, COLUMNS.find((c) => c.key === k)!.title + (k === key ? (up ? " ▲" : " ▼") : ""));
    }
    this.spacer.style.height = `${this.sorted.length * ROW_HEIGHT}px`;
    this.draw();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draws the rows in view (called on scroll and after every update). */
  draw(): void {
    const height = this.body.clientHeight || 400;
    const first = Math.max(0, Math.floor(this.body.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.sorted.length, Math.ceil((this.body.scrollTop + height) / ROW_HEIGHT) + OVERSCAN);
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const r = this.sorted[i]!;
      const row = el("div", `tl-cmp-row tl-cmp-state-${r.state}`);
      row.setAttribute("role", "row");
      row.style.top = `${i * ROW_HEIGHT}px`;
      row.append(
        el("span", "tl-cmp-cell tl-cmp-col-study", r.study),
        el("span", "tl-cmp-cell tl-cmp-col-number", String(r.number)),
        el("span", "tl-cmp-cell tl-cmp-col-state", r.state),
        el("span", "tl-cmp-cell tl-cmp-col-value", r.value === null ? "" : formatNumber(r.value)),
        el("span", "tl-cmp-cell tl-cmp-col-seconds", r.seconds === null ? "" : `${formatNumber(r.seconds)} s`),
        el("span", "tl-cmp-cell tl-cmp-col-params", r.params),
      );
      nodes.push(row);
    }
    this.spacer.replaceChildren(...nodes);
  }

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
  }
}
