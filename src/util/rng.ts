/**
 * Seeded pseudo-random numbers: the only place randomness is created in
 * tunelab (`Math.random` appears nowhere). xoshiro128** with splitmix32
 * seeding: fast, 2^128-1 period, and its state is four 32-bit integers.
 *
 * Strategies do not keep a generator between calls: they derive one from
 * (study seed, trial number, purpose) with `Rng.derive`, so a study gives the
 * same proposals whatever the order of requests and after a resume.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** A generator from a seed (any finite number; integers are the norm). */
  static fromSeed(seed: number): Rng {
    return Rng.derive(seed);
  }

  /**
   * A generator from a list of integers, e.g. `Rng.derive(seed, trial, SALT)`.
   * Different lists give independent-looking streams.
   */
  static derive(...keys: number[]): Rng {
    let h = 0x9e3779b9 | 0;
    for (const k of keys) {
      // Mix both 32-bit halves of the key so large seeds are not truncated.
      const lo = k | 0;
      const hi = Math.floor(k / 4294967296) | 0;
      h = mix32(h ^ lo);
      h = mix32(h ^ hi ^ 0x85ebca6b);
    }
    let s = h;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      return mix32(s);
    };
    return new Rng(next(), next(), next(), next());
  }

  /**
   * A fresh seed from the operating system's entropy, for studies created
   * without a seed (the seed is stored with the study, so it still replays).
   */
  static entropy(): number {
    const a = new Uint32Array(1);
    globalThis.crypto.getRandomValues(a);
    return a[0]! >>> 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform double in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller, one value per call). */
  normal(): number {
    let u = this.next();
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** Purposes for `Rng.derive`, so streams for different uses never coincide. */
export const RngPurpose = {
  sample: 1,
  quasi: 2,
  grid: 3,
  model: 4,
  prune: 5,
  bracket: 6,
  /** fANOVA's forest (src/views/analysis). */
  importance: 7,
} as const;
