import { Msg } from "../util/messages";
import { gridSize, gridValue } from "./encoding";
import type { ParamSpec, SearchSpace } from "./space";
import type { Choice, Config } from "./types";

/** Grids with conditional parameters are enumerated up front, up to this many configurations. */
export const MAX_CONDITIONAL_GRID = 5_000_000;

/**
 * The grid of a space: the product of every parameter's values (categorical
 * choices, integers low..high by step, stepped floats), in a stable order —
 * the first parameter varies slowest. A conditional parameter multiplies only
 * the configurations where its condition holds.
 *
 * `at(i)` gives the i-th configuration in O(parameters) for spaces without
 * conditions (any size); grids with conditions are listed once, lazily.
 */
export class Grid {
  readonly size: number;
  private readonly values: readonly (readonly Choice[])[];
  private listed?: Config[];

  constructor(private readonly space: SearchSpace) {
    for (const p of space.params) {
      if (p.type === "float" && p.step === undefined) throw Msg.gridFloatWithoutStep(p.name);
    }
    this.values = space.params.map(valuesOf);
    if (!space.hasConditions) {
      this.size = this.values.reduce((n, v) => n * v.length, 1);
    } else {
      this.size = countConditional(space, this.values);
    }
  }

  /** The i-th configuration, 0 <= i < size. */
  at(i: number): Config {
    if (!this.space.hasConditions) {
      const out: Config = {};
      const ps = this.space.params;
      let rest = i;
      for (let j = ps.length - 1; j >= 0; j--) {
        const vs = this.values[j]!;
        out[ps[j]!.name] = vs[rest % vs.length]!;
        rest = Math.floor(rest / vs.length);
      }
      return this.space.ordered(out);
    }
    if (!this.listed) this.listed = listConditional(this.space, this.values);
    return { ...this.listed[i]! };
  }
}

function valuesOf(p: ParamSpec): Choice[] {
  if (p.type === "categorical") return [...p.choices];
  const n = gridSize(p);
  const out: number[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = gridValue(p, k);
  return out;
}

/** Depth-first over the parameters in declaration order (dependencies come first in evalOrder). */
function walk(space: SearchSpace, values: readonly (readonly Choice[])[], visit: (c: Config) => boolean): void {
  const order = space.evalOrder;
  // Keep declaration order as the "slowest first" order where dependencies allow it.
  const cur: Config = {};
  const rec = (k: number): boolean => {
    if (k === order.length) return visit(cur);
    const p = order[k]!;
    if (!space.isActive(p, cur)) return rec(k + 1);
    for (const v of values[p.index]!) {
      cur[p.name] = v;
      if (!rec(k + 1)) return false;
    }
    delete cur[p.name];
    return true;
  };
  rec(0);
}

function countConditional(space: SearchSpace, values: readonly (readonly Choice[])[]): number {
  let n = 0;
  walk(space, values, () => {
    n++;
    if (n > MAX_CONDITIONAL_GRID) throw Msg.gridTooLarge(n, MAX_CONDITIONAL_GRID);
    return true;
  });
  return n;
}

function listConditional(space: SearchSpace, values: readonly (readonly Choice[])[]): Config[] {
  const out: Config[] = [];
  walk(space, values, (c) => {
    out.push(space.ordered({ ...c }));
    return true;
  });
  return out;
}
