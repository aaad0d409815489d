/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG) of a string's UTF-8 bytes, computed
 * from the string without encoding it first. Browser-safe: the journal's writer (Node) and both
 * of its readers (Node, the JupyterLab study browser) use this one function, so a line's
 * checksum means the same everywhere. A lone surrogate counts as U+FFFD, as TextEncoder
 * encodes it (JSON.stringify never writes one: it escapes them).
 *
 *   crc32("123456789") === 0xcbf43926
 *
 * Journal lines are mostly ASCII: four such characters at a time go through four tables
 * ("slicing by 4"), which takes a journal's checksums from about half the cost of parsing its
 * JSON to a small part of it.
 */

/** T[k][b]: the CRC of byte b followed by k zero bytes. */
const T = (() => {
  const t = [new Int32Array(256), new Int32Array(256), new Int32Array(256), new Int32Array(256)] as const;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) t[k][n] = t[0][t[k - 1][n]! & 0xff]! ^ (t[k - 1][n]! >>> 8);
  }
  return t;
})();
const [T0, T1, T2, T3] = T;

/** The CRC-32 of the UTF-8 encoding of `text.slice(0, end)` followed by the bytes of `tail` (ASCII). */
export function crc32(text: string, end: number = text.length, tail = ""): number {
  let c = -1;
  let i = 0;
  while (i < end) {
    if (i + 4 <= end) {
      const a = text.charCodeAt(i);
      const b = text.charCodeAt(i + 1);
      const d = text.charCodeAt(i + 2);
      const e = text.charCodeAt(i + 3);
      if ((a | b | d | e) < 0x80) {
        c ^= a | (b << 8) | (d << 16) | (e << 24);
        c = T3[c & 0xff]! ^ T2[(c >>> 8) & 0xff]! ^ T1[(c >>> 16) & 0xff]! ^ T0[c >>> 24]!;
        i += 4;
        continue;
      }
    }
    let u = text.charCodeAt(i++);
    if (u < 0x80) {
      c = T0[(c ^ u) & 0xff]! ^ (c >>> 8);
      continue;
    }
    if (u >= 0xd800 && u <= 0xdfff) {
      const lo = i < end ? text.charCodeAt(i) : 0;
      if (u <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      } else {
        u = 0xfffd;
      }
    }
    if (u < 0x800) {
      c = T0[(c ^ (0xc0 | (u >> 6))) & 0xff]! ^ (c >>> 8);
    } else {
      if (u < 0x10000) {
        c = T0[(c ^ (0xe0 | (u >> 12))) & 0xff]! ^ (c >>> 8);
      } else {
        c = T0[(c ^ (0xf0 | (u >> 18))) & 0xff]! ^ (c >>> 8);
        c = T0[(c ^ (0x80 | ((u >> 12) & 0x3f))) & 0xff]! ^ (c >>> 8);
      }
      c = T0[(c ^ (0x80 | ((u >> 6) & 0x3f))) & 0xff]! ^ (c >>> 8);
    }
    c = T0[(c ^ (0x80 | (u & 0x3f))) & 0xff]! ^ (c >>> 8);
  }
  for (let k = 0; k < tail.length; k++) c = T0[(c ^ tail.charCodeAt(k)) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
