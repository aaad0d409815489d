import { kernelWriter, newDisplayId } from "./tslab";

/**
 * How a danfojs DataFrame or Series shows in a tslab notebook: as an HTML
 * table (with a plain-text table beside it for front ends without HTML),
 * the way pandas does in Jupyter, instead of its internals (a value at the
 * end of a cell) or danfo's wide boxed text that wraps (`print()`).
 */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The parts of a danfojs DataFrame or Series this file reads. */
interface FrameLike {
  readonly columns: readonly string[];
  readonly index: readonly (string | number)[];
  readonly values: readonly unknown[];
  readonly shape: readonly number[];
  readonly $isSeries?: boolean;
}

/** Rows shown at most; a longer frame shows its first and last `EDGE_ROWS` (pandas' max_rows / min_rows). */
export const MAX_FRAME_ROWS = 60;
const EDGE_ROWS = 10;

interface Table {
  readonly columns: readonly string[];
  /** [index label, cells] per shown row; null marks the gap of a long frame. */
  readonly rows: readonly ([string, readonly string[]] | null)[];
  readonly numeric: readonly boolean[];
  readonly caption: string;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v);
  return String(v);
}

function table(f: FrameLike): Table {
  const series = f.$isSeries === true;
  const columns = f.columns.map(String);
  const raw: readonly (readonly unknown[])[] = series ? f.values.map((v) => [v]) : (f.values as readonly (readonly unknown[])[]);
  const n = raw.length;
  const pick = n <= MAX_FRAME_ROWS ? raw.map((_, i) => i) : [...Array.from({ length: EDGE_ROWS }, (_, i) => i), -1, ...Array.from({ length: EDGE_ROWS }, (_, i) => n - EDGE_ROWS + i)];
  const rows = pick.map((i) => (i < 0 ? null : ([String(f.index[i]), raw[i]!.map(cellText)] as [string, string[]])));
  const numeric = columns.map((_, c) => raw.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === "number"));
  const caption = series ? `${n} rows` : `${n} rows × ${columns.length} columns`;
  return { columns, rows, numeric, caption };
}

/** The frame as an HTML table; strings are escaped. */
export function frameHtml(f: FrameLike): string {
  const t = table(f);
  const align = (c: number) => (t.numeric[c] ? ' style="text-align:right"' : "");
  const head = `<tr><th></th>${t.columns.map((c, i) => `<th${align(i)}>${escapeHtml(c)}</th>`).join("")}</tr>`;
  const body = t.rows.map((r) => (r === null ? `<tr><th>…</th>${t.columns.map(() => "<td>…</td>").join("")}</tr>` : `<tr><th>${escapeHtml(r[0])}</th>${r[1].map((v, i) => `<td${align(i)}>${escapeHtml(v)}</td>`).join("")}</tr>`));
  return `<table class="tunelab-frame">\n<thead>${head}</thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>\n<p>${escapeHtml(t.caption)}</p>`;
}

/** The frame as aligned plain text (numbers right-aligned), with its size below. */
export function frameText(f: FrameLike): string {
  const t = table(f);
  const grid = [["", ...t.columns], ...t.rows.map((r) => (r === null ? ["…", ...t.columns.map(() => "…")] : [r[0], ...r[1]]))];
  const widths = grid[0]!.map((_, c) => Math.max(...grid.map((row) => row[c]!.length)));
  const lines = grid.map((row) => row.map((v, c) => (c > 0 && t.numeric[c - 1] ? v.padStart(widths[c]!) : v.padEnd(widths[c]!))).join("  ").trimEnd());
  return [...lines, `[${t.caption}]`].join("\n");
}

/** Sends the frame as a display (HTML and text) in a tslab kernel; false outside one. */
function displayFrame(f: FrameLike): boolean {
  const write = kernelWriter();
  if (!write) return false;
  write({ data: { "text/html": frameHtml(f), "text/plain": frameText(f) }, metadata: {}, transient: { display_id: newDisplayId() } }, false);
  return true;
}

const INSPECT = Symbol.for("nodejs.util.inspect.custom");
const patched = new WeakSet<object>();

/**
 * Teaches danfojs' frames to show as tables: a DataFrame or Series printed by
 * `util.inspect` (a cell's last expression, `console.log(df)`) or with
 * `print()` displays an HTML table in a tslab kernel, and prints the
 * plain-text table elsewhere. The patch goes (once) on the base class that
 * DataFrame and Series share (danfo's NDframe), because the frames danfo's
 * methods return (`sortValues`, `head`, a column) are instances of its
 * internal classes, not of the exported ones.
 */
export function teachFrameDisplay(danfo: { readonly DataFrame: Function; readonly Series: Function }): void {
  const chain = (p: object | null): object[] => (p === null || p === Object.prototype ? [] : [p, ...chain(Object.getPrototypeOf(p) as object | null)]);
  const series = chain(danfo.Series.prototype as object);
  const base = chain(danfo.DataFrame.prototype as object).find((p) => series.includes(p)) as Record<PropertyKey, unknown> | undefined;
  if (!base || patched.has(base)) return;
  patched.add(base);
  Object.defineProperty(base, INSPECT, {
    configurable: true,
    value(this: FrameLike, depth: number, options: { depth?: number | null }) {
      // Only the value printed itself becomes a display; one nested in another value is a mention.
      const top = options?.depth === undefined || options.depth === null || depth === options.depth;
      if (top && displayFrame(this)) return `[${table(this).caption}]`;
      return top ? frameText(this) : `[${this.$isSeries ? "Series" : "DataFrame"} ${table(this).caption}]`;
    },
  });
  const print = base["print"];
  if (typeof print === "function") {
    Object.defineProperty(base, "print", {
      configurable: true,
      writable: true,
      value(this: FrameLike) {
        if (!displayFrame(this)) (print as () => void).call(this);
      },
    });
  }
}
