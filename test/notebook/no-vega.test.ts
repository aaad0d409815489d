// Without a working vega the display still goes out: payload, a picture of the summary and the
// table, and text, and a note where the charts would be.
import { describe, expect, it, vi } from "vitest";
import { renderCharts, studyBundle } from "../../src/notebook/bundle";
import { studyPictureSvg } from "../../src/notebook/picture";
import { LiveDisplay } from "../../src/notebook/live";
import { Study } from "../../src/study/study";
import { runStudy } from "../../src/study/runner";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { payload, SPACE } from "../views/fixtures";

vi.mock("../../src/notebook/vega", () => {
  const fail = async () => {
    throw new Error("Cannot find package 'vega'");
  };
  return { renderSvg: fail, preloadVega: fail };
});

describe("without vega", () => {
  it("sends the payload, a picture of the summary and the table, and the text, and says why the charts are missing", async () => {
    const b = await studyBundle(payload());
    expect((b[STUDY_MIME] as StudyPayload).trials).toHaveLength(5);
    expect(b["image/png"]).toBeDefined();
    const charts = await renderCharts(payload());
    expect(charts.charts).toEqual([]);
    expect(charts.note).toBe("The charts could not be drawn here: Error: Cannot find package 'vega'");
    const { svg } = studyPictureSvg(payload(), charts.charts, { note: charts.note! });
    expect(svg).not.toMatch(/<svg [\s\S]*<svg /);
    expect(svg).toContain("The charts could not be drawn here: Error: Cannot find package &#39;vega&#39;");
    expect(svg).toContain(">state</text>");
  });

  it("keeps a live display going", async () => {
    const study = await Study.open({ name: "no-vega", space: SPACE, direction: "minimize", seed: 1 });
    const sent: boolean[] = [];
    const live = await LiveDisplay.start(study, (_c, update) => sent.push(update));
    await runStudy(study, (p: { layers: number }) => p.layers, { trials: 3 });
    const stats = await live.finish();
    expect(sent).toEqual([false, true]);
    expect(stats.messages).toBe(2);
  });
});
