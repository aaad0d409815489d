import { describe, expect, it } from "vitest";
import { chartSubset, renderCharts, studyBundle, studyDisplay } from "../../src/notebook/bundle";
import { PICTURE_ROWS, SCALE, studyPictureSvg } from "../../src/notebook/picture";
import { rasterReady } from "../../src/notebook/png";
import { forStaticSvg, renderSvg } from "../../src/notebook/vega";
import { curvesData, curvesSpec } from "../../src/views/curves";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { parallelData, parallelSpec } from "../../src/views/parallel";
import { HOSTILE, hostilePayload, payload, trial } from "../views/fixtures";

/** Width and height of a PNG (its IHDR chunk), and whether it is one. */
function pngSize(base64: string): { width: number; height: number } {
  const b = Buffer.from(base64, "base64");
  expect(b.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Tag and attribute names of an SVG document (attribute values escape their quotes). */
function markup(svg: string): { tags: string[]; attributes: string[] } {
  const tags = new Set<string>();
  const attributes = new Set<string>();
  for (const m of svg.matchAll(/<([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*\/?>/g)) {
    tags.add(m[1]!);
    for (const a of m[2]!.matchAll(/([\w:-]+)="/g)) attributes.add(a[1]!);
  }
  return { tags: [...tags], attributes: [...attributes] };
}

const unescape = (s: string) =>
  s.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))).replace(/&(lt|gt|quot|amp);/g, (_, n: string) => ({ lt: "<", gt: ">", quot: '"', amp: "&" })[n]!);

/** The texts drawn in an SVG (the picture's and its charts'), unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => unescape(m[1]!));
}

/** The picture's table: the monospaced texts, row by row. */
function tableRows(svg: string): string[][] {
  const rows = new Map<string, string[]>();
  for (const m of svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-family="[^"]*Mono[^"]*"[^>]*>([^<]*)<\/text>/g)) rows.set(m[1]!, [...(rows.get(m[1]!) ?? []), unescape(m[2]!)]);
  return [...rows.values()];
}

describe("studyDisplay", () => {
  it("holds the payload, a picture (PNG, with its display size) and a text summary", async () => {
    const p = payload();
    const { data, metadata } = await studyDisplay(p);
    expect(Object.keys(data).sort()).toEqual([STUDY_MIME, "image/png", "text/plain"].sort());
    expect(data[STUDY_MIME]).toBe(p);
    const size = pngSize(data["image/png"]!);
    expect(metadata["image/png"]).toEqual({ width: size.width / SCALE, height: size.height / SCALE });
    expect(data["text/plain"]).toBe(
      'study "mlp" (minimize loss, random): 5 trials: 1 running, 2 complete, 1 failed, 1 pruned\nbest: #3 loss=0.25 (lr=0.001, layers=3, opt=adam)\ntop 2:\n  #3 0.25\n  #0 0.5',
    );
    expect(await studyBundle(p)).toEqual(data);
  }, 60_000); // the first test here loads vega and draws five charts twice: slow on a loaded machine
});

describe("studyPictureSvg", () => {
  const draw = async (p: StudyPayload) => studyPictureSvg(p, (await renderCharts(p)).charts, { table: p.view === undefined || p.view === "table" });

  it("draws the summary, the charts, and the best trials as a table, best first", async () => {
    const { svg } = await draw(payload());
    const t = texts(svg);
    expect(t[0]).toBe('study "mlp" (minimize loss, random): 5 trials: 1 running, 2 complete, 1 failed, 1 pruned');
    expect(t[1]).toBe("best: #3 loss=0.25 (lr=0.001, layers=3, opt=adam)");
    expect(svg.match(/<svg /g)).toHaveLength(1 + 4); // the picture and its four charts (parallel, curves, history, slice)
    // The table: its header, then the complete trials by value.
    const rows = tableRows(svg);
    expect(rows[0]).toEqual(["#", "state", "loss", "lr", "layers", "opt", "momentum", "acc", "duration", "error"]);
    expect(rows.slice(1).map((r) => r[0])).toEqual(["3", "0"]);
    expect(t[t.length - 1]).toBe("the 2 best of 5 trials; study.dataframe() has them all");
  });

  it("draws only the chosen view", async () => {
    const one = (view: StudyPayload["view"]) => draw({ ...payload(), view });
    expect(((await one("parallel")).svg.match(/<svg /g) ?? []).length).toBe(2);
    expect(texts((await one("parallel")).svg)).not.toContain("state");
    // The slice plots and the contour (shown alone only) each draw one chart.
    expect(((await one("slice")).svg.match(/<svg /g) ?? []).length).toBe(2);
    expect(texts((await one("slice")).svg)).toContain("momentum");
    expect(((await one("contour")).svg.match(/<svg /g) ?? []).length).toBe(2);
    const table = (await one("table")).svg;
    expect(table.match(/<svg /g)).toHaveLength(1);
    expect(texts(table)).toContain("state");
  });

  it("says so when a chosen chart has nothing to draw yet", async () => {
    expect(texts((await draw({ ...payload([]), view: "curves" })).svg)).toContain("nothing to draw yet");
  });

  it("draws every string of a hostile payload as text", async () => {
    const { svg } = await draw(hostilePayload());
    const { tags, attributes } = markup(svg);
    expect(tags.filter((t) => !["svg", "g", "path", "rect", "line", "text", "defs", "linearGradient", "stop", "clipPath"].includes(t))).toEqual([]);
    expect(attributes.filter((a) => /^on/i.test(a) || a === "href" || a === "xlink:href")).toEqual([]);
    expect(svg).not.toContain("<img");
    expect(texts(svg).filter((x) => x.includes(HOSTILE)).length).toBeGreaterThanOrEqual(2); // the summary, and the chart's axis
    expect(tableRows(svg).flat().filter((x) => x.startsWith(HOSTILE.slice(0, 20))).length).toBeGreaterThanOrEqual(2); // a column, and a cell (cut)
  });

  it("keeps the best trials of a long study, and says how many there are", async () => {
    const trials = Array.from({ length: 300 }, (_, i) => trial(i, { value: i === 5 ? -1 : i, finishedAt: 1000 * i + 1 }));
    const { svg } = studyPictureSvg(payload(trials), [], {});
    const t = texts(svg);
    expect(tableRows(svg).slice(1).map((r) => r[0])).toEqual(["5", "0", "1", "2", "3", "4", "6", "7", "8", "9"].slice(0, PICTURE_ROWS));
    expect(t[t.length - 1]).toBe(`the ${PICTURE_ROWS} best of 300 trials; study.dataframe() has them all`);
  });
});

describe("chartSubset", () => {
  const trials = [
    trial(0, { value: 5 }),
    trial(1, { value: 1 }),
    trial(2, { state: "failed" }),
    trial(3, { value: 3 }),
    trial(4, { value: 2 }),
    trial(5, { value: 9 }),
    trial(6, { state: "running" }),
  ];

  it("keeps every trial of a small study", () => {
    const p = payload(trials);
    expect(chartSubset(p, 7)).toEqual({ payload: p, best: 0 });
  });

  it("keeps the best half and the latest others, in number order", () => {
    expect(chartSubset(payload(trials), 4).payload.trials.map((t) => t.number)).toEqual([1, 4, 5, 6]);
    expect(chartSubset(payload(trials, { direction: "maximize" }), 5).payload.trials.map((t) => t.number)).toEqual([0, 3, 4, 5, 6]);
  });

  it("says in the picture when the charts draw fewer trials than the study has", async () => {
    const many = Array.from({ length: 510 }, (_, i) => trial(i, { params: { lr: 0.01, layers: 1, opt: "adam" }, value: i, finishedAt: 1000 * i + 5 }));
    const note = async (view: StudyPayload["view"]) => (await renderCharts({ ...payload(many), view })).note ?? "";
    expect(await note("parallel")).toContain("draw 500 of the 510 trials here (the best 250 and the latest others)");
    expect(await note("history")).not.toContain("draw 500");
  });
});

describe("forStaticSvg", () => {
  it("drops tooltips and ARIA, and keeps the data rows as they are", () => {
    const spec = curvesSpec(curvesData(payload()));
    const s = forStaticSvg(spec) as unknown as { config: { aria: boolean }; layer: { data: unknown; encoding: Record<string, unknown> }[] };
    expect(s.config.aria).toBe(false);
    expect(s.layer.map((l) => "tooltip" in l.encoding)).toEqual([false, false]);
    expect(s.layer[0]!.data).toBe((spec as unknown as { layer: { data: unknown }[] }).layer[0]!.data);
    expect((spec as unknown as { layer: { encoding: Record<string, unknown> }[] }).layer[0]!.encoding["tooltip"]).toBeDefined(); // not mutated
  });
});

describe("renderSvg", () => {
  it("draws one polyline per trial in the parallel-coordinates chart, the failed one too", async () => {
    const svg = await renderSvg(parallelSpec(parallelData(payload())));
    // vega draws each trial's line as a group of its own (a facet by trial): 3 with a value, 1 failed.
    expect(svg.match(/<g class="mark-line role-mark layer_\d+_marks"/g)).toHaveLength(4);
  });
});

describe("rasterReady", () => {
  /** The RGBA pixels resvg draws for an SVG document, as svgToPng draws it (white background, system fonts). */
  function pixels(svg: string): Uint8Array {
    const { Resvg } = require("@resvg/resvg-js") as { Resvg: new (svg: string, o: object) => { render(): { pixels: Uint8Array } } };
    return new Resvg(svg, { background: "white", font: { loadSystemFonts: true } }).render().pixels;
  }

  it("draws the charts' pixels as they are, without per-pixel dashes or per-line layers", async () => {
    // Complete, pruned and failed trials: solid, dashed and dotted lines, each with a mark opacity.
    const p = payload();
    for (const svg of [await renderSvg(parallelSpec(parallelData(p))), await renderSvg(curvesSpec(curvesData(p)))]) {
      const ready = rasterReady(svg);
      expect(svg).toMatch(/<path [^>]*stroke-dasharray="1,0"/);
      expect(ready).not.toMatch(/stroke-dasharray="1,0"/);
      expect(ready).not.toMatch(/<path (?![^>]*\sfill=")[^>]*\sopacity="/);
      // The pruned and failed lines keep their patterns.
      expect(ready.match(/stroke-dasharray="(?!1,0)[^"]+"/g)?.length ?? 0).toBe(svg.match(/stroke-dasharray="(?!1,0)[^"]+"/g)?.length ?? 0);
      const [a, b] = [pixels(svg), pixels(ready)];
      expect(b.length).toBe(a.length);
      let off = 0;
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > 8) off++;
      expect(off / a.length).toBeLessThan(0.001);
    }
  });

  it("leaves filled marks alone (their opacity covers fill and stroke together)", () => {
    const tag = '<path d="M0,0h5v5h-5Z" fill="#4c78a8" stroke="#000" opacity="0.5"/>';
    expect(rasterReady(`<svg>${tag}</svg>`)).toBe(`<svg>${tag}</svg>`);
    const both = '<path d="M0,0L5,5" stroke="#000" stroke-opacity="0.3" opacity="0.5"/>';
    expect(rasterReady(both)).toBe(both);
  });
});
