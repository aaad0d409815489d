import type { FrozenTrial, StudySnapshot } from "../../model/trial";
import { SortedNumbers } from "../../math/sorted";
import { HYPERBAND_KEY, MAX_RUNGS } from "../../record/system";
import { followerOf, ReplicaFollower } from "./replica";

/**
 * What the promotion rule reads of one trial's `hyperband` record, exactly as its scan does
 * (rungs.ts `promotableByScan`): the bracket, and at each rung below MAX_RUNGS the recorded
 * value where it is a number (undefined elsewhere).
 */
interface Recorded {
  readonly bracket: number;
  readonly values: readonly (number | undefined)[];
}

function recorded(t: FrozenTrial): Recorded | undefined {
  const r = t.system[HYPERBAND_KEY] as { readonly bracket?: unknown; readonly values?: unknown } | null | undefined;
  if (r === undefined || r === null) return undefined;
  const bracket = r.bracket;
  // A NaN bracket equals no bracket, so its values are never counted.
  if (typeof bracket !== "number" || bracket !== bracket) return undefined;
  const values = r.values;
  if (!Array.isArray(values)) return undefined;
  const m = Math.min(values.length, MAX_RUNGS);
  const out: (number | undefined)[] = [];
  for (let k = 0; k < m; k++) {
    const w: unknown = values[k];
    out.push(typeof w === "number" ? w : undefined);
  }
  return { bracket, values: out };
}

/**
 * The values recorded at each rung of each bracket, sorted (math/sorted.ts), for one storage
 * replica: built once from its trials, then kept up to date as a ReplicaFollower (replica.ts)
 * from the trials added and those its `systemLog` names (the only ones whose `system` record
 * can have changed), so a rung decision costs a binary search instead of a pass over every
 * trial. Everything in it is derived from the snapshot: the answers are those of the scan.
 */
export class RungIndex extends ReplicaFollower {
  /** Sorted values by bracket, then rung. */
  private readonly rungs = new Map<number, SortedNumbers[]>();
  /** What each trial (by position, which is its number) put into `rungs`. */
  private readonly added: (Recorded | undefined)[] = [];

  /** The sorted values of rung `k` of `bracket` (undefined: none recorded yet). */
  rung(bracket: number, k: number): SortedNumbers | undefined {
    return this.rungs.get(bracket)?.[k];
  }

  /** The value trial `self` recorded at rung `k` of `bracket`, if any (it is not compared with itself). */
  own(self: number, bracket: number, k: number): number | undefined {
    const a = Number.isSafeInteger(self) && self >= 0 ? this.added[self] : undefined;
    return a !== undefined && a.bracket === bracket ? a.values[k] : undefined;
  }

  /** Replaces what trial `n` put into the rungs by what its record says now (nothing when it is gone). */
  protected reread(n: number, t: FrozenTrial | undefined, bulk: boolean): void {
    const prev = this.added[n];
    const next = t === undefined ? undefined : recorded(t);
    this.added[n] = next;
    if (prev !== undefined && next !== undefined && prev.bracket === next.bracket) {
      // Usually one rung value more than before: only the rungs that changed are touched.
      const m = Math.max(prev.values.length, next.values.length);
      for (let k = 0; k < m; k++) {
        const a = prev.values[k];
        const b = next.values[k];
        if (Object.is(a, b)) continue;
        if (a !== undefined) this.rungs.get(prev.bracket)![k]!.delete(a);
        if (b !== undefined) this.sorted(next.bracket, k).add(b);
      }
      return;
    }
    if (prev !== undefined) {
      const rs = this.rungs.get(prev.bracket)!;
      for (let k = 0; k < prev.values.length; k++) {
        const a = prev.values[k];
        if (a !== undefined) rs[k]!.delete(a);
      }
    }
    if (next !== undefined) {
      for (let k = 0; k < next.values.length; k++) {
        const b = next.values[k];
        if (b === undefined) continue;
        if (bulk) this.sorted(next.bracket, k).push(b);
        else this.sorted(next.bracket, k).add(b);
      }
    }
  }

  private sorted(bracket: number, k: number): SortedNumbers {
    let rs = this.rungs.get(bracket);
    if (rs === undefined) this.rungs.set(bracket, (rs = []));
    return (rs[k] ??= new SortedNumbers());
  }
}

/** Each replica's index, by its system log (one per replica, gone with it). */
const indexes = new WeakMap<readonly number[], RungIndex>();

/**
 * The up-to-date rung index of a storage replica; undefined for a snapshot that is not one
 * (no `systemLog`: a hand-made snapshot, a view) or an irregular one — the caller then scans.
 */
export function rungIndexOf(snapshot: StudySnapshot): RungIndex | undefined {
  return followerOf(snapshot, indexes, (trials) => new RungIndex(trials));
}
