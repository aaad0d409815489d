/**
 * Brushing on the parallel-coordinates plot, as plain functions: the vega brush signal turned
 * into "which axes, which band", and a band described in real units for the toolbar.
 *
 *   brushFrom({ d: [0.9, 1.1], y: [0.2, 0.6] }, 5) // { axes: [1], lo: 0.2, hi: 0.6 }
 *   describeBand(axis, 0.2, 0.6)                   // "lr 0.001 – 0.1"
 */
import type { ParallelAxis } from "../../src/views";
import { formatNumber } from "../../src/views";

/** A brushed band on some axes (indices into the parallel axes), in normalised [0, 1] positions. */
export interface Brush {
  readonly axes: readonly number[];
  readonly lo: number;
  readonly hi: number;
}

/** How far (in axis spacings) a brush edge may miss an axis and still cover it. */
export const AXIS_REACH = 0.2;

/**
 * The vega-lite interval signal ({d: [x0, x1], y: [y0, y1]} in data units; {} once cleared) as the
 * axes it covers and its band, or null when it covers no axis or no height.
 */
export function brushFrom(value: unknown, axisCount: number): Brush | null {
  const v = value as { d?: unknown; y?: unknown } | null;
  if (!v || !Array.isArray(v.d) || !Array.isArray(v.y) || v.d.length !== 2 || v.y.length !== 2) return null;
  const [a, b, c, e] = [Number(v.d[0]), Number(v.d[1]), Number(v.y[0]), Number(v.y[1])];
  if (![a, b, c, e].every(Number.isFinite)) return null;
  const [x0, x1, y0, y1] = [Math.min(a, b), Math.max(a, b), Math.min(c, e), Math.max(c, e)];
  const lo = Math.max(0, y0);
  const hi = Math.min(1, y1);
  if (hi - lo < 1e-6) return null;
  const axes: number[] = [];
  for (let d = 0; d < axisCount; d++) if (d >= x0 - AXIS_REACH && d <= x1 + AXIS_REACH) axes.push(d);
  return axes.length > 0 ? { axes, lo, hi } : null;
}

/** Whether a trial's axis positions (null where it has no value) lie in the band on every brushed axis. */
export function inBrush(brush: Brush, positions: readonly (number | null)[] | undefined): boolean {
  if (!positions) return false;
  return brush.axes.every((a) => {
    const y = positions[a];
    return y !== null && y !== undefined && y >= brush.lo && y <= brush.hi;
  });
}

/** The real value at a normalised position of an axis, as text (a choice's label on categorical axes). */
export function valueAt(axis: ParallelAxis, y: number): string {
  if (axis.kind === "categorical") {
    let best = axis.ticks[0];
    for (const t of axis.ticks) if (best === undefined || Math.abs(t.norm - y) < Math.abs(best.norm - y)) best = t;
    return best?.label ?? "";
  }
  const [low, high] = axis.domain;
  const f = axis.kind === "log" ? Math.log : axis.kind === "reverse-log" ? (v: number) => -Math.log1p(-v) : (v: number) => v;
  const inv = axis.kind === "log" ? Math.exp : axis.kind === "reverse-log" ? (t: number) => -Math.expm1(-t) : (t: number) => t;
  const v = inv(f(low) + y * (f(high) - f(low)));
  return formatNumber(Number.isFinite(v) ? Number(v.toPrecision(3)) : low);
}

/** "lr 0.001 – 0.1, opt adam – sgd": the brushed band on each covered axis. */
export function describeBrush(axes: readonly ParallelAxis[], brush: Brush): string {
  return brush.axes
    .map((i) => axes[i])
    .filter((a): a is ParallelAxis => a !== undefined)
    .map((a) => `${a.name} ${valueAt(a, brush.lo)} – ${valueAt(a, brush.hi)}`)
    .join(", ");
}
