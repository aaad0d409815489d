// The compare tab's data: best-so-far lines by trial number and by wall time, only where the
// best changes (plus the last trial), each study in its own direction; one row per trial with
// the study's label; labels tell apart studies that share a name.
import { describe, expect, it } from "vitest";
import { compareData, studyLabels } from "../../extension/src/browser/compare-data";
import { snapshot, trial } from "../views/fixtures";

describe("compareData", () => {
  const a = snapshot(
    [
      trial(0, { state: "complete", value: 5, startedAt: 1000, finishedAt: 3000 }),
      trial(1, { state: "complete", value: 7, startedAt: 1000, finishedAt: 2000 }),
      trial(2, { state: "failed", value: undefined, startedAt: 3000, finishedAt: 3500, error: "x" }),
      trial(3, { state: "complete", value: 2, startedAt: 4000, finishedAt: 6000 }),
      trial(4, { state: "running", value: undefined, startedAt: 6000, finishedAt: undefined }),
    ],
    { direction: "minimize" },
  );
  const b = snapshot([trial(0, { state: "complete", value: 1, startedAt: 0, finishedAt: 1000 }), trial(1, { state: "complete", value: 3, startedAt: 0, finishedAt: 4000 })], { direction: "maximize" });

  it("keeps the points where the best changes, carried on to the last trial", () => {
    const d = compareData([
      { label: "a", snapshot: a },
      { label: "b", snapshot: b },
    ]);
    expect(d.byTrial).toEqual([
      { study: "a", x: 0, best: 5 },
      { study: "a", x: 3, best: 2 },
      { study: "a", x: 4, best: 2 },
      { study: "b", x: 0, best: 1 },
      { study: "b", x: 1, best: 3 },
    ]);
    // By wall time: in finishing order, seconds since the study's first trial started.
    expect(d.byTime).toEqual([
      { study: "a", x: 1, best: 7 },
      { study: "a", x: 2, best: 5 },
      { study: "a", x: 5, best: 2 },
      { study: "b", x: 1, best: 1 },
      { study: "b", x: 4, best: 3 },
    ]);
    expect(d.mixed).toBe(true);
  });

  it("has one row per trial with its study, state, value, duration and parameters as text", () => {
    const d = compareData([
      { label: "a", snapshot: a },
      { label: "b", snapshot: b },
    ]);
    expect(d.rows).toHaveLength(7);
    expect(d.rows[0]).toMatchObject({ study: "a", number: 0, state: "complete", value: 5, seconds: 2 });
    expect(d.rows[4]).toMatchObject({ study: "a", number: 4, state: "running", value: null, seconds: null });
    expect(typeof d.rows[0]!.params).toBe("string");
  });

  it("lists a trial's parameters in the space's declared order, whatever order its record has them in", () => {
    const s = snapshot([trial(0, { params: { opt: "adam", momentum: 0.9, layers: 2, lr: 0.01 }, value: 1, finishedAt: 10 })]);
    expect(compareData([{ label: "s", snapshot: s }]).rows[0]!.params).toBe("lr=0.01, layers=2, opt=adam, momentum=0.9");
  });

  it("labels studies by name, adding the folder where two share one", () => {
    expect(studyLabels([{ name: "s", folder: ".tunelab" }, { name: "s", folder: "nb/.tunelab" }, { name: "t", folder: "" }])).toEqual(["s (.tunelab)", "s (nb/.tunelab)", "t"]);
  });
});
