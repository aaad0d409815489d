/**
 * The bar above the charts: one chip per trial state (with its count) to show or hide those
 * trials, what the filters leave ("showing 12 of 60 · brushed: lr 0.001 – 0.1"), and "Show all".
 */
import type { TrialState } from "../../src/model/trial";
import { describeBrush } from "./brush";
import { el, setText } from "./dom";
import { STATES, type StudyModel } from "./study-model";
import type { ViewState } from "./view-state";

export class FilterBar {
  readonly node = el("div", "tl-toolbar");
  private readonly boxes = new Map<TrialState, { input: HTMLInputElement; count: HTMLSpanElement }>();
  private readonly info = el("span", "tl-filter-info");
  private readonly reset = el("button", "tl-button", "Show all");

  constructor(
    private readonly state: ViewState,
    onReset: () => void,
  ) {
    const chips = el("div", "tl-states");
    chips.setAttribute("role", "group");
    chips.setAttribute("aria-label", "Show trials by state");
    for (const s of STATES) {
      const label = el("label", `tl-state-toggle tl-state-${s}`);
      const input = el("input");
      input.type = "checkbox";
      input.checked = true;
      input.dataset.state = s;
      input.addEventListener("change", () => state.setStateShown(s, input.checked));
      const count = el("span", "tl-count", "0");
      label.append(input, el("span", "tl-dot"), el("span", "tl-state-name", s), count);
      chips.append(label);
      this.boxes.set(s, { input, count });
    }
    this.reset.type = "button";
    this.reset.addEventListener("click", onReset);
    const right = el("div", "tl-filter");
    right.append(this.info, this.reset);
    this.node.append(chips, right);
  }

  update(model: StudyModel): void {
    for (const [s, box] of this.boxes) {
      setText(box.count, String(model.summary.counts[s]));
      box.input.checked = this.state.states.has(s);
    }
    const parts = [`showing ${this.state.visible(model).size} of ${model.rows.length}`];
    const brush = this.state.brush;
    if (brush) parts.push(`brushed: ${describeBrush(model.parallel.axes, brush)}`);
    setText(this.info, parts.join(" · "));
    this.info.title = this.info.textContent ?? "";
    // Hidden but still taking its place: the layout doesn't jump when a filter starts.
    this.reset.classList.toggle("tl-invisible", !this.state.filtering);
    this.reset.disabled = !this.state.filtering;
  }
}
