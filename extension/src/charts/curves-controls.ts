/**
 * The row above the learning curves: what colours them (the objective, the default, or a
 * parameter picked from the study's parameters in declared order), the key to those colours (a
 * gradient with its ends' values, or a swatch per choice), the line style of each state the
 * study has, and a log-scale toggle for the y axis (offered when every value is positive). The
 * colours come from src/views/encoding.ts, as the parallel coordinates' and the saved SVG's.
 *
 * Everything from the payload (parameter names, choices, numbers) goes into the DOM as text;
 * the gradients and swatches are styled with colours of the shared scales only.
 */
import type { TrialState } from "../../../src/model/trial";
import type { ParamDef } from "../../../src/space/types";
import { formatNumber, paramScale } from "../../../src/views";
import { betterText, CATEGORY_COLORS, goodness, objectiveColor, paramColor, PARAM_COLORS, rampColor, STATE_DASHES, STATE_LINE_LABELS, STATE_ORDER, NO_VALUE_COLOR } from "../../../src/views/encoding";
import { el } from "../dom";
import type { StudyModel } from "../study-model";

/** What colours the curves: "objective", or the name of a parameter. */
export type ColourBy = { readonly kind: "objective" } | { readonly kind: "param"; readonly name: string };

/** At most this many choices get a swatch in the key. */
const MAX_SWATCHES = 12;

/** Continuous colourings are painted in this many steps (one batch of strokes per step). */
export const COLOUR_STEPS = 48;

/** The curves' colours: a small palette, and per trial its index in it (-1: the grey of trials without a colour). */
export interface CurveColours {
  readonly palette: readonly string[];
  readonly index: ReadonlyMap<number, number>;
}

/** The colour of each trial's curve for the chosen colouring, as an index into a palette of at most COLOUR_STEPS colours. */
export function curveColours(model: StudyModel, by: ColourBy): CurveColours {
  const index = new Map<number, number>();
  const d = model.curves;
  const step = (t: number) => Math.min(COLOUR_STEPS - 1, Math.max(0, Math.floor(t * COLOUR_STEPS)));
  const steps = (ramp: (t: number) => string) => Array.from({ length: COLOUR_STEPS }, (_, i) => ramp((i + 0.5) / COLOUR_STEPS));
  if (by.kind === "objective") {
    const range = d.valueRange;
    for (const t of d.trials) {
      const none = t.value === null || t.state === "failed" || t.state === "running" || !range;
      index.set(t.number, none ? -1 : step(goodness(model.direction, range[1] > range[0] ? (t.value! - range[0]) / (range[1] - range[0]) : 0.5)));
    }
    return { palette: steps(objectiveColor), index };
  }
  const def = model.payload.study.space[by.name];
  if (def?.type === "categorical") {
    for (const t of d.trials) {
      const i = def.choices.indexOf(model.trial(t.number)?.params[by.name] as never);
      index.set(t.number, i < 0 ? -1 : i % CATEGORY_COLORS.length);
    }
    return { palette: [...CATEGORY_COLORS], index };
  }
  const scale = def ? paramScale(def) : null;
  for (const t of d.trials) {
    const pos = scale?.norm(model.trial(t.number)?.params[by.name]) ?? null;
    index.set(t.number, pos === null ? -1 : step(pos));
  }
  return { palette: steps((t) => rampColor(PARAM_COLORS, t)), index };
}

/** Log y when every intermediate value is positive and they span more than three decades. */
export function autoLogY(model: StudyModel): boolean {
  const [lo, hi] = valueSpan(model);
  return lo > 0 && hi / lo > 1e3;
}

const spans = new WeakMap<StudyModel, [number, number]>();

/** The smallest and largest intermediate value of the study (once per model: a pass over every point). */
export function valueSpan(model: StudyModel): [number, number] {
  let span = spans.get(model);
  if (!span) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of model.curves.trials) {
      for (const [, v] of c.points) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    spans.set(model, (span = [lo, hi]));
  }
  return span;
}

export class CurvesControls {
  readonly node = el("div", "tl-curves-controls");
  private readonly select = el("select", "tl-colour-by");
  private readonly pick = el("label", "tl-colour-pick", "colour by ");
  private readonly key = el("div", "tl-colour-key");
  private readonly styles = el("div", "tl-line-key");
  private readonly logBox = el("input");
  private readonly logLabel = el("label", "tl-log-toggle");
  private optionsKey = "";
  private keyKey = "";
  /** The user's choice of log y; null: automatic (three decades or more, all positive). */
  private logChoice: boolean | null = null;
  private by: ColourBy = { kind: "objective" };

  constructor(private readonly onChange: () => void) {
    this.select.setAttribute("aria-label", "Colour the learning curves by");
    this.select.addEventListener("change", () => {
      const v = this.select.value;
      const i = Number(v);
      const name = v === "objective" || !Number.isInteger(i) ? null : this.names[i];
      this.by = name ? { kind: "param", name } : { kind: "objective" };
      this.onChange();
    });
    this.pick.append(this.select);
    this.logBox.type = "checkbox";
    this.logBox.addEventListener("change", () => {
      this.logChoice = this.logBox.checked;
      this.onChange();
    });
    this.logLabel.append(this.logBox, el("span", "", "log y"));
    this.node.append(this.pick, this.key, this.styles, this.logLabel);
  }

  private names: readonly string[] = [];

  /** What colours the curves now. */
  get colourBy(): ColourBy {
    return this.by;
  }

  /** Whether the y axis is logarithmic now: the user's choice, else automatic; never with a value <= 0. */
  logY(model: StudyModel): boolean {
    const [lo] = valueSpan(model);
    if (!(lo > 0)) return false;
    return this.logChoice ?? autoLogY(model);
  }

  /** Shows the controls for the model; the colouring controls only for plain (not by-bracket) curves. */
  update(model: StudyModel, byBracket: boolean): void {
    const names = model.paramNames;
    const optionsKey = JSON.stringify([model.metric, names]);
    if (optionsKey !== this.optionsKey) {
      this.optionsKey = optionsKey;
      this.names = names;
      this.select.textContent = "";
      const objective = el("option", "", `${model.metric} (objective)`);
      objective.value = "objective";
      this.select.append(objective);
      names.forEach((n, i) => {
        const o = el("option", "", n);
        o.value = String(i);
        this.select.append(o);
      });
      if (this.by.kind === "param" && !names.includes(this.by.name)) this.by = { kind: "objective" };
    }
    this.select.value = this.by.kind === "objective" ? "objective" : String(this.names.indexOf(this.by.name));
    this.pick.hidden = byBracket;
    this.key.hidden = byBracket;
    this.styles.hidden = byBracket;
    const [lo] = valueSpan(model);
    this.logBox.disabled = !(lo > 0);
    this.logBox.checked = this.logY(model);
    this.logLabel.title = lo > 0 ? "Show the y axis on a log scale" : "A log scale needs every value above 0";
    if (!byBracket) this.updateKey(model);
  }

  private updateKey(model: StudyModel): void {
    const by = this.by;
    const states = STATE_ORDER.filter((s) => model.curves.trials.some((t) => t.state === s));
    const def = by.kind === "param" ? model.payload.study.space[by.name] : undefined;
    const k = JSON.stringify([by, model.curves.valueRange, model.direction, states, def]);
    if (k === this.keyKey) return;
    this.keyKey = k;
    this.key.textContent = "";
    if (by.kind === "objective") {
      const range = model.curves.valueRange;
      if (range) {
        const [lo, hi] = range;
        // Low values on the left: the gradient runs from the colour of the lowest to that of the highest.
        this.key.append(gradient((t) => objectiveColor(goodness(model.direction, t)), formatNumber(lo), formatNumber(hi), betterText(model.direction)));
      }
    } else if (def) {
      this.key.append(def.type === "categorical" ? swatches(def) : gradient((t) => rampColor(PARAM_COLORS, t), formatNumber(def.low), formatNumber(def.high), def.scale === "log" ? "log scale" : def.scale === "reverse-log" ? "reverse-log scale" : ""));
    }
    this.key.dataset.colourBy = by.kind === "objective" ? "objective" : `param:${by.name}`;
    this.styles.textContent = "";
    for (const s of states) this.styles.append(styleKey(s));
  }
}

/** A horizontal gradient of `colour` over [0, 1] between two labels, and a note after them. */
function gradient(colour: (t: number) => string, low: string, high: string, note: string): HTMLElement {
  const box = el("span", "tl-gradient");
  const bar = el("span", "tl-gradient-bar");
  const stops = Array.from({ length: 11 }, (_, i) => `${colour(i / 10)} ${i * 10}%`);
  bar.style.background = `linear-gradient(to right, ${stops.join(", ")})`;
  box.append(el("span", "tl-key-label", low), bar, el("span", "tl-key-label", high));
  if (note) box.append(el("span", "tl-key-note", note));
  return box;
}

/** A swatch and a label per choice (the first MAX_SWATCHES). */
function swatches(def: Extract<ParamDef, { type: "categorical" }>): HTMLElement {
  const box = el("span", "tl-swatches");
  def.choices.slice(0, MAX_SWATCHES).forEach((c) => {
    const item = el("span", "tl-key-item");
    const sw = el("span", "tl-swatch");
    sw.style.background = paramColor(def, c) ?? NO_VALUE_COLOR;
    item.append(sw, el("span", "tl-key-label", String(c)));
    box.append(item);
  });
  if (def.choices.length > MAX_SWATCHES) box.append(el("span", "tl-key-label", `… ${def.choices.length - MAX_SWATCHES} more`));
  return box;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** A short line in the state's style (solid, dashed, dotted) and the state's name. */
function styleKey(state: TrialState): HTMLElement {
  const item = el("span", "tl-key-item");
  item.dataset.state = state;
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("width", "22");
  svg.setAttribute("height", "8");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS(SVG_NS, "line");
  for (const [k, v] of [["x1", "1"], ["y1", "4"], ["x2", "21"], ["y2", "4"], ["stroke-width", "1.6"]]) line.setAttribute(k!, v!);
  line.setAttribute("class", "tl-key-line");
  if (STATE_DASHES[state].length) line.setAttribute("stroke-dasharray", STATE_DASHES[state].join(","));
  if (state === "running" || state === "failed") line.style.stroke = NO_VALUE_COLOR;
  svg.append(line);
  item.append(svg, el("span", "tl-key-label", STATE_LINE_LABELS[state]));
  return item;
}
