/**
 * Range warnings at the panel's top (src/views/analysis/boundary.ts): one line per numeric
 * parameter whose best trials crowd against a bound, naming the parameter, the bound, the
 * direction to widen and the line of code that widens it. Every string is set as text.
 *
 * `data-warnings` ("lr:low,units:high") is for tests and tools.
 */
import { formatNumber, payloadBoundaryWarnings, type BoundaryWarning } from "../../../src/views";
import { el } from "../dom";
import type { StudyModel } from "../study-model";

export class BoundaryNotice {
  readonly node = el("div", "tl-boundary");
  private shown = "";

  constructor() {
    this.node.hidden = true;
    this.node.setAttribute("role", "status");
    this.node.dataset.warnings = "";
  }

  update(model: StudyModel): void {
    const warnings = payloadBoundaryWarnings(model.payload);
    const key = warnings.map((w) => `${w.param}:${w.bound}:${w.near}/${w.best}`).join("\n");
    if (key === this.shown) return;
    this.shown = key;
    this.node.dataset.warnings = warnings.map((w) => `${w.param}:${w.bound}`).join(",");
    this.node.hidden = warnings.length === 0;
    this.node.replaceChildren(...warnings.map(line));
  }
}

function line(w: BoundaryWarning): HTMLElement {
  const row = el("div", "tl-boundary-line");
  const way = w.bound === "low" ? "lower" : "higher";
  row.append(
    el("span", "tl-boundary-icon", "⚠"),
    el("strong", "tl-boundary-param", w.param),
    el("span", "", ` · ${w.near} of the best ${w.best} trials sit at its ${w.bound} bound (${formatNumber(w.at)}); the optimum may be ${way}. `),
  );
  if (w.code) {
    row.append(el("span", "", "Widen it: "), el("code", "tl-boundary-code", w.code));
  } else row.append(el("span", "", `Its scale allows no ${way} bound.`));
  row.title = w.message;
  return row;
}
