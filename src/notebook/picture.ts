import { payloadBoundaryWarnings } from "../views/analysis/boundary";
import type { StudyPayload } from "../views/payload";
import { summaryText } from "../views/summary";
import { markdownPlainLines } from "../views/markdown";
import { wrapWords } from "../views/format";
import { tableData, type TableColumn, type TableRow } from "../views/table";
import type { ChartName } from "../views/specs";
import { svgToPng } from "./png";

/**
 * The study's static fallback as one picture: the summary, the charts, and
 * the best trials as a table, drawn into one SVG document and rasterised to a
 * PNG. A PNG output is the only one every renderer of a saved notebook shows
 * as it is: nbconvert's --sanitize-html passes text/html, text/markdown and
 * image/svg+xml outputs through bleach, which keeps a dozen tags (no table,
 * no image) and prints the others as text, while it shows image/png as an
 * image; JupyterLab (trusted or not), nbviewer and GitHub show it too. The
 * SVG is never shown as SVG, and every string from the study is XML-escaped
 * text in it, so a hostile payload draws as text.
 */

/** A chart rendered to SVG. */
export interface RenderedChart {
  readonly name: ChartName;
  readonly svg: string;
}

/** The picture: a PNG drawn at `SCALE` times its display size (`width` × `height` CSS pixels, in the display's metadata). */
export interface StudyPicture {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
}

/**
 * The picture's pixels per CSS pixel. 1: at 2 a study's picture grew from
 * about 190 KB to 470 KB (the parallel-coordinates lines compress poorly)
 * and took three times as long to draw.
 */
export const SCALE = 1;
/** Trials listed in the picture's table: the best ones, in order. */
export const PICTURE_ROWS = 10;
/** Lines of the study's note the picture shows (then "…"). */
export const NOTE_LINES = 12;

const MARGIN = 10;
const LINE = 18;
const ROW = 17;
const MONO_CHAR = 7.3; // 12px DejaVu Sans Mono / Liberation Mono: 0.6 em per character
const MAX_CELL = 28;
const SANS = "DejaVu Sans, Liberation Sans, Arial, sans-serif";
const MONO = "DejaVu Sans Mono, Liberation Mono, Courier New, monospace";

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The picture as an SVG document and its size. `table: false` leaves the
 * table out (a single chart's display); `note` is a line in italics.
 */
export function studyPictureSvg(p: StudyPayload, charts: readonly RenderedChart[], options: { table?: boolean; note?: string } = {}): { svg: string; width: number; height: number } {
  const parts: string[] = [];
  let y = MARGIN;
  let width = 480;
  const text = (s: string, attrs: string) => {
    parts.push(`<text x="${MARGIN}" y="${y + 13}" ${attrs}>${escapeXml(s)}</text>`);
    y += LINE;
  };
  const [head, best] = summaryText(p).split("\n");
  text(head!, `font-family="${SANS}" font-size="13" font-weight="bold"`);
  text(best!, `font-family="${SANS}" font-size="12"`);
  // The study's note (study.note), as plain lines: the picture shows no markup.
  const note = p.study.note;
  if (note !== undefined && note.trim() !== "") {
    for (const l of markdownPlainLines(note, 100, NOTE_LINES)) {
      const font = l.style === "code" ? `font-family="${MONO}" font-size="12"` : `font-family="${SANS}" font-size="12"`;
      text(l.text, `${font}${l.style === "heading" ? ' font-weight="bold"' : ""}${l.style === "quote" ? ' font-style="italic" fill="#555555"' : ""}`);
    }
  }
  for (const w of payloadBoundaryWarnings(p)) for (const line of wrap(`Range warning: ${w.message}`, 110)) text(line, `font-family="${SANS}" font-size="12" fill="#a34a00"`);
  y += 6;
  for (const c of charts) {
    const size = svgSize(c.svg);
    parts.push(`<g transform="translate(${MARGIN},${y})">${c.svg.replace(/^<\?xml[^>]*>\s*/, "")}</g>`);
    y += size.height + 8;
    width = Math.max(width, size.width + 2 * MARGIN);
  }
  if (options.note !== undefined) for (const line of wrap(options.note, 110)) text(line, `font-family="${SANS}" font-size="12" font-style="italic"`);
  if (options.table !== false) {
    const t = tableRows(p);
    y += 4;
    for (const [i, row] of t.rows.entries()) {
      const weight = i === 0 || row.best ? ` font-weight="bold"` : "";
      let x = MARGIN;
      for (const [c, cell] of row.cells.entries()) {
        const w = t.widths[c]! * MONO_CHAR;
        const right = t.numeric[c];
        parts.push(`<text x="${right ? x + w : x}" y="${y + 12}" font-family="${MONO}" font-size="12"${right ? ` text-anchor="end"` : ""}${weight}>${escapeXml(cell)}</text>`);
        x += w + 14;
      }
      width = Math.max(width, x + MARGIN);
      if (i === 0) parts.push(`<line x1="${MARGIN}" x2="${x - 14}" y1="${y + ROW - 1}" y2="${y + ROW - 1}" stroke="#999" stroke-width="1"/>`);
      y += ROW;
    }
    y += 4;
    text(t.caption, `font-family="${SANS}" font-size="12" fill="#555"`);
  } else if (charts.length === 0) {
    text(p.trials.length === 0 ? "nothing to draw yet" : "nothing to draw yet (no trial has a value)", `font-family="${SANS}" font-size="12"`);
  }
  const height = Math.ceil(y + MARGIN - 4);
  width = Math.ceil(width);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>${parts.join("")}</svg>`;
  return { svg, width, height };
}

/** The picture as a PNG, or undefined where resvg can't load. */
export function studyPicture(p: StudyPayload, charts: readonly RenderedChart[], options: { table?: boolean; note?: string } = {}): StudyPicture | undefined {
  const { svg, width, height } = studyPictureSvg(p, charts, options);
  const png = svgToPng(svg, SCALE);
  return png ? { png, width, height } : undefined;
}

/** The table's header and its best rows (best first), as cell texts, with column widths in characters. */
function tableRows(p: StudyPayload): { rows: { cells: string[]; best: boolean }[]; widths: number[]; numeric: boolean[]; caption: string } {
  const { columns, rows } = tableData(p);
  const dir = p.study.direction;
  const ranked = rows
    .filter((r) => r.state === "complete" && r.value !== null)
    .sort((a, b) => (dir === "minimize" ? a.value! - b.value! : b.value! - a.value!) || a.number - b.number)
    .slice(0, PICTURE_ROWS);
  const cut = (s: string) => (s.length > MAX_CELL ? `${s.slice(0, MAX_CELL - 1)}…` : s);
  const out = [{ cells: columns.map((c) => cut(c.label)), best: false }, ...ranked.map((r) => ({ cells: columns.map((c) => cut(cellText(c, r))), best: r.best }))];
  const widths = columns.map((_, c) => Math.max(...out.map((r) => r.cells[c]!.length), 1));
  const n = rows.length;
  const caption = ranked.length === 0 ? `${n} trial${n === 1 ? "" : "s"}, none complete yet` : `the ${ranked.length} best of ${n} trial${n === 1 ? "" : "s"}; study.dataframe() has them all`;
  return { rows: out, widths, numeric: columns.map((c) => c.numeric), caption };
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
      return r.error ?? "";
  }
}

/** The size an SVG document declares (vega writes width and height on its root). */
function svgSize(svg: string): { width: number; height: number } {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const num = (name: string) => Number(new RegExp(`\\b${name}="([\\d.]+)"`).exec(root)?.[1] ?? 0);
  return { width: num("width"), height: num("height") };
}

/** `s` in lines of at most `max` characters; a longer word stands alone (the picture's lines are not cut). */
function wrap(s: string, max: number): string[] {
  return wrapWords(s, max, { cut: false });
}
