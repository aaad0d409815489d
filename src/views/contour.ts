/**
 * Contour plot of a pair of parameters: the objective as a surface over the two parameters'
 * axes (each on its own scale, as in the slice plots), with the complete trials on top.
 *
 * The surface is interpolated on a coarse grid (CONTOUR_GRID × CONTOUR_GRID cells over the unit
 * square of the two axes) by inverse-distance weighting (Shepard, power 2): the trials are first
 * averaged into the cells they fall in, then every cell takes the weighted mean of the non-empty
 * cells' means, weights 1 / distance² between cell centres (a cell holding trials keeps its own
 * mean). Binning first bounds the cost by the grid (at most 32² × 32² pairs), not the trials:
 * 10,000 trials cost the same as 1,000. IDW is exact at the data and needs no fitting; it shows
 * where the good region is, not a model's belief (no GP: the study's own strategy may not have one).
 *
 * @example contourData(payload, "lr", "layers").cells.length // 32 * 32
 */
import type { Direction } from "../model/trial";
import { finiteOrNull } from "./format";
import type { StudyPayload } from "./payload";
import { objectiveAxis, paramAxis, jitterOf, type SliceAxis } from "./slice";
import { paramNames } from "./summary";
import { importance } from "./analysis/importance";
import { goodness, objectiveColor } from "./encoding";
import type { ChartSize } from "./parallel";
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vegalite";

/** Cells per side of the interpolation grid. */
export const CONTOUR_GRID = 32;

export interface ContourPoint {
  readonly trial: number;
  /** In [0, 1] along each parameter's axis (choices: jittered within their band). */
  readonly x: number;
  readonly y: number;
  readonly value: number;
}

export interface ContourData {
  readonly metric: string;
  readonly direction: Direction;
  readonly x: SliceAxis;
  readonly y: SliceAxis;
  /** The objective's axis (its `pos` maps a value to [0, 1] for the colour) and range. */
  readonly objective: SliceAxis;
  readonly range: readonly [number, number];
  /** Cells per side. */
  readonly grid: number;
  /**
   * The surface as positions on the objective's axis in [0, 1] (0: the lowest value), row-major
   * from the bottom left (cell (i, j) at j * grid + i); NaN everywhere when no trial has both.
   */
  readonly cells: Float64Array;
  /** Complete trials with a value where both parameters are active, in trial-number order. */
  readonly points: readonly ContourPoint[];
}

const JITTER = 0.3;

/**
 * The two parameters a contour shows by default: the two most important by PED-ANOVA (the
 * importance chart's default method; milliseconds at 10,000 trials), in declared order; the
 * first two declared while fewer than two parameters have a share (too few complete trials to
 * tell). `keep`, the pair shown so far, stays while both its parameters are still among the
 * three most important, so near-ties do not swap the plot back and forth as trials arrive. A
 * study with fewer than two parameters has no contour.
 */
export function defaultPair(p: StudyPayload, keep?: readonly [string, string] | null): [string, string] | null {
  const names = paramNames(p);
  if (names.length < 2) return null;
  const ranked = importance(p.trials, p.study.space, { direction: p.study.direction, order: names }).filter((b) => b.importance > 0);
  if (ranked.length < 2) return [names[0]!, names[1]!];
  const top = ranked.slice(0, 3).map((b) => b.param);
  if (keep && keep[0] !== keep[1] && top.includes(keep[0]) && top.includes(keep[1])) return [keep[0], keep[1]];
  const two = [ranked[0]!.param, ranked[1]!.param];
  const [a, b] = two.sort((x, y) => names.indexOf(x) - names.indexOf(y));
  return [a!, b!];
}

/** Contour data of the parameters `xName` and `yName` (both must be parameters of the space). */
export function contourData(p: StudyPayload, xName: string, yName: string, grid = CONTOUR_GRID): ContourData {
  const x = paramAxis(xName, p.study.space[xName]!);
  const y = paramAxis(yName, p.study.space[yName]!);
  const complete = p.trials.filter((t) => t.state === "complete" && finiteOrNull(t.value) !== null).sort((a, b) => a.number - b.number);
  const points: ContourPoint[] = [];
  for (const t of complete) {
    const px = place(x, t.params[xName], t.number);
    const py = place(y, t.params[yName], t.number + 0.5);
    if (px === null || py === null) continue;
    points.push({ trial: t.number, x: px, y: py, value: t.value as number });
  }
  const { axis: objective, range } = objectiveAxis(p.study.metric, points.map((pt) => pt.value));
  return { metric: p.study.metric, direction: p.study.direction, x, y, objective, range, grid, cells: interpolate(points, grid, objective), points };
}

/** A value's place on an axis, jittered within a choice's band (`seed` varies the jitter per axis). */
function place(axis: SliceAxis, v: unknown, seed: number): number | null {
  const at = axis.pos(v);
  if (at === null || axis.bands === 0) return at;
  return at + ((jitterOf(seed) * 2 - 1) * JITTER) / axis.bands;
}

/**
 * The surface: cell means, then inverse-distance weighting between cell centres. Values are
 * averaged on the objective's axis (a log axis averages logs) and mapped back.
 */
export function interpolate(points: readonly ContourPoint[], grid: number, objective: SliceAxis): Float64Array {
  const n = grid * grid;
  const sum = new Float64Array(n);
  const count = new Uint32Array(n);
  const cellOf = (u: number) => Math.min(grid - 1, Math.max(0, Math.floor(u * grid)));
  for (const pt of points) {
    const k = cellOf(pt.y) * grid + cellOf(pt.x);
    sum[k]! += objective.pos(pt.value) ?? 0.5;
    count[k]!++;
  }
  const filled: number[] = [];
  for (let k = 0; k < n; k++) if (count[k]! > 0) filled.push(k);
  const out = new Float64Array(n).fill(NaN);
  if (filled.length === 0) return out;
  const means = filled.map((k) => sum[k]! / count[k]!);
  for (let k = 0; k < n; k++) {
    if (count[k]! > 0) {
      out[k] = sum[k]! / count[k]!;
      continue;
    }
    const ci = k % grid;
    const cj = (k - ci) / grid;
    let w = 0;
    let acc = 0;
    for (let f = 0; f < filled.length; f++) {
      const kk = filled[f]!;
      const di = (kk % grid) - ci;
      const dj = Math.floor(kk / grid) - cj;
      const wt = 1 / (di * di + dj * dj);
      w += wt;
      acc += wt * means[f]!;
    }
    out[k] = acc / w;
  }
  return out;
}

/**
 * The static (SVG) spec: the surface as coloured cells (the objective's colour scale, the better
 * end green), the trials as points on top, tick labels in each parameter's units. Positions are
 * the axes' [0, 1]; tick labels and names are data values drawn by text marks (never vega
 * expressions), and the cells' colours are computed here from the shared scale.
 */
export function contourSpec(d: ContourData, size: ChartSize = {}): VegaLiteSpec {
  const width = size.width ?? 300;
  const height = size.height ?? 260;
  const g = d.grid;
  const cells: { x: number; x2: number; y: number; y2: number; c: string }[] = [];
  for (let k = 0; k < d.cells.length; k++) {
    const v = d.cells[k]!;
    if (Number.isNaN(v)) continue;
    const i = k % g;
    const j = (k - i) / g;
    cells.push({ x: i / g, x2: (i + 1) / g, y: j / g, y2: (j + 1) / g, c: objectiveColor(goodness(d.direction, v)) });
  }
  const pos = { type: "quantitative", axis: null, scale: { domain: [0, 1], nice: false, zero: false } };
  const x = { field: "x", ...pos };
  const y = { field: "y", ...pos };
  const xTicks = thinTicks(d.x).map((t) => ({ x: t.norm, y: 0, label: t.label }));
  const yTicks = thinTicks(d.y).map((t) => ({ x: 0, y: t.norm, label: t.label }));
  const text = { type: "text", fontSize: 10, color: "#555" };
  return {
    $schema: VEGA_LITE_SCHEMA,
    width,
    height,
    padding: { top: 8, left: 70, right: 10, bottom: 36 },
    config: { aria: false, view: { stroke: "#888" } },
    // Payload strings in the title's text only (a subtitle is not inert after vega-lite compiles it).
    title: { text: `${d.metric}: ${d.x.name} × ${d.y.name}`, subtitle: "contour (inverse-distance surface; green is better)", anchor: "start" },
    layer: [
      { data: { values: cells }, mark: { type: "rect", strokeWidth: 0.6 }, encoding: { x, x2: { field: "x2" }, y, y2: { field: "y2" }, color: { field: "c", type: "nominal", scale: null }, stroke: { field: "c", type: "nominal", scale: null } } },
      { data: { values: d.points.map((pt) => ({ x: pt.x, y: pt.y, t: pt.trial })) }, mark: { type: "point", filled: true, size: 14, color: "#222", opacity: 0.7 }, encoding: { x, y } },
      { data: { values: xTicks }, mark: { ...text, baseline: "top", dy: 4 }, encoding: { x, y, text: { field: "label", type: "nominal" } } },
      { data: { values: yTicks }, mark: { ...text, align: "right", baseline: "middle", dx: -4 }, encoding: { x, y, text: { field: "label", type: "nominal" } } },
      { data: { values: [{ x: 0.5, y: 0, label: d.x.name }] }, mark: { type: "text", fontSize: 11, baseline: "top", dy: 18, color: "#333" }, encoding: { x, y, text: { field: "label", type: "nominal" } } },
    ],
  };
}

/** At most 8 tick labels, shortened to 14 characters. */
function thinTicks(a: SliceAxis): { norm: number; label: string }[] {
  const every = Math.ceil(a.ticks.length / 8);
  return a.ticks.filter((_, i) => i % every === 0).map((t) => ({ norm: t.norm, label: t.label.length > 14 ? `${t.label.slice(0, 13)}…` : t.label }));
}
