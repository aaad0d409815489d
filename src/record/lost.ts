import type { FrozenTrial } from "../model/trial";

/**
 * A trial whose records a damaged journal lost (its creation record is unreadable, while later
 * records name it or later trials) is kept as a placeholder: failed, with no parameters, an
 * error saying what happened, and `system.lost` = `{ line }`, the first line of the damage it
 * was lost in (null when no damaged line came before: its records were moved or removed).
 * Its number stays taken, so trial numbers mean what the file says and new trials never reuse
 * one. Strategies and views treat it as any failed trial: no value, not pending, counted toward
 * `limits.trials`.
 */
export const LOST_KEY = "lost";

export function lostTrial(n: number, line: number | null, at: number): FrozenTrial {
  const where = line === null ? "is missing from the journal" : `was in the damaged part of the journal (line ${line})`;
  return {
    number: n,
    state: "failed",
    params: {},
    metrics: {},
    intermediate: [],
    curves: {},
    startedAt: at,
    system: { [LOST_KEY]: { line } },
    finishedAt: at,
    error: `lost: the record that created trial ${n} ${where}; its parameters and results are unknown.`,
  };
}
