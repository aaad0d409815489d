/**
 * The search space as the Gaussian process sees it ("model coordinates").
 *
 * Each parameter is one dimension:
 * - continuous float: its unit-cube coordinate (src/space/encoding.ts, so log
 *   and reverse-log scales are already linearised);
 * - int / stepped float ("discrete"): the unit coordinate of the centre of its
 *   grid cell. Every point the model is asked about is first snapped to a
 *   cell centre, so integers and steps are rounded *inside* the model: the
 *   acquisition is only ever evaluated at values a trial can take, and its
 *   optimiser moves these dimensions by discrete search, not gradients;
 * - categorical: the choice index 0..C−1, under a Hamming distance in the
 *   kernel (src/math/gp.ts), never as an ordered number.
 *
 * Conditional parameters: an inactive parameter is imputed with a fixed
 * value — the cube's centre 0.5 for numeric dimensions, an extra level C for
 * categorical ones. This is sound here because (1) conditions only name
 * categorical and int parameters, which are dimensions of the kernel
 * themselves, so trials with different active sets are already told apart
 * by their parents; (2) all trials where a parameter is inactive agree on it,
 * so it adds no spurious distance between them (the objective does not
 * depend on it there); (3) one model keeps all the data, where separate
 * models per active set would split a small history into smaller ones. The
 * price is a mild artificial similarity between an inactive value and active
 * values near 0.5, which the parents' distance dominates. The acquisition is
 * evaluated on the imputed (canonical) form of each candidate, so the
 * optimiser never wastes effort on dimensions that do not matter.
 *
 * A point under optimisation is kept in a "full" form `w` where every
 * dimension holds a valid value (as if all were active); `canonical(w, z)`
 * applies the conditions and writes the model coordinates z.
 */
import { fromUnit, gridSize, gridValue, toUnit } from "../space/encoding";
import type { ParamSpec, SearchSpace } from "../space/space";
import type { Choice, Config } from "../space/types";

/** Grids larger than this are modelled as continuous and rounded when decoded. */
const MAX_GRID = 4096;

interface DimBase {
  readonly param: ParamSpec;
  readonly index: number;
}
interface ContinuousDim extends DimBase {
  readonly kind: "continuous";
}
interface DiscreteDim extends DimBase {
  readonly kind: "discrete";
  /** Unit coordinates of the cell centres, ascending. */
  readonly centres: Float64Array;
  /** Unit coordinates of the boundaries between consecutive cells (length G − 1). */
  readonly bounds: Float64Array;
}
interface CategoricalDim extends DimBase {
  readonly kind: "categorical";
  readonly choices: readonly Choice[];
  /** 0..C−1 */
  readonly levels: Float64Array;
}
export type ModelDim = ContinuousDim | DiscreteDim | CategoricalDim;

/** The value of an imputed (inactive) numeric dimension. */
export const INACTIVE_NUMERIC = 0.5;

export class ModelSpace {
  readonly d: number;
  readonly dims: readonly ModelDim[];
  /** 1 where the dimension is categorical (for the kernel). */
  readonly categorical: Uint8Array;
  /** Indices of continuous dimensions. */
  readonly continuous: readonly number[];
  /** Discrete and categorical dimensions with their sorted values (for coordinate search). */
  readonly discrete: readonly { readonly index: number; readonly values: Float64Array }[];
  readonly conditional: boolean;
  /** Parameters some condition names (their values decide activity). */
  private readonly parents: ReadonlySet<string>;

  constructor(readonly space: SearchSpace) {
    const dims: ModelDim[] = [];
    for (const p of space.params) {
      if (p.type === "categorical") {
        dims.push({ kind: "categorical", param: p, index: p.index, choices: p.choices, levels: Float64Array.from(p.choices, (_, i) => i) });
        continue;
      }
      const g = gridSize(p);
      if (g <= MAX_GRID) {
        const values = Array.from({ length: g }, (_, k) => gridValue(p, k));
        const centres = Float64Array.from(values, (v) => toUnit(p, v));
        const bounds = new Float64Array(Math.max(0, g - 1));
        for (let k = 0; k + 1 < g; k++) bounds[k] = toUnit(p, midpoint(values[k]!, values[k + 1]!));
        dims.push({ kind: "discrete", param: p, index: p.index, centres, bounds });
      } else {
        dims.push({ kind: "continuous", param: p, index: p.index });
      }
    }
    this.dims = dims;
    this.d = dims.length;
    this.categorical = Uint8Array.from(dims, (m) => (m.kind === "categorical" ? 1 : 0));
    this.continuous = dims.filter((m) => m.kind === "continuous").map((m) => m.index);
    this.discrete = dims.flatMap((m) =>
      m.kind === "discrete" ? [{ index: m.index, values: m.centres }] : m.kind === "categorical" ? [{ index: m.index, values: m.levels }] : [],
    );
    this.conditional = space.hasConditions;
    this.parents = new Set(space.params.flatMap((q) => (q.when ? Object.keys(q.when) : [])));
  }

  /** A point of the unit cube → its full form w (discrete dims snapped, categorical → index). */
  fromCube(u: ArrayLike<number>, w: Float64Array): Float64Array {
    for (const m of this.dims) {
      const x = u[m.index]!;
      w[m.index] = this.snap(m, x);
    }
    return w;
  }

  /** The dimension's valid value nearest to a unit coordinate (categorical: the cell's choice). */
  private snap(m: ModelDim, x: number): number {
    if (m.kind === "continuous") return x < 0 ? 0 : x > 1 ? 1 : x;
    if (m.kind === "categorical") {
      const c = m.choices.length;
      return Math.min(c - 1, Math.max(0, Math.floor(x * c)));
    }
    const b = m.bounds;
    let lo = 0;
    let hi = b.length; // the answer k is the number of bounds ≤ x
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (b[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return m.centres[lo]!;
  }

  /** Whether each parameter is active for the full point w (all true without conditions). */
  activity(w: ArrayLike<number>, out: Uint8Array = new Uint8Array(this.d)): Uint8Array {
    if (!this.conditional) return out.fill(1);
    const config: Record<string, Choice> = {};
    for (const p of this.space.evalOrder) {
      if (p.when && !this.space.isActive(p, config)) {
        out[p.index] = 0;
        continue;
      }
      out[p.index] = 1;
      if (this.parents.has(p.name)) config[p.name] = this.valueOf(this.dims[p.index]!, w[p.index]!);
    }
    return out;
  }

  /** Model coordinates of a full point: inactive dimensions imputed. */
  canonical(w: ArrayLike<number>, z: Float64Array, active?: Uint8Array): Float64Array {
    if (!this.conditional) {
      for (let i = 0; i < this.d; i++) z[i] = w[i]!;
      return z;
    }
    const a = this.activity(w, active);
    for (const m of this.dims) z[m.index] = a[m.index] ? w[m.index]! : this.imputed(m);
    return z;
  }

  private imputed(m: ModelDim): number {
    return m.kind === "categorical" ? m.choices.length : INACTIVE_NUMERIC;
  }

  /** Model coordinates of a stored configuration (absent = inactive = imputed). */
  encodeConfig(config: Readonly<Config>, z: Float64Array = new Float64Array(this.d)): Float64Array {
    for (const m of this.dims) {
      const v = config[m.param.name];
      if (v === undefined) {
        z[m.index] = this.imputed(m);
        continue;
      }
      if (m.kind === "categorical") {
        const k = m.choices.findIndex((c) => c === v);
        z[m.index] = k < 0 ? m.choices.length : k;
      } else {
        const u = toUnit(m.param, v);
        z[m.index] = m.kind === "discrete" ? this.snap(m, u) : u;
      }
    }
    return z;
  }

  /** A full point for a stored configuration: inactive dimensions get a valid placeholder. */
  fullFromConfig(config: Readonly<Config>, w: Float64Array = new Float64Array(this.d)): Float64Array {
    this.encodeConfig(config, w);
    for (const m of this.dims) {
      if (config[m.param.name] !== undefined) continue;
      w[m.index] = m.kind === "categorical" ? 0 : this.snap(m, INACTIVE_NUMERIC);
    }
    return w;
  }

  /** The configuration of a full point (conditions applied: inactive parameters left out). */
  decode(w: ArrayLike<number>): Config {
    const out: Config = {};
    for (const p of this.space.evalOrder) {
      if (p.when && !this.space.isActive(p, out)) continue;
      out[p.name] = this.valueOf(this.dims[p.index]!, w[p.index]!);
    }
    // Without conditions evalOrder is declaration order, so `out` is already ordered.
    return this.conditional ? this.space.ordered(out) : out;
  }

  private valueOf(m: ModelDim, x: number): Choice {
    if (m.kind === "categorical") return m.choices[Math.min(m.choices.length - 1, Math.max(0, Math.round(x)))]!;
    if (m.kind === "continuous") return fromUnit(m.param, x);
    let k = 0;
    const c = m.centres;
    // x is a centre (or close to one): the nearest centre's index.
    let best = Infinity;
    let lo = 0;
    let hi = c.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! <= x) lo = mid;
      else hi = mid;
    }
    for (const j of [lo, hi]) {
      const dist = Math.abs(c[j]! - x);
      if (dist < best) {
        best = dist;
        k = j;
      }
    }
    return gridValue(m.param as Exclude<ParamSpec, { type: "categorical" }>, k);
  }
}

/** (a + b)/2, also where a + b overflows (values near ±1.8e308). */
function midpoint(a: number, b: number): number {
  const m = (a + b) / 2;
  return Number.isFinite(m) ? m : a + (b - a) / 2;
}
