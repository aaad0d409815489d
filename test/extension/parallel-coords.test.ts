// Parallel coordinates in a real JupyterLab and Chromium (issue 12): bands on several axes at
// once filter together; axes move when their names are dragged, and stay moved across live
// updates; pruned lines are dashed and failed ones grey and dotted down to a "failed" band;
// lines never cover a tick label; the axes use the whole width; one legend and one colour scale
// (the shared one of src/views/encoding.ts) in the light and the dark theme.
// Screenshots go to $TUNELAB_ARTIFACTS or a temp dir.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inBrush, type Brush } from "../../extension/src/brush";
import { StudyModel } from "../../extension/src/study-model";
import { NO_VALUE_COLOR, goodness, objectiveColor, STATE_DASHES } from "../../src/views/encoding";
import { axisLabels } from "../../src/views/parallel";
import type { PayloadTrial, StudyPayload } from "../../src/views/payload";
import { makeRepoTempDir, removeDir, writeNotebook } from "../helpers/jupyter";
import { replaceOutput, setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";
import { commonColours as common, pixelsOf, probe as probeCanvas, rgb } from "./canvas-probe";
import { notebookWithOutputs, studyOutput, syntheticPayload } from "./study-fixtures";

const layerOf = (w: Locator) => w.locator("canvas.tl-lines-parallel");
const probe = (w: Locator, points: readonly (readonly [number, number])[]) => probeCanvas(layerOf(w), points);
const commonColours = (w: Locator, n: number) => common(layerOf(w), n);
const vegaPixels = (w: Locator, want: readonly [number, number, number]) => pixelsOf(w.locator(".tl-chart-parallel canvas"), want);


const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
const STUDY = syntheticPayload({ trials: 60, params: 4, steps: 6, seed: 9, name: "brushes" });

/** Four trials whose lines don't cross: complete (x = y = 0.1), failed (0.3), pruned (0.5 -> 0.55), complete (0.9). */
function trio(): StudyPayload {
  const t = (number: number, state: PayloadTrial["state"], x: number, y: number, value: number | null): PayloadTrial => ({
    number,
    state,
    params: { x, y },
    value,
    metrics: {},
    intermediate: [],
    startedAt: 1000 * number,
    finishedAt: 1000 * number + 500,
    error: state === "failed" ? "diverged" : null,
    system: {},
  });
  return {
    version: 1,
    study: { name: "trio", direction: "minimize", metric: "loss", strategy: "random", space: { x: { type: "float", low: 0, high: 1 }, y: { type: "float", low: 0, high: 1 } }, paramOrder: ["x", "y"] },
    trials: [t(0, "complete", 0.1, 0.1, 1), t(1, "failed", 0.3, 0.3, null), t(2, "pruned", 0.5, 0.55, 2), t(3, "complete", 0.9, 0.9, 3)],
    running: false,
    updatedAt: 5000,
  };
}

interface Layout {
  axes: { axis: number; name: string; x: number }[];
  y1: number;
  y0: number;
  yFailed: number | null;
}

async function layout(w: Locator): Promise<Layout> {
  return JSON.parse((await w.locator(".tl-chart-parallel").getAttribute("data-layout"))!) as Layout;
}

/** Page coordinates of a point of the chart (x, y in the chart canvas' CSS pixels). */
async function at(w: Locator, x: number, y: number): Promise<{ x: number; y: number }> {
  const box = (await w.locator(".tl-chart-parallel canvas").boundingBox())!;
  return { x: box.x + x, y: box.y + y };
}

/** Drags along axis `name` from position `from` to `to` (normalised: 0 bottom, 1 top). */
async function band(page: Page, w: Locator, name: string, from: number, to: number): Promise<void> {
  const l = await layout(w);
  const a = l.axes.find((x) => x.name === name)!;
  const y = (n: number) => l.y0 + (l.y1 - l.y0) * n;
  const p = await at(w, a.x, y(from));
  const q = await at(w, a.x + 2, y(to));
  await page.mouse.move(p.x, p.y);
  await page.mouse.down();
  await page.mouse.move(q.x, q.y, { steps: 6 });
  await page.mouse.up();
}

describe("parallel coordinates in JupyterLab", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;
  let study: Locator;
  let small: Locator;

  beforeAll(async () => {
    root = makeRepoTempDir("ext-parallel");
    writeNotebook(path.join(root, "p.ipynb"), notebookWithOutputs([[studyOutput(STUDY)], [studyOutput({ ...trio(), view: "parallel" })]]));
    lb = await startLabBrowser(root, { height: 1600 });
    page = await lb.openNotebook("p.ipynb");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".tl-study")).filter((w) => Number(w.getAttribute("data-renders") ?? 0) >= 1).length === 2, null, { timeout: 60_000 });
    study = page.locator(".tl-study").nth(0);
    small = page.locator(".tl-study").nth(1);
    await page.waitForTimeout(300);
    console.log(`screenshots in ${ARTIFACTS}`);
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("filters by bands on two axes at once: a trial must pass both", async () => {
    await band(page, study, "lr", 0.2, 0.75);
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBeLessThan(60);
    await band(page, study, "opt", 1, 0.45); // rmsprop and adam, not sgd
    await expect.poll(async () => JSON.parse((await study.locator(".tl-chart-parallel").getAttribute("data-brush"))!).length).toBe(2);
    const brush = JSON.parse((await study.locator(".tl-chart-parallel").getAttribute("data-brush"))!) as Brush;
    expect(brush.map((b) => b.axis)).toEqual([0, 2]);
    // The trials every view shows are those in both bands, as the brush's own rule says.
    const model = StudyModel.from(STUDY);
    const pass = (b: Brush) => model.rows.filter((r) => inBrush(b, model.positions(r.number))).map((r) => r.number);
    const both = pass(brush);
    expect(both.length).toBeGreaterThan(0);
    expect(both.length).toBeLessThan(Math.min(pass([brush[0]!]).length, pass([brush[1]!]).length));
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBe(both.length);
    const rows = await study.locator(".tl-body .tl-row").evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-trial"))));
    expect(rows.sort((a, b) => a - b)).toEqual(both);
    expect(await study.locator(".tl-chart-parallel").getAttribute("data-active-lines")).toBe(String(both.length));
    expect(await study.locator(".tl-filter-info").textContent()).toMatch(/brushed: lr .+ – .+, opt adam – rmsprop/);
    await study.locator(".tl-panel-parallel").screenshot({ path: path.join(ARTIFACTS, "parallel-two-bands-light.png") });
    // A click on an axis outside its band removes that band alone.
    const l = await layout(study);
    const lr = l.axes.find((a) => a.name === "lr")!;
    const p = await at(study, lr.x, l.y0 + (l.y1 - l.y0) * 0.95);
    await page.mouse.click(p.x, p.y);
    await expect.poll(async () => JSON.parse((await study.locator(".tl-chart-parallel").getAttribute("data-brush"))!).map((b: { axis: number }) => b.axis)).toEqual([2]);
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBe(pass([brush[1]!]).length);
  });

  it("moves an axis when its name is dragged, and keeps the order (and the bands) through a live update", async () => {
    const before = await layout(study);
    expect(before.axes.map((a) => a.name)).toEqual(["lr", "layers", "opt", "momentum", "loss"]);
    const opt = before.axes.find((a) => a.name === "opt")!;
    const p = await at(study, opt.x, before.y1 - 14);
    const q = await at(study, before.axes[0]!.x + 4, before.y1 - 14);
    const pixels = await study.locator("canvas.tl-lines-parallel").screenshot();
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(q.x, q.y, { steps: 10 });
    await page.mouse.up();
    await expect.poll(async () => (await layout(study)).axes.map((a) => a.name)).toEqual(["opt", "lr", "layers", "momentum", "loss"]);
    // The lines follow their axes.
    await expect.poll(async () => (await study.locator("canvas.tl-lines-parallel").screenshot()).equals(pixels)).toBe(false);
    await study.locator(".tl-panel-parallel").screenshot({ path: path.join(ARTIFACTS, "parallel-moved-axis-light.png") });
    const renders = Number(await study.getAttribute("data-renders"));
    await replaceOutput(page, 0, studyOutput(syntheticPayload({ trials: 64, params: 4, steps: 6, seed: 9, name: "brushes" })));
    await expect.poll(async () => Number(await study.getAttribute("data-renders"))).toBeGreaterThan(renders);
    expect((await layout(study)).axes.map((a) => a.name)).toEqual(["opt", "lr", "layers", "momentum", "loss"]);
    expect(JSON.parse((await study.locator(".tl-chart-parallel").getAttribute("data-brush"))!)).toHaveLength(1);
    // Double-click removes every band.
    const mid = await at(study, (before.axes[1]!.x + before.axes[2]!.x) / 2, (before.y0 + before.y1) / 2);
    await page.mouse.dblclick(mid.x, mid.y);
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBe(64);
  });

  it("draws pruned lines dashed and failed ones grey and dotted down to the objective's failed band", async () => {
    const l = await layout(small);
    await small.locator(".tl-panel-parallel").screenshot({ path: path.join(ARTIFACTS, "parallel-states-light.png") });
    expect(l.yFailed).not.toBeNull();
    const [ax, ay] = [l.axes[0]!.x, l.axes[1]!.x];
    const y = (n: number) => l.y0 + (l.y1 - l.y0) * n;
    /** Along the segment between the first two axes: the share of points drawn, and the colour where it is solid. */
    const along = async (from: number, to: number) => {
      const points: [number, number][] = [];
      for (let t = 0.15; t <= 0.85; t += 0.005) points.push([ax + (ay - ax) * t, y(from) + (y(to) - y(from)) * t]);
      const got = await probe(small, points);
      // The colour where the line is most opaque (a canvas gives it back un-premultiplied).
      const solid = got.reduce((a, b) => (b[3]! > a[3]! ? b : a));
      return { share: got.filter((p) => p[3]! > 60).length / got.length, colour: solid.slice(0, 3) };
    };
    const complete = await along(0.1, 0.1);
    const failed = await along(0.3, 0.3);
    const pruned = await along(0.5, 0.55);
    expect(complete.share).toBeGreaterThan(0.95);
    const dashShare = (d: readonly number[]) => d[0]! / (d[0]! + d[1]!);
    expect(pruned.share).toBeGreaterThan(dashShare(STATE_DASHES.pruned) - 0.2);
    expect(pruned.share).toBeLessThan(0.9);
    expect(failed.share).toBeGreaterThan(dashShare(STATE_DASHES.failed) - 0.25);
    expect(failed.share).toBeLessThan(0.7);
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 4);
    expect([failed.colour, near(failed.colour, rgb(NO_VALUE_COLOR))]).toEqual([failed.colour, true]);
    expect([pruned.colour, near(pruned.colour, rgb(objectiveColor(goodness("minimize", 0.5))))]).toEqual([pruned.colour, true]);
    expect([complete.colour, near(complete.colour, rgb(objectiveColor(1)))]).toEqual([complete.colour, true]); // the best (loss 1)
    // The failed line ends on the failed band under the objective's axis.
    const end = await probe(small, [2, 3, 4, 5, 6, 7, 8].map((dx) => [l.axes[2]!.x - dx, l.yFailed! - dx * 0.1] as const));
    expect(end.some((p) => p[3]! > 60)).toBe(true);
  }, 60_000);

  it("never lets a line cover a tick label, and spreads the axes over the whole width", async () => {
    const shown = syntheticPayload({ trials: 64, params: 4, steps: 6, seed: 9, name: "brushes" }); // after the live update above
    for (const [w, p] of [[small, trio()], [study, shown]] as const) {
      const l = await layout(w);
      const axes = StudyModel.from(p).parallel.axes;
      const width = (await w.locator(".tl-chart-parallel canvas").boundingBox())!.width;
      // Under each tick label (right of its axis, at its height) the layer is empty.
      const points: [number, number][] = [];
      for (const a of l.axes) {
        for (const n of axisLabels(axes[a.axis]!).map((t) => t.norm)) {
          const cy = l.y0 + (l.y1 - l.y0) * n;
          for (let dx = 6; dx <= 10; dx += 2) for (let dy = -2; dy <= 2; dy += 2) points.push([a.x + dx, cy + dy]);
        }
      }
      const got = await probe(w, points);
      expect(points.filter((_, i) => got[i]![3]! > 0)).toEqual([]);
      expect(l.axes[0]!.x).toBeLessThan(width * 0.06);
      expect(l.axes[l.axes.length - 1]!.x).toBeGreaterThan(width * 0.88);
    }
  }, 60_000);

  it("has one colour scale and one legend in the light and the dark theme", async () => {
    const colours = async () => ({
      // The legend's gradient, in vega's canvas: its two ends are the scale's ends.
      legend: [await vegaPixels(study, rgb(objectiveColor(1))), await vegaPixels(study, rgb(objectiveColor(0)))],
      // The lines' colours on the layer: the most common opaque ones.
      top: await commonColours(study, 6),
    });
    const light = await colours();
    await setTheme(page, "JupyterLab Dark");
    await page.waitForTimeout(1000);
    const dark = await colours();
    await study.locator(".tl-panel-parallel").screenshot({ path: path.join(ARTIFACTS, "parallel-dark.png") });
    await setTheme(page, "JupyterLab Light");
    for (const c of [light, dark]) {
      expect(c.legend[0]).toBeGreaterThan(8);
      expect(c.legend[1]).toBeGreaterThan(8);
    }
    expect(dark.top).toEqual(light.top);
    const palette = Array.from({ length: 48 }, (_, i) => rgb(objectiveColor((i + 0.5) / 48)));
    for (const k of light.top) {
      const c = k.split(",").map(Number);
      expect([k, palette.some((p) => p.every((v, i) => Math.abs(v - c[i]!) <= 3))]).toEqual([k, true]);
    }
  }, 60_000);
});
