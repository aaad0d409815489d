import { describe, it, expect } from "vitest";
import { SobolSequence, sobolPoints, SOBOL_MAX_DIM, type UintSource } from "../../src/math/sobol";
import { JOE_KUO_ROWS } from "../../src/math/sobol-directions";

/** Small seeded 32-bit generator (mulberry32) standing in for the project's PRNG. */
function seeded(seed: number): UintSource {
  let a = seed >>> 0;
  return {
    nextUint32(): number {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}

function take(seq: SobolSequence, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < n; i++) out.push(seq.next());
  return out;
}

/** Every coordinate of the first 2^m points hits each interval [k/2^m, (k+1)/2^m) exactly once. */
function expectStratified1D(pts: Float64Array[], m: number): void {
  const n = 1 << m;
  const dim = pts[0].length;
  for (let j = 0; j < dim; j++) {
    const seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = pts[i][j];
      if (!(x >= 0 && x < 1)) throw new Error(`coordinate ${j} of point ${i} out of [0,1): ${x}`);
      seen[Math.floor(x * n)]++;
    }
    if (!seen.every((c) => c === 1)) {
      throw new Error(`coordinate ${j} is not stratified at m=${m}`);
    }
  }
}

/** The first 2^m points of coordinates (a, b) put one point in each 2^p x 2^(m-p) box, for every p. */
function expectBalanced2D(pts: Float64Array[], m: number, a: number, b: number): void {
  const n = 1 << m;
  for (let p = 0; p <= m; p++) {
    const nx = 1 << p;
    const ny = 1 << (m - p);
    const seen = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const cx = Math.floor(pts[i][a] * nx);
      const cy = Math.floor(pts[i][b] * ny);
      seen[cx * ny + cy]++;
    }
    if (!seen.every((c) => c === 1)) {
      throw new Error(`dims (${a},${b}) not balanced on ${nx}x${ny} grid at m=${m}`);
    }
  }
}

// --- GF(2) polynomial helpers for checking the direction-number table ---
function polyMulMod(x: number, y: number, mod: number, deg: number): number {
  let r = 0;
  while (y) {
    if (y & 1) r ^= x;
    y >>>= 1;
    x <<= 1;
    if (x & (1 << deg)) x ^= mod;
  }
  return r;
}
function polyPowX(e: number, mod: number, deg: number): number {
  let result = 1;
  let base = 2; // the polynomial "x"
  if (deg === 1) base = 1; // x == 1 mod (x + 1)
  while (e > 0) {
    if (e & 1) result = polyMulMod(result, base, mod, deg);
    base = polyMulMod(base, base, mod, deg);
    e = Math.floor(e / 2);
  }
  return result;
}
function primeFactors(n: number): number[] {
  const f: number[] = [];
  for (let p = 2; p * p <= n; p++) {
    if (n % p === 0) {
      f.push(p);
      while (n % p === 0) n /= p;
    }
  }
  if (n > 1) f.push(n);
  return f;
}
function isPrimitive(s: number, a: number): boolean {
  const mod = (1 << s) | (a << 1) | 1;
  const order = (1 << s) - 1;
  if (polyPowX(order, mod, s) !== 1) return false;
  return primeFactors(order).every((p) => polyPowX(order / p, mod, s) !== 1);
}

describe("Joe-Kuo direction numbers", () => {
  it("bundles dimensions 2..1111 with the known leading rows", () => {
    expect(SOBOL_MAX_DIM).toBe(1111);
    expect(JOE_KUO_ROWS.length).toBe(1110);
    expect(JOE_KUO_ROWS.slice(0, 12)).toEqual([
      "1 0 1",
      "2 1 1 3",
      "3 1 1 3 1",
      "3 2 1 1 1",
      "4 1 1 1 3 3",
      "4 4 1 3 5 13",
      "5 2 1 1 5 5 17",
      "5 4 1 1 5 5 5",
      "5 7 1 1 7 11 19",
      "5 11 1 1 5 1 1",
      "5 13 1 1 1 3 11",
      "5 14 1 3 5 5 31",
    ]);
  });

  it("rows are well formed: distinct primitive polynomials, odd m_k < 2^k", () => {
    const polys = new Set<string>();
    for (const row of JOE_KUO_ROWS) {
      const [s, a, ...m] = row.split(" ").map(Number);
      expect(m.length).toBe(s);
      expect(a).toBeLessThan(2 ** Math.max(s - 1, 0));
      m.forEach((mk, k) => {
        expect(mk % 2).toBe(1);
        expect(mk).toBeLessThan(2 ** (k + 1));
      });
      expect(isPrimitive(s, a)).toBe(true);
      polys.add(`${s} ${a}`);
    }
    expect(polys.size).toBe(JOE_KUO_ROWS.length);
  });
});

describe("SobolSequence (unscrambled)", () => {
  it("dimension 1 is the van der Corput sequence in Gray-code order", () => {
    const pts = take(new SobolSequence(1), 8).map((p) => p[0]);
    expect(pts).toEqual([0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125]);
  });

  it("first points for dim 2 match the known sequence", () => {
    const pts = take(new SobolSequence(2), 8);
    expect(pts.map((p) => p[0])).toEqual([0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125]);
    expect(pts.map((p) => p[1])).toEqual([0, 0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625]);
  });

  it("matches reference values (SciPy qmc.Sobol, scramble=False, bits=32) far into the table", () => {
    const sel = [0, 1, 2, 3, 4, 9, 99, 499, 999, 1100, 1110];
    const expected: Record<number, number[]> = {
      1000003: [
        1187450880, 2413424640, 334991360, 1796354048, 3773812736, 18903040, 213045248, 3871584256,
        170749952, 3568201728, 665669632,
      ],
      2147495993: [
        2752774147, 2238272853, 1645001659, 4141547569, 1937141223, 1452380627, 331683515, 2723525639,
        1253120121, 2583891989, 2136735795,
      ],
      4294967295: [
        1, 4294967295, 3305133397, 1342505107, 2953698205, 2197780721, 1488403325, 299658261, 1909304039,
        2282729535, 654311485,
      ],
    };
    const seq = new SobolSequence(1111);
    for (const [idx, ints] of Object.entries(expected)) {
      const p = seq.pointAt(Number(idx));
      expect(sel.map((j) => p[j] * 2 ** 32)).toEqual(ints);
    }
  });

  it("has the 1-D net property for the first 2^m points, m = 4..8, in all 1111 dimensions", () => {
    const pts = take(new SobolSequence(1111), 256);
    for (let m = 4; m <= 8; m++) expectStratified1D(pts, m);
  });

  it("dims 1-2 are balanced over every 2^p x 2^(m-p) grid (square 2^(m/2) grids included)", () => {
    const pts = take(new SobolSequence(2), 256);
    for (let m = 4; m <= 8; m++) expectBalanced2D(pts, m, 0, 1);
  });

  it("the first point is the origin and values stay in [0, 1)", () => {
    const pts = take(new SobolSequence(5), 1024);
    expect(Array.from(pts[0])).toEqual([0, 0, 0, 0, 0]);
    let inside = true;
    for (const p of pts) for (const x of p) inside &&= x >= 0 && x < 1;
    expect(inside).toBe(true);
  });
});

describe("SobolSequence (scrambled)", () => {
  it("preserves the 1-D net property for several dimensions and seeds", () => {
    for (const seed of [1, 42, 20240601]) {
      const pts = take(new SobolSequence(1111, { scramble: seeded(seed) }), 256);
      for (let m = 4; m <= 8; m++) expectStratified1D(pts, m);
    }
  });

  it("preserves 2-D balance of dims 1-2", () => {
    for (const seed of [3, 99]) {
      const pts = take(new SobolSequence(2, { scramble: seeded(seed) }), 256);
      for (let m = 4; m <= 8; m++) expectBalanced2D(pts, m, 0, 1);
    }
  });

  it("same seed gives identical points; different seeds differ", () => {
    const a = sobolPoints(64, 10, seeded(7));
    const b = sobolPoints(64, 10, seeded(7));
    const c = sobolPoints(64, 10, seeded(8));
    expect(b).toEqual(a);
    let differing = 0;
    for (let i = 0; i < 64; i++) for (let j = 0; j < 10; j++) if (a[i][j] !== c[i][j]) differing++;
    expect(differing).toBe(640);
    const plain = sobolPoints(64, 10);
    expect(a).not.toEqual(plain);
  });

  it("each coordinate of 1024 scrambled points has mean within 0.01 of 0.5", () => {
    const pts = sobolPoints(1024, 64, seeded(123));
    for (let j = 0; j < 64; j++) {
      let sum = 0;
      for (const p of pts) sum += p[j];
      expect(Math.abs(sum / 1024 - 0.5)).toBeLessThan(0.01);
    }
  });

  it("never yields exactly 0 or 1", () => {
    const pts = sobolPoints(2048, 32, seeded(5));
    let inside = true;
    for (const p of pts) for (const x of p) inside &&= x > 0 && x < 1;
    expect(inside).toBe(true);
  });

  it("the first point is uniformly distributed across seeds", () => {
    let sum = 0;
    const seeds = 400;
    for (let s = 0; s < seeds; s++) sum += new SobolSequence(1, { scramble: seeded(1000 + s) }).next()[0];
    expect(Math.abs(sum / seeds - 0.5)).toBeLessThan(0.06);
  });

  it("lower dimensions are a prefix of higher ones for the same seed", () => {
    const lo = sobolPoints(32, 3, seeded(11));
    const hi = sobolPoints(32, 9, seeded(11));
    for (let i = 0; i < 32; i++) expect(Array.from(hi[i].subarray(0, 3))).toEqual(Array.from(lo[i]));
  });

  it("rejects a source that returns non-integers", () => {
    expect(() => new SobolSequence(2, { scramble: { nextUint32: () => 0.25 } })).toThrow(/32-bit integer/);
  });
});

describe("random access", () => {
  for (const scrambled of [false, true]) {
    it(`pointAt(i) equals the i-th next() (${scrambled ? "scrambled" : "plain"})`, () => {
      const seq = new SobolSequence(20, { scramble: scrambled ? seeded(77) : false });
      const ref = new SobolSequence(20, { scramble: scrambled ? seeded(77) : false });
      for (let i = 0; i < 600; i++) {
        expect(ref.pointAt(i)).toEqual(seq.next());
      }
      expect(seq.position).toBe(600);
    });

    it(`skipTo(k) continues exactly like stepping (${scrambled ? "scrambled" : "plain"})`, () => {
      const stepped = new SobolSequence(7, { scramble: scrambled ? seeded(5) : false });
      const pts = take(stepped, 300);
      const jumper = new SobolSequence(7, { scramble: scrambled ? seeded(5) : false });
      for (const k of [0, 1, 2, 63, 64, 65, 255, 256, 257]) {
        jumper.skipTo(k);
        expect(jumper.next()).toEqual(pts[k]);
        expect(jumper.next()).toEqual(pts[k + 1]);
      }
    });
  }

  it("works up to index 2^32 - 1 and then reports exhaustion", () => {
    const seq = new SobolSequence(3, { scramble: seeded(9) });
    seq.skipTo(2 ** 31 - 1);
    const p = seq.next();
    expect(p).toEqual(seq.pointAt(2 ** 31 - 1));
    expect(seq.next()).toEqual(seq.pointAt(2 ** 31));
    seq.skipTo(2 ** 32 - 2);
    expect(seq.next()).toEqual(seq.pointAt(2 ** 32 - 2));
    expect(seq.next()).toEqual(seq.pointAt(2 ** 32 - 1));
    expect(() => seq.next()).toThrow(/exhausted/);
    expect(() => seq.pointAt(2 ** 32)).toThrow(/index/);
    expect(() => seq.skipTo(-1)).toThrow(/index/);
    expect(() => seq.pointAt(1.5)).toThrow(/index/);
  });
});

describe("dimension limits and sobolPoints", () => {
  it("dimension 1111 works and 1112 throws", () => {
    const seq = new SobolSequence(1111, { scramble: seeded(1) });
    expect(seq.next().length).toBe(1111);
    expect(new SobolSequence(1111).pointAt(12345).length).toBe(1111);
    expect(() => new SobolSequence(1112)).toThrow(/dimension must be an integer in \[1, 1111\]/);
    expect(() => new SobolSequence(0)).toThrow(/dimension/);
    expect(() => new SobolSequence(2.5)).toThrow(/dimension/);
    expect(() => sobolPoints(4, 1112)).toThrow(/dimension/);
  });

  it("sobolPoints returns the first n points of the sequence", () => {
    const pts = sobolPoints(2048, 6, seeded(31));
    expect(pts.length).toBe(2048);
    const seq = new SobolSequence(6, { scramble: seeded(31) });
    expect(pts[0]).toEqual(seq.pointAt(0));
    expect(pts[2047]).toEqual(seq.pointAt(2047));
    expect(sobolPoints(0, 3)).toEqual([]);
    expect(() => sobolPoints(-1, 3)).toThrow(/count/);
  });
});
