import type { TrialState } from "../model/trial";
import type { Choice } from "../space/types";
import { finiteOrNull, formatDuration, formatNumber, formatValue, isChoice } from "./format";
import type { StudyPayload } from "./payload";
import { bestPayloadTrial, otherMetricNames, paramNames } from "./summary";

export const ColumnKinds = ["number", "state", "value", "param", "metric", "duration", "error"] as const;
export type ColumnKind = (typeof ColumnKinds)[number];

/** One column of the trial table. `name` is the parameter or metric name for those kinds. */
export interface TableColumn {
  /** Stable id: "number", "state", "value", "param:<name>", "metric:<name>", "duration", "error". */
  readonly key: string;
  readonly kind: ColumnKind;
  /** The header text. */
  readonly label: string;
  readonly name?: string;
  /** Whether the column sorts as numbers (params: when the parameter is numeric). */
  readonly numeric: boolean;
}

/** One row of the trial table: raw values to sort and filter by, texts to show. */
export interface TableRow {
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  readonly valueText: string;
  /** Every parameter of the space; null where the trial has none (inactive, or not yet sampled). */
  readonly params: Readonly<Record<string, Choice | null>>;
  readonly paramsText: Readonly<Record<string, string>>;
  /** Metrics other than the objective. */
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly metricsText: Readonly<Record<string, string>>;
  /** Milliseconds from start to finish; null while running. */
  readonly duration: number | null;
  readonly durationText: string;
  readonly error: string | null;
  /** The best complete trial (one row at most). */
  readonly best: boolean;
}

export interface TableData {
  readonly columns: readonly TableColumn[];
  /** In trial-number order. */
  readonly rows: readonly TableRow[];
  readonly bestNumber: number | null;
}

/**
 * The trial table: number, state, objective, one column per parameter, the
 * other metrics, duration and error.
 *
 * @example tableData(payload).rows[0].paramsText.lr // "0.01"
 */
export function tableData(p: StudyPayload): TableData {
  const names = paramNames(p);
  const space = p.study.space;
  const metricNames = otherMetricNames(p);
  const best = bestPayloadTrial(p);
  const columns: TableColumn[] = [
    { key: "number", kind: "number", label: "#", numeric: true },
    { key: "state", kind: "state", label: "state", numeric: false },
    { key: "value", kind: "value", label: p.study.metric, numeric: true },
    ...names.map((name): TableColumn => ({ key: `param:${name}`, kind: "param", label: name, name, numeric: space[name]!.type !== "categorical" })),
    ...metricNames.map((name): TableColumn => ({ key: `metric:${name}`, kind: "metric", label: name, name, numeric: true })),
    { key: "duration", kind: "duration", label: "duration", numeric: true },
    { key: "error", kind: "error", label: "error", numeric: false },
  ];
  const rows = [...p.trials]
    .sort((a, b) => a.number - b.number)
    .map((t): TableRow => {
      const params: Record<string, Choice | null> = {};
      const paramsText: Record<string, string> = {};
      for (const name of names) {
        const v = t.params[name];
        params[name] = isChoice(v) ? v : null;
        paramsText[name] = formatValue(params[name], space[name]);
      }
      const metrics: Record<string, number | null> = {};
      const metricsText: Record<string, string> = {};
      for (const name of metricNames) {
        metrics[name] = finiteOrNull(t.metrics[name]);
        metricsText[name] = formatNumber(metrics[name]);
      }
      const value = finiteOrNull(t.value);
      const finished = finiteOrNull(t.finishedAt);
      const started = finiteOrNull(t.startedAt);
      const duration = finished !== null && started !== null ? Math.max(0, finished - started) : null;
      return {
        number: t.number,
        state: t.state,
        value,
        valueText: formatNumber(value),
        params,
        paramsText,
        metrics,
        metricsText,
        duration,
        durationText: formatDuration(duration),
        error: typeof t.error === "string" ? t.error : null,
        best: best !== undefined && t === best,
      };
    });
  return { columns, rows, bestNumber: best?.number ?? null };
}
