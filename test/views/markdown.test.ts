// The note's markdown subset as data (src/views/markdown.ts): what it keeps, and, for any string,
// that nothing but text, code, emphasis and http(s) links comes out, within bounded nesting.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { markdownPlainLines, MAX_MARKDOWN_CHARS, parseMarkdown, safeHref, type MdBlock, type MdInline } from "../../src/views/markdown";

const text = (t: string): MdInline => ({ t: "text", text: t });

/** Every inline node, and the deepest nesting of blocks and inlines. */
function walk(blocks: readonly MdBlock[], visit: (n: MdInline) => void, depth = 1): number {
  let deepest = depth;
  const inl = (ns: readonly MdInline[], d: number): void => {
    for (const n of ns) {
      visit(n);
      deepest = Math.max(deepest, d);
      if (n.t === "strong" || n.t === "em" || n.t === "link") inl(n.children, d + 1);
    }
  };
  for (const b of blocks) {
    if (b.t === "p" || b.t === "h") inl(b.children, depth + 1);
    else if (b.t === "ul" || b.t === "ol") for (const item of b.items) inl(item, depth + 1);
    else if (b.t === "quote") deepest = Math.max(deepest, walk(b.children, visit, depth + 1));
  }
  return deepest;
}

describe("parseMarkdown", () => {
  it("reads the blocks and inlines of the subset", () => {
    const md = "# Title\n\nSome **bold**, *em*, `x<y`, a [link](https://example.org/a?b=1) and snake_case_name.\n\n- one\n- two\n\n1. first\n\n> quoted\n\n```\n<b>code</b>\n```\n\n---";
    expect(parseMarkdown(md)).toEqual([
      { t: "h", level: 1, children: [text("Title")] },
      {
        t: "p",
        children: [
          text("Some "),
          { t: "strong", children: [text("bold")] },
          text(", "),
          { t: "em", children: [text("em")] },
          text(", "),
          { t: "code", text: "x<y" },
          text(", a "),
          { t: "link", href: "https://example.org/a?b=1", children: [text("link")] },
          text(" and snake_case_name."),
        ],
      },
      { t: "ul", items: [[text("one")], [text("two")]] },
      { t: "ol", items: [[text("first")]] },
      { t: "quote", children: [{ t: "p", children: [text("quoted")] }] },
      { t: "pre", text: "<b>code</b>" },
      { t: "hr" },
    ]);
  });

  it('"_" and "__" inside words are letters, opening or closing (snake_case, window.__x=1)', () => {
    expect(parseMarkdown("*use my_var_name*")).toEqual([{ t: "p", children: [{ t: "em", children: [text("use my_var_name")] }] }]);
    expect(parseMarkdown('a window.__pwned=2"> b window.__pwned=3')).toEqual([{ t: "p", children: [text('a window.__pwned=2"> b window.__pwned=3')] }]);
    expect(parseMarkdown("__init__ and __bold__ x")).toEqual([{ t: "p", children: [{ t: "strong", children: [text("init")] }, text(" and "), { t: "strong", children: [text("bold")] }, text(" x")] }]);
  });

  it("keeps HTML as text, drops links that are not http(s) to their text, and shows images as their alt text", () => {
    const md = '<script>window.__pwned=1</script> [x](javascript:alert(1)) [y](data:text/html,<b>) ![alt](https://e.org/i.png) <img src=x onerror=alert(1)>';
    const blocks = parseMarkdown(md);
    const nodes: MdInline[] = [];
    walk(blocks, (n) => nodes.push(n));
    expect(nodes.some((n) => n.t === "link")).toBe(false);
    const all = nodes.filter((n): n is { t: "text"; text: string } => n.t === "text").map((n) => n.text).join("");
    expect(all).toContain("<script>window.__pwned=1</script>");
    expect(all).toContain("<img src=x onerror=alert(1)>");
    expect(all).toContain("alt");
    expect(all).not.toContain("https://e.org/i.png");
  });

  it("safeHref takes absolute http(s) URLs only, normalised", () => {
    expect(safeHref("https://example.org")).toBe("https://example.org/");
    expect(safeHref(" http://a.b/c d")).toBe("http://a.b/c%20d");
    for (const bad of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "vbscript:x", "/relative", "file:///etc/passwd", "", "\u0000javascript:x"]) expect(safeHref(bad)).toBeNull();
  });

  it("cuts a note longer than the bound, and says so", () => {
    const blocks = parseMarkdown("a".repeat(MAX_MARKDOWN_CHARS + 10));
    expect(blocks).toHaveLength(2);
    expect(JSON.stringify(blocks[1])).toContain("longer than this view shows");
  });

  it("property: for any text, only the subset's nodes come out, every link is http(s), nesting is bounded", () => {
    const piece = fc.constantFrom("*", "**", "_", "__", "`", "[", "](", ")", "![", "> ", "- ", "1. ", "# ", "```", "\n", "\n\n", "\\", "<script>", "javascript:", "https://x.org/", "a", " ");
    const md = fc.oneof(fc.string({ maxLength: 300 }), fc.array(piece, { maxLength: 200 }).map((a) => a.join("")));
    fc.assert(
      fc.property(md, (s) => {
        const blocks = parseMarkdown(s);
        const depth = walk(blocks, (n) => {
          expect(["text", "code", "strong", "em", "link"]).toContain(n.t);
          if (n.t === "link") expect(n.href).toMatch(/^https?:\/\//);
        });
        expect(depth).toBeLessThanOrEqual(20);
      }),
      { numRuns: 300 },
    );
  });

  it("stays linear on texts built to make a naive parser quadratic", () => {
    // Each delimiter without a closer is looked for once: a quadratic parse of 64 Ki characters
    // (billions of steps) would not end within the test's default timeout.
    for (const s of ["*".repeat(MAX_MARKDOWN_CHARS), "[".repeat(MAX_MARKDOWN_CHARS - 10) + "](x)", "`".repeat(MAX_MARKDOWN_CHARS), "*a".repeat(MAX_MARKDOWN_CHARS / 2), ">".repeat(MAX_MARKDOWN_CHARS)]) {
      const blocks = parseMarkdown(s);
      expect(blocks.length).toBeGreaterThan(0);
    }
  });
});

describe("markdownPlainLines (the saved picture's note)", () => {
  it("sets headings, paragraphs, lists, code, quotes and links as plain lines", () => {
    const lines = markdownPlainLines("# Plan\nTry **higher** rates, see [the run](https://x.org/r).\n\n- lr up to 1\n- `batch` 64\n1. first\n\n```\nx = 1\n```\n> quoted *text*", 60);
    expect(lines).toEqual([
      { text: "Plan", style: "heading" },
      { text: "Try higher rates, see the run (https://x.org/r).", style: "text" },
      { text: "• lr up to 1", style: "text" },
      { text: "• batch 64", style: "text" },
      { text: "1. first", style: "text" },
      { text: "x = 1", style: "code" },
      { text: "│ quoted text", style: "quote" },
    ]);
  });

  it("wraps to the width with the item's indent, and ends with … past maxLines", () => {
    expect(markdownPlainLines("- alpha beta gamma delta", 12).map((l) => l.text)).toEqual(["• alpha beta", "  gamma", "  delta"]);
    expect(markdownPlainLines("abcdefghijklmnop", 6).map((l) => l.text)).toEqual(["abcdef", "ghijkl", "mnop"]);
    const many = markdownPlainLines(Array.from({ length: 30 }, (_, i) => `- item ${i}`).join("\n"), 40, 5);
    expect(many.map((l) => l.text)).toEqual(["• item 0", "• item 1", "• item 2", "• item 3", "…"]);
  });

  it("for any text: at most maxLines lines, none wider than the width, every word of a plain paragraph kept in order", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.integer({ min: 4, max: 80 }), fc.integer({ min: 1, max: 20 }), (md, width, max) => {
        const lines = markdownPlainLines(md, width, max);
        expect(lines.length).toBeLessThanOrEqual(max);
        for (const l of lines) expect([...l.text].length <= width || l.text.length <= width).toBe(true);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9]{1,12}$/), { minLength: 1, maxLength: 40 }), fc.integer({ min: 12, max: 60 }), (words, width) => {
        const lines = markdownPlainLines(words.join(" "), width, 1000);
        expect(lines.map((l) => l.text).join(" ").split(" ")).toEqual(words);
      }),
      { numRuns: 200 },
    );
  });
});
