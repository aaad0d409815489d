/**
 * BLAKE2b (RFC 7693), unkeyed, with any digest length 1..64 — what Python's
 * `hashlib.blake2b(data, digest_size=n)` computes. Node's crypto only has blake2b512, and the
 * digest length is part of BLAKE2b's parameter block (so a 16-byte digest is not a prefix of
 * the 64-byte one): hence this port, used by the multi-fidelity benchmark's noise (mf_bench.py's
 * `_z`).
 *
 * 64-bit words are kept as pairs of 32-bit halves (low half at even index) in Uint32Arrays,
 * as in the reference implementation's 32-bit variant: no BigInt, no allocation per block.
 */

/** The initialisation vector (SHA-512's), as [low, high] 32-bit halves of each 64-bit word. */
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

/** The message schedule (RFC 7693 §2.7), rows 0-9, repeated for rounds 10 and 11. */
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
/** SIGMA for the 12 rounds, as indices into the pair array (word index x 2). */
const SIGMA2 = new Uint8Array(12 * 16);
for (let r = 0; r < 12; r++) for (let i = 0; i < 16; i++) SIGMA2[r * 16 + i] = SIGMA[r % 10]![i]! * 2;

// Working state, shared by every call (the hash is synchronous, so never re-entered).
const v = new Uint32Array(32);
const m = new Uint32Array(32);

/** v[a] += v[b] (64-bit, mod 2^64). */
function add64vv(a: number, b: number): void {
  const lo = v[a]! + v[b]!;
  let hi = v[a + 1]! + v[b + 1]!;
  if (lo >= 0x100000000) hi++;
  v[a] = lo;
  v[a + 1] = hi;
}

/** v[a] += (b1:b0) (64-bit, mod 2^64; b0, b1 unsigned 32-bit). */
function add64vc(a: number, b0: number, b1: number): void {
  const lo = v[a]! + b0;
  let hi = v[a + 1]! + b1;
  if (lo >= 0x100000000) hi++;
  v[a] = lo;
  v[a + 1] = hi;
}

/** The mixing function G (RFC 7693 §3.1) on pair indices a, b, c, d with message words at ix, iy. */
function g(a: number, b: number, c: number, d: number, ix: number, iy: number): void {
  const x0 = m[ix]!;
  const x1 = m[ix + 1]!;
  const y0 = m[iy]!;
  const y1 = m[iy + 1]!;
  add64vv(a, b);
  add64vc(a, x0, x1);
  // v[d] = (v[d] ^ v[a]) >>> 32
  let lo = v[d]! ^ v[a]!;
  let hi = v[d + 1]! ^ v[a + 1]!;
  v[d] = hi;
  v[d + 1] = lo;
  add64vv(c, d);
  // v[b] = (v[b] ^ v[c]) >>> 24
  lo = v[b]! ^ v[c]!;
  hi = v[b + 1]! ^ v[c + 1]!;
  v[b] = (lo >>> 24) ^ (hi << 8);
  v[b + 1] = (hi >>> 24) ^ (lo << 8);
  add64vv(a, b);
  add64vc(a, y0, y1);
  // v[d] = (v[d] ^ v[a]) >>> 16
  lo = v[d]! ^ v[a]!;
  hi = v[d + 1]! ^ v[a + 1]!;
  v[d] = (lo >>> 16) ^ (hi << 16);
  v[d + 1] = (hi >>> 16) ^ (lo << 16);
  add64vv(c, d);
  // v[b] = (v[b] ^ v[c]) >>> 63
  lo = v[b]! ^ v[c]!;
  hi = v[b + 1]! ^ v[c + 1]!;
  v[b] = (hi >>> 31) ^ (lo << 1);
  v[b + 1] = (lo >>> 31) ^ (hi << 1);
}

/** The compression function F (RFC 7693 §3.2) on the 128-byte block at `off` of `block`. */
function compress(h: Uint32Array, block: Uint8Array, off: number, t: number, last: boolean): void {
  for (let i = 0; i < 16; i++) {
    v[i] = h[i]!;
    v[i + 16] = IV[i]!;
  }
  v[24] = v[24]! ^ (t >>> 0);
  v[25] = v[25]! ^ Math.floor(t / 0x100000000);
  if (last) {
    v[28] = ~v[28]!;
    v[29] = ~v[29]!;
  }
  for (let i = 0; i < 32; i++) {
    const j = off + 4 * i;
    m[i] = block[j]! | (block[j + 1]! << 8) | (block[j + 2]! << 16) | (block[j + 3]! << 24);
  }
  for (let r = 0; r < 12; r++) {
    const s = r * 16;
    g(0, 8, 16, 24, SIGMA2[s]!, SIGMA2[s + 1]!);
    g(2, 10, 18, 26, SIGMA2[s + 2]!, SIGMA2[s + 3]!);
    g(4, 12, 20, 28, SIGMA2[s + 4]!, SIGMA2[s + 5]!);
    g(6, 14, 22, 30, SIGMA2[s + 6]!, SIGMA2[s + 7]!);
    g(0, 10, 20, 30, SIGMA2[s + 8]!, SIGMA2[s + 9]!);
    g(2, 12, 22, 24, SIGMA2[s + 10]!, SIGMA2[s + 11]!);
    g(4, 14, 16, 26, SIGMA2[s + 12]!, SIGMA2[s + 13]!);
    g(6, 8, 18, 28, SIGMA2[s + 14]!, SIGMA2[s + 15]!);
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!;
}

const pad = new Uint8Array(128);

/** BLAKE2b of `data` with a digest of `outlen` bytes (1..64), no key. */
export function blake2b(data: Uint8Array, outlen = 64): Uint8Array {
  if (!Number.isInteger(outlen) || outlen < 1 || outlen > 64) throw new RangeError(`blake2b: digest length must be 1..64, not ${outlen}`);
  const h = new Uint32Array(IV);
  // Parameter block word 0: digest length, key length 0, fanout 1, depth 1.
  h[0] = h[0]! ^ 0x01010000 ^ outlen;
  const n = data.length;
  let off = 0;
  // Every full block but the last is compressed as not-last.
  while (n - off > 128) {
    compress(h, data, off, off + 128, false);
    off += 128;
  }
  const rest = n - off; // 0..128 (0 only for empty input)
  if (rest === 128) {
    compress(h, data, off, n, true);
  } else {
    pad.fill(0);
    pad.set(data.subarray(off, n));
    compress(h, pad, 0, n, true);
  }
  const out = new Uint8Array(outlen);
  for (let i = 0; i < outlen; i++) out[i] = h[i >> 2]! >>> (8 * (i & 3));
  return out;
}
