// What links the extension's views, as plain code: the model built from the shared view data,
// the brush (a band per brushed axis -> which trials pass, all bands at once), and the view state
// that the table and charts share (selection, state filter, brush).
import { describe, expect, it } from "vitest";
import { bandOf, describeBrush, inBrush, valueAt, withBand, withoutBand } from "../../extension/src/brush";
import { FAILED_POSITION } from "../../src/views/encoding";
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

  it("places trials with a value on every axis (parameters, then the objective); failed ones on the objective's failed band", () => {
    const m = model();
    const lr = m.parallel.axes.findIndex((a) => a.name === "lr");
    const objective = m.parallel.axes.length - 1;
    expect(m.positions(3)![lr]).toBeCloseTo(0.25); // 1e-3 on a log axis 1e-4..1
    expect(m.positions(3)![objective]).toBe(0); // the lowest value seen
    expect(m.positions(3)![m.parallel.axes.findIndex((a) => a.name === "momentum")]).toBeNull();
    expect(m.positions(1)![objective]).toBe(FAILED_POSITION); // failed: no objective value
    expect(m.positions(1)![lr]).toBe(0); // lr 1e-4
    expect(m.parallel.axes[objective]!.failedBand).toBe(true);
    expect(m.positions(4)).toBeUndefined(); // running: no line
  });
});

describe("the brush", () => {
  it("holds one band per axis: a new band on an axis replaces its old one, others stay", () => {
    let b = withBand(null, { axis: 2, lo: 0.2, hi: 0.6 });
    b = withBand(b, { axis: 0, lo: 0.1, hi: 0.3 });
    expect(b).toEqual([{ axis: 0, lo: 0.1, hi: 0.3 }, { axis: 2, lo: 0.2, hi: 0.6 }]);
    b = withBand(b, { axis: 2, lo: 0.5, hi: 0.9 });
    expect(b).toEqual([{ axis: 0, lo: 0.1, hi: 0.3 }, { axis: 2, lo: 0.5, hi: 0.9 }]);
    expect(bandOf(b, 2)).toEqual({ axis: 2, lo: 0.5, hi: 0.9 });
    expect(bandOf(b, 1)).toBeUndefined();
    expect(withoutBand(b, 0)).toEqual([{ axis: 2, lo: 0.5, hi: 0.9 }]);
    expect(withoutBand(withoutBand(b, 0), 2)).toBeNull();
  });

  it("keeps a trial only when it lies in the band on every brushed axis", () => {
    const b = [
      { axis: 0, lo: 0.2, hi: 0.6 },
      { axis: 2, lo: 0.5, hi: 0.7 },
    ];
    expect(inBrush(b, [0.3, 0.9, 0.6])).toBe(true);
    expect(inBrush(b, [0.3, 0.9, 0.71])).toBe(false); // out on the second axis
    expect(inBrush(b, [0.1, 0.9, 0.6])).toBe(false); // out on the first
    expect(inBrush(b, [0.3, 0.5, null])).toBe(false); // no value on a brushed axis
    expect(inBrush(b, undefined)).toBe(false);
  });

  it("describes the band on each axis in that axis's own units", () => {
    const m = model();
    const lr = m.parallel.axes.find((a) => a.name === "lr")!;
    expect(valueAt(lr, 0.5)).toBe("0.01"); // log axis 1e-4..1
    const opt = m.parallel.axes.find((a) => a.name === "opt")!;
    expect(valueAt(opt, 0.1)).toBe("sgd");
    expect(valueAt(opt, 0.9)).toBe("rmsprop");
    const loss = m.parallel.axes[m.parallel.axes.length - 1]!;
    expect(valueAt(loss, FAILED_POSITION)).toBe("failed");
    expect(describeBrush(m.parallel.axes, [{ axis: 0, lo: 0, hi: 0.5 }, { axis: 2, lo: 0, hi: 0.5 }])).toBe("lr 1e-4 – 0.01, opt sgd – adam");
    expect(describeBrush(m.parallel.axes, [{ axis: 4, lo: FAILED_POSITION - 0.02, hi: 0 }])).toBe("loss failed – 0.25");
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
    s.setBrush([{ axis: lr, lo: 0, hi: 0.55 }]); // lr <= ~0.016: #0 (0.01), #1 (failed, 1e-4) and #3 (0.001); #2 (lr 1) out, #4 has no line
    expect([...s.visible(m)]).toEqual([0, 1, 3]);
    const objective = m.parallel.axes.length - 1;
    s.setBrush(withBand(s.brush, { axis: objective, lo: 0, hi: 0.3 })); // and a loss below ~0.45 (axis 0.25..0.9): #3 (0.25) only
    expect([...s.visible(m)]).toEqual([3]);
    s.setBrush(withBand(s.brush, { axis: objective, lo: FAILED_POSITION - 0.02, hi: 0.3 })); // the failed band too: #1 back
    expect([...s.visible(m)]).toEqual([1, 3]);
    s.setStateShown("complete", false);
    expect([...s.visible(m)]).toEqual([1]);
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
