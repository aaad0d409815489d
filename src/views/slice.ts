/**
 * Slice plots: the objective against each parameter, one small plot per parameter, one point
 * per complete trial (where the parameter is active). Parameters on their own scale over their
 * declared range (log for log parameters, whole-number ticks for ints); a categorical parameter's
 * choices are bands, the points jittered within their band (a fixed jitter from the trial number,
 * so a point doesn't move between renders). The objective on a shared axis: linear, or log when
 * every value is positive and they span more than three decades.
 *
 * The data is positions in [0, 1] on both axes, which the extension paints on a canvas (10,000
 * trials × every parameter is too many vega marks) and the static spec turns into vega-lite.
 *
 * @example sliceData(payload).panels[0].points[0] // { trial: 0, x: 0.31, y: 0.82, value: 0.25 }
 */
import type { Direction } from "../model/trial";
import type { ParamDef } from "../space/types";
import { paramScale, type AxisKind, type AxisScale, type AxisTick } from "./axis";
import { finiteOrNull, formatValue } from "./format";
import type { StudyPayload } from "./payload";
import { paramNames } from "./summary";
import { objectiveColorChannel } from "./encoding";
import type { ChartSize } from "./parallel";
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./vegalite";

/** A parameter's (or the objective's) axis in [0, 1]: where a value sits, and the ticks. */
export interface SliceAxis {
  readonly name: string;
  readonly kind: AxisKind;
  readonly ticks: readonly AxisTick[];
  /** Where a value sits in [0, 1] (a choice: its band's centre), or null where it has none. */
  pos(v: unknown): number | null;
  /** How many bands (choices) a categorical axis has; 0 on numeric axes. */
  readonly bands: number;
}

export interface SlicePoint {
  readonly trial: number;
  /** In [0, 1] along the parameter's axis (jittered within a choice's band). */
  readonly x: number;
  /** In [0, 1] along the objective's axis (0: the lowest value). */
  readonly y: number;
  readonly value: number;
  /** The parameter's value, and as text. */
  readonly raw: number | string | boolean;
  readonly label: string;
}

export interface SlicePanel {
  readonly name: string;
  readonly axis: SliceAxis;
  /** A numeric parameter's declared range (the axis' ends), null for a categorical one. */
  readonly domain: readonly [number, number] | null;
  /** Complete trials with a value where the parameter is active, in trial-number order. */
  readonly points: readonly SlicePoint[];
}

export interface SliceData {
  readonly metric: string;
  readonly direction: Direction;
  readonly objective: SliceAxis;
  /** The objective's range, [lowest, highest] value seen ([0, 1] when none). */
  readonly range: readonly [number, number];
  readonly panels: readonly SlicePanel[];
}

/** How far (of a band's width) a categorical point may sit from the band's centre, either way. */
const JITTER = 0.3;

/** A fixed fraction in [0, 1) per trial number (golden-ratio steps spread neighbours apart). */
export function jitterOf(trial: number): number {
  const f = (trial * 0.6180339887498949) % 1;
  return f < 0 ? f + 1 : f;
}

/**
 * The axis of a parameter: its declared scale over its declared range; a categorical one's
 * choices as bands (centres at (i + 0.5) / n).
 */
export function paramAxis(name: string, def: ParamDef): SliceAxis {
  if (def.type === "categorical" && Array.isArray(def.choices)) {
    const n = def.choices.length;
    const at = (i: number) => (i + 0.5) / n;
    return {
      name,
      kind: "categorical",
      bands: n,
      ticks: def.choices.map((c, i) => ({ norm: at(i), label: String(c) })),
      pos: (v) => {
        const i = def.choices.indexOf(v as never);
        return i < 0 ? null : at(i);
      },
    };
  }
  const usable = (def.type === "float" || def.type === "int") && Number.isFinite(def.low) && Number.isFinite(def.high) && def.low <= def.high;
  return fromScale(name, usable ? paramScale(def) : paramScale({ type: "float", low: 0, high: 1 }));
}

/** The objective's axis over the values seen: log when all are positive and span more than 1e3. */
export function objectiveAxis(name: string, values: readonly number[]): { axis: SliceAxis; range: [number, number] } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(lo <= hi)) [lo, hi] = [0, 1];
  const log = lo > 0 && hi / lo > 1e3;
  return { axis: fromScale(name, paramScale({ type: "float", low: lo, high: hi, ...(log ? { scale: "log" as const } : {}) })), range: [lo, hi] };
}

function fromScale(name: string, s: AxisScale): SliceAxis {
  return { name, kind: s.kind, bands: 0, ticks: s.ticks, pos: s.norm };
}

/**
 * Slice data of a payload: a panel per parameter in declared order, the complete trials' points.
 *
 * @example sliceData(p).panels.map((s) => s.name) // ["lr", "layers", "opt"]
 */
export function sliceData(p: StudyPayload): SliceData {
  const complete = p.trials.filter((t) => t.state === "complete" && finiteOrNull(t.value) !== null).sort((a, b) => a.number - b.number);
  const { axis: objective, range } = objectiveAxis(p.study.metric, complete.map((t) => t.value as number));
  const panels = paramNames(p).map((name): SlicePanel => {
    const def = p.study.space[name]!;
    const axis = paramAxis(name, def);
    const points: SlicePoint[] = [];
    for (const t of complete) {
      const v = t.params[name];
      let x = axis.pos(v);
      if (x === null) continue;
      if (axis.bands > 0) x += ((jitterOf(t.number) * 2 - 1) * JITTER) / axis.bands;
      const value = t.value as number;
      points.push({ trial: t.number, x, y: objective.pos(value) ?? 0.5, value, raw: v as number | string | boolean, label: formatValue(v as never, def) });
    }
    const domain = axis.bands > 0 ? null : axisDomain(def);
    return { name, axis, domain, points };
  });
  return { metric: p.study.metric, direction: p.study.direction, objective, range, panels };
}

/** Plots per row in the static spec (five fit the width of a 10-parameter parallel-coordinates chart). */
const STATIC_COLUMNS = 5;

/**
 * The static (SVG) spec: a small point chart per parameter, five to a row, x in the
 * parameter's units (log axes for log parameters, choices as bands with jittered points), the
 * objective on y, points coloured by it on the shared scale. Data values only: names are axis
 * titles and choices are data (the charts' config turns ARIA expressions off).
 */
export function sliceSpec(d: SliceData, size: ChartSize = {}): VegaLiteSpec {
  const width = size.width ?? 190;
  const height = size.height ?? 120;
  const yLog = d.objective.kind === "log";
  const y = { field: "v", type: "quantitative", title: d.metric, scale: { nice: false, ...(yLog ? { type: "log" } : { zero: false }), domain: [...d.range] } };
  const color = objectiveColorChannel(d.direction, "v", d.range);
  const charts = d.panels.map((panel, i) => {
    const first = i === 0;
    const cat = panel.axis.bands > 0;
    const values = panel.points.map((pt) => {
      if (!cat) return { t: pt.trial, x: pt.raw, v: pt.value };
      const band = Math.min(panel.axis.bands - 1, Math.floor(pt.x * panel.axis.bands));
      return { t: pt.trial, c: pt.label, i: band, j: pt.x * panel.axis.bands - band - 0.5, v: pt.value };
    });
    // Choices are data values (sorted by their declared index), never a scale domain in the spec.
    const x = cat
      ? { field: "c", type: "nominal", title: panel.name, sort: { field: "i", op: "min" }, axis: { labelAngle: 0, labelLimit: 60 } }
      : { field: "x", type: "quantitative", title: panel.name, axis: { grid: false, tickCount: 5 }, scale: { nice: false, ...(panel.axis.kind === "log" ? { type: "log" } : { zero: false }), domain: [...(panel.domain ?? [0, 1])] } };
    return {
      width,
      height,
      data: { values },
      mark: { type: "point", filled: true, size: 12, opacity: 0.75 },
      encoding: {
        x,
        ...(cat ? { xOffset: { field: "j", type: "quantitative", scale: { domain: [-0.5, 0.5] } } } : {}),
        y: first ? y : { ...y, title: null },
        color,
      },
    };
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: { aria: false, concat: { spacing: 18 } },
    title: { text: d.metric, subtitle: "slice: the objective against each parameter", anchor: "start" },
    columns: STATIC_COLUMNS,
    concat: charts,
    resolve: { scale: { color: "shared" } },
  };
}

/** The range a numeric axis spans: the declared one when usable, else [0, 1] (paramAxis' fallback). */
function axisDomain(def: ParamDef): [number, number] {
  return (def.type === "float" || def.type === "int") && Number.isFinite(def.low) && Number.isFinite(def.high) && def.low <= def.high ? [def.low, def.high] : [0, 1];
}

