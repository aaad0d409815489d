/**
 * The trials as a table to take elsewhere: one CSV writer and one JSON form, shared by the
 * extension's export buttons (the table's filtered, sorted rows; the compare tab's table),
 * `study.toCSV()` in the kernel and `tunelab export` in the shell, so all three give the same
 * bytes for the same trials. Pure and browser-safe.
 *
 * Columns follow `study.dataframe()` (and Optuna's `trials_dataframe`): `number`, `state`,
 * `value`, `params_<name>` per parameter (declared order), `metrics_<name>` per other metric,
 * `user_attrs_<key>` per user attribute, `datetime_start`, `datetime_complete` (ISO 8601, UTC),
 * `duration` (seconds) and `error`.
 *
 * The CSV is RFC 4180 (CRLF line ends, a field quoted when it holds a comma, a quote or a line
 * break, quotes doubled) and safe to open in a spreadsheet: a text cell starting with = + - @,
 * a tab or a carriage return is prefixed with ' (OWASP's advice on CSV injection); numbers are
 * written as numbers. Lone UTF-16 surrogates (a JavaScript string may hold one, UTF-8 can't) are
 * written as U+FFFD.
 *
 * @example
 * toCSV(exportData(payload)) // "number,state,value,params_lr\r\n0,complete,0.25,0.01\r\n"
 */
import { finiteOrNull, isChoice } from "../format";
import type { PayloadTrial, StudyPayload } from "../payload";
import { otherMetricNames, paramNames } from "../summary";

/** One cell: a number, text, a boolean, or nothing (empty in the CSV, null in JSON). */
export type ExportCell = string | number | boolean | null;

/** A trial as the JSON export writes it (the CSV's columns, nested by kind). */
export interface ExportRecord {
  readonly number: number;
  readonly state: string;
  readonly value: number | null;
  readonly params: Readonly<Record<string, ExportCell>>;
  readonly metrics: Readonly<Record<string, number | null>>;
  readonly user_attrs: Readonly<Record<string, unknown>>;
  readonly datetime_start: string | null;
  readonly datetime_complete: string | null;
  readonly duration: number | null;
  readonly error: string | null;
}

export interface ExportData {
  /** Column names, in order (the CSV's header). */
  readonly columns: readonly string[];
  /** One row per trial, cells in column order. */
  readonly rows: readonly (readonly ExportCell[])[];
  /** The same trials for JSON. */
  readonly records: readonly ExportRecord[];
}

/** The formats `tunelab export` and the export buttons write. */
export const ExportFormats = ["csv", "json", "jsonl"] as const;
export type ExportFormat = (typeof ExportFormats)[number];

export function isExportFormat(v: unknown): v is ExportFormat {
  return (ExportFormats as readonly unknown[]).includes(v);
}

/** A trial's user attributes (`trial.setAttr`), when the payload carries them. */
type TrialWithAttrs = PayloadTrial & { readonly attrs?: unknown };

function userAttrs(t: PayloadTrial): Readonly<Record<string, unknown>> {
  const a = (t as TrialWithAttrs).attrs;
  return a !== null && typeof a === "object" && !Array.isArray(a) ? (a as Record<string, unknown>) : {};
}

/**
 * The trials of a payload as export rows: all of them in trial-number order, or the trials
 * `order` names, in that order (the table's filtered, sorted rows). Numbers that are not finite
 * are left empty.
 *
 * @example exportData(payload, [3, 1]).rows.map((r) => r[0]) // [3, 1]
 */
export function exportData(p: StudyPayload, order?: readonly number[]): ExportData {
  const params = paramNames(p);
  const metrics = otherMetricNames(p);
  const byNumber = new Map(p.trials.map((t) => [t.number, t]));
  const trials = order ? order.flatMap((n) => byNumber.get(n) ?? []) : [...p.trials].sort((a, b) => a.number - b.number);
  const attrKeys: string[] = [];
  const seen = new Set<string>();
  for (const t of trials) for (const k of Object.keys(userAttrs(t))) if (!seen.has(k)) (seen.add(k), attrKeys.push(k));
  const columns = [
    "number",
    "state",
    "value",
    ...params.map((n) => `params_${n}`),
    ...metrics.map((m) => `metrics_${m}`),
    ...attrKeys.map((k) => `user_attrs_${k}`),
    "datetime_start",
    "datetime_complete",
    "duration",
    "error",
  ];
  const records = trials.map((t): ExportRecord => {
    const started = finiteOrNull(t.startedAt);
    const finished = finiteOrNull(t.finishedAt);
    const attrs = userAttrs(t);
    return {
      number: t.number,
      state: t.state,
      value: finiteOrNull(t.value),
      params: Object.fromEntries(params.map((n) => [n, paramCell(t.params[n])])),
      metrics: Object.fromEntries(metrics.map((m) => [m, finiteOrNull(t.metrics[m])])),
      user_attrs: Object.fromEntries(attrKeys.filter((k) => k in attrs).map((k) => [k, attrs[k]])),
      datetime_start: isoTime(started),
      datetime_complete: isoTime(finished),
      duration: started !== null && finished !== null ? Math.max(0, finished - started) / 1000 : null,
      error: typeof t.error === "string" ? t.error : null,
    };
  });
  const rows = records.map((r): ExportCell[] => [
    r.number,
    r.state,
    r.value,
    ...params.map((n) => r.params[n] ?? null),
    ...metrics.map((m) => r.metrics[m] ?? null),
    ...attrKeys.map((k) => attrCell(r.user_attrs[k])),
    r.datetime_start,
    r.datetime_complete,
    r.duration,
    r.error,
  ]);
  return { columns, rows, records };
}

function paramCell(v: unknown): ExportCell {
  if (!isChoice(v)) return null;
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}

/** An attribute as a cell: primitives as they are, anything else as its JSON text. */
function attrCell(v: unknown): ExportCell {
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  return JSON.stringify(v) ?? null;
}

function isoTime(ms: number | null): string | null {
  if (ms === null) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * CSV text of `columns` and `rows` (RFC 4180, CRLF line ends, a final line end). Text cells that
 * a spreadsheet would run as a formula get a leading '; header names are text cells too.
 *
 * @example csvText(["a", "b"], [[1, "=SUM(A1)"]]) // "a,b\r\n1,'=SUM(A1)\r\n"
 */
export function csvText(columns: readonly string[], rows: readonly (readonly ExportCell[])[]): string {
  const lines = [columns.map(csvCell).join(",")];
  for (const row of rows) lines.push(row.map(csvCell).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** The CSV of an export. */
export function toCSV(d: ExportData): string {
  return csvText(d.columns, d.rows);
}

/** A JSON array of the records (json), or one record per line (jsonl). */
export function toJSONText(d: ExportData, format: "json" | "jsonl"): string {
  if (format === "json") return JSON.stringify(d.records, null, 2) + "\n";
  return d.records.map((r) => JSON.stringify(r)).join("\n") + (d.records.length > 0 ? "\n" : "");
}

/** The export in one of the formats. */
export function exportText(d: ExportData, format: ExportFormat): string {
  return format === "csv" ? toCSV(d) : toJSONText(d, format);
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** One CSV field: numbers as JavaScript writes them, booleans as true/false, text made safe and quoted when needed. */
export function csvCell(v: ExportCell): string {
  if (v === null) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "boolean") return String(v);
  let s = v.replace(LONE_SURROGATE, "\uFFFD");
  if (FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Several studies' export: a `study` column first, and each record names its study. */
export interface CombinedExport extends ExportData {
  readonly records: readonly (ExportRecord & { readonly study: string })[];
}

/** One study's export and the label that tells it apart (the compare tab's study column). */
export interface LabelledExport {
  readonly label: string;
  readonly data: ExportData;
}

/**
 * Several studies' exports as one table: a `study` column first, then the union of their
 * columns (in order of first appearance; a study without a column leaves it empty), rows in the
 * order of `order` ({ study, number } pairs, e.g. the compare table's sort), else study by study.
 * JSON records carry `study` too.
 *
 * @example combineExports([{ label: "a", data: exportData(pa) }, { label: "b", data: exportData(pb) }]).columns[0] // "study"
 */
export function combineExports(parts: readonly LabelledExport[], order?: readonly { readonly study: string; readonly number: number }[]): CombinedExport {
  const columns: string[] = ["study"];
  const seen = new Set(columns);
  for (const { data } of parts) for (const c of data.columns) if (!seen.has(c)) (seen.add(c), columns.push(c));
  const at = new Map(columns.map((c, i) => [c, i]));
  const index = new Map<string, { part: LabelledExport; row: number }>();
  for (const part of parts) part.data.records.forEach((r, row) => index.set(`${part.label}\u0000${r.number}`, { part, row }));
  const picks = order ? order.flatMap((o) => index.get(`${o.study}\u0000${o.number}`) ?? []) : parts.flatMap((part) => part.data.records.map((_, row) => ({ part, row })));
  const rows: ExportCell[][] = [];
  const records: (ExportRecord & { study: string })[] = [];
  for (const { part, row } of picks) {
    const out: ExportCell[] = new Array(columns.length).fill(null);
    out[0] = part.label;
    part.data.columns.forEach((c, i) => (out[at.get(c)!] = part.data.rows[row]![i]!));
    rows.push(out);
    records.push({ study: part.label, ...part.data.records[row]! });
  }
  return { columns, rows, records };
}
