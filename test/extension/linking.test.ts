// What links the extension's views, as plain code: the model built from the shared view data,
// the brush (vega's interval signal -> axes and band -> which trials pass), and the view state
// that the table and charts share (selection, state filter, brush).
import { describe, expect, it } from "vitest";
import { brushFrom, describeBrush, inBrush, valueAt } from "../../extension/src/brush";
import { StudyModel } from "../../extension/src/study-model";
import { ViewState } from "../../extension/src/view-state";
import { payload, sampleTrials } from "../views/fixtures";

// sampleTrials(): #0 complete 0.5 (sgd, lr 0.01), #1 failed, #2 pruned 0.9 (lr 1), #3 complete 0.25 (best, lr 0.001), #4 running.
const model = () => StudyModel.from(payload(sampleTrials()));

describe("StudyModel", () => {
  it("knows the best trial, every trial by number and its configuration as text", () => {
    const m = model();
    expect(m.best).toBe(3);
    expect(m.trial(2)?.state).toBe("pruned");
    expect(m.trial(99)).toBeUndefined();
    expect(m.paramsText(0)).toBe("lr=0.01, layers=2, opt=sgd, momentum=0.9");
    expect(m.paramsText(3)).toBe("lr=0.001, layers=3, opt=adam"); // momentum inactive: left out
  });

  it("places trials with a value on every axis (parameters, then the objective); others have no line", () => {
    const m = model();
    const lr = m.parallel.axes.findIndex((a) => a.name === "lr");
    expect(m.positions(3)![lr]).toBeCloseTo(0.25); // 1e-3 on a log axis 1e-4..1
    expect(m.positions(3)![m.parallel.axes.length - 1]).toBe(0); // the lowest value seen
    expect(m.positions(3)![m.parallel.axes.findIndex((a) => a.name === "momentum")]).toBeNull();
    expect(m.positions(1)).toBeUndefined(); // failed: no objective value
    expect(m.positions(4)).toBeUndefined(); // running
  });
});

describe("the brush", () => {
  it("turns vega's interval signal into the axes it covers and a band in [0, 1]", () => {
    expect(brushFrom({ d: [0.9, 1.1], y: [0.2, 0.6] }, 5)).toEqual({ axes: [1], lo: 0.2, hi: 0.6 });
    expect(brushFrom({ d: [2.1, 0.95], y: [0.6, 0.2] }, 5)).toEqual({ axes: [1, 2], lo: 0.2, hi: 0.6 }); // drawn right to left, bottom up
    expect(brushFrom({ d: [3.85, 4.3], y: [-0.5, 1.5] }, 5)).toEqual({ axes: [4], lo: 0, hi: 1 }); // near the last axis, clamped
  });

  it("is no brush when cleared, between axes, flat, or malformed", () => {
    expect(brushFrom({}, 5)).toBeNull();
    expect(brushFrom({ d: [1.3, 1.7], y: [0.2, 0.6] }, 5)).toBeNull();
    expect(brushFrom({ d: [1, 1.1], y: [0.4, 0.4] }, 5)).toBeNull();
    expect(brushFrom({ d: ["a", 1], y: [0, 1] }, 5)).toBeNull();
    expect(brushFrom(null, 5)).toBeNull();
  });

  it("keeps a trial only when it lies in the band on every covered axis", () => {
    const b = { axes: [0, 2], lo: 0.2, hi: 0.6 };
    expect(inBrush(b, [0.3, 0.9, 0.6])).toBe(true);
    expect(inBrush(b, [0.3, 0.9, 0.61])).toBe(false);
    expect(inBrush(b, [0.3, 0.5, null])).toBe(false); // no value on a brushed axis
    expect(inBrush(b, undefined)).toBe(false);
  });

  it("describes the band in each axis's own units", () => {
    const m = model();
    const lr = m.parallel.axes.find((a) => a.name === "lr")!;
    expect(valueAt(lr, 0.5)).toBe("0.01"); // log axis 1e-4..1
    const opt = m.parallel.axes.find((a) => a.name === "opt")!;
    expect(valueAt(opt, 0.1)).toBe("sgd");
    expect(valueAt(opt, 0.9)).toBe("rmsprop");
    expect(describeBrush(m.parallel.axes, { axes: [0, 2], lo: 0, hi: 0.5 })).toBe("lr 1e-4 – 0.01, opt sgd – adam");
  });
});

describe("ViewState", () => {
  it("tells every view about a selection and which view made it", () => {
    const s = new ViewState();
    const seen: string[] = [];
    s.subscribe((change, source) => seen.push(`${change}:${source}`));
    s.select(3, "table");
    s.select(3, "parallel"); // no change, no notice
    s.select(null, "selection");
    expect(seen).toEqual(["selection:table", "selection:selection"]);
    expect(s.selected).toBeNull();
  });

  it("filters by state and by the brush, together", () => {
    const m = model();
    const s = new ViewState();
    expect([...s.visible(m)]).toEqual([0, 1, 2, 3, 4]);
    s.setStateShown("complete", false);
    expect([...s.visible(m)]).toEqual([1, 2, 4]);
    expect(s.filtering).toBe(true);
    s.setStateShown("complete", true);
    const lr = m.parallel.axes.findIndex((a) => a.name === "lr");
    s.setBrush({ axes: [lr], lo: 0, hi: 0.55 }); // lr <= ~0.016: #0 (0.01) and #3 (0.001); #2 (lr 1) out, #1 and #4 have no line
    expect([...s.visible(m)]).toEqual([0, 3]);
    s.setStateShown("complete", false);
    expect([...s.visible(m)]).toEqual([]);
  });

  it("recomputes the visible set only when the filters or the model change", () => {
    const m = model();
    const s = new ViewState();
    const v0 = s.filterVersion;
    const first = s.visible(m);
    expect(s.visible(m)).toBe(first);
    s.select(1, "table"); // a selection is not a filter
    expect(s.visible(m)).toBe(first);
    s.setBrush(null); // already none: no change
    expect(s.filterVersion).toBe(v0);
    s.setStateShown("failed", false);
    expect(s.filterVersion).toBe(v0 + 1);
    expect(s.visible(m)).not.toBe(first);
    expect(s.visible(model())).not.toBe(s.visible(m));
  });
});
