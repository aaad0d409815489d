/**
 * Slice plots (the shared `sliceData`): a small plot per parameter, the objective up, the
 * parameter across on its own scale (log axes say "log"; choices are bands), one mark per
 * complete trial that passes the filters, coloured by the objective on the shared scale; the
 * selected trial ringed in every plot. Painted on one canvas (canvas-chart.ts says why).
 */
import { goodness, betterText } from "../../../src/views/encoding";
import { sliceData, type SliceAxis, type SliceData } from "../../../src/views/slice";
import type { StudyModel } from "../study-model";
import { axisText, CanvasChart, fitText, MarkBatch, spreadTicks } from "./canvas-chart";
import type { ChartContext } from "./vega-chart";

/** The narrowest a plot gets before the row holds fewer of them (CSS px). */
const MIN_PLOT_WIDTH = 230;
const PANEL_HEIGHT = 190;
const LEFT = 48;
const RIGHT = 12;
const TOP = 22;
const BOTTOM = 34;

export class SliceChart extends CanvasChart {
  private cache: { model: StudyModel; data: SliceData } | null = null;

  data(model: StudyModel): SliceData {
    if (this.cache?.model !== model) this.cache = { model, data: sliceData(model.payload) };
    return this.cache.data;
  }

  private columns(n: number, width: number): number {
    return Math.max(1, Math.min(n, Math.floor(width / MIN_PLOT_WIDTH)));
  }

  protected heightFor({ model }: ChartContext, width: number): number {
    const n = this.data(model).panels.length;
    return Math.max(1, Math.ceil(n / this.columns(n, width))) * PANEL_HEIGHT + 20;
  }

  protected paint(g: CanvasRenderingContext2D, { model, state, theme }: ChartContext, width: number): void {
    const d = this.data(model);
    const visible = state.visible(model);
    const cols = this.columns(d.panels.length, width);
    const cellW = width / cols;
    const batch = new MarkBatch();
    const rings: [number, number][] = [];
    const yTicks = spreadTicks(d.objective.ticks, 0.12);
    const counts: number[] = [];
    for (const [i, panel] of d.panels.entries()) {
      const ox = (i % cols) * cellW;
      const oy = Math.floor(i / cols) * PANEL_HEIGHT;
      const left = ox + LEFT;
      const top = oy + TOP;
      const w = Math.max(20, cellW - LEFT - RIGHT);
      const h = PANEL_HEIGHT - TOP - BOTTOM;
      // Title: the parameter's name (and its scale when log).
      g.font = `bold 11px ${theme.font}`;
      g.fillStyle = theme.text;
      g.textAlign = "left";
      g.textBaseline = "alphabetic";
      g.fillText(fitText(g, panel.axis.kind === "log" ? `${panel.name} (log)` : panel.name, w), left, oy + 14);
      drawFrame(g, theme.border, left, top, w, h);
      drawYTicks(g, theme, yTicks, left, top, h, true);
      drawXTicks(g, theme, panel.axis, left, top, w, h);
      let n = 0;
      for (const pt of panel.points) {
        if (!visible.has(pt.trial)) continue;
        const x = left + pt.x * w;
        const y = top + (1 - pt.y) * h;
        batch.add(x, y, goodness(d.direction, pt.y));
        this.marks.add(x, y, pt.trial);
        if (pt.trial === state.selected) rings.push([x, y]);
        n++;
      }
      counts.push(n);
    }
    batch.fill(g);
    drawRings(g, theme.highlight, rings);
    axisText(g, theme);
    g.textAlign = "right";
    g.textBaseline = "middle";
    g.fillText(`${d.metric} · ${betterText(d.direction)}`, width - RIGHT, Math.ceil(d.panels.length / cols) * PANEL_HEIGHT + 8);
    // Marks per plot, for tests and tools.
    this.node.dataset.panelMarks = counts.join(",");
  }
}

/** The plot's frame and a faint grid line per y tick. */
export function drawFrame(g: CanvasRenderingContext2D, color: string, left: number, top: number, w: number, h: number): void {
  g.strokeStyle = color;
  g.lineWidth = 1;
  g.strokeRect(Math.round(left) + 0.5, Math.round(top) + 0.5, Math.round(w), Math.round(h));
}

/** Tick labels of the objective (or a parameter) up the left side of a plot, with faint grid lines. */
export function drawYTicks(g: CanvasRenderingContext2D, theme: ChartContext["theme"], ticks: readonly { norm: number; label: string }[], left: number, top: number, h: number, grid: boolean, room = LEFT - 8): void {
  axisText(g, theme);
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (const t of ticks) {
    const y = top + (1 - t.norm) * h;
    g.fillText(fitText(g, t.label, room), left - 4, y);
    if (grid) {
      g.globalAlpha = 0.3;
      g.fillStyle = theme.border;
      g.fillRect(left, Math.round(y), 6, 1);
      g.globalAlpha = 1;
      g.fillStyle = theme.muted;
    }
  }
}

/** Tick labels of a parameter's axis below a plot; a categorical axis' bands are separated by faint lines. */
export function drawXTicks(g: CanvasRenderingContext2D, theme: ChartContext["theme"], axis: SliceAxis, left: number, top: number, w: number, h: number): void {
  const bottom = top + h;
  axisText(g, theme);
  g.textBaseline = "top";
  const ticks = axis.bands > 0 ? thinBands(axis) : spreadTicks(axis.ticks, 0.18);
  const room = axis.bands > 0 ? w / Math.max(1, ticks.length) - 4 : 70;
  for (const t of ticks) {
    const x = left + t.norm * w;
    g.textAlign = t.norm < 0.05 && axis.bands === 0 ? "left" : t.norm > 0.95 && axis.bands === 0 ? "right" : "center";
    g.fillText(fitText(g, t.label, room), x, bottom + 4);
    g.fillStyle = theme.border;
    g.fillRect(Math.round(x), bottom - 4, 1, 4);
    g.fillStyle = theme.muted;
  }
  if (axis.bands > 1) {
    g.globalAlpha = 0.35;
    g.fillStyle = theme.border;
    for (let i = 1; i < axis.bands; i++) g.fillRect(Math.round(left + (i / axis.bands) * w), top, 1, h);
    g.globalAlpha = 1;
  }
}

/** At most 12 choice labels, evenly thinned. */
function thinBands(axis: SliceAxis): SliceAxis["ticks"] {
  const every = Math.ceil(axis.ticks.length / 12);
  return axis.ticks.filter((_, i) => i % every === 0);
}

/** Rings around the selected trial's marks. */
export function drawRings(g: CanvasRenderingContext2D, color: string, at: readonly [number, number][]): void {
  if (at.length === 0) return;
  g.strokeStyle = color;
  g.lineWidth = 2;
  g.beginPath();
  for (const [x, y] of at) {
    g.moveTo(x + 6, y);
    g.arc(x, y, 6, 0, 2 * Math.PI);
  }
  g.stroke();
}
