/**
 * What the learning curves add for a Hyperband/ASHA study (issue 6): a colour per bracket that
 * reads on light and dark themes, the legend of brackets as toggle buttons (a bracket filter for
 * the curves chart), the key to the stop markers, and per trial the words for where it stopped
 * ("stopped at rung 9 by hyperband"), used by the hover tooltip and the selection line.
 *
 * Everything shown comes from src/views/curves (`curvesData`), which reads the untrusted system
 * record defensively; labels are numbers formatted here and go into the DOM as text.
 */
import { BRACKET_COLORS, bracketLabel, EndKinds, formatNumber, type CurvesData, type EndKind } from "../../../src/views";
import { el } from "../dom";
import type { StudyModel } from "../study-model";
import type { ChartTheme } from "./theme";

/** Bracket colours: the saved picture's (Tableau 10), and brighter ones for dark themes. Theme values only, never payload. */
const LIGHT: readonly string[] = BRACKET_COLORS;
const DARK = ["#6fa8ff", "#ffa94d", "#74d680", "#d6a4f0", "#ff7a7a", "#7fd8d0", "#ffe066", "#d2a679", "#ffb3c1", "#c8c8c8"];

/** The colour scale of a study's brackets (labels "0", "1", ..., then "none" for trials without one). */
export function bracketScale(d: CurvesData, theme: ChartTheme): { domain: string[]; range: string[] } {
  const palette = theme.dark ? DARK : LIGHT;
  const domain = d.brackets.map(String);
  if (d.trials.some((t) => t.bracket === null)) domain.push("none");
  return { domain, range: domain.map((b, i) => (b === "none" ? theme.states.running : palette[i % palette.length]!)) };
}

/**
 * Marker shapes of the stop kinds: vega's built-in symbols (a custom SVG path is hit-tested in
 * the wrong place on a canvas: hover found markers far from the pointer). "at a rung" is the
 * cross turned 45 degrees: an x.
 */
export const END_SHAPES: Readonly<Record<EndKind, string>> = {
  "at a rung": "cross",
  "median rule": "triangle-down",
  pruned: "square",
  failed: "diamond",
};
/** The same shapes as text, for the key above the chart. */
const END_GLYPHS: Readonly<Record<EndKind, string>> = { "at a rung": "✖", "median rule": "▽", pruned: "□", failed: "◇" };
const END_WORDS: Readonly<Record<EndKind, string>> = {
  "at a rung": "stopped at a rung",
  "median rule": "median rule",
  pruned: "pruned",
  failed: "failed",
};

/** Per trial: its bracket and the sentence saying where it stopped. Built once per model. */
interface TrialNote {
  readonly bracket: number | null;
  readonly stop: string | null;
  /** "let on at rung 3 (hedged)" when hedged stopping let it past a rung that would have stopped it. */
  readonly hedged: string | null;
}
const notes = new WeakMap<StudyModel, Map<number, TrialNote>>();

export function curveNote(model: StudyModel, trial: number): TrialNote | undefined {
  let m = notes.get(model);
  if (!m) {
    m = new Map();
    for (const t of model.curves.trials) {
      const hedged = t.hedged.length ? `let on at rung${t.hedged.length > 1 ? "s" : ""} ${t.hedged.map((r) => formatNumber(r)).join(", ")} (hedged)` : null;
      if (t.bracket !== null || t.stop) m.set(t.number, { bracket: t.bracket, stop: t.stop?.text ?? null, hedged });
    }
    notes.set(model, m);
  }
  return m.get(trial);
}

/**
 * The legend row above the curves of a study with brackets: one toggle button per bracket
 * (colour swatch, "bracket 2", its number of curves; pressed = shown) and the marker key.
 */
export class BracketLegend {
  readonly node = el("div", "tl-curves-legend");
  /** Brackets hidden by the user, by label. */
  readonly hidden = new Set<string>();
  private key = "";

  constructor(private readonly onToggle: () => void) {
    this.node.hidden = true;
  }

  /** Shows the legend for the study (hidden when it has no brackets); rebuilt only when it changes. */
  update(d: CurvesData, theme: ChartTheme): void {
    const scale = bracketScale(d, theme);
    const counts = new Map<string, number>();
    const ends = new Set<EndKind>();
    for (const t of d.trials) {
      const b = bracketLabel(t.bracket);
      counts.set(b, (counts.get(b) ?? 0) + 1);
      if (t.state === "failed") ends.add("failed");
      else if (t.stop) ends.add(t.stop.rule === "rung" ? "at a rung" : t.stop.rule === "median" ? "median rule" : "pruned");
    }
    const shownEnds = EndKinds.filter((k) => ends.has(k));
    const key = JSON.stringify([scale, [...counts], shownEnds, [...this.hidden]]);
    if (key === this.key) return;
    this.key = key;
    this.node.hidden = d.brackets.length === 0;
    this.node.textContent = "";
    if (d.brackets.length === 0) return;
    const group = el("div", "tl-brackets");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Brackets: click to show or hide a bracket's curves");
    group.append(el("span", "tl-legend-title", "bracket"));
    scale.domain.forEach((b, i) => {
      const button = el("button", "tl-bracket");
      button.type = "button";
      button.dataset.bracket = b;
      const shown = !this.hidden.has(b);
      button.setAttribute("aria-pressed", String(shown));
      const n = counts.get(b) ?? 0;
      button.title = `${b === "none" ? "Trials without a bracket" : `Bracket ${b}`}: ${n} curve${n === 1 ? "" : "s"}. Click to ${shown ? "hide" : "show"} them.`;
      const swatch = el("span", "tl-swatch");
      swatch.style.background = scale.range[i]!;
      button.append(swatch, el("span", "", b), el("span", "tl-count", `(${n})`));
      button.addEventListener("click", () => {
        if (this.hidden.has(b)) this.hidden.delete(b);
        else this.hidden.add(b);
        this.onToggle();
      });
      group.append(button);
    });
    this.node.append(group);
    if (shownEnds.length > 0) {
      const keyBox = el("div", "tl-end-key");
      for (const k of shownEnds) {
        const item = el("span", "tl-end");
        item.dataset.end = k;
        item.append(el("span", "tl-glyph", END_GLYPHS[k]), el("span", "", END_WORDS[k]));
        keyBox.append(item);
      }
      keyBox.append(el("span", "tl-end tl-rung-key", "┆ rungs"));
      this.node.append(keyBox);
    }
  }
}
