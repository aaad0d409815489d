/**
 * A trial in words, in two places: the selection line under the filters (always there, a hint
 * when nothing is selected, so selecting doesn't move the charts under the pointer) and the
 * tooltip that follows the pointer over the charts. Text only, whatever the payload holds.
 */
import { commandInfo, type TableRow } from "../../src/views";
import { curveNote } from "./charts/curves-brackets";
import { el } from "./dom";
import type { StudyModel } from "./study-model";

/**
 * "Trial 12 · pruned · loss 0.35 · 1.2 s" and "lr=0.01, opt=adam"; in a Hyperband/ASHA study
 * "Trial 12 · bracket 0 · stopped at rung 9 by hyperband · loss 0.35 · 1.2 s".
 */
export function trialLines(model: StudyModel, row: TableRow): [string, string] {
  const note = curveNote(model, row.number);
  const head = [`Trial ${row.number}`];
  if (note?.bracket !== null && note?.bracket !== undefined) head.push(`bracket ${note.bracket}`);
  head.push(note?.stop ?? row.state, `${model.metric} ${row.valueText || "—"}`);
  if (row.durationText) head.push(row.durationText);
  if (model.best === row.number) head.push("best");
  return [head.join(" · "), model.paramsText(row.number)];
}

export class SelectionLine {
  readonly node = el("div", "tl-selection");

  constructor(private readonly onClear: () => void) {}

  show(model: StudyModel | null, row: TableRow | undefined): void {
    this.node.textContent = "";
    this.node.classList.toggle("tl-selection-empty", !row);
    if (!row || !model) {
      this.node.append(el("span", "tl-hint", "Click a row, a line or a point to select a trial; it is highlighted in every view."));
      return;
    }
    const close = el("button", "tl-button tl-close", "×");
    close.type = "button";
    close.title = "Clear the selection";
    close.addEventListener("click", this.onClear);
    const [head, params] = trialLines(model, row);
    this.node.append(el("strong", "", head), el("span", "tl-params", params));
    if (row.error) this.node.append(el("span", "tl-error-text", row.error));
    this.node.append(close);
    this.showCommand(model, row.number);
  }

  /** For a trial run by command(): the command line and the last lines it printed, one click away. */
  private showCommand(model: StudyModel, number: number): void {
    const trial = model.payload.trials.find((t) => t.number === number);
    const info = trial ? commandInfo(trial) : null;
    if (!info) return;
    const box = el("details", "tl-command");
    box.append(el("summary", "", "Command and output"), el("code", "tl-command-line", info.line));
    if (info.tail) box.append(el("pre", "tl-command-tail", info.tail));
    if (info.log) box.append(el("span", "tl-hint", `Whole log: ${info.log} (in the study's storage folder)`));
    this.node.append(box);
  }
}

export class TrialTooltip {
  private readonly node = el("div", "tl-tooltip");

  /** Shows the trial's lines near the pointer (kept inside the window), or hides without one. */
  show(model: StudyModel | null, row: TableRow | undefined, x: number, y: number): void {
    if (!row || !model) {
      this.node.hidden = true;
      return;
    }
    if (!this.node.isConnected) document.body.append(this.node);
    this.node.hidden = false;
    this.node.textContent = "";
    const [head, params] = trialLines(model, row);
    this.node.append(el("strong", "", head), el("span", "", params));
    const pad = 14;
    const w = this.node.offsetWidth;
    const h = this.node.offsetHeight;
    const left = x + pad + w > window.innerWidth ? Math.max(0, x - pad - w) : x + pad;
    const top = y + pad + h > window.innerHeight ? Math.max(0, y - pad - h) : y + pad;
    this.node.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  }

  remove(): void {
    this.node.remove();
  }
}
