// Learning curves of a Hyperband-like study in the extension (issue 6), in a real JupyterLab and
// Chromium: the bracket legend (toggle buttons that filter the curves), rung lines, a marker
// where each trial stopped and a tooltip saying where and why, the selection still linked, and
// a plain study unchanged. The payload is made by hand with the contract's system records.
// Screenshots (light and dark) go to $TUNELAB_ARTIFACTS, or a fresh temp dir printed by the test.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curvesData, curveStops } from "../../src/views/curves";
import { makeRepoTempDir, removeDir, writeNotebook } from "../helpers/jupyter";
import { setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";
import { hyperbandPayload, notebookWithOutputs, studyOutput, syntheticPayload } from "./study-fixtures";

const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
// Brackets 0..4 (rungs 1, 3, 9, 27 below maxResource 81); #9 and #14 stopped by the median rule
// at step 12, #4 failed at step 2, the last two running.
const HB0 = hyperbandPayload({ trials: 60, median: [9, 14], failed: [4], running: 2 });
const PLAIN = syntheticPayload({ trials: 12, params: 3, steps: 10, seed: 5, name: "plain" });

/** The trial stopped at rung `rung` whose marker is farthest from the others there (the easiest to hover). */
function loneStop(rung: number, data = curvesData(HB)) {
  const at = data.trials.filter((t) => t.stop?.rule === "rung" && t.stop.rung === rung && t.stop.step === rung);
  const gap = (t: (typeof at)[number]) => Math.min(...data.trials.filter((u) => u !== t && u.points.some(([s]) => s === rung)).map((u) => Math.abs(u.points.find(([s]) => s === rung)![1] - t.stop!.value)));
  return at.sort((a, b) => gap(b) - gap(a))[0]!;
}

// The trial the hover test reads was let on at its first rung by hedged stopping (asha's default), as its record says.
const HEDGED = loneStop(9, curvesData(HB0)).number;
const HB = {
  ...HB0,
  trials: HB0.trials.map((t) => (t.number === HEDGED ? { ...t, system: { ...t.system, hyperband: { ...(t.system["hyperband"] as object), hedged: [0] } } } : t)),
};
const data = curvesData(HB);

/** Where (page pixels) the curves chart of output cell `cell` draws (step, value). */
async function pointAt(page: Page, cell: number, step: number, value: number): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ({ cell, step, value }) => {
      type Chart = { view: V | null; node: HTMLElement };
      type W = { widgets?: W[]; charts?: { row: { name: string }; chart: Chart }[] };
      type V = { origin(): [number, number]; padding(): { left: number; top: number }; scale(n: string): (v: number) => number };
      const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { content: { widgets: { outputArea: W }[] } } } } }).jupyterapp;
      const find = (w: W): W | undefined => (w.charts ? w : (w.widgets ?? []).map(find).find(Boolean));
      const chart = find(app.shell.currentWidget.content.widgets[cell]!.outputArea)!.charts!.find((c) => c.row.name === "curves")!.chart;
      const view = chart.view!;
      // vega draws the plot at its padding plus the layout's origin.
      const [ox, oy] = [view.origin()[0] + view.padding().left, view.origin()[1] + view.padding().top];
      const box = chart.node.querySelector("canvas")!.getBoundingClientRect();
      return { x: box.left + ox + view.scale("x")(step), y: box.top + oy + view.scale("y")(value) };
    },
    { cell, step, value },
  );
}

async function selectedSignal(page: Page, cell: number): Promise<unknown> {
  return page.evaluate((cell) => {
    type W = { widgets?: W[]; charts?: { row: { name: string }; chart: { view: { signal(n: string): unknown } | null } }[] };
    const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { content: { widgets: { outputArea: W }[] } } } } }).jupyterapp;
    const find = (w: W): W | undefined => (w.charts ? w : (w.widgets ?? []).map(find).find(Boolean));
    return find(app.shell.currentWidget.content.widgets[cell]!.outputArea)!.charts!.find((c) => c.row.name === "curves")!.chart.view!.signal("sel");
  }, cell);
}

/**
 * Hovers around (within 3 px of) the point until the tooltip names trial `trial`, as a person
 * nudges the pointer onto a marker; returns the tooltip's text then (or the last one seen).
 */
async function hoverTrial(page: Page, at: { x: number; y: number }, trial: number): Promise<string> {
  const tooltip = page.locator(".tl-tooltip");
  for (const [dx, dy] of [[0, 0], [0, 1], [-1, 0], [1, 0], [0, -1], [0, 2], [-1, 1], [1, 1], [0, -2], [2, 0], [-2, 0], [0, 3], [-1, 2], [1, 2]]) {
    await page.mouse.move(at.x + dx!, at.y + dy!);
    // The widget draws the tooltip on the pointer event; give a busy machine a moment.
    const named = await page
      .waitForFunction((t) => document.querySelector(".tl-tooltip:not([hidden])")?.textContent?.startsWith(`Trial ${t} ·`) === true, trial, { timeout: 500 })
      .then(() => true, () => false);
    if (named) return (await tooltip.textContent()) ?? "";
  }
  return (await tooltip.textContent().catch(() => "")) ?? "";
}

describe("learning curves of a study with brackets, in JupyterLab", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;
  let hb: Locator;
  let plain: Locator;

  beforeAll(async () => {
    root = makeRepoTempDir("ext-curves");
    writeNotebook(path.join(root, "curves.ipynb"), notebookWithOutputs([[studyOutput(HB)], [studyOutput(PLAIN)]]));
    lb = await startLabBrowser(root, { height: 1400 });
    page = await lb.openNotebook("curves.ipynb");
    await page.waitForFunction(() => document.querySelectorAll(".tl-study").length === 2, null, { timeout: 60_000 });
    hb = page.locator(".tl-study").nth(0);
    plain = page.locator(".tl-study").nth(1);
    for (const w of [hb, plain]) await w.locator(".tl-chart-curves canvas").waitFor({ timeout: 60_000 });
    console.log(`screenshots in ${ARTIFACTS}`);
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("shows the bracket legend, the rung lines and a marker where each trial stopped", async () => {
    const chart = hb.locator(".tl-chart-curves");
    const legend = hb.locator(".tl-curves-legend");
    expect(await legend.isVisible()).toBe(true);
    expect(await legend.locator(".tl-bracket").evaluateAll((bs) => bs.map((b) => b.getAttribute("data-bracket")))).toEqual(["0", "1", "2", "3", "4"]);
    expect(await legend.locator(".tl-bracket").first().textContent()).toBe(`0(${data.trials.filter((t) => t.bracket === 0).length})`);
    expect(await legend.locator(".tl-end").allTextContents()).toEqual(["✖stopped at a rung", "▽median rule", "◇failed", "┆ rungs"]);
    expect(await hb.locator(".tl-panel-curves > .tl-caption").textContent()).toContain("by bracket");
    expect(await plain.locator(".tl-panel-curves > .tl-caption").textContent()).toBe("Learning curves · each trial's reported values by step");
    expect(await chart.getAttribute("data-rungs")).toBe("1,3,9,27");
    expect(Number(await chart.getAttribute("data-stops"))).toBe(curveStops(data).length);
    expect(await chart.getAttribute("data-curves")).toBe(String(data.trials.length));
    // The legend sits in the curves panel, above the chart.
    expect(await hb.locator(".tl-panel-curves > .tl-curves-legend + .tl-chart-curves").count()).toBe(1);
    await hb.locator(".tl-panel-curves").screenshot({ path: path.join(ARTIFACTS, "curves-brackets-light.png") });
  });

  it("hovering a stop marker says where and why the trial stopped; clicking it selects the trial everywhere", async () => {
    const median = data.trials.find((t) => t.number === 9)!.stop!;
    const text = await hoverTrial(page, await pointAt(page, 0, median.step, median.value), 9);
    expect(text).toContain("Trial 9 · bracket 4 · stopped by the median rule at step 12");
    await page.mouse.down();
    await page.mouse.up();
    expect(await hb.getAttribute("data-selected")).toBe("9");
    expect(await hb.locator(".tl-selection").textContent()).toContain("stopped by the median rule at step 12");
    await expect.poll(() => selectedSignal(page, 0)).toBe(9);

    // A trial stopped at rung 9 (the last of its bracket's values was recorded there).
    const atNine = loneStop(9);
    const rung = await hoverTrial(page, await pointAt(page, 0, atNine.stop!.step, atNine.stop!.value), atNine.number);
    expect(atNine.number).toBe(HEDGED);
    expect(rung).toContain(`Trial ${atNine.number} · bracket ${atNine.bracket} · let on at rung ${atNine.rungs[0]} (hedged) · stopped at rung 9 by hyperband`);

    // Clicking the marker selects the trial; the selection line says where it stopped.
    await page.mouse.down();
    await page.mouse.up();
    expect(await hb.getAttribute("data-selected")).toBe(String(atNine.number));
    expect(await hb.locator(".tl-selection").textContent()).toContain(`bracket ${atNine.bracket} · let on at rung ${atNine.rungs[0]} (hedged) · stopped at rung 9 by hyperband`);
    await page.mouse.move(0, 0);
    await hb.locator(".tl-panel-curves").screenshot({ path: path.join(ARTIFACTS, "curves-brackets-selected-light.png") });

    await expect.poll(() => selectedSignal(page, 0)).toBe(atNine.number);
    await hb.locator(".tl-selection .tl-close").click();
  });

  it("a bracket button hides and shows that bracket's curves, markers and rungs", async () => {
    const chart = hb.locator(".tl-chart-curves");
    const zero = hb.locator(".tl-bracket[data-bracket='0']");
    const inZero = data.trials.filter((t) => t.bracket === 0);
    await zero.click();
    await expect.poll(() => chart.getAttribute("data-curves")).toBe(String(data.trials.length - inZero.length));
    expect(await zero.getAttribute("aria-pressed")).toBe("false");
    expect(await chart.getAttribute("data-rungs")).toBe("3,9,27"); // rung 1 belongs to bracket 0 only
    expect(Number(await chart.getAttribute("data-stops"))).toBe(curveStops(data).filter((s) => s.bracket !== "0").length);
    await hb.locator(".tl-panel-curves").screenshot({ path: path.join(ARTIFACTS, "curves-brackets-filtered-light.png") });
    await hb.locator(".tl-bracket[data-bracket='0']").click();
    await expect.poll(() => chart.getAttribute("data-curves")).toBe(String(data.trials.length));
    expect(await chart.getAttribute("data-rungs")).toBe("1,3,9,27");
  });

  it("draws a plain study as before: no bracket legend, no rung lines, no stop markers", async () => {
    const chart = plain.locator(".tl-chart-curves");
    expect(await plain.locator(".tl-curves-legend").isVisible()).toBe(false);
    expect(await chart.getAttribute("data-rungs")).toBe("");
    expect(await chart.getAttribute("data-stops")).toBe("0");
    expect(await chart.getAttribute("data-curves")).toBe(String(PLAIN.trials.filter((t) => t.intermediate.length > 0).length));
  });

  it("follows the dark theme", async () => {
    const canvas = hb.locator(".tl-chart-curves canvas");
    const light = await canvas.screenshot();
    await setTheme(page, "JupyterLab Dark");
    await expect.poll(async () => (await canvas.screenshot()).equals(light), { timeout: 20_000 }).toBe(false);
    await page.waitForTimeout(300);
    expect(await hb.locator(".tl-bracket").count()).toBe(5);
    expect(await hb.locator(".tl-chart-curves").getAttribute("data-rungs")).toBe("1,3,9,27");
    await hb.locator(".tl-panel-curves").screenshot({ path: path.join(ARTIFACTS, "curves-brackets-dark.png") });
    await setTheme(page, "JupyterLab Light");
    // The poll above may take its 20 s: the test's own limit must be above it.
  }, 60_000);
});
