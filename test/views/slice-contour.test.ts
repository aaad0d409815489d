// Slice, contour and EDF data (src/views/slice.ts, contour.ts, edf.ts): one point per complete
// trial where the parameter is active, on the parameter's own scale; an interpolated surface that
// is exact at the data and lies between the data's extremes; an EDF that rises to 1 in at most
// EDF_POINTS steps; and static specs that vega renders.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contourData, defaultPair, interpolate } from "../../src/views/contour";
import { edfLine, EDF_POINTS } from "../../src/views/edf";
import { sliceData, paramAxis, objectiveAxis } from "../../src/views/slice";
import { viewSpecs } from "../../src/views/specs";
import { renderSvg } from "../../src/notebook/vega";
import { payload, trial } from "./fixtures";

describe("sliceData", () => {
  it("has a panel per parameter in declared order and a point per complete trial where the parameter is active", () => {
    const d = sliceData(payload());
    expect(d.panels.map((p) => p.name)).toEqual(["lr", "layers", "opt", "momentum"]);
    // #0 and #3 are complete; momentum is active only in #0 (sgd).
    expect(d.panels.map((p) => p.points.map((pt) => pt.trial))).toEqual([[0, 3], [0, 3], [0, 3], [0]]);
    expect(d.range).toEqual([0.25, 0.5]);
    const [lr, layers, opt] = d.panels;
    // lr is log over [1e-4, 1]: 0.01 sits at the middle, 0.001 at a quarter.
    expect(lr!.axis.kind).toBe("log");
    expect(lr!.points[0]!.x).toBeCloseTo(0.5, 12);
    expect(lr!.points[1]!.x).toBeCloseTo(0.25, 12);
    expect(layers!.points.map((p) => p.x)).toEqual([0.25, 0.5]);
    expect(layers!.axis.ticks.every((t) => Number.isInteger(Number(t.label)))).toBe(true);
    // opt: three bands; sgd's point within the first band, adam's within the second.
    expect(opt!.axis.bands).toBe(3);
    expect(opt!.points[0]!.x).toBeGreaterThan(0);
    expect(opt!.points[0]!.x).toBeLessThan(1 / 3);
    expect(opt!.points[1]!.x).toBeGreaterThan(1 / 3);
    expect(opt!.points[1]!.x).toBeLessThan(2 / 3);
    // The objective's axis: 0.25 at the bottom, 0.5 at the top.
    expect(lr!.points.map((p) => p.y)).toEqual([1, 0]);
  });

  it("every point lies in the unit square, inside its choice's band, one per complete trial and active parameter", () => {
    const space = { a: { type: "float", low: -3, high: 5 }, b: { type: "categorical", choices: ["x", "y", "z", "w"] }, c: { type: "float", low: 1e-3, high: 10, scale: "log" } } as const;
    const t = fc.record({
      state: fc.constantFrom("complete", "complete", "pruned", "failed", "running"),
      a: fc.double({ min: -3, max: 5, noNaN: true }),
      b: fc.option(fc.constantFrom("x", "y", "z", "w")),
      c: fc.double({ min: 1e-3, max: 10, noNaN: true }),
      v: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(t, { maxLength: 30 }), (rows) => {
        const trials = rows.map((r, i) => trial(i, { state: r.state as never, params: { a: r.a, c: r.c, ...(r.b === null ? {} : { b: r.b }) }, value: r.state === "failed" || r.state === "running" ? undefined : r.v, finishedAt: 10 }));
        const d = sliceData(payload(trials, { space }));
        const complete = rows.filter((r) => r.state === "complete");
        expect(d.panels[0]!.points).toHaveLength(complete.length);
        expect(d.panels[1]!.points).toHaveLength(complete.filter((r) => r.b !== null).length);
        for (const p of d.panels) for (const pt of p.points) for (const u of [pt.x, pt.y]) expect(u >= 0 && u <= 1).toBe(true);
        for (const pt of d.panels[1]!.points) expect(Math.floor(pt.x * 4)).toBe(["x", "y", "z", "w"].indexOf(String(pt.raw)));
      }),
      { numRuns: 60 },
    );
  });

  it("the objective's axis is log when positive values span more than three decades", () => {
    expect(objectiveAxis("loss", [0.001, 5]).axis.kind).toBe("log");
    expect(objectiveAxis("loss", [-1, 5]).axis.kind).toBe("linear");
    expect(objectiveAxis("loss", []).range).toEqual([0, 1]);
    expect(paramAxis("p", { type: "categorical", choices: ["a", "b"] }).pos("b")).toBe(0.75);
  });
});

describe("contourData", () => {
  it("defaults to the first two parameters while importance cannot tell, and has one point per complete trial with both active", () => {
    const p = payload();
    expect(defaultPair(p)).toEqual(["lr", "layers"]);
    expect(contourData(p, "lr", "layers").points.map((pt) => pt.trial)).toEqual([0, 3]);
    expect(contourData(p, "lr", "momentum").points.map((pt) => pt.trial)).toEqual([0]);
    expect(defaultPair(payload([], { space: { x: { type: "float", low: 0, high: 1 } } }))).toBeNull();
  });

  it("defaults to the two most important parameters (in declared order), keeps a shown pair while it stays in the top three, and stays two distinct declared parameters for any study", () => {
    const space = { a: { type: "float", low: 0, high: 1 }, b: { type: "float", low: 0, high: 1 }, c: { type: "float", low: 0, high: 1 }, d: { type: "float", low: 0, high: 1 } } as const;
    // The objective depends on d strongly, on b weakly, on a a little and not on c; points from a fixed low-discrepancy walk.
    const trials = Array.from({ length: 300 }, (_, i) => {
      const x = [0.7548776662, 0.5698402910, 0.4342, 0.31416].map((g) => (0.5 + g * (i + 1)) % 1);
      const [a, b, c, d] = x as [number, number, number, number];
      return trial(i, { params: { a, b, c, d }, value: 10 * (d - 0.3) ** 2 + 2 * (b - 0.6) ** 2 + 0.5 * (a - 0.5) ** 2 + 0 * c });
    });
    const p = payload(trials, { space });
    expect(defaultPair(p)).toEqual(["b", "d"]);
    // A pair already shown stays while both are among the three most important; otherwise the new top two.
    expect(defaultPair(p, ["a", "d"])).toEqual(["a", "d"]);
    expect(defaultPair(p, ["c", "d"])).toEqual(["b", "d"]);
    // Too few complete trials to tell: the first two declared.
    expect(defaultPair(payload(trials.slice(0, 2), { space }))).toEqual(["a", "b"]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { maxLength: 60 }), (rows) => {
        const pr = payload(rows.map(([a, b, c, v], i) => trial(i, { params: { a, b, c, d: 0.5 }, value: v })), { space });
        const pair = defaultPair(pr);
        expect(pair).not.toBeNull();
        expect(new Set(pair).size).toBe(2);
        for (const n of pair!) expect(Object.keys(space)).toContain(n);
      }),
      { numRuns: 60 },
    );
  });

  it("the surface is exact in cells holding trials and lies within the data's range everywhere", () => {
    const axis = objectiveAxis("v", [0, 1]).axis;
    fc.assert(
      fc.property(fc.array(fc.record({ x: fc.double({ min: 0, max: 1, noNaN: true }), y: fc.double({ min: 0, max: 1, noNaN: true }), value: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 40 }), (pts) => {
        const grid = 8;
        const cells = interpolate(pts.map((p, i) => ({ trial: i, ...p })), grid, axis);
        const lo = Math.min(...pts.map((p) => p.value));
        const hi = Math.max(...pts.map((p) => p.value));
        for (const v of cells) expect(v >= lo - 1e-12 && v <= hi + 1e-12).toBe(true);
        // A cell holding exactly one trial shows that trial's value.
        const byCell = new Map<number, number[]>();
        for (const p of pts) {
          const k = Math.min(grid - 1, Math.floor(p.y * grid)) * grid + Math.min(grid - 1, Math.floor(p.x * grid));
          byCell.set(k, [...(byCell.get(k) ?? []), p.value]);
        }
        for (const [k, vs] of byCell) if (vs.length === 1) expect(cells[k]).toBeCloseTo(vs[0]!, 12);
      }),
      { numRuns: 60 },
    );
  });

  it("a minimum in one corner makes that corner the surface's lowest region", () => {
    const trials = [];
    for (let i = 0; i < 60; i++) {
      const x = (i % 8) / 7;
      const y = Math.floor(i / 8) / 7;
      trials.push(trial(i, { params: { x, y }, value: x + y, finishedAt: 1 }));
    }
    const d = contourData(payload(trials, { space: { x: { type: "float", low: 0, high: 1 }, y: { type: "float", low: 0, high: 1 } } }), "x", "y");
    const g = d.grid;
    expect(d.cells[0]!).toBeLessThan(d.cells[g * g - 1]!);
    expect(d.cells[0]!).toBeLessThan(0.1);
    expect(Number.isNaN(d.cells[5 * g + 20]!)).toBe(false);
  });
});

describe("edfLine", () => {
  it("rises to 1, never falls, ties collapse, and keeps at most EDF_POINTS points", () => {
    expect(edfLine([3, 1, 2, 2, Number.NaN])).toEqual([
      { x: 1, p: 0.25 },
      { x: 2, p: 0.75 },
      { x: 3, p: 1 },
    ]);
    expect(edfLine([])).toEqual([]);
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 1500 }), (vs) => {
        const line = edfLine(vs);
        expect(line.length).toBeLessThanOrEqual(EDF_POINTS);
        if (vs.length === 0) return;
        expect(line[line.length - 1]!.p).toBe(1);
        expect(line[0]!.x).toBe(Math.min(...vs));
        for (let i = 1; i < line.length; i++) {
          expect(line[i]!.x).toBeGreaterThan(line[i - 1]!.x);
          expect(line[i]!.p).toBeGreaterThan(line[i - 1]!.p);
        }
        // Each point's share is exact.
        for (const pt of line) expect(pt.p).toBe(vs.filter((v) => v <= pt.x).length / vs.length);
      }),
      { numRuns: 40 },
    );
  });
});

describe("static slice and contour specs", () => {
  it("render to SVG with a mark per complete trial and active parameter", async () => {
    const specs = viewSpecs(payload(), ["slice", "contour"]);
    expect(specs.map((s) => s.name)).toEqual(["slice", "contour"]);
    const slice = await renderSvg(specs[0]!.spec);
    // A symbol group per parameter, a path per point: 2 + 2 + 2 + 1 (momentum only where opt is sgd).
    const points = slice.split('class="mark-symbol').slice(1).map((g) => (g.split("</g>")[0]!.match(/<path/g) ?? []).length);
    expect(points).toEqual([2, 2, 2, 1]);
    expect(slice).toContain("momentum");
    const contour = await renderSvg(specs[1]!.spec);
    expect(contour).toContain("loss: lr × layers");
  }, 60_000);
});
