/**
 * The empirical distribution function (EDF) of a study's objective values: for each value v, the
 * share of complete trials whose value is at most v. Overlaid per study in the study browser's
 * compare tab (Optuna's plot_edf): a study whose line rises sooner (minimising) found good values
 * more often.
 *
 * A line keeps at most EDF_POINTS points: above that, the values at evenly spaced ranks (the
 * lowest and highest always kept), which draws the same step line at any screen size, so
 * 10,000 trials cost the compare chart what 400 do.
 *
 * @example edfLine([3, 1, 2]) // [{ x: 1, p: 1/3 }, { x: 2, p: 2/3 }, { x: 3, p: 1 }]
 */

/** Most points of one study's line. */
export const EDF_POINTS = 400;

export interface EdfPoint {
  /** An objective value. */
  readonly x: number;
  /** The share of values at most x, in (0, 1]. */
  readonly p: number;
}

/** The EDF of finite `values` as a step line (ties: one point, at the last rank of the tie). */
export function edfLine(values: readonly number[], max = EDF_POINTS): EdfPoint[] {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = v.length;
  const out: EdfPoint[] = [];
  if (n === 0) return out;
  const keep = n <= max ? null : Math.max(2, max);
  const ranks = keep === null ? v.map((_, i) => i) : Array.from({ length: keep }, (_, k) => Math.round((k * (n - 1)) / (keep - 1)));
  for (const r of ranks) {
    // Ties collapse to the last rank holding the value (the EDF is right-continuous).
    let i = r;
    while (i + 1 < n && v[i + 1] === v[i]) i++;
    const last = out[out.length - 1];
    if (last && last.x === v[i]) continue;
    out.push({ x: v[i]!, p: (i + 1) / n });
  }
  return out;
}
