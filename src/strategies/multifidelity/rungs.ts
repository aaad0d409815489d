import type { Direction, FrozenTrial, StudySnapshot } from "../../model/trial";
import { HYPERBAND_KEY, MAX_RUNGS, rungRecordOf, STOPPED_KEY, type RungRecord } from "../../record/system";
import { rungIndexOf } from "./rung-index";
import type { JsonObject } from "../../util/json";

export { HYPERBAND_KEY };
/** The key, in a trial's system record, of why the engine stopped it ("rung", "median", ...). */
export const STOPPED_BY_KEY = STOPPED_KEY;
export type { RungRecord };

/** The trial's rung record, or undefined (an enqueued trial, another strategy's trial, a malformed record). */
export function rungRecord(t: FrozenTrial): RungRecord | undefined {
  return rungRecordOf(t.system);
}

export function rungSystem(rec: RungRecord): JsonObject {
  const out: JsonObject = { bracket: rec.bracket, rungs: [...rec.rungs], values: [...rec.values] };
  // Only trials that hedging let on carry the field (hedge: true), so other records stay as they were.
  if (rec.hedged !== undefined && rec.hedged.length > 0) out["hedged"] = [...rec.hedged];
  return out;
}

/**
 * Asynchronous successive halving's promotion rule (ASHA, stopping variant, as Optuna's
 * SuccessiveHalvingPruner): a trial reaching rung k of its bracket goes on iff its value is
 * among the best ⌊n/η⌋ of the n values recorded at that rung by the trials of the bracket,
 * itself included; with fewer than η values it must be the best so far (it cannot wait for
 * the rung to fill). Ties go on. Failed and stopped trials keep the rung values they
 * recorded, so the rung's standard does not drop when trials fail.
 *
 * `sign` is +1 when minimizing, -1 when maximizing. On a storage's replica the rung's values
 * come from its sorted index (rung-index.ts: a binary search per decision); on any other
 * snapshot from a pass over every trial (`promotableByScan`), with the same answer.
 */
export function promotable(snapshot: StudySnapshot, self: number, bracket: number, k: number, value: number, eta: number, sign: number): boolean {
  const index = k < MAX_RUNGS && (sign === 1 || sign === -1) ? rungIndexOf(snapshot) : undefined;
  if (index === undefined) return promotableByScan(snapshot, self, bracket, k, value, eta, sign);
  const rung = index.rung(bracket, k);
  let n = 1 + (rung?.size ?? 0);
  let better = rung === undefined ? 0 : sign > 0 ? rung.below(value) : rung.above(value);
  const own = index.own(self, bracket, k);
  if (own !== undefined) {
    n--;
    if (sign * own < sign * value) better--;
  }
  return better < Math.max(1, Math.floor(n / eta));
}

/** The promotion rule (see `promotable`) by a pass over every trial of the snapshot. */
export function promotableByScan(snapshot: StudySnapshot, self: number, bracket: number, k: number, value: number, eta: number, sign: number): boolean {
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
