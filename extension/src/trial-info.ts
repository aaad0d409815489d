/**
 * A trial in words, in two places: the selection line under the filters (always there, a hint
 * when nothing is selected, so selecting doesn't move the charts under the pointer) and the
 * tooltip that follows the pointer over the charts. Text only, whatever the payload holds.
 */
import { commandInfo, logLocation, type CommandInfo, type TableRow } from "../../src/views";
import { curveNote } from "./charts/curves-brackets";
import { detailsOf, TrialDetailsView } from "./details";
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
  if (note?.hedged) head.push(note.hedged);
  head.push(note?.stop ?? row.state, `${model.metric} ${row.valueText || "—"}`);
  if (row.durationText) head.push(row.durationText);
  if (model.best === row.number) head.push("best");
  return [head.join(" · "), model.paramsText(row.number)];
}

/** A study's storage folder, relative to the server's root (a study tab knows it: its journal's folder), and how to open a file there. */
export interface StorageFolder {
  readonly path: string;
  readonly open?: (path: string) => void;
}

interface Shown {
  readonly head: string;
  readonly params: string;
  readonly error: string | null;
  readonly command: CommandInfo | null;
  readonly number: number;
  readonly running: boolean;
  readonly folder: string | undefined;
  readonly details: ReturnType<typeof detailsOf>;
}

export class SelectionLine {
  readonly node = el("div", "tl-selection");
  /** Set by a study tab: the whole log is then named from the server's root, with an Open button. */
  private folder: StorageFolder | undefined;
  /** What is drawn: an update that changes nothing leaves the DOM alone (text selected, a scrolled output, stay). */
  private drawn: string | undefined;
  /** Whether the output's last lines are unfolded: the user's choice, kept for the next trial selected. */
  private outputOpen = false;
  private readonly details = new TrialDetailsView();

  constructor(private readonly onClear: () => void) {}

  setFolder(folder: StorageFolder | undefined): void {
    this.folder = folder;
    this.drawn = undefined;
  }

  show(model: StudyModel | null, row: TableRow | undefined): void {
    const shown = row && model ? this.describe(model, row) : null;
    const key = JSON.stringify(shown);
    if (key === this.drawn) return;
    this.drawn = key;
    this.node.textContent = "";
    this.node.classList.toggle("tl-selection-empty", !shown);
    if (!shown) {
      this.node.append(el("span", "tl-hint", "Click a row, a line or a point to select a trial; it is highlighted in every view."));
      return;
    }
    const close = el("button", "tl-button tl-close", "×");
    close.type = "button";
    close.title = "Clear the selection";
    close.addEventListener("click", this.onClear);
    // The close button ends the first line (a long error below would otherwise push it to a line of its own).
    this.node.append(el("strong", "", shown.head), el("span", "tl-params", shown.params), close);
    if (shown.error) this.node.append(el("span", "tl-error-text", shown.error));
    if (shown.command) this.node.append(this.commandBox(shown.command, shown.number, shown.running));
    if (shown.details) this.node.append(...this.details.nodes(shown.details));
  }

  private describe(model: StudyModel, row: TableRow): Shown {
    const [head, params] = trialLines(model, row);
    const trial = model.payload.trials.find((t) => t.number === row.number);
    const command = trial ? commandInfo(trial) : null;
    const details = detailsOf(model.payload, row.number);
    return { head, params, error: row.error || null, command, number: row.number, running: row.state === "running", folder: this.folder?.path, details };
  }

  /**
   * For a trial run by command(): the command line, where its whole log is, and the last lines
   * it printed (folded until the user unfolds them: they would push the charts down).
   */
  private commandBox(info: CommandInfo, number: number, running: boolean): HTMLElement {
    const box = el("div", "tl-command");
    box.append(el("span", "tl-command-label", "Command"), el("code", "tl-command-line", info.line));
    if (info.log) box.append(el("span", "tl-command-label", "Whole log"), this.logLine(info.log, number));
    if (info.tail) {
      const output = el("details", "tl-command-output");
      const tail = el("pre", "tl-command-tail", info.tail);
      output.append(el("summary", "", "Last lines of its output"), tail);
      output.open = this.outputOpen;
      // The end is what matters: unfolded, the box shows it (earlier lines are a scroll up).
      output.addEventListener("toggle", () => {
        this.outputOpen = output.open;
        if (output.open) tail.scrollTop = tail.scrollHeight;
      });
      box.append(output);
    } else {
      box.append(el("span", "tl-hint", running ? "Its output so far is in the log." : "No output lines were recorded."));
    }
    return box;
  }

  private logLine(log: string, number: number): HTMLElement {
    const line = el("div", "tl-command-log");
    const where = logLocation(log, this.folder?.path);
    const code = (text: string) => el("code", "tl-command-path", text);
    const kernel = `await study.log(${number})`;
    if (where.inRoot) {
      line.append(code(where.path));
      const open = this.folder?.open;
      if (open) {
        const button = el("button", "tl-button tl-command-open", "Open");
        button.type = "button";
        button.title = "Open the whole log in an editor tab";
        button.addEventListener("click", () => open(where.path));
        line.append(button);
      }
    } else if (log.startsWith("/")) {
      line.append(code(where.path), el("span", "", " or "), code(kernel), el("span", "", " in the notebook"));
    } else {
      line.append(code(kernel), el("span", "", " in the notebook, or "), code(log), el("span", "", " in the study's storage folder"));
    }
    return line;
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
