import type { Direction, FrozenTrial, StudySnapshot } from "../../model/trial";
import { isPlainObject, type JsonObject } from "../../util/json";

/** The key, in a trial's system record, of its Hyperband/ASHA bookkeeping. */
export const HYPERBAND_KEY = "hyperband";
/** The key, in a trial's system record, of why the engine stopped it ("rung", "median", ...). */
export const STOPPED_BY_KEY = "stopped";

/** What a Hyperband/ASHA trial keeps in `system.hyperband`. */
export interface RungRecord {
  /** 0 = the most aggressive bracket (first judged at the minimum resource). */
  readonly bracket: number;
  /** The resources (steps) at which the trial is judged, ascending, all below the maximum. */
  readonly rungs: readonly number[];
  /** The objective value the trial had at each rung it reached, in order. */
  readonly values: readonly number[];
}

/** The trial's rung record, or undefined (an enqueued trial, another strategy's trial, a malformed record). */
export function rungRecord(t: FrozenTrial): RungRecord | undefined {
  const r = t.system[HYPERBAND_KEY];
  if (!isPlainObject(r)) return undefined;
  const { bracket, rungs, values } = r as Record<string, unknown>;
  if (typeof bracket !== "number" || !Array.isArray(rungs) || !Array.isArray(values)) return undefined;
  return r as unknown as RungRecord;
}

export function rungSystem(rec: RungRecord): JsonObject {
  return { bracket: rec.bracket, rungs: [...rec.rungs], values: [...rec.values] };
}

/**
 * Asynchronous successive halving's promotion rule (ASHA, stopping variant, as Optuna's
 * SuccessiveHalvingPruner): a trial reaching rung k of its bracket goes on iff its value is
 * among the best ⌊n/η⌋ of the n values recorded at that rung by the trials of the bracket,
 * itself included; with fewer than η values it must be the best so far (it cannot wait for
 * the rung to fill). Ties go on. Failed and stopped trials keep the rung values they
 * recorded, so the rung's standard does not drop when trials fail.
 *
 * `sign` is +1 when minimizing, -1 when maximizing.
 */
export function promotable(snapshot: StudySnapshot, self: number, bracket: number, k: number, value: number, eta: number, sign: number): boolean {
  const v = sign * value;
  let n = 1;
  let better = 0;
  for (const t of snapshot.trials) {
    if (t.number === self) continue;
    const r = t.system[HYPERBAND_KEY] as unknown as RungRecord | undefined;
    if (r === undefined || r === null || r.bracket !== bracket) continue;
    const values = r.values;
    if (!Array.isArray(values) || values.length <= k) continue;
    const w = values[k];
    if (typeof w !== "number") continue;
    n++;
    if (sign * w < v) better++;
  }
  const keep = Math.max(1, Math.floor(n / eta));
  return better < keep;
}

export function directionSign(d: Direction): number {
  return d === "minimize" ? 1 : -1;
}
