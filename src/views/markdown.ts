import { wrapWords } from "./format";

/**
 * A small markdown subset as plain data, for the user's notes (study.note, trial.note). A note
 * is hostile like every string of a payload (a notebook shared by a stranger is drawn with
 * `safe: true`), so nothing here produces markup: the result is a tree of text nodes that the
 * extension builds with textContent (extension/src/details-markdown.ts). HTML in a note stays
 * text, a link keeps only an http(s) URL (anything else is shown as its text), and images are
 * shown as their alt text (a note never makes the page fetch anything).
 *
 * Blocks: paragraphs, ATX headings (#..######), fenced code (```), lists (-, *, + and 1.),
 * block quotes (>), rules (---). Inline: `code`, **strong**, *em* (and __, _), [links](url),
 * backslash escapes. Linear in the text: nesting is bounded and a delimiter without a closer is
 * not looked for again.
 *
 * @example parseMarkdown("**best** so far: [run](https://x.org)")
 * // [{ t: "p", children: [{ t: "strong", children: [{ t: "text", text: "best" }] }, { t: "text", text: " so far: " }, { t: "link", href: "https://x.org/", children: [{ t: "text", text: "run" }] }] }]
 */

export type MdInline =
  | { readonly t: "text"; readonly text: string }
  | { readonly t: "code"; readonly text: string }
  | { readonly t: "strong" | "em"; readonly children: readonly MdInline[] }
  | { readonly t: "link"; readonly href: string; readonly children: readonly MdInline[] };

export type MdBlock =
  | { readonly t: "p"; readonly children: readonly MdInline[] }
  | { readonly t: "h"; readonly level: number; readonly children: readonly MdInline[] }
  | { readonly t: "pre"; readonly text: string }
  | { readonly t: "ul" | "ol"; readonly items: readonly (readonly MdInline[])[] }
  | { readonly t: "quote"; readonly children: readonly MdBlock[] }
  | { readonly t: "hr" };

/** The longest text parsed (longer is cut, and the cut said): a note's bound is 64 KiB. */
export const MAX_MARKDOWN_CHARS = 64 * 1024;
/** Block quotes inside block quotes, and emphasis inside emphasis, at most this deep. */
const MAX_DEPTH = 8;

/** The blocks of `md` (any string: a payload's). */
export function parseMarkdown(md: string): MdBlock[] {
  const cut = md.length > MAX_MARKDOWN_CHARS;
  const text = cut ? md.slice(0, MAX_MARKDOWN_CHARS) : md;
  const blocks = parseBlocks(text.replace(/\r\n?/g, "\n").split("\n"), 0);
  if (cut) blocks.push({ t: "p", children: [{ t: "text", text: "… (the note is longer than this view shows)" }] });
  return blocks;
}

/** A URL a note may link to: absolute http(s) only, normalised; else null. */
export function safeHref(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null;
  }
  return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
}

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t#]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const BULLET = /^ {0,3}[-*+][ \t]+(.*)$/;
const NUMBERED = /^ {0,3}\d{1,9}[.)][ \t]+(.*)$/;
const QUOTE = /^ {0,3}>[ ]?(.*)$/;

function parseBlocks(lines: readonly string[], depth: number): MdBlock[] {
  const out: MdBlock[] = [];
  let para: string[] = [];
  const endPara = () => {
    if (para.length) out.push({ t: "p", children: parseInline(para.join("\n"), 0) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") {
      endPara();
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      endPara();
      const mark = fence[1]!;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(mark); i++) body.push(lines[i]!);
      out.push({ t: "pre", text: body.join("\n") });
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      endPara();
      out.push({ t: "h", level: h[1]!.length, children: parseInline(h[2] ?? "", 0) });
      continue;
    }
    if (RULE.test(line)) {
      endPara();
      out.push({ t: "hr" });
      continue;
    }
    if (QUOTE.test(line)) {
      endPara();
      const inner: string[] = [];
      for (; i < lines.length; i++) {
        const q = QUOTE.exec(lines[i]!);
        if (!q) break;
        inner.push(q[1]!);
      }
      i--;
      // Deeper quotes are kept as text: a thousand ">" must not nest a thousand elements.
      out.push(depth < MAX_DEPTH ? { t: "quote", children: parseBlocks(inner, depth + 1) } : { t: "p", children: [{ t: "text", text: inner.join("\n") }] });
      continue;
    }
    const list = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : null;
    if (list) {
      endPara();
      const items: MdInline[][] = [];
      for (; i < lines.length; i++) {
        const m = list.exec(lines[i]!);
        if (m) items.push(parseInline(m[1]!, 0));
        else if (lines[i]!.trim() !== "" && /^[ \t]/.test(lines[i]!) && items.length) items[items.length - 1]!.push({ t: "text", text: " " }, ...parseInline(lines[i]!.trim(), 0));
        else break;
      }
      i--;
      out.push({ t: list === BULLET ? "ul" : "ol", items });
      continue;
    }
    para.push(line.trim());
  }
  endPara();
  return out;
}

const ESCAPABLE = "\\`*_{}[]()#+-.!<>|~\"'";

/**
 * The inline nodes of `s`. `depth` bounds nesting; `noCloser` remembers delimiters with no
 * closer further on (looking again from a later position can't find one), so a text of
 * thousands of unmatched `*` stays linear.
 */
function parseInline(s: string, depth: number): MdInline[] {
  const out: MdInline[] = [];
  let text = "";
  const found = new Map<string, { from: number; at: number }>();
  const flush = () => {
    if (text) out.push({ t: "text", text });
    text = "";
  };
  /**
   * The first closer of `delim` at or after `from` (-1: none). "_" and "__" close only where
   * no letter or digit follows (snake_case_names are words). Searches only move forward: the
   * last answer stands for any later start up to it, so every delimiter scans the text once.
   */
  const closer = (delim: string, from: number): number => {
    const m = found.get(delim);
    if (m && from >= m.from && (m.at < 0 || from <= m.at)) return m.at;
    let at = s.indexOf(delim, from);
    if (delim[0] === "_") while (at >= 0 && isWordChar(s[at + delim.length])) at = s.indexOf(delim, at + 1);
    found.set(delim, { from, at });
    return at;
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length && ESCAPABLE.includes(s[i + 1]!)) {
      text += s[i + 1];
      i += 2;
      continue;
    }
    if (c === "\n") {
      text += " ";
      i++;
      continue;
    }
    if (c === "`") {
      let n = 1;
      while (s[i + n] === "`") n++;
      const delim = "`".repeat(n);
      const end = closer(delim, i + n);
      if (end > 0) {
        flush();
        out.push({ t: "code", text: s.slice(i + n, end).replace(/\n/g, " ") });
        i = end + n;
        continue;
      }
      text += delim;
      i += n;
      continue;
    }
    if ((c === "*" || c === "_") && depth < MAX_DEPTH) {
      const double = s[i + 1] === c;
      const delim = double ? c + c : c;
      // "_" inside a word (snake_case) is a letter, as in CommonMark.
      const intraword = c === "_" && i > 0 && isWordChar(s[i - 1]);
      const start = i + delim.length;
      const end = intraword || start >= s.length || /\s/.test(s[start]!) ? -1 : closer(delim, start + 1);
      if (end > start) {
        flush();
        out.push({ t: double ? "strong" : "em", children: parseInline(s.slice(start, end), depth + 1) });
        i = end + delim.length;
        continue;
      }
      text += delim;
      i += delim.length;
      continue;
    }
    if (c === "[" || (c === "!" && s[i + 1] === "[")) {
      const image = c === "!";
      const open = image ? i + 1 : i;
      const mid = closer("](", open + 1);
      const end = mid < 0 ? -1 : closer(")", mid + 2);
      const inner = mid < 0 ? -1 : s.lastIndexOf("[", mid - 1);
      if (inner > open) {
        // "[a [b](url)": the link starts at the last "[" before "](" (a jump, so many "[" stay linear).
        text += s.slice(i, inner);
        i = inner;
        continue;
      }
      if (mid > 0 && end > 0) {
        flush();
        const label = s.slice(open + 1, mid);
        const href = safeHref(s.slice(mid + 2, end).split(/\s/)[0] ?? "");
        const children = parseInline(label, depth + 1);
        // An image is shown as its alt text; a link to anything but http(s) as its text alone.
        if (image || href === null) out.push(...children);
        else out.push({ t: "link", href, children });
        i = end + 1;
        continue;
      }
      text += c;
      i++;
      continue;
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

/** One line of a note as plain text (the saved picture's), with how it is set. */
export interface PlainLine {
  readonly text: string;
  readonly style: "heading" | "text" | "code" | "quote";
}

/** The text of inline nodes, a link as its text and its URL. */
function inlineText(nodes: readonly MdInline[]): string {
  let out = "";
  for (const n of nodes) {
    if (n.t === "text" || n.t === "code") out += n.text;
    else if (n.t === "link") {
      const label = inlineText(n.children);
      out += label === n.href ? label : `${label} (${n.href})`;
    } else out += inlineText(n.children);
  }
  return out;
}

/**
 * A note as plain lines of at most `width` characters, for places that cannot show markup (the
 * saved notebook's picture): headings and paragraphs wrapped, list items bulleted or numbered,
 * code kept as it is (long lines cut), quotes marked with a bar, at most `maxLines` lines (then
 * "…"). Every line is text to be escaped by its writer, never markup.
 *
 * @example markdownPlainLines("# Plan\n- try **lr**", 40) // [{ text: "Plan", style: "heading" }, { text: "• try lr", style: "text" }]
 */
export function markdownPlainLines(md: string, width: number, maxLines = 12): PlainLine[] {
  const out: PlainLine[] = [];
  const push = (text: string, style: PlainLine["style"]) => out.push({ text, style });
  const blocks = (bs: readonly MdBlock[], quoted: boolean) => {
    const style = (s: PlainLine["style"]) => (quoted ? "quote" : s);
    const bar = quoted ? "│ " : "";
    for (const b of bs) {
      if (b.t === "h") for (const l of wrapWords(inlineText(b.children), width, { first: bar })) push(l, style("heading"));
      else if (b.t === "p") for (const l of wrapWords(inlineText(b.children), width, { first: bar })) push(l, style("text"));
      else if (b.t === "pre") for (const l of b.text.split("\n")) push((bar + l).slice(0, width), style("code"));
      else if (b.t === "ul" || b.t === "ol")
        b.items.forEach((item, i) => {
          const mark = b.t === "ul" ? "• " : `${i + 1}. `;
          for (const l of wrapWords(inlineText(item), width, { first: bar + mark, rest: bar + " ".repeat(mark.length) })) push(l, style("text"));
        });
      else if (b.t === "quote") blocks(b.children, true);
      else push(`${bar}${"―".repeat(Math.min(width - bar.length, 24))}`, style("text"));
    }
  };
  blocks(parseMarkdown(md), false);
  return out.length > maxLines ? [...out.slice(0, maxLines - 1), { text: "…", style: "text" }] : out;
}
