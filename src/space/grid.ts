import { Msg } from "../util/messages";
import { gridSize, gridValue } from "./encoding";
import type { ParamSpec, SearchSpace } from "./space";
import type { Choice, Config } from "./types";

/** The most configurations a grid may have: positions are stored as exact doubles. */
export const MAX_GRID_SIZE = Number.MAX_SAFE_INTEGER;
/** The most distinct condition states counting a conditional grid may visit (see ConditionalCount). */
export const MAX_GRID_STATES = 250_000;

/**
 * The grid of a space: the product of every parameter's values (categorical
 * choices, integers low..high by step, stepped floats), in a stable order —
 * the first parameter varies slowest. A conditional parameter multiplies only
 * the configurations where its condition holds.
 *
 * Nothing is listed: the size is counted with arithmetic, and `at(i)` builds
 * the i-th configuration in O(parameters) without conditions, and in
 * O(parameters + values named by conditions) with them. Grids of more than
 * 2^53 - 1 configurations are refused (`grid.too_large`).
 */
export class Grid {
  readonly size: number;
  private readonly counts: readonly number[];
  private readonly conditional?: ConditionalCount;

  constructor(private readonly space: SearchSpace) {
    for (const p of space.params) {
      if (p.type === "float" && p.step === undefined) throw Msg.gridFloatWithoutStep(p.name);
    }
    this.counts = space.params.map((p) => (p.type === "categorical" ? p.choices.length : gridSize(p)));
    if (!space.hasConditions) {
      let n = 1;
      for (const c of this.counts) n *= c;
      if (!(n <= MAX_GRID_SIZE)) throw Msg.gridTooLarge(String(n), MAX_GRID_SIZE);
      this.size = n;
    } else {
      this.conditional = new ConditionalCount(space, this.counts);
      this.size = this.conditional.total;
    }
  }

  /** The i-th configuration, 0 <= i < size (a fresh object). */
  at(i: number): Config {
    if (!(Number.isSafeInteger(i) && i >= 0 && i < this.size)) throw new RangeError(`grid position ${i} is outside [0, ${this.size})`);
    if (this.conditional) return this.conditional.at(i);
    const out: Config = {};
    const ps = this.space.params;
    let rest = i;
    for (let j = ps.length - 1; j >= 0; j--) {
      const n = this.counts[j]!;
      const k = rest % n;
      out[ps[j]!.name] = valueAt(ps[j]!, k);
      rest = (rest - k) / n;
    }
    return this.space.ordered(out);
  }
}

/** The k-th value of a parameter in grid order. */
function valueAt(p: ParamSpec, k: number): Choice {
  return p.type === "categorical" ? p.choices[k]! : gridValue(p, k);
}

/**
 * Counting the configurations of a conditional space, and indexing them, without listing.
 *
 * The grid's order is a depth-first walk over the parameters in evaluation order
 * (dependencies first): an active parameter branches over its values in order, an inactive
 * one is skipped. What a later parameter's condition can see of an earlier "parent"
 * (a parameter some condition names) is only which of the conditions' value lists its value
 * is in: its class. Every value named by no condition is in class 0, which behaves like the
 * parent being absent (every condition on it fails). So the walk's state before parameter k
 * is the class of each parent that a parameter at k or later still depends on, and the
 * number of configurations below a state depends only on (k, state).
 *
 * The states reachable from the start are found level by level, then counted from the last
 * level back: count(s) = sum over the parameter's classes c of |c| · count(next(s, c)).
 * `at(i)` then walks down from the start, choosing at each parameter the value whose block of
 * configurations holds i: by division for a parameter no condition names, and through the
 * named values in order for a parent. States are bounded by MAX_GRID_STATES
 * (`grid.too_complex`); realistic spaces need a few per parameter.
 */
class ConditionalCount {
  readonly total: number;
  private readonly order: readonly ParamSpec[];
  private readonly parents: readonly (ParentClasses | undefined)[];
  /** Per state: configurations below it. */
  private readonly count: number[] = [];
  /** Per state: the level (index into `order`) of the parameter it stands before. */
  private readonly level: number[] = [];
  /** Per state: whether that parameter is active (1) or skipped (0). */
  private readonly active: number[] = [];
  /**
   * Per state: where its next states start in `nextFlat` — one for an inactive parameter or
   * one no condition names, else one per class of the parent (-1 for an empty class).
   */
  private readonly nextAt: number[] = [];
  private readonly nextFlat: number[] = [];

  constructor(
    private readonly space: SearchSpace,
    counts: readonly number[],
  ) {
    const order = space.evalOrder;
    this.order = order;
    const P = order.length;
    const levelOf = new Map(order.map((p, k) => [p.name, k]));
    // Each parent's dependents (their levels and value lists), and the last level that looks at it.
    const deps = new Map<string, { level: number; values: readonly Choice[] }[]>();
    // Each parameter's condition entries: the parent, and this parameter's index among its dependents.
    const entries: { q: string; dep: number }[][] = order.map(() => []);
    for (let k = 0; k < P; k++) {
      for (const [q, values] of Object.entries(order[k]!.when ?? {})) {
        let d = deps.get(q);
        if (!d) deps.set(q, (d = []));
        entries[k]!.push({ q, dep: d.length });
        d.push({ level: k, values });
      }
    }
    this.parents = order.map((p) => {
      const d = deps.get(p.name);
      return d ? parentClasses(p, counts[p.index]!, d) : undefined;
    });
    const lastUse = order.map((p) => (deps.get(p.name) ?? []).reduce((m, d) => Math.max(m, d.level), -1));
    // live[k]: levels of the parents whose class the state before parameter k holds, ascending.
    const live: number[][] = [[]];
    for (let k = 0; k < P; k++) {
      const l = live[k]!.filter((j) => lastUse[j]! > k);
      if (lastUse[k]! > k) l.push(k);
      live.push(l);
    }

    // Forward: the reachable states, level by level; a state is its parents' classes.
    let states: number[][] = [[]];
    this.addState(0);
    let firstId = 0;
    for (let k = 0; k < P; k++) {
      const pc = this.parents[k];
      // Parameter k's condition, as (slot of the parent in the state, index of k among the parent's dependents).
      const tests = entries[k]!.map(({ q, dep }) => {
        const j = levelOf.get(q)!;
        return { slot: live[k]!.indexOf(j), has: this.parents[j]!.has, dep };
      });
      const source = live[k + 1]!.map((j) => (j === k ? -1 : live[k]!.indexOf(j)));
      const ids = new Map<number | string, number>();
      const nextStates: number[][] = [];
      // A state's key: its classes as one mixed-radix number where that is exact, else as text.
      const radix = live[k + 1]!.map((j) => this.parents[j]!.sizes.length);
      const numeric = radix.reduce((n, r) => n * r, 1) <= MAX_GRID_SIZE;
      const intern = (cls: readonly number[], own: number): number => {
        let key: number | string = numeric ? 0 : "";
        for (let i = 0; i < source.length; i++) {
          const c = source[i]! < 0 ? own : cls[source[i]!]!;
          if (numeric) key = (key as number) * radix[i]! + c;
          else key += `${c},`;
        }
        let id = ids.get(key);
        if (id === undefined) {
          id = this.addState(k + 1);
          ids.set(key, id);
          nextStates.push(source.map((from) => (from < 0 ? own : cls[from]!)));
        }
        return id;
      };
      for (let i = 0; i < states.length; i++) {
        const cls = states[i]!;
        const id = firstId + i;
        const on = tests.every((t) => t.has[cls[t.slot]!]![t.dep] === 1);
        this.active[id] = on ? 1 : 0;
        this.nextAt[id] = this.nextFlat.length;
        if (!on || !pc) this.nextFlat.push(intern(cls, 0));
        else for (let c = 0; c < pc.sizes.length; c++) this.nextFlat.push(pc.sizes[c]! > 0 ? intern(cls, c) : -1);
      }
      firstId += states.length;
      states = nextStates;
    }

    // Backward: counts, from the last level's single state up (next states have larger ids).
    for (let id = this.count.length - 1; id >= 0; id--) {
      const k = this.level[id]!;
      if (k === P) {
        this.count[id] = 1;
        continue;
      }
      const at = this.nextAt[id]!;
      const pc = this.parents[k];
      let n: number;
      if (!this.active[id]) n = this.count[this.nextFlat[at]!]!;
      else if (!pc) n = counts[order[k]!.index]! * this.count[this.nextFlat[at]!]!;
      else {
        n = 0;
        for (let c = 0; c < pc.sizes.length; c++) {
          const nx = this.nextFlat[at + c]!;
          if (nx >= 0) n += pc.sizes[c]! * this.count[nx]!;
        }
      }
      // Every state is reachable, so its count is at most the total: past 2^53 - 1, so is the total.
      if (!(n <= MAX_GRID_SIZE)) throw Msg.gridTooLarge(`more than ${MAX_GRID_SIZE}`, MAX_GRID_SIZE);
      this.count[id] = n;
    }
    this.total = this.count[0]!;
  }

  private addState(level: number): number {
    const id = this.count.length;
    if (id >= MAX_GRID_STATES) throw Msg.gridTooComplex(MAX_GRID_STATES);
    this.count.push(0);
    this.level.push(level);
    return id;
  }

  at(i: number): Config {
    const out: Config = {};
    const next = this.nextFlat;
    let s = 0;
    let rest = i;
    for (let k = 0; k < this.order.length; k++) {
      const at = this.nextAt[s]!;
      if (!this.active[s]) {
        s = next[at]!;
        continue;
      }
      const p = this.order[k]!;
      const pc = this.parents[k];
      if (!pc) {
        s = next[at]!;
        const below = this.count[s]!;
        const idx = Math.floor(rest / below);
        rest -= idx * below;
        out[p.name] = valueAt(p, idx);
        continue;
      }
      // Through the named values in grid order; the unnamed ones around them are class 0.
      const below0 = next[at]! >= 0 ? this.count[next[at]!]! : 0;
      let prev = -1;
      let pick = -1;
      let cls = 0;
      for (const { pos, cls: c } of pc.named) {
        const gap = (pos - prev - 1) * below0;
        if (rest < gap) break;
        rest -= gap;
        const below = this.count[next[at + c]!]!;
        if (rest < below) {
          pick = pos;
          cls = c;
          break;
        }
        rest -= below;
        prev = pos;
      }
      if (pick < 0) {
        // Among the unnamed values after `prev`.
        const skip = Math.floor(rest / below0);
        pick = prev + 1 + skip;
        rest -= skip * below0;
      }
      out[p.name] = valueAt(p, pick);
      s = next[at + cls]!;
    }
    return this.space.ordered(out);
  }
}

/** A parent's values as its dependents' conditions see them. */
interface ParentClasses {
  /** Values per class; class 0 = named by no condition (or the parent absent). */
  readonly sizes: readonly number[];
  /** has[class][dependent] = 1 when that dependent's list holds the class's values. */
  readonly has: readonly Uint8Array[];
  /** The values some condition names: grid position and class, by position. */
  readonly named: readonly { readonly pos: number; readonly cls: number }[];
}

function parentClasses(p: ParamSpec, count: number, deps: readonly { values: readonly Choice[] }[]): ParentClasses {
  const index = p.type === "categorical" ? new Map<Choice, number>(p.choices.map((c, i) => [c, i])) : undefined;
  const position = (v: Choice): number => (p.type === "categorical" ? index!.get(v)! : ((v as number) - p.low) / p.step!);
  const byPos = new Map<number, Uint8Array>();
  deps.forEach((d, j) => {
    for (const v of d.values) {
      const pos = position(v);
      let sig = byPos.get(pos);
      if (!sig) byPos.set(pos, (sig = new Uint8Array(deps.length)));
      sig[j] = 1;
    }
  });
  const has: Uint8Array[] = [new Uint8Array(deps.length)];
  const sizes = [count - byPos.size];
  const classOf = new Map<string, number>();
  const named = [...byPos.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([pos, sig]) => {
      const key = sig.join("");
      let cls = classOf.get(key);
      if (cls === undefined) {
        cls = has.length;
        classOf.set(key, cls);
        has.push(sig);
        sizes.push(0);
      }
      sizes[cls]!++;
      return { pos, cls };
    });
  return { sizes, has, named };
}
