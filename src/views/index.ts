/**
 * The views as plain data: table rows, parallel coordinates, learning curves,
 * optimisation history, and their vega-lite specs. Pure and browser-safe: the
 * kernel (src/notebook) and the JupyterLab extension both build on these.
 */
export { STUDY_MIME, PAYLOAD_VERSION, StorageKinds, toPayload, toPayloadTrial } from "./payload";
export type { StudyPayload, PayloadTrial, StorageKind } from "./payload";
export { commandInfo, logLocation } from "./command";
export type { CommandInfo } from "./command";
export { formatNumber, formatValue, formatDuration, formatParams } from "./format";
export { summarize, summaryText, paramNames, otherMetricNames, bestPayloadTrial } from "./summary";
export type { StudySummary } from "./summary";
export { tableData, ColumnKinds } from "./table";
export type { TableData, TableRow, TableColumn, ColumnKind } from "./table";
export { paramScale, linearScale, AxisKinds } from "./axis";
export type { AxisKind, AxisScale, AxisTick } from "./axis";
export { parallelData, parallelRows, parallelSpec } from "./parallel";
export type { ParallelData, ParallelAxis, ParallelLine, ParallelRow, ChartSize } from "./parallel";
export { curvesData, curveRows, curveEnds, curveStops, curvesSpec, bracketCurvesSpec, rungInfo, bracketLabel, endKind, EndKinds, StopRules } from "./curves";
export type { CurvesData, CurveTrial, CurveRow, CurveStop, CurveStopRow, StopRule, EndKind, RungInfo } from "./curves";
export { historyData, historySpec } from "./history";
export type { HistoryData, HistoryPoint } from "./history";
export { viewSpecs, ViewNames, isViewName } from "./specs";
export type { ViewName, ChartName } from "./specs";
export { VEGA_LITE_SCHEMA, STATE_COLORS, BRACKET_COLORS } from "./vegalite";
export type { VegaLiteSpec } from "./vegalite";
export { importance, importanceSteps, snapshotImportance, ImportanceMethods, isImportanceMethod } from "./analysis/importance";
export type { ImportanceMethod, ImportanceOptions, ParamImportance } from "./analysis/importance";
export { importanceData, importanceSpec, hasImportance, IMPORTANCE_LABELS } from "./analysis/importance-view";
export type { ImportanceData } from "./analysis/importance-view";
export { boundaryWarnings, payloadBoundaryWarnings, boundaryShort, BOUNDARY_RULE } from "./analysis/boundary";
export type { BoundaryWarning, Bound } from "./analysis/boundary";
