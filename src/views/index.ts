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
// ---- trial details and notes (issue 16 part 4) ----
export { trialDetails, MAX_CURVE_POINTS } from "./details";
export type { TrialDetails, NameText } from "./details";
export { parseMarkdown, safeHref, MAX_MARKDOWN_CHARS } from "./markdown";
export type { MdBlock, MdInline } from "./markdown";
// ---- export (issue 16 part 5): one CSV writer and JSON form for the panel, study.toCSV() and tunelab export ----
export { exportData, toCSV, toJSONText, exportText, csvText, csvCell, ExportFormats, isExportFormat } from "./analysis/export";
export type { ExportData, ExportRecord, ExportCell, ExportFormat } from "./analysis/export";
// ---- slice, contour and EDF plots (issue 16 part 2) ----
export { sliceData, sliceSpec, paramAxis, objectiveAxis, jitterOf } from "./slice";
export type { SliceData, SlicePanel, SlicePoint, SliceAxis } from "./slice";
export { contourData, contourSpec, defaultPair, interpolate, CONTOUR_GRID } from "./contour";
export type { ContourData, ContourPoint } from "./contour";
export { edfLine, EDF_POINTS } from "./edf";
export type { EdfPoint } from "./edf";
export { importance, importanceSteps, snapshotImportance, ImportanceMethods, isImportanceMethod } from "./analysis/importance";
export type { ImportanceMethod, ImportanceOptions, ParamImportance } from "./analysis/importance";
export { importanceData, importanceSpec, hasImportance, IMPORTANCE_LABELS } from "./analysis/importance-view";
export type { ImportanceData } from "./analysis/importance-view";
export { boundaryWarnings, payloadBoundaryWarnings, boundaryShort, BOUNDARY_RULE } from "./analysis/boundary";
export type { BoundaryWarning, Bound } from "./analysis/boundary";
