import { createHash } from "crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { journalFileName } from "../../src/storage/journal";

/** Any UTF-16 unit, lone surrogates included, weighted to the ones file names and UTF-8 trip on, and spellings of the encoding itself. */
const unit = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom(".", "/", "\\", "%", "~", "\u0000", "*", "'", " ", "u", "%uD800", "%2E", "\ud800"),
);
// Low halves only: no two of them make a pair.
const plainOrLone = fc.oneof({ arbitrary: fc.constantFrom("a", "Z", "0", "-", "_"), weight: 9 }, { arbitrary: fc.integer({ min: 0xdc00, max: 0xdfff }).map((c) => String.fromCharCode(c)), weight: 1 });
const studyName = fc.oneof(
  fc.string({ unit, minLength: 1, maxLength: 12 }),
  fc.string({ unit, minLength: 150, maxLength: 400 }),
  // Long, kept as is by the encoding up to the cut, then lone surrogates: where a hash of the encoding could meet a plain name.
  fc.tuple(fc.string({ unit: fc.constantFrom("a", "Z", "0", "-", "_"), minLength: 170, maxLength: 250 }), fc.string({ unit: plainOrLone, minLength: 1, maxLength: 40 })).map(([a, b]) => a + b),
);

/** A second name: any, or the first with its surrogates spelled as the encoding spells them, or as UTF-8 would mangle them. */
const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const twoNames = studyName.chain((a) =>
  fc.tuple(
    fc.constant(a),
    fc.oneof(studyName, fc.constant(a.replace(LONE, (c) => `%u${c.charCodeAt(0).toString(16).toUpperCase()}`)), fc.constant(a.replace(LONE, "\ufffd"))),
  ),
);

describe("journalFileName", () => {
  it("gives every string a safe file name of its own: lone surrogates, NUL, dots and long names included", () => {
    fc.assert(
      fc.property(twoNames, ([a, b]) => {
        for (const n of [a, b]) {
          const f = journalFileName(n);
          expect(f).toMatch(/^[A-Za-z0-9%._~-]+\.jsonl$/);
          expect(f.startsWith(".")).toBe(false);
          expect(Buffer.byteLength(f)).toBeLessThanOrEqual(255);
        }
        if (a !== b) expect(journalFileName(a)).not.toBe(journalFileName(b));
      }),
      { numRuns: 500 },
    );
  });

  it("names that differ only in which lone surrogate they hold stay apart, short or cut and hashed", () => {
    for (const pad of ["", "x".repeat(300)]) {
      const files = ["\ud800", "\ud801", "\udc00", "\ufffd", "%uD800"].map((s) => journalFileName(pad + s));
      expect(new Set(files).size).toBe(5);
    }
    expect(journalFileName("\ud800")).toBe("%uD800.jsonl");
    expect(journalFileName("a\udc00b")).toBe("a%uDC00b.jsonl");
  });

  it("keeps the file names of well-formed names as they were (existing journals stay found)", () => {
    expect(journalFileName("plain")).toBe("plain.jsonl");
    expect(journalFileName("exp/1")).toBe("exp%2F1.jsonl");
    expect(journalFileName(".hidden")).toBe("%2Ehidden.jsonl");
    expect(journalFileName("😀")).toBe("%F0%9F%98%80.jsonl");
    const long = "é".repeat(150);
    const hash = createHash("sha256").update(long, "utf8").digest("hex").slice(0, 32);
    expect(journalFileName(long)).toBe(`${encodeURIComponent(long).slice(0, 167).replace(/%[0-9A-F]?$/, "")}~${hash}.jsonl`);
  });
});
