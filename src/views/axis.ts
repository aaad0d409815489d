import type { ParamDef } from "../space/types";
import { formatNumber } from "./format";

/** How an axis maps values to [0, 1]. */
export const AxisKinds = ["linear", "log", "reverse-log", "categorical"] as const;
export type AxisKind = (typeof AxisKinds)[number];

/** A tick on a normalised axis: where it sits (0 bottom, 1 top) and what it says in real units. */
export interface AxisTick {
  readonly norm: number;
  readonly label: string;
}

/** A value → [0, 1] mapping with its ticks. */
export interface AxisScale {
  readonly kind: AxisKind;
  /** The real-unit range shown, [low, high]; for categorical axes [0, choices - 1]. */
  readonly domain: readonly [number, number];
  readonly ticks: readonly AxisTick[];
  /** [0, 1] (clamped), or null for a value the axis can't place. */
  norm(v: unknown): number | null;
}

/**
 * The scale of a parameter's axis from its definition: its declared range
 * (so axes don't move while a study runs), log and reverse-log as in the
 * search space, choices evenly spaced in declared order.
 */
export function paramScale(def: ParamDef): AxisScale {
  if (def.type === "categorical") return categoricalScale(def.choices);
  const scale = def.scale ?? "linear";
  const kind: AxisKind = scale === "log" && def.low > 0 ? "log" : scale === "reverse-log" && def.high < 1 ? "reverse-log" : "linear";
  return numericScale(kind, def.low, def.high, def.type === "int");
}

/** A linear scale over [low, high] (the objective's axis: its observed range). */
export function linearScale(low: number, high: number): AxisScale {
  return numericScale("linear", low, high, false);
}

function numericScale(kind: Exclude<AxisKind, "categorical">, low: number, high: number, integer: boolean): AxisScale {
  const f = transform(kind);
  // Halved: values told anywhere up to ±1.8e308 have a span a double can't hold.
  const t0 = f(low) / 2;
  const span = f(high) / 2 - t0;
  const norm = (v: unknown): number | null => {
    if (typeof v !== "number" || !Number.isFinite(v)) return null;
    if (span === 0 || !Number.isFinite(span)) return 0.5;
    const t = f(v);
    if (!Number.isFinite(t)) return v <= low ? 0 : 1;
    return clamp01((t / 2 - t0) / span);
  };
  const values = tickValues(kind, low, high, integer);
  const ticks = dedupe(values.map((v) => ({ norm: norm(v)!, label: formatNumber(v) })));
  return { kind, domain: [low, high], ticks, norm };
}

function categoricalScale(choices: readonly unknown[]): AxisScale {
  const n = choices.length;
  const at = (i: number) => (n <= 1 ? 0.5 : i / (n - 1));
  return {
    kind: "categorical",
    domain: [0, Math.max(0, n - 1)],
    ticks: choices.map((c, i) => ({ norm: at(i), label: String(c) })),
    norm: (v) => {
      const i = choices.indexOf(v);
      return i < 0 ? null : at(i);
    },
  };
}

function transform(kind: Exclude<AxisKind, "categorical">): (v: number) => number {
  if (kind === "log") return Math.log;
  if (kind === "reverse-log") return (v) => -Math.log1p(-v);
  return (v) => v;
}

/**
 * Tick values in real units: the two ends plus round values between them —
 * powers of ten on log axes, 0.9, 0.99, ... on reverse-log axes, quarters on
 * linear ones (whole numbers for integers).
 */
function tickValues(kind: Exclude<AxisKind, "categorical">, low: number, high: number, integer: boolean): number[] {
  if (!(high > low)) return [low];
  if (kind === "log") {
    const inner: number[] = [];
    for (let e = Math.ceil(Math.log10(low)); e <= Math.floor(Math.log10(high)); e++) {
      const v = Number(`1e${e}`);
      if (v > low && v < high) inner.push(v);
    }
    return [low, ...thin(inner, 5), high];
  }
  if (kind === "reverse-log") {
    const inner: number[] = [];
    for (let k = 1; k <= 15; k++) {
      const v = 1 - Number(`1e-${k}`);
      if (v > low && v < high) inner.push(v);
    }
    return [low, ...thin(inner, 5), high];
  }
  // A span no double holds (values told up to ±1.8e308) is stepped through in quarters of each bound.
  const wide = !Number.isFinite(high - low);
  const vals = [0, 1, 2, 3, 4].map((k) => (k === 4 ? high : wide ? (low / 4) * (4 - k) + (high / 4) * k : low + ((high - low) * k) / 4));
  return integer ? vals.map((v) => Math.round(v)) : vals;
}

/** At most `max` items, evenly picked. */
function thin<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs];
  const step = xs.length / max;
  return Array.from({ length: max }, (_, i) => xs[Math.floor(i * step)]!);
}

function dedupe(ticks: AxisTick[]): AxisTick[] {
  const seen = new Set<string>();
  return ticks.filter((t) => (seen.has(t.label) ? false : (seen.add(t.label), true)));
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
