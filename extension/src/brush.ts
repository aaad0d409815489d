/**
 * Brushing on the parallel-coordinates plot, as plain functions: a brush is one band per
 * brushed axis (several axes at once, as in Optuna's and HParams' plots), and a trial passes when
 * it lies in the band on every brushed axis. Bands are kept by axis index (the axis' place in
 * `parallelData`, not on screen), so reordering the axes keeps them.
 *
 *   let b = withBand(null, { axis: 0, lo: 0.2, hi: 0.6 });   // lr in its middle
 *   b = withBand(b, { axis: 4, lo: 0, hi: 0.3 });            // and a low loss
 *   inBrush(b, positions);                                   // both must hold
 *   describeBrush(axes, b)                                   // "lr 0.001 – 0.1, loss 0.2 – 0.35"
 */
import type { ParallelAxis } from "../../src/views";
import { FAILED_LABEL, FAILED_POSITION } from "../../src/views/encoding";
import { formatNumber } from "../../src/views";

/** A brushed band on one axis (an index into the parallel axes), in normalised positions (0 bottom, 1 top). */
export interface AxisBand {
  readonly axis: number;
  readonly lo: number;
  readonly hi: number;
}

/** The brush: at most one band per axis, in axis order. */
export type Brush = readonly AxisBand[];

/** The band on `axis`, if any. */
export function bandOf(brush: Brush | null, axis: number): AxisBand | undefined {
  return brush?.find((b) => b.axis === axis);
}

/** The brush with `band` on its axis (replacing the one there). */
export function withBand(brush: Brush | null, band: AxisBand): Brush {
  return [...(brush ?? []).filter((b) => b.axis !== band.axis), band].sort((a, b) => a.axis - b.axis);
}

/** The brush without a band on `axis`; null when no band is left. */
export function withoutBand(brush: Brush | null, axis: number): Brush | null {
  const rest = (brush ?? []).filter((b) => b.axis !== axis);
  return rest.length > 0 ? rest : null;
}

/** Whether a trial's axis positions (null where it has no value) lie in the band on every brushed axis. */
export function inBrush(brush: Brush, positions: readonly (number | null)[] | undefined): boolean {
  if (!positions) return false;
  return brush.every((b) => {
    const y = positions[b.axis];
    return y !== null && y !== undefined && y >= b.lo && y <= b.hi;
  });
}

/** The real value at a normalised position of an axis, as text (a choice's label on categorical axes; "failed" below the objective's axis). */
export function valueAt(axis: ParallelAxis, y: number): string {
  if (axis.failedBand && y < FAILED_POSITION / 2) return FAILED_LABEL;
  if (axis.kind === "categorical") {
    let best = axis.ticks[0];
    for (const t of axis.ticks) if (best === undefined || Math.abs(t.norm - y) < Math.abs(best.norm - y)) best = t;
    return best?.label ?? "";
  }
  const [low, high] = axis.domain;
  const c = Math.min(1, Math.max(0, y));
  const f = axis.kind === "log" ? Math.log : axis.kind === "reverse-log" ? (v: number) => -Math.log1p(-v) : (v: number) => v;
  const inv = axis.kind === "log" ? Math.exp : axis.kind === "reverse-log" ? (t: number) => -Math.expm1(-t) : (t: number) => t;
  const v = inv(f(low) + c * (f(high) - f(low)));
  return formatNumber(Number.isFinite(v) ? Number(v.toPrecision(3)) : low);
}

/** "lr 0.001 – 0.1, opt adam – sgd": the band on each brushed axis. */
export function describeBrush(axes: readonly ParallelAxis[], brush: Brush): string {
  return brush
    .map((b) => {
      const a = axes[b.axis];
      if (!a) return "";
      const lo = valueAt(a, b.lo);
      const hi = valueAt(a, b.hi);
      return lo === hi ? `${a.name} ${lo}` : `${a.name} ${lo} – ${hi}`;
    })
    .filter((s) => s !== "")
    .join(", ");
}
