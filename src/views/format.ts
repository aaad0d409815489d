import type { Choice, ParamDef } from "../space/types";

/**
 * Text for numbers as the views show them: four significant digits (whole
 * numbers from 1000 on), plain notation between 1e-3 and 1e6, exponent
 * notation outside, no trailing zeros.
 *
 * @example formatNumber(0.000123456) // "1.235e-4"; formatNumber(12.5) // "12.5"
 */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return "";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  if (v === 0) return "0";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a >= 1000 && a < 1e6) return String(Math.round(v));
  if (a >= 1e-3 && a < 1e6) return trimZeros(v.toPrecision(4));
  const [mantissa, exponent] = v.toExponential(3).split("e");
  return `${trimZeros(mantissa!)}e${Number(exponent)}`;
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** A parameter value as text: numbers as `formatNumber`, choices as declared. */
export function formatValue(v: Choice | null | undefined, def?: ParamDef): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" && def?.type !== "categorical") return formatNumber(v);
  return String(v);
}

/**
 * A duration in milliseconds as text.
 *
 * @example formatDuration(850) // "850 ms"; formatDuration(125_000) // "2 min 5 s"
 */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${trimZeros(s.toFixed(s < 10 ? 2 : 1))} s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h} h ${m} min`;
  return sec > 0 ? `${m} min ${sec} s` : `${m} min`;
}

/** `name=value` pairs of a configuration in the space's order, skipping absent ones. */
export function formatParams(params: Readonly<Record<string, unknown>>, names: readonly string[], defs?: Readonly<Record<string, ParamDef>>): string {
  const parts: string[] = [];
  for (const name of names) {
    const v = params[name];
    if (!isChoice(v)) continue;
    parts.push(`${name}=${formatValue(v, defs?.[name])}`);
  }
  return parts.join(", ");
}

/** True for the values a configuration may hold (the payload may carry anything). */
export function isChoice(v: unknown): v is Choice {
  return typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

/** A finite number or null (the payload may carry anything). */
export function finiteOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/**
 * The words of `s` (split at whitespace) in lines of at most `max` characters: the first line
 * starts with `first`, later ones with `rest` (default `first`). A word longer than a line is
 * cut into pieces unless `cut` is false, when it stands alone on a longer line.
 *
 * @example wrapWords("alpha beta gamma", 11, { first: "• ", rest: "  " }) // ["• alpha", "  beta", "  gamma"]
 */
export function wrapWords(s: string, max: number, options: { first?: string; rest?: string; cut?: boolean } = {}): string[] {
  const first = options.first ?? "";
  const rest = options.rest ?? first;
  const lines: string[] = [];
  let line = first;
  let empty = true;
  const flush = () => {
    if (empty) return;
    lines.push(line);
    line = rest;
    empty = true;
  };
  const fits = Math.max(1, max - rest.length);
  for (let word of s.split(/\s+/).filter((w) => w.length > 0)) {
    while (options.cut !== false && word.length > fits) {
      flush();
      lines.push(line + word.slice(0, fits));
      line = rest;
      word = word.slice(fits);
    }
    if (!empty && line.length + 1 + word.length > max) flush();
    line += (empty ? "" : " ") + word;
    empty = false;
  }
  flush();
  return lines;
}
