// The journal's CRC-32 (src/record/checksum.ts, computed from a string in the browser and in
// Node) agrees with zlib's over the string's UTF-8 bytes, for every string.
import * as zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/record/checksum";

describe("crc32", () => {
  it("is zlib's CRC-32 of the UTF-8 bytes (lone surrogates as U+FFFD), of a prefix, with an ASCII tail", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    const text = fc.oneof(fc.string({ unit: "grapheme", maxLength: 80 }), fc.string({ unit: "binary", maxLength: 80 }), fc.string({ maxLength: 300 }));
    fc.assert(
      fc.property(text, fc.nat(), fc.string({ maxLength: 3 }), (s, cut, tail) => {
        expect(crc32(s)).toBe(zlib.crc32(Buffer.from(s, "utf8")));
        const end = cut % (s.length + 1);
        expect(crc32(s, end, tail)).toBe(zlib.crc32(Buffer.concat([Buffer.from(s.slice(0, end), "utf8"), Buffer.from(tail, "latin1")])));
      }),
      { numRuns: 300, examples: [["\ud800x", 1, ""], ["ab\udc00", 3, "}"], ["é🎯", 2, ""]] },
    );
  });
});
