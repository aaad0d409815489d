/**
 * The state the views share, so that they stay linked: the selected trial, which states are
 * shown, and the brush on the parallel-coordinates axes. Views change it through the setters
 * and redraw on `subscribe` notices; none of them talks to another directly.
 *
 *   state.select(17, "table");          // the charts highlight trial 17
 *   state.setBrush([{ axis: 0, lo: 0.2, hi: 0.6 }]); // the table, curves and history filter
 */
import type { TrialState } from "../../src/model/trial";
import { inBrush, type Brush } from "./brush";
import { STATES, type StudyModel } from "./study-model";

export type Change = "selection" | "filter";
export type Listener = (change: Change, source: string) => void;

export class ViewState {
  private selectedTrial: number | null = null;
  private shownStates = new Set<TrialState>(STATES);
  private brushBand: Brush | null = null;
  private readonly listeners = new Set<Listener>();
  private cache: { model: StudyModel; version: number; visible: ReadonlySet<number> } | null = null;
  private version = 0;

  get selected(): number | null {
    return this.selectedTrial;
  }

  get states(): ReadonlySet<TrialState> {
    return this.shownStates;
  }

  get brush(): Brush | null {
    return this.brushBand;
  }

  /** Changes whenever the filters do (views key their caches on it). */
  get filterVersion(): number {
    return this.version;
  }

  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Selects a trial (or none); `source` names the view that did it, so it can skip its own echo. */
  select(trial: number | null, source: string): void {
    if (trial === this.selectedTrial) return;
    this.selectedTrial = trial;
    this.emit("selection", source);
  }

  setStateShown(state: TrialState, shown: boolean, source = "filter"): void {
    if (this.shownStates.has(state) === shown) return;
    if (shown) this.shownStates.add(state);
    else this.shownStates.delete(state);
    this.filterChanged(source);
  }

  /** Sets the brush (a band per brushed axis); an empty one is none. */
  setBrush(brush: Brush | null, source = "parallel"): void {
    const next = brush !== null && brush.length > 0 ? brush : null;
    if (next === null && this.brushBand === null) return;
    this.brushBand = next;
    this.filterChanged(source);
  }

  /** Trial numbers that pass the filters, computed once per model and filter change. */
  visible(model: StudyModel): ReadonlySet<number> {
    if (this.cache && this.cache.model === model && this.cache.version === this.version) return this.cache.visible;
    const out = new Set<number>();
    const b = this.brushBand;
    for (const row of model.rows) {
      if (!this.shownStates.has(row.state)) continue;
      if (b !== null && !inBrush(b, model.positions(row.number))) continue;
      out.add(row.number);
    }
    this.cache = { model, version: this.version, visible: out };
    return out;
  }

  /** True when some filter hides trials (the toolbar offers "show all"). */
  get filtering(): boolean {
    return this.brushBand !== null || this.shownStates.size < STATES.length;
  }

  private filterChanged(source: string): void {
    this.version++;
    this.emit("filter", source);
  }

  private emit(change: Change, source: string): void {
    for (const fn of [...this.listeners]) fn(change, source);
  }
}
