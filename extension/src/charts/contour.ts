/**
 * The contour plot (the shared `contourData`): two selects choose the pair of parameters (by
 * default the two most important: `defaultPair`), the interpolated surface fills the plot in the
 * objective's colours (the better end green), and one mark per complete trial that passes the filters sits on top,
 * the selected trial ringed. The surface is the whole study's (filters pick marks, not the
 * landscape). Painted on one canvas (canvas-chart.ts says why).
 */
import { contourData, defaultPair, type ContourData } from "../../../src/views/contour";
import { betterText, goodness, objectiveColor } from "../../../src/views/encoding";
import { el } from "../dom";
import type { StudyModel } from "../study-model";
import { axisText, CanvasChart, fitText, spreadTicks } from "./canvas-chart";
import { drawFrame, drawRings, drawXTicks, drawYTicks } from "./slice";
import type { ChartContext, ChartEvents } from "./vega-chart";

const LEFT = 66;
const TOP = 8;
const BOTTOM = 58;
const RIGHT = 12;
const MAX_PLOT = 420;
const MARK = 5;

export class ContourChart extends CanvasChart {
  private readonly controls = el("div", "tl-contour-controls");
  private readonly xSelect = el("select", "tl-contour-x");
  private readonly ySelect = el("select", "tl-contour-y");
  private pair: [string, string] | null = null;
  /** Whether `pair` is the user's choice (kept) or the default (recomputed as trials arrive). */
  private chosen = false;
  private defaultFor: { model: StudyModel; pair: [string, string] | null } | null = null;
  private names = "";
  private cache: { model: StudyModel; pair: string; data: ContourData } | null = null;

  constructor(name: string, events: ChartEvents) {
    super(name, events);
    this.xSelect.setAttribute("aria-label", "parameter across");
    this.ySelect.setAttribute("aria-label", "parameter up");
    this.controls.append(el("span", "tl-contour-label", "across"), this.xSelect, el("span", "tl-contour-label", "up"), this.ySelect);
    this.node.prepend(this.controls);
    const chosen = () => {
      this.pair = [this.xSelect.value, this.ySelect.value];
      this.chosen = true;
      if (this.ctx) void this.render(this.ctx);
    };
    this.xSelect.addEventListener("change", chosen);
    this.ySelect.addEventListener("change", chosen);
  }

  /** The pair shown: the one chosen while both are still parameters, else the default (the two most important). */
  private currentPair(model: StudyModel): [string, string] | null {
    const names = model.paramNames;
    if (this.chosen && this.pair && names.includes(this.pair[0]) && names.includes(this.pair[1])) return this.pair;
    this.chosen = false;
    if (this.defaultFor?.model !== model) this.defaultFor = { model, pair: defaultPair(model.payload, this.pair) };
    this.pair = this.defaultFor.pair;
    return this.pair;
  }

  private syncSelects(model: StudyModel, pair: [string, string]): void {
    const key = JSON.stringify(model.paramNames);
    if (key !== this.names) {
      this.names = key;
      for (const s of [this.xSelect, this.ySelect]) {
        s.textContent = "";
        for (const n of model.paramNames) {
          const o = document.createElement("option");
          o.value = n;
          o.textContent = n;
          s.append(o);
        }
      }
    }
    this.xSelect.value = pair[0];
    this.ySelect.value = pair[1];
  }

  data(model: StudyModel): ContourData | null {
    const pair = this.currentPair(model);
    if (!pair) return null;
    const key = JSON.stringify(pair);
    if (this.cache?.model !== model || this.cache.pair !== key) this.cache = { model, pair: key, data: contourData(model.payload, pair[0], pair[1]) };
    return this.cache.data;
  }

  protected heightFor({ model }: ChartContext, width: number): number {
    return this.data(model) ? Math.min(MAX_PLOT, width - LEFT - RIGHT) + TOP + BOTTOM : 40;
  }

  protected paint(g: CanvasRenderingContext2D, { model, state, theme }: ChartContext, width: number): void {
    const d = this.data(model);
    this.controls.hidden = d === null;
    if (!d) {
      axisText(g, theme, 12);
      g.fillText("A contour plot needs two parameters.", 8, 20);
      return;
    }
    this.syncSelects(model, this.pair!);
    const side = Math.min(MAX_PLOT, width - LEFT - RIGHT);
    const left = LEFT;
    const top = TOP;
    // The surface: one rectangle per grid cell (cells overlap by a hair so no seams show).
    const cw = side / d.grid;
    for (let k = 0; k < d.cells.length; k++) {
      const v = d.cells[k]!;
      if (Number.isNaN(v)) continue;
      const i = k % d.grid;
      const j = (k - i) / d.grid;
      g.fillStyle = objectiveColor(goodness(d.direction, v));
      g.fillRect(left + i * cw, top + side - (j + 1) * cw, cw + 0.5, cw + 0.5);
    }
    drawFrame(g, theme.border, left, top, side, side);
    drawYTicks(g, theme, d.y.bands > 0 ? d.y.ticks : spreadTicks(d.y.ticks, 0.1), left, top, side, false, LEFT - 26);
    drawXTicks(g, theme, d.x, left, top, side, side);
    // The trials: dark marks with a light edge read on every colour of the surface.
    const visible = state.visible(model);
    const rings: [number, number][] = [];
    g.fillStyle = theme.dark ? "#f5f5f5" : "#1a1a1a";
    g.strokeStyle = theme.dark ? "#1a1a1a" : "#ffffff";
    g.lineWidth = 1;
    g.beginPath();
    for (const pt of d.points) {
      if (!visible.has(pt.trial)) continue;
      const x = left + pt.x * side;
      const y = top + (1 - pt.y) * side;
      g.rect(x - MARK / 2, y - MARK / 2, MARK, MARK);
      this.marks.add(x, y, pt.trial);
      if (pt.trial === state.selected) rings.push([x, y]);
    }
    g.stroke();
    g.fill();
    drawRings(g, theme.highlight, rings);
    // Axis names and the colour key.
    g.font = `11px ${theme.font}`;
    g.fillStyle = theme.text;
    g.textAlign = "center";
    g.textBaseline = "top";
    g.fillText(fitText(g, `${d.x.name}${d.x.kind === "log" ? " (log)" : ""} →`, side), left + side / 2, top + side + 20);
    g.save();
    g.translate(4, top + side / 2);
    g.rotate(-Math.PI / 2);
    g.fillText(fitText(g, `${d.y.name}${d.y.kind === "log" ? " (log)" : ""} →`, side), 0, 0);
    g.restore();
    drawKey(g, theme, d, left, top + side + 38, Math.min(200, side));
  }
}

/** A gradient bar of the objective's colours from its lowest to highest value, with which way is better. */
function drawKey(g: CanvasRenderingContext2D, theme: ChartContext["theme"], d: ContourData, left: number, top: number, w: number): void {
  for (let i = 0; i < w; i++) {
    g.fillStyle = objectiveColor(goodness(d.direction, i / (w - 1)));
    g.fillRect(left + i, top, 1.5, 8);
  }
  axisText(g, theme);
  g.textBaseline = "middle";
  g.textAlign = "right";
  const [lo, hi] = d.objective.ticks.length > 0 ? [d.objective.ticks[0]!.label, d.objective.ticks[d.objective.ticks.length - 1]!.label] : ["", ""];
  g.fillText(lo, left - 4, top + 4);
  g.textAlign = "left";
  g.fillText(`${hi}   ${d.metric} · ${betterText(d.direction)}`, left + w + 4, top + 4);
}
