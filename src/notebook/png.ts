import { createRequire } from "node:module";

/**
 * The one adapter for @resvg/resvg-js (SVG to PNG, a prebuilt native
 * binary per platform), loaded on first use: the study's picture in a saved
 * notebook is a PNG (picture.ts says why). Text is drawn with the system's
 * fonts.
 */
interface ResvgModule {
  Resvg: new (svg: string, options: object) => { render(): { asPng(): Buffer } };
}

let resvg: ResvgModule | null | undefined;

function load(): ResvgModule | null {
  if (resvg === undefined) {
    try {
      resvg = createRequire(__filename)("@resvg/resvg-js") as ResvgModule;
    } catch {
      resvg = null; // no binary for this platform: the fallback keeps its SVG images
    }
  }
  return resvg;
}

/**
 * An SVG document as a PNG at `scale` times its size on a white background,
 * or undefined where resvg can't load.
 *
 * @example const png = svgToPng(await renderSvg(spec));
 */
export function svgToPng(svg: string, scale = 1): Buffer | undefined {
  const m = load();
  if (!m) return undefined;
  return new m.Resvg(svg, { fitTo: { mode: "zoom", value: scale }, background: "white", font: { loadSystemFonts: true } }).render().asPng();
}
