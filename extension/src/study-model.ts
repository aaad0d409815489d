/**
 * What every view of one payload shares, built once per payload (each live update) from the
 * data builders in src/views that the kernel's static fallback uses too: the summary, the table
 * rows, the parallel-coordinates axes and lines, the learning curves and the history. The
 * extension adds only what interaction needs: lookups by trial number and each trial's position
 * on every axis (for brushing).
 *
 *   const m = StudyModel.from(payload);
 *   m.trial(17)?.paramsText.lr; m.summary.best?.number; m.positions(17);
 */
import type { TrialState } from "../../src/model/trial";
import {
  curvesData,
  historyData,
  parallelData,
  paramNames,
  summarize,
  tableData,
  type CurvesData,
  type HistoryData,
  type ParallelData,
  type StudyPayload,
  type StudySummary,
  type TableData,
  type TableRow,
} from "../../src/views";

export const STATES: readonly TrialState[] = ["complete", "pruned", "failed", "running"];

export class StudyModel {
  private readonly byNumber = new Map<number, TableRow>();
  private readonly norms = new Map<number, readonly (number | null)[]>();
  private readonly params = new Map<number, string>();
  /** The parameters in declared order (`paramOrder`, which survives a notebook's save). */
  readonly paramNames: readonly string[];

  private constructor(
    readonly payload: StudyPayload,
    readonly summary: StudySummary,
    readonly table: TableData,
    readonly parallel: ParallelData,
    readonly curves: CurvesData,
    readonly history: HistoryData,
  ) {
    this.paramNames = paramNames(payload);
    for (const row of table.rows) this.byNumber.set(row.number, row);
    for (const line of parallel.lines) this.norms.set(line.number, line.norms);
  }

  static from(payload: StudyPayload): StudyModel {
    return new StudyModel(payload, summarize(payload), tableData(payload), parallelData(payload), curvesData(payload), historyData(payload));
  }

  get rows(): readonly TableRow[] {
    return this.table.rows;
  }

  get direction() {
    return this.payload.study.direction;
  }

  get metric(): string {
    return this.payload.study.metric;
  }

  get best(): number | null {
    return this.table.bestNumber;
  }

  trial(number: number): TableRow | undefined {
    return this.byNumber.get(number);
  }

  /**
   * The trial's place on every parallel-coordinates axis (parameters, then the objective), null
   * on an axis where it has no value; undefined when it has no line at all (no objective value).
   */
  positions(number: number): readonly (number | null)[] | undefined {
    return this.norms.get(number);
  }

  /** "lr=0.01, opt=adam": the trial's configuration in the space's order (for hover and selection). */
  paramsText(number: number): string {
    let text = this.params.get(number);
    if (text === undefined) {
      const row = this.byNumber.get(number);
      text = row
        ? this.paramNames
            .filter((n) => row.params[n] !== null && row.params[n] !== undefined)
            .map((n) => `${n}=${row.paramsText[n]}`)
            .join(", ")
        : "";
      this.params.set(number, text);
    }
    return text;
  }
}
