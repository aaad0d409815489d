// Without a working vega the display still goes out: payload, table and text, and a note where
// the charts would be.
import { describe, expect, it, vi } from "vitest";
import { studyBundle } from "../../src/notebook/bundle";
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
  it("sends the payload, the table and the text, and says why the charts are missing", async () => {
    const b = await studyBundle(payload());
    expect((b[STUDY_MIME] as StudyPayload).trials).toHaveLength(5);
    expect(b["text/html"]).not.toContain("<img ");
    expect(b["text/html"]).toContain("<table");
    expect(b["text/html"]).toContain("The charts could not be drawn here: Error: Cannot find package &#39;vega&#39;");
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
