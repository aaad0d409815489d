/**
 * Learning curves: each shown trial's intermediate objective values by step, the metric's name on
 * the y axis. Curves are coloured by their trial's objective value on the shared scale (green is
 * better; running and failed trials grey), or by a parameter chosen above the chart; complete
 * trials solid, pruned ones dashed and failed ones dotted, both ending in a cross. A log toggle
 * above the chart switches the y axis (automatic: log when every value is positive and they span
 * three decades). Hover names the trial and its parameters (drawn by the widget).
 *
 * A Hyperband/ASHA study (trials with brackets) is drawn by bracket instead: curves in bracket
 * colours (a legend of toggle buttons above the chart filters them), a dashed rule at every rung
 * resource, and a marker where each trial stopped (an x at a rung, a triangle for the median
 * rule, a diamond when it failed); hover says where and why it stopped.
 *
 * vega draws the axes, markers and rung lines; the curves themselves are painted on a canvas
 * layer under it (line-layer.ts), every point of every shown curve (vega took a second at 50,000
 * trials for one segment per trial). The vega chart gets a two-row "frame" dataset (the shown
 * curves' extent, drawn invisibly) so its scales span the curves. Hover and click find the curve
 * under the pointer themselves (`pick`).
 */
import { bracketLabel, endKind, logSteps, type CurvesData } from "../../../src/views/curves";
import { setText } from "../dom";
import type { StudyModel } from "../study-model";
import { BracketLegend, bracketScale, END_SHAPES } from "./curves-brackets";
import { NO_VALUE_COLOR, STATE_DASHES } from "../../../src/views/encoding";
import { curveColours, CurvesControls, type CurveColours } from "./curves-controls";
import { HAIRLINES_ABOVE } from "./line-layer";
import { LineLayerChart } from "./line-layer-chart";
import type { ChartContext, ChartEvents } from "./vega-chart";

interface PointRow {
  readonly t: number;
  readonly x: number;
  readonly y: number;
  readonly s: string;
}

/** The shown curves' extent (drawn invisibly: the scales span the curves); no trial. */
interface FrameRow {
  readonly x: number;
  readonly y: number;
  readonly x2: number;
  readonly y2: number;
  readonly s: string;
}

/** Where a trial of a study with brackets stopped or failed: its last point and the kind of end. */
interface StopRow extends PointRow {
  readonly b: string;
  readonly k: string;
}

/** Where a pruned or failed trial's curve ends (plain curves): its last point, in its curve's colour. */
interface EndRow extends PointRow {
  readonly c: string;
}

/** The vega datasets: the frame, crosses (plain) or stop markers (brackets), rung resources. */
type CurveData = { frame: FrameRow[]; ends: EndRow[]; stops: StopRow[]; rungs: { x: number }[] };

/** Curves stroked together: overlaps inside one stroke don't add up, across strokes they do. */
const CURVES_PER_STROKE = 24;
/** A pointer this close (px) to a curve is on it. */
const PICK_PX = 3;

/** The curves as painted: pixel positions of every point, by curve (for picking). */
interface Painted {
  readonly trials: Int32Array;
  /** Curve i's points are xs/ys[starts[i] .. starts[i + 1]). */
  readonly starts: Uint32Array;
  readonly xs: Float32Array;
  readonly ys: Float32Array;
}

export class CurvesChart extends LineLayerChart {
  private cache: { model: StudyModel; key: string; data: Record<string, readonly object[]>; shown: CurvesData["trials"]; colours: CurveColours } | null = null;
  /** The context of the last render asked for (set before vega runs; a bracket toggle renders it again). */
  private last: ChartContext | null = null;
  private painted: Painted | null = null;
  /** Above the chart in a study with brackets: the bracket toggles and the marker key. */
  readonly legend = new BracketLegend(() => this.controlsChanged());
  /** Above the chart: what colours the curves, its key, the line styles and the log-y toggle. */
  readonly controls = new CurvesControls(() => this.controlsChanged());

  constructor(name: string, events: ChartEvents) {
    super(name, events, "tl-lines-curves");
    this.node.dataset.rungs = "";
    this.node.dataset.stops = "0";
  }

  protected shapeKey({ model, theme }: ChartContext): string {
    const d = model.curves;
    return [this.controls.logY(model), integerSteps(model), theme.dark, theme.text, theme.states.complete, d.brackets.join(","), hasNone(d), logSteps(d), model.metric].join("|");
  }

  protected spec(ctx: ChartContext): Record<string, unknown> {
    return ctx.model.curves.brackets.length > 0 ? this.bracketSpec(ctx) : this.plainSpec(ctx);
  }

  private axes({ model }: ChartContext, logX: boolean) {
    const x = {
      field: "x",
      type: "quantitative",
      title: logX ? "step (log scale)" : "step",
      scale: logX ? { type: "log", nice: false } : { zero: false, nice: false },
      axis: integerSteps(model) ? { tickMinStep: 1, format: "d" } : {},
    };
    const log = this.controls.logY(model);
    // The metric's name (a payload string) as the axis title: inert, as the charts' config turns
    // vega-lite's ARIA descriptions (expressions built from titles) off.
    const y = { field: "y", type: "quantitative", title: log ? `${model.metric} (log scale)` : model.metric, scale: { zero: false, type: log ? "log" : "linear" } };
    return { x, y };
  }

  private plainSpec(ctx: ChartContext): Record<string, unknown> {
    const { x, y } = this.axes(ctx, false);
    return {
      width: "container",
      height: 220,
      autosize: { type: "fit-x", contains: "padding" },
      params: [{ name: "sel", value: -1 }],
      layer: [
        {
          // The curves' extent, invisible: the curves are painted on the line layer (their key is
          // the row above the chart).
          data: { name: "frame" },
          mark: { type: "rule", opacity: 0, interactive: false },
          encoding: { x, y, x2: { field: "x2" }, y2: { field: "y2" } },
        },
        {
          // Where pruned and failed trials ended: a cross in their curve's colour.
          data: { name: "ends" },
          mark: { type: "point", shape: "cross", size: 50, filled: true, opacity: 0.9 },
          encoding: { x, y, color: { field: "c", type: "nominal", scale: null } },
        },
      ],
    };
  }

  /**
   * By bracket: rung rules (dashed, labelled at the top) under solid curves in bracket colours
   * (no dashes: most curves of such a study are stopped early, and dashes are slow to raster),
   * stop markers on top. The legend is the HTML row above the chart.
   */
  private bracketSpec(ctx: ChartContext): Record<string, unknown> {
    const { model, theme } = ctx;
    const d = model.curves;
    const { x, y } = this.axes(ctx, logSteps(d));
    const color = { field: "b", type: "nominal", scale: bracketScale(d, theme), legend: null };
    const shapes = Object.entries(END_SHAPES);
    const rungX = { field: "x", type: "quantitative" };
    return {
      width: "container",
      height: 240,
      autosize: { type: "fit-x", contains: "padding" },
      params: [{ name: "sel", value: -1 }],
      layer: [
        {
          data: { name: "rungs" },
          mark: { type: "rule", color: theme.muted, strokeDash: [4, 3], strokeWidth: 1, opacity: 0.7 },
          encoding: { x: rungX },
        },
        {
          data: { name: "rungs" },
          mark: { type: "text", color: theme.muted, fontSize: 9, align: "left", baseline: "top", dx: 3, dy: 2 },
          encoding: { x: rungX, y: { value: 0 }, text: { field: "x", type: "quantitative", format: "~g" } },
        },
        {
          // The curves' extent, invisible: the curves are painted on the line layer.
          data: { name: "frame" },
          mark: { type: "rule", opacity: 0, interactive: false },
          encoding: { x, y, x2: { field: "x2" }, y2: { field: "y2" } },
        },
        {
          // Where trials stopped at a rung: an x (the cross turned 45 degrees), filled.
          data: { name: "stops" },
          transform: [{ filter: "datum.k === 'at a rung'" }],
          mark: { type: "point", shape: "cross", angle: 45, filled: true, size: 60, opacity: 1, stroke: theme.highlight, strokeWidth: 0.4 },
          encoding: { x, y, color },
        },
        {
          // Stopped by the median rule (triangle), pruned otherwise (square), failed (diamond): outlined.
          data: { name: "stops" },
          transform: [{ filter: "datum.k !== 'at a rung'" }],
          mark: { type: "point", filled: false, size: 60, strokeWidth: 1.8, opacity: 1 },
          encoding: {
            x,
            y,
            color,
            shape: { field: "k", type: "nominal", scale: { domain: shapes.map(([k]) => k), range: shapes.map(([, v]) => v) }, legend: null },
          },
        },
      ],
    };
  }

  /** The panel's height counts the controls and the bracket key above the chart: they are put in place first. */
  override reservedHeight(ctx: ChartContext): number {
    this.placeAbove(ctx);
    return super.reservedHeight(ctx);
  }

  /** Updates the controls and the bracket key above the chart, putting them in its panel the first time; whether the study has brackets. */
  private placeAbove({ model, theme }: ChartContext): boolean {
    this.legend.update(model.curves, theme);
    // The legend sits above the chart, in the chart's panel, whose caption says how to read it.
    if (!this.legend.node.isConnected && this.node.parentElement) this.node.before(this.legend.node);
    if (!this.controls.node.isConnected && this.node.parentElement) this.legend.node.before(this.controls.node);
    const byBracket = model.curves.brackets.length > 0;
    this.controls.update(model, byBracket);
    this.caption(byBracket);
    return byBracket;
  }

  protected data(ctx: ChartContext): Record<string, readonly object[]> {
    const { model, state } = ctx;
    this.last = ctx;
    const byBracket = this.placeAbove(ctx);
    const by = this.controls.colourBy;
    this.node.dataset.colourBy = by.kind === "objective" ? "objective" : `param:${by.name}`;
    this.node.dataset.logY = String(this.controls.logY(model));
    this.node.dataset.yTitle = model.metric;
    const visible = state.visible(model);
    const key = `${state.filterVersion}|${[...this.legend.hidden].join(",")}|${this.node.dataset.colourBy}`;
    if (this.cache?.model === model && this.cache.key === key) return this.cache.data;
    const colourOf = curveColours(model, by);
    const rows = curveRows(model.curves, visible, this.legend.hidden, colourOf);
    // Only the datasets the spec of this study names (vega refuses others).
    const data: Record<string, readonly object[]> = byBracket ? { frame: rows.frame, stops: rows.stops, rungs: rows.rungs } : { frame: rows.frame, ends: rows.ends };
    this.cache = { model, key, data, shown: rows.shown, colours: colourOf };
    this.node.dataset.curves = String(rows.shown.length);
    this.node.dataset.rungs = rows.rungs.map((r) => r.x).join(",");
    this.node.dataset.stops = String(rows.stops.length);
    return data;
  }

  /**
   * Paints the shown curves: plain studies by state (complete and running solid, pruned dashed,
   * failed dotted, in the state colours), studies with brackets by bracket colour; the selected
   * trial on top in the strongest text colour.
   */
  protected paint(ctx: ChartContext): void {
    const view = this.view;
    const shown = this.cache?.model === ctx.model ? this.cache.shown : null;
    if (!view || !shown) return;
    const t0 = performance.now();
    const plot = this.layer.begin(this.node, view);
    if (!plot) return;
    const { model, theme, state } = ctx;
    const d = model.curves;
    // Pixel positions, once per paint (picking reads them too).
    let total = 0;
    for (const c of shown) total += c.points.length;
    const xs = new Float32Array(total);
    const ys = new Float32Array(total);
    const starts = new Uint32Array(shown.length + 1);
    const trials = new Int32Array(shown.length);
    let k = 0;
    shown.forEach((c, i) => {
      starts[i] = k;
      trials[i] = c.number;
      for (const [sx, sy] of c.points) {
        xs[k] = plot.x(sx);
        ys[k] = plot.y(sy);
        k++;
      }
    });
    starts[shown.length] = k;
    this.painted = { trials, starts, xs, ys };
    const g = plot.ctx;
    const trace = (i: number) => {
      const a = starts[i]!;
      const b = starts[i + 1]!;
      g.moveTo(xs[a]!, ys[a]!);
      if (b - a === 1) g.lineTo(xs[a]! + 0.01, ys[a]!); // a single point: a dot
      for (let j = a + 1; j < b; j++) g.lineTo(xs[j]!, ys[j]!);
    };
    /** Strokes the curves `which` picks (by index), a few per stroke, in `color`. */
    const strokeAll = (which: (i: number) => boolean, color: string) => {
      g.strokeStyle = color;
      let n = 0;
      g.beginPath();
      for (let i = 0; i < shown.length; i++) {
        if (!which(i)) continue;
        trace(i);
        if (++n % CURVES_PER_STROKE === 0) {
          g.stroke();
          g.beginPath();
        }
      }
      g.stroke();
    };
    g.lineCap = "round";
    g.lineJoin = "round";
    g.lineWidth = shown.length > HAIRLINES_ABOVE ? plot.hairline : 1.3;
    if (d.brackets.length > 0) {
      const scale = bracketScale(d, theme);
      g.globalAlpha = 0.8;
      scale.domain.forEach((b, bi) => strokeAll((i) => bracketLabel(shown[i]!.bracket) === b, scale.range[bi]!));
    } else {
      // By colour (the objective's or a parameter's; grey without one), in buckets built in one
      // pass: running and complete curves solid, then pruned (dashed) and failed (dotted) ones.
      const colours = this.cache?.colours;
      const palette = colours?.palette ?? [];
      const groups = ["running", "complete", "pruned", "failed"] as const;
      const buckets = groups.map(() => Array.from({ length: palette.length + 1 }, () => [] as number[]));
      shown.forEach((c, i) => {
        const g = groups.indexOf(c.state);
        const k = colours?.index.get(c.number) ?? -1;
        buckets[g < 0 ? 0 : g]![k < 0 ? palette.length : k]!.push(i);
      });
      groups.forEach((state, gi) => {
        g.globalAlpha = state === "running" ? 0.6 : state === "complete" ? 0.75 : 0.85;
        g.setLineDash([...STATE_DASHES[state]]);
        g.lineCap = STATE_DASHES[state].length ? "butt" : "round";
        buckets[gi]!.forEach((list, k) => {
          if (list.length === 0) return;
          g.strokeStyle = k < palette.length ? palette[k]! : NO_VALUE_COLOR;
          for (let a = 0; a < list.length; a += CURVES_PER_STROKE) {
            g.beginPath();
            for (let b = a; b < Math.min(list.length, a + CURVES_PER_STROKE); b++) trace(list[b]!);
            g.stroke();
          }
        });
      });
      g.setLineDash([]);
      g.lineCap = "round";
    }
    const sel = state.selected;
    const si = sel === null ? -1 : trials.indexOf(sel);
    if (si >= 0) {
      g.globalAlpha = 1;
      g.strokeStyle = theme.highlight;
      g.lineWidth = 3;
      g.beginPath();
      trace(si);
      g.stroke();
    }
    g.globalAlpha = 1;
    const n = this.layer.canvas;
    n.dataset.curves = String(shown.length);
    n.dataset.points = String(total);
    n.dataset.selected = si >= 0 ? String(sel) : "";
    n.dataset.paintMs = (performance.now() - t0).toFixed(1);
  }

  /** The curve nearest the pointer within a few pixels: the selected one first, else the topmost (last painted). */
  protected override pick(clientX: number, clientY: number): number | null {
    const view = this.view;
    const p = this.painted;
    if (!view || !p) return null;
    const at = this.layer.plotPoint(this.node, view, clientX, clientY);
    if (!at) return null;
    const dist = (i: number): number => {
      let best = Infinity;
      const a = p.starts[i]!;
      const b = p.starts[i + 1]!;
      if (b - a === 1) return Math.hypot(p.xs[a]! - at.x, p.ys[a]! - at.y);
      for (let j = a; j + 1 < b; j++) {
        const x1 = p.xs[j]!, y1 = p.ys[j]!, x2 = p.xs[j + 1]!, y2 = p.ys[j + 1]!;
        // Segments far to the side can't be near: skip them cheaply.
        if ((at.x < x1 - PICK_PX && at.x < x2 - PICK_PX) || (at.x > x1 + PICK_PX && at.x > x2 + PICK_PX)) continue;
        const dx = x2 - x1;
        const dy = y2 - y1;
        const len = dx * dx + dy * dy;
        const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((at.x - x1) * dx + (at.y - y1) * dy) / len));
        best = Math.min(best, Math.hypot(x1 + t * dx - at.x, y1 + t * dy - at.y));
      }
      return best;
    };
    const sel = this.last?.state.selected ?? null;
    const si = sel === null ? -1 : p.trials.indexOf(sel);
    if (si >= 0 && dist(si) <= PICK_PX + 1) return sel;
    let best: number | null = null;
    let bestDist = PICK_PX;
    for (let i = p.trials.length - 1; i >= 0; i--) {
      const dd = dist(i);
      if (dd < bestDist) {
        bestDist = dd;
        best = p.trials[i]!;
      }
    }
    return best;
  }

  private plainCaption: string | null = null;

  /** The panel's caption (made by the widget for plain curves) describes the bracket view when shown. */
  private caption(byBracket: boolean): void {
    const cap = this.node.parentElement?.querySelector(":scope > .tl-caption");
    if (!cap) return;
    this.plainCaption ??= cap.textContent;
    setText(cap, byBracket ? "Learning curves by bracket · dashed: rungs · click a bracket to hide it" : (this.plainCaption ?? ""));
  }

  /** A bracket toggled, the colouring or the log toggle changed: draw again with the last context. */
  private controlsChanged(): void {
    if (!this.last) return;
    const ctx = this.last;
    void this.render(ctx).catch((err: unknown) => this.showFailure(err));
  }
}

function hasNone(d: CurvesData): boolean {
  return d.brackets.length > 0 && d.trials.some((t) => t.bracket === null);
}

/** Whether every step is a whole number (then the axis shows no 1.5). */
function integerSteps(model: StudyModel): boolean {
  return model.curves.trials.every((c) => c.points.every(([x]) => Number.isInteger(x)));
}

function curveRows(d: CurvesData, visible: ReadonlySet<number>, hiddenBrackets: ReadonlySet<string>, colourOf: CurveColours): CurveData & { shown: CurvesData["trials"] } {
  const byBracket = d.brackets.length > 0;
  const shown = d.trials.filter((c) => visible.has(c.number) && !(byBracket && hiddenBrackets.has(bracketLabel(c.bracket))));
  const ends: EndRow[] = [];
  const stops: StopRow[] = [];
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const c of shown) {
    for (const [x, y] of c.points) {
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    const [x, y] = c.points[c.points.length - 1]!;
    if (byBracket) {
      const k = endKind(c);
      if (k !== null) stops.push({ t: c.number, x, y, s: c.state, b: bracketLabel(c.bracket), k });
    } else if (c.state === "pruned" || c.state === "failed") {
      const k = colourOf.index.get(c.number) ?? -1;
      ends.push({ t: c.number, x, y, s: c.state, c: k < 0 ? NO_VALUE_COLOR : colourOf.palette[k]! });
    }
  }
  // The extent as one invisible rule from corner to corner (nothing when no curve is shown).
  const frame: FrameRow[] = shown.length === 0 ? [] : [{ x: x0, y: y0, x2: x1, y2: y1, s: "complete" }];
  // Rung lines for the brackets shown (all of them when none is hidden).
  const rungs = new Set<number>();
  if (byBracket) for (const c of d.trials) if (!hiddenBrackets.has(bracketLabel(c.bracket))) for (const r of c.rungs) rungs.add(r);
  return { frame, ends, stops, shown, rungs: [...rungs].sort((a, b) => a - b).map((x) => ({ x })) };
}
