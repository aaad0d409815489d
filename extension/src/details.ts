/**
 * The selected trial's details, under its selection line (trial-info.ts): its note (sanitized
 * markdown, always shown), then, folded until the user unfolds them (they would push the
 * charts down), its state and times, the worker that ran it, why it stopped, its retries, its
 * parameters, every metric, a small curve of its intermediate values and its attributes. And
 * the study's note at the top of the panel. Everything is built from trialDetails
 * (src/views/details.ts) with textContent; the curve is an SVG of numbers only.
 */
import { formatNumber, trialDetails, type NameText, type StudyPayload, type TrialDetails } from "../../src/views";
import { renderMarkdown } from "./details-markdown";
import { el } from "./dom";

const SVG = "http://www.w3.org/2000/svg";

/** The details of one trial, or null when the payload has none of that number. */
export function detailsOf(payload: StudyPayload, number: number): TrialDetails | null {
  return trialDetails(payload, number) ?? null;
}

export class TrialDetailsView {
  /** Whether the details are unfolded: the user's choice, kept for the next trial selected. */
  private open = false;

  /** The nodes to append under the selection line for `d`. */
  nodes(d: TrialDetails): HTMLElement[] {
    const out: HTMLElement[] = [];
    if (d.note !== null) out.push(renderMarkdown(d.note, "tl-note"));
    const fold = el("details", "tl-details");
    fold.open = this.open;
    fold.addEventListener("toggle", () => (this.open = fold.open));
    fold.append(el("summary", "", summaryText(d)));
    const grid = el("div", "tl-details-grid");
    const row = (label: string, ...value: HTMLElement[]) => {
      if (value.length) grid.append(el("span", "tl-details-label", label), wrap(value));
    };
    row("State", el("span", "", [d.state, d.started && `started ${d.started}`, d.duration && `took ${d.duration}`].filter(Boolean).join(" · ")));
    if (d.worker) row("Worker", el("code", "", d.worker));
    if (d.stopped) row("Stopped", el("span", "", d.stopped));
    if (d.retry) row("Retry", retryNode(d.retry));
    row("Parameters", ...pairs(d.params));
    if (d.metrics.length) row("Metrics", ...pairs(d.metrics));
    if (d.curve.length) row("Intermediate", curveNode(d));
    if (d.attrs.length) row("Attributes", ...pairs(d.attrs, "tl-details-attr"));
    fold.append(grid);
    out.push(fold);
    return out;
  }
}

function summaryText(d: TrialDetails): string {
  const parts = ["Details"];
  if (d.attrs.length) parts.push(`${d.attrs.length} attribute${d.attrs.length === 1 ? "" : "s"}`);
  if (d.steps) parts.push(`${d.steps} step${d.steps === 1 ? "" : "s"}`);
  if (d.worker) parts.push(d.worker);
  return parts.join(" · ");
}

function wrap(nodes: HTMLElement[]): HTMLElement {
  if (nodes.length === 1) return nodes[0]!;
  const box = el("span", "tl-details-list");
  box.append(...nodes);
  return box;
}

function pairs(list: readonly NameText[], className = "tl-details-pair"): HTMLElement[] {
  return list.map((p) => {
    const item = el("code", className);
    item.append(el("span", "tl-details-key", `${p.name}=`), document.createTextNode(p.text));
    return item;
  });
}

function retryNode(r: NonNullable<TrialDetails["retry"]>): HTMLElement {
  const box = el("span", "tl-details-list");
  box.append(el("span", "", `attempt ${r.attempt + 1}, repeating trial ${r.of}`));
  for (const h of r.history) box.append(el("span", "tl-details-history", h));
  return box;
}

/** A sparkline of the objective by step, with its first and last values as text. */
function curveNode(d: TrialDetails): HTMLElement {
  const box = el("span", "tl-details-curve");
  const w = 160;
  const h = 32;
  const xs = d.curve.map((p) => p[0]);
  const ys = d.curve.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * (w - 4) + 2);
  const sy = (y: number) => (y1 === y0 ? h / 2 : h - 2 - ((y - y0) / (y1 - y0)) * (h - 4));
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", String(w));
  svg.setAttribute("height", String(h));
  svg.setAttribute("class", "tl-sparkline");
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", d.curve.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "));
  svg.append(line);
  const first = d.curve[0]!;
  const last = d.curve[d.curve.length - 1]!;
  box.append(svg as unknown as HTMLElement, el("span", "tl-details-key", `step ${first[0]}: ${formatNumber(first[1])} → step ${last[0]}: ${formatNumber(last[1])}`));
  return box;
}

/** The study's note, at the top of the panel and the study tab; hidden without one. */
export class StudyNoteView {
  readonly node = el("div", "tl-study-note");
  private drawn: string | null | undefined;

  constructor() {
    this.node.hidden = true;
  }

  show(payload: StudyPayload | null): void {
    const note = payload && typeof payload.study.note === "string" && payload.study.note !== "" ? payload.study.note : null;
    if (note === this.drawn) return;
    this.drawn = note;
    this.node.textContent = "";
    this.node.hidden = note === null;
    if (note !== null) this.node.append(renderMarkdown(note, "tl-study-note-text"));
  }
}
