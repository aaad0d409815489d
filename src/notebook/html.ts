import type { ChartName } from "../views/specs";
import { summarize, summaryText } from "../views/summary";
import { tableData, type TableColumn, type TableRow } from "../views/table";
import type { StudyPayload } from "../views/payload";
import { formatNumber } from "../views/format";

/**
 * The text/html fallback: what GitHub, nbviewer, nbconvert and a JupyterLab
 * without the tunelab extension show. Charts are SVG documents inside
 * `<img src="data:image/svg+xml;base64,...">`, because the sanitizer of an
 * untrusted notebook strips inline `<svg>` but keeps images. Every string
 * from the study is escaped.
 */

/** A chart rendered to SVG, ready for the fallback. */
export interface RenderedChart {
  readonly name: ChartName;
  readonly svg: string;
}

const CHART_TITLES: Readonly<Record<ChartName, string>> = {
  parallel: "parallel coordinates",
  curves: "learning curves",
  history: "optimisation history",
};

/** How many table rows the fallback shows at most (the best trial always among them). */
export const MAX_HTML_ROWS = 200;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An `<img>` holding an SVG document. */
export function svgImage(svg: string, alt: string): string {
  return `<img src="data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}" alt="${escapeHtml(alt)}">`;
}

/** The study's summary line(s), the charts, and (unless only a chart is wanted) the trial table. */
export function studyHtml(p: StudyPayload, charts: readonly RenderedChart[], options: { table?: boolean; note?: string } = {}): string {
  const s = summarize(p);
  const [head, best] = summaryText(p).split("\n");
  const parts = [
    `<div class="tunelab-study">`,
    `<p><b>${escapeHtml(head!)}</b><br>${escapeHtml(best!)}</p>`,
    ...charts.map((c) => `<div>${svgImage(c.svg, CHART_TITLES[c.name])}</div>`),
  ];
  if (options.note !== undefined) parts.push(`<p><i>${escapeHtml(options.note)}</i></p>`);
  if (options.table !== false) parts.push(tableHtml(p));
  else if (charts.length === 0) parts.push(`<p>nothing to draw yet${s.trials === 0 ? "" : " (no trial has a value)"}</p>`);
  parts.push(`</div>`);
  return parts.join("\n");
}

/** The trial table as HTML: the best row in bold; long studies keep the best and the latest rows. */
export function tableHtml(p: StudyPayload, maxRows = MAX_HTML_ROWS): string {
  const { columns, rows } = tableData(p);
  const shown = pickRows(rows, maxRows);
  const head = `<tr>${columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join("")}</tr>`;
  const body = shown.map((r) => `<tr${r.best ? ' style="font-weight:bold"' : ""}>${columns.map((c) => `<td>${escapeHtml(cellText(c, r))}</td>`).join("")}</tr>`);
  const note = shown.length < rows.length ? `<p>${rows.length - shown.length} of ${rows.length} trials not shown here (study.dataframe() has them all).</p>` : "";
  return `<table class="tunelab-trials">\n<thead>${head}</thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>${note}`;
}

function pickRows(rows: readonly TableRow[], maxRows: number): readonly TableRow[] {
  if (rows.length <= maxRows) return rows;
  const latest = rows.slice(rows.length - (maxRows - 1));
  const best = rows.find((r) => r.best);
  return best && !latest.includes(best) ? [best, ...latest] : rows.slice(rows.length - maxRows);
}

function cellText(c: TableColumn, r: TableRow): string {
  switch (c.kind) {
    case "number":
      return String(r.number);
    case "state":
      return r.state;
    case "value":
      return r.valueText;
    case "param":
      return r.paramsText[c.name!] ?? "";
    case "metric":
      return r.metricsText[c.name!] ?? "";
    case "duration":
      return r.durationText;
    case "error":
      return r.error === null ? "" : r.error.length > 200 ? `${r.error.slice(0, 199)}…` : r.error;
  }
}

/** The text/plain fallback: the summary, and the best few trials. */
export function studyText(p: StudyPayload): string {
  const { rows } = tableData(p);
  const dir = p.study.direction;
  const ranked = rows.filter((r) => r.state === "complete" && r.value !== null).sort((a, b) => (dir === "minimize" ? a.value! - b.value! : b.value! - a.value!) || a.number - b.number);
  const top = ranked.slice(0, 3).map((r) => `  #${r.number} ${formatNumber(r.value)}`);
  return [summaryText(p), ...(top.length > 1 ? [`top ${top.length}:`, ...top] : [])].join("\n");
}
