/**
 * CRC-32 (IEEE 802.3, the polynomial of zlib, gzip and PNG) of a string's UTF-8 bytes, computed
 * from the string without encoding it first. Browser-safe: the journal's writer (Node) and both
 * of its readers (Node, the JupyterLab study browser) use this one function, so a line's
 * checksum means the same everywhere. A lone surrogate counts as U+FFFD, as TextEncoder
 * encodes it (JSON.stringify never writes one: it escapes them).
 *
 *   crc32("123456789") === 0xcbf43926
 */

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** The CRC-32 of the UTF-8 encoding of `text.slice(0, end)` followed by the bytes of `tail` (ASCII). */
export function crc32(text: string, end: number = text.length, tail = ""): number {
  let c = -1;
  for (let i = 0; i < end; i++) {
    let u = text.charCodeAt(i);
    if (u < 0x80) {
      c = TABLE[(c ^ u) & 0xff]! ^ (c >>> 8);
      continue;
    }
    if (u >= 0xd800 && u <= 0xdfff) {
      const lo = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (u <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      } else {
        u = 0xfffd;
      }
    }
    if (u < 0x800) {
      c = TABLE[(c ^ (0xc0 | (u >> 6))) & 0xff]! ^ (c >>> 8);
    } else {
      if (u < 0x10000) {
        c = TABLE[(c ^ (0xe0 | (u >> 12))) & 0xff]! ^ (c >>> 8);
      } else {
        c = TABLE[(c ^ (0xf0 | (u >> 18))) & 0xff]! ^ (c >>> 8);
        c = TABLE[(c ^ (0x80 | ((u >> 12) & 0x3f))) & 0xff]! ^ (c >>> 8);
      }
      c = TABLE[(c ^ (0x80 | ((u >> 6) & 0x3f))) & 0xff]! ^ (c >>> 8);
    }
    c = TABLE[(c ^ (0x80 | (u & 0x3f))) & 0xff]! ^ (c >>> 8);
  }
  for (let i = 0; i < tail.length; i++) c = TABLE[(c ^ tail.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
