/**
 * Chart colours from JupyterLab's theme variables, read from the page when a chart is built,
 * so the charts follow light and dark themes (the widget rebuilds them when the theme changes).
 * Only theme values go into chart styles; nothing from a payload does.
 */
import type { TrialState } from "../../../src/model/trial";

export interface ChartTheme {
  readonly dark: boolean;
  readonly font: string;
  readonly text: string;
  readonly muted: string;
  readonly faint: string;
  readonly border: string;
  /** The selected trial: the strongest text colour, so it stands out of any colour scheme. */
  readonly highlight: string;
  readonly states: Readonly<Record<TrialState, string>>;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  // Theme values are colours or font lists; anything else (say, a stray url()) is not used.
  return v !== "" && !/url\(|expression\(|[;{}]/i.test(v) ? v : fallback;
}

/** True when JupyterLab's current theme is dark. */
export function isDarkTheme(): boolean {
  return document.body.dataset.jpThemeLight === "false";
}

export function readTheme(node: Element): ChartTheme {
  const s = getComputedStyle(node);
  const dark = isDarkTheme();
  return {
    dark,
    font: cssVar(s, "--jp-ui-font-family", "sans-serif"),
    text: cssVar(s, "--jp-ui-font-color1", dark ? "#e0e0e0" : "#212121"),
    muted: cssVar(s, "--jp-ui-font-color2", dark ? "#a0a0a0" : "#616161"),
    faint: cssVar(s, "--jp-ui-font-color3", dark ? "#707070" : "#9e9e9e"),
    border: cssVar(s, "--jp-border-color1", dark ? "#616161" : "#bdbdbd"),
    highlight: cssVar(s, "--jp-ui-font-color0", dark ? "#ffffff" : "#000000"),
    states: {
      complete: cssVar(s, "--jp-brand-color1", "#1976d2"),
      pruned: cssVar(s, "--jp-warn-color1", "#f57c00"),
      failed: cssVar(s, "--jp-error-color1", "#d32f2f"),
      running: cssVar(s, "--jp-ui-font-color3", "#9e9e9e"),
    },
  };
}

/** The vega-lite config shared by every chart. */
export function chartConfig(t: ChartTheme): object {
  return {
    background: null,
    // Off: the charts draw on a canvas (ARIA attributes are SVG only), and vega-lite would build
    // ARIA description expressions from axis titles, which may be payload strings (a metric name).
    aria: false,
    font: t.font,
    view: { stroke: null },
    axis: {
      labelColor: t.muted,
      titleColor: t.text,
      domainColor: t.border,
      tickColor: t.border,
      gridColor: t.border,
      gridOpacity: 0.35,
      labelFontSize: 10,
      titleFontSize: 11,
      titleFontWeight: "normal",
    },
    legend: { labelColor: t.text, titleColor: t.text, labelFontSize: 11, symbolStrokeWidth: 2 },
    text: { color: t.muted, font: t.font },
  };
}

export function stateScale(t: ChartTheme): { domain: TrialState[]; range: string[] } {
  const domain: TrialState[] = ["complete", "pruned", "failed", "running"];
  return { domain, range: domain.map((s) => t.states[s]) };
}
