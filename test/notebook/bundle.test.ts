import { describe, expect, it } from "vitest";
import { chartSubset, studyBundle } from "../../src/notebook/bundle";
import { escapeHtml, tableHtml } from "../../src/notebook/html";
import { forStaticSvg, renderSvg } from "../../src/notebook/vega";
import { curvesData, curvesSpec } from "../../src/views/curves";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { parallelData, parallelSpec } from "../../src/views/parallel";
import { HOSTILE, hostilePayload, payload, trial } from "../views/fixtures";

const IMG = /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">/g;

/** The SVG documents inside the HTML fallback's images, with their alt texts. */
function images(html: string): { alt: string; svg: string }[] {
  return [...html.matchAll(IMG)].map((m) => ({ alt: m[2]!, svg: Buffer.from(m[1]!, "base64").toString("utf8") }));
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

describe("studyBundle", () => {
  it("holds the payload, an HTML fallback with the summary, the charts as SVG images and the table, and a text summary", async () => {
    const p = payload();
    const b = await studyBundle(p);
    expect(Object.keys(b).sort()).toEqual([STUDY_MIME, "text/html", "text/plain"].sort());
    expect(b[STUDY_MIME]).toBe(p);
    const html = b["text/html"];
    expect(images(html).map((i) => i.alt)).toEqual(["parallel coordinates", "learning curves", "optimisation history"]);
    for (const { svg } of images(html)) expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[\s\S]*<\/svg>$/);
    expect(html).not.toContain("<svg"); // untrusted notebooks strip inline SVG; images survive
    expect(html).toContain("<b>study &#34;mlp&#34; (minimize loss, random): 5 trials: 1 running, 2 complete, 1 failed, 1 pruned</b>");
    expect(html.match(/<tr/g)).toHaveLength(1 + 5);
    expect(html).toContain('<tr style="font-weight:bold"><td>3</td><td>complete</td><td>0.25</td><td>0.001</td><td>3</td><td>adam</td><td></td><td>0.9</td><td>2.5 s</td><td></td></tr>');
    expect(b["text/plain"]).toBe(
      'study "mlp" (minimize loss, random): 5 trials: 1 running, 2 complete, 1 failed, 1 pruned\nbest: #3 loss=0.25 (lr=0.001, layers=3, opt=adam)\ntop 2:\n  #3 0.25\n  #0 0.5',
    );
  });

  it("draws only the chosen view", async () => {
    const one = (view: StudyPayload["view"]) => studyBundle({ ...payload(), view });
    const parallel = (await one("parallel"))["text/html"];
    expect(images(parallel).map((i) => i.alt)).toEqual(["parallel coordinates"]);
    expect(parallel).not.toContain("<table");
    const table = (await one("table"))["text/html"];
    expect(images(table)).toEqual([]);
    expect(table).toContain("<table");
    expect(images((await one("history"))["text/html"]).map((i) => i.alt)).toEqual(["optimisation history"]);
  });

  it("says so when a chosen chart has nothing to draw yet", async () => {
    const html = (await studyBundle({ ...payload([]), view: "curves" }))["text/html"];
    expect(images(html)).toEqual([]);
    expect(html).toContain("nothing to draw yet");
  });

  it("escapes every string of a hostile payload, in the HTML and inside the SVG", async () => {
    const b = await studyBundle(hostilePayload());
    const html = b["text/html"];
    expect(html).not.toContain("<img src=x");
    expect(html).not.toContain('onerror="');
    expect(html).toContain(escapeHtml(HOSTILE));
    const svgs = images(html);
    expect(svgs).toHaveLength(3);
    for (const { svg } of svgs) {
      const { tags, attributes } = markup(svg);
      expect(tags).toEqual(expect.arrayContaining(["svg", "g", "path", "text"]));
      expect(attributes).toEqual(expect.arrayContaining(["font-size", "transform"]));
      expect(tags.filter((t) => !["svg", "g", "path", "rect", "line", "text", "defs", "linearGradient", "stop", "clipPath"].includes(t))).toEqual([]);
      expect(attributes.filter((a) => /^on/i.test(a) || a === "href" || a === "xlink:href")).toEqual([]);
    }
    expect(svgs[0]!.svg).toContain("&lt;img src=x onerror=");
  });
});

describe("tableHtml", () => {
  it("keeps the best row and the latest ones when a study is long", () => {
    const trials = Array.from({ length: 300 }, (_, i) => trial(i, { value: i === 5 ? -1 : i, finishedAt: 1000 * i + 1 }));
    const html = tableHtml(payload(trials), 50);
    const numbers = [...html.matchAll(/<tr[^>]*><td>(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(numbers).toEqual([5, ...Array.from({ length: 49 }, (_, i) => 251 + i)]);
    expect(html).toContain("250 of 300 trials not shown here");
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

  it("says in the HTML when the charts draw fewer trials than the study has", async () => {
    const many = Array.from({ length: 510 }, (_, i) => trial(i, { params: { lr: 0.01, layers: 1, opt: "adam" }, value: i, finishedAt: 1000 * i + 5 }));
    const b = await studyBundle({ ...payload(many), view: "parallel" });
    expect(b["text/html"]).toContain("draw 500 of the 510 trials here (the best 250 and the latest others)");
    expect((await studyBundle({ ...payload(many), view: "history" }))["text/html"]).not.toContain("draw 500");
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
