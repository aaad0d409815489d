// The saved notebook's fallbacks carry the analysis: the picture has the importance bars (in the
// known order) and a line per range warning; the text output lists the warnings.
import { describe, expect, it } from "vitest";
import { renderCharts } from "../../src/notebook/bundle";
import { studyPictureSvg } from "../../src/notebook/picture";
import { studyText } from "../../src/notebook/text";
import { float, int } from "../../src/space/builders";
import { viewSpecs } from "../../src/views/specs";
import { optimiserTrials, payloadOf, sampleTrials } from "../views/analysis/sample";

const space = { noise: float(0, 1), layers: int(1, 8), lr: float(1e-5, 1, { scale: "log" }) };
/** lr matters most, layers less, noise not at all; the optimum of lr is inside its range. */
const inside = payloadOf(space, sampleTrials(1, 200, space, (p) => (Math.log10(p.lr as number) + 2.5) ** 2 + 0.05 * ((p.layers as number) - 3) ** 2));
/** Trials as an optimiser makes them, with lr's optimum below its range: the best sit at its low bound. */
const edge = payloadOf(space, optimiserTrials(1, space, { lr: -0.4, layers: 0.3, noise: 0.5 }));
/** The same with every optimum inside. */
const central = payloadOf(space, optimiserTrials(1, space, { lr: 0.4, layers: 0.3, noise: 0.5 }));

describe("static fallbacks: importance and range warnings", () => {
  it("draws the importance bars, most important first", async () => {
    const [spec] = viewSpecs(inside, ["importance"]);
    const values = (spec!.spec["data"] as { values: { param: string }[] }).values;
    expect(values.map((v) => v.param)).toEqual(["lr", "layers", "noise"]);
    const charts = await renderCharts(inside);
    expect(charts.charts.map((c) => c.name)).toContain("importance");
    const svg = charts.charts.find((c) => c.name === "importance")!.svg;
    // The bars' labels, top to bottom.
    const labels = [...svg.matchAll(/<text[^>]*transform="translate\([\d.-]+,([\d.-]+)\)"[^>]*>(lr|layers|noise)<\/text>/g)].sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => m[2]);
    expect(labels).toEqual(["lr", "layers", "noise"]);
  }, 30_000);

  it("leaves the bars out while there are too few trials to tell", () => {
    expect(viewSpecs(payloadOf(space, sampleTrials(2, 2, space, () => 1)), ["importance"])).toEqual([]);
  });

  it("puts a range warning with the widening code in the text and the picture for an optimum at an edge, and none for one inside", () => {
    const text = studyText(edge);
    expect(text).toMatch(/^warning: lr: .*low bound.*study\.extendSpace\(\{ lr: float\(1e-6, 1, \{ scale: "log" \}\) \}\)$/m);
    expect(studyText(central)).not.toContain("warning:");
    expect(studyText(inside)).not.toContain("warning:");
    expect(studyPictureSvg(edge, []).svg).toContain("Range warning: lr:");
    expect(studyPictureSvg(central, []).svg).not.toContain("Range warning");
  });
});

describe("static fallbacks: the study's note", () => {
  it("shows the note's lines under the summary as escaped text, and nothing when there is none", () => {
    const noted = { ...inside, study: { ...inside.study, note: "## Why\nlr **matters** most <script>alert(1)</script>\n- next: widen `layers`" } };
    const svg = studyPictureSvg(noted, []).svg;
    expect(svg).toContain(">Why</text>");
    expect(svg).toContain("lr matters most &#60;script&#62;alert(1)&#60;/script&#62;");
    expect(svg).toContain(">• next: widen layers</text>");
    expect(svg).not.toContain("<script");
    // Under the summary, above the charts' place.
    expect(svg.indexOf(">Why</text>")).toBeGreaterThan(svg.indexOf(inside.study.name));
    expect(studyPictureSvg(inside, []).svg).not.toContain(">Why</text>");
  });
});
