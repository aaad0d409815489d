/**
 * A note as DOM: the blocks parseMarkdown (src/views/markdown.ts) made of it, built with `el`
 * (textContent only). The only attribute set from a note is a link's href, and only to an
 * http(s) URL that safeHref normalised; links open in a new tab with rel="noopener noreferrer".
 * No HTML of a note is ever parsed, so a <script>, an onerror attribute, an SVG payload or a
 * javascript: link is shown as the text it is.
 *
 *   box.append(renderMarkdown(trial.note, "tl-note"));
 */
import { parseMarkdown, safeHref, type MdBlock, type MdInline } from "../../src/views";
import { el } from "./dom";

export function renderMarkdown(md: string, className: string): HTMLElement {
  const root = el("div", `tl-markdown ${className}`);
  appendBlocks(root, parseMarkdown(md));
  return root;
}

function appendBlocks(parent: HTMLElement, blocks: readonly MdBlock[]): void {
  for (const b of blocks) parent.append(block(b));
}

function block(b: MdBlock): HTMLElement {
  switch (b.t) {
    case "p":
      return inlines(el("p"), b.children);
    case "h":
      // Headings of a note are small: h1 inside a panel would shout over the study's own title.
      return inlines(el(`h${Math.min(6, Math.max(1, b.level)) as 1 | 2 | 3 | 4 | 5 | 6}`, "tl-md-heading"), b.children);
    case "pre": {
      const pre = el("pre", "tl-md-code");
      pre.append(el("code", "", b.text));
      return pre;
    }
    case "ul":
    case "ol": {
      const list = el(b.t);
      for (const item of b.items) list.append(inlines(el("li"), item));
      return list;
    }
    case "quote": {
      const q = el("blockquote");
      appendBlocks(q, b.children);
      return q;
    }
    case "hr":
      return el("hr");
  }
}

function inlines<E extends HTMLElement>(parent: E, nodes: readonly MdInline[]): E {
  for (const n of nodes) parent.append(inline(n));
  return parent;
}

function inline(n: MdInline): Node {
  switch (n.t) {
    case "text":
      return document.createTextNode(n.text);
    case "code":
      return el("code", "", n.text);
    case "strong":
      return inlines(el("strong"), n.children);
    case "em":
      return inlines(el("em"), n.children);
    case "link": {
      // Checked again here: the renderer trusts no one with an href, not even the parser.
      const href = safeHref(n.href);
      if (href === null) return inlines(el("span"), n.children);
      const a = inlines(el("a", "tl-md-link"), n.children);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
  }
}
