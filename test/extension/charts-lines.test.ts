// The line layers of the charts (parallel coordinates and learning curves painted on a canvas
// under the vega chart), in a real JupyterLab and Chromium, on a study large enough for
// hairlines: the layers have lines drawn (pixel colours), a brush greys lines out as it is
// dragged and filters the other views, hover finds a line on the layer, a click selects the line
// the tooltip names (parallel and curves; with a brush drawn too) while a double-click only clears
// the brush, selection draws on top, and the dark theme repaints. Screenshots (light and dark) go to $TUNELAB_ARTIFACTS or a temp dir.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepoTempDir, removeDir, writeNotebook } from "../helpers/jupyter";
import { setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";
import { notebookWithOutputs, studyOutput, syntheticPayload } from "./study-fixtures";

const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
const TRIALS = 2500;
const STUDY = syntheticPayload({ trials: TRIALS, params: 5, steps: 6, seed: 11, name: "many" });

/** Pixels of a line layer: how many are drawn, coloured (saturated) and grey. */
async function pixels(layer: Locator): Promise<{ drawn: number; coloured: number; grey: number }> {
  return layer.evaluate((c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    let coloured = 0;
    let grey = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3]! < 8) continue;
      drawn++;
      const spread = Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!);
      if (spread > 40) coloured++;
      else if (spread < 12) grey++;
    }
    return { drawn, coloured, grey };
  });
}

describe("charts' line layers in JupyterLab", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;
  let study: Locator;

  beforeAll(async () => {
    root = makeRepoTempDir("ext-lines");
    writeNotebook(path.join(root, "lines.ipynb"), notebookWithOutputs([[studyOutput(STUDY)]]));
    lb = await startLabBrowser(root, { height: 1400 });
    page = await lb.openNotebook("lines.ipynb");
    await page.waitForFunction(() => Number(document.querySelector(".tl-study")?.getAttribute("data-renders") ?? 0) >= 1, null, { timeout: 90_000 });
    study = page.locator(".tl-study").first();
    console.log(`screenshots in ${ARTIFACTS}`);
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  /**
   * Waits until a brush just dragged has come to rest and returns its count of coloured lines:
   * the other views follow the brush 120 ms after it last moved (sooner, mid-drag, when a loaded
   * machine spaces the pointer moves), so the first filtering seen may be an intermediate band.
   * At rest the layer (painted from the band as dragged) and the chart's own count (set when it
   * redraws for the views' filter, after the table) agree.
   */
  async function brushAtRest(): Promise<number> {
    const layer = study.locator(".tl-panel-parallel canvas.tl-lines");
    const chart = study.locator(".tl-chart-parallel");
    // The layer repaints in the frame after the last brush move.
    await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
    await expect.poll(async () => (await layer.getAttribute("data-active-lines")) === (await chart.getAttribute("data-active-lines"))).toBe(true);
    return Number(await layer.getAttribute("data-active-lines"));
  }

  it("paints every line on a canvas under the vega chart, which keeps its one canvas", async () => {
    const withValue = STUDY.trials.filter((t) => t.value !== null || t.state === "failed").length;
    const layer = study.locator(".tl-panel-parallel canvas.tl-lines");
    expect(await layer.getAttribute("data-lines")).toBe(String(withValue));
    expect(await layer.getAttribute("data-active-lines")).toBe(String(withValue));
    expect(await study.locator(".tl-chart-parallel canvas").count()).toBe(1);
    // The layer lies exactly under vega's canvas.
    const [a, b] = [await layer.boundingBox(), await study.locator(".tl-chart-parallel canvas").boundingBox()];
    expect(Math.abs(a!.x - b!.x) + Math.abs(a!.y - b!.y) + Math.abs(a!.width - b!.width)).toBeLessThan(1.5);
    const px = await pixels(layer);
    expect(px.drawn).toBeGreaterThan(20_000);
    expect(px.coloured).toBeGreaterThan(px.drawn * 0.8); // viridis, not grey
    const curves = study.locator(".tl-panel-curves canvas.tl-lines");
    expect(await curves.getAttribute("data-curves")).toBe(String(TRIALS));
    expect((await pixels(curves)).drawn).toBeGreaterThan(5_000);
    await study.screenshot({ path: path.join(ARTIFACTS, "lines-light.png") });
  });

  it("greys out lines as a brush is dragged, and filters the other views when it rests", async () => {
    const layer = study.locator(".tl-panel-parallel canvas.tl-lines");
    const before = await pixels(layer);
    const box = (await study.locator(".tl-chart-parallel canvas").boundingBox())!;
    await page.mouse.move(box.x + 4, box.y + box.height * 0.35);
    await page.mouse.down();
    await page.mouse.move(box.x + 50, box.y + box.height * 0.45, { steps: 6 });
    // Still dragging: the layer already shows fewer coloured lines.
    await expect.poll(async () => Number(await layer.getAttribute("data-active-lines"))).toBeLessThan(STUDY.trials.length);
    await page.mouse.up();
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBeLessThan(TRIALS);
    const active = await brushAtRest();
    expect(active).toBeLessThan(STUDY.trials.length);
    const after = await pixels(layer);
    expect(after.coloured).toBeLessThan(before.coloured * 0.8);
    expect(after.grey).toBeGreaterThan(before.grey + 1000);
    await study.screenshot({ path: path.join(ARTIFACTS, "lines-brushed-light.png") });
    await page.mouse.dblclick(box.x + box.width - 3, box.y + 3);
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBe(TRIALS);
    await expect.poll(async () => layer.getAttribute("data-active-lines")).toBe(await layer.getAttribute("data-lines"));
  });

  it("hovering a painted line names its trial; a selected trial is drawn on top in both layers", async () => {
    const box = (await study.locator(".tl-chart-parallel canvas").boundingBox())!;
    const tooltip = page.locator(".tl-tooltip");
    let shown = false;
    for (let y = box.y + box.height * 0.3; y < box.y + box.height * 0.8 && !shown; y += 3) {
      await page.mouse.move(box.x + box.width * 0.3, y);
      shown = await tooltip.isVisible();
    }
    expect(shown).toBe(true);
    expect((await tooltip.textContent()) ?? "").toMatch(/Trial \d+ · /);
    await page.mouse.move(0, 0);
    const row = study.locator(".tl-body .tl-row").first();
    const trial = (await row.getAttribute("data-trial"))!;
    await row.click();
    expect(await study.getAttribute("data-selected")).toBe(trial);
    await expect.poll(() => study.locator(".tl-panel-parallel canvas.tl-lines").getAttribute("data-selected")).toBe(trial);
    await expect.poll(() => study.locator(".tl-panel-curves canvas.tl-lines").getAttribute("data-selected")).toBe(trial);
    await page.mouse.move(0, 0);
    await study.screenshot({ path: path.join(ARTIFACTS, "lines-selected-light.png") });
  }, 60_000);

  /** The trial the tooltip names, if it is shown. */
  async function tooltipTrial(): Promise<string | null> {
    const tooltip = page.locator(".tl-tooltip");
    if (!(await tooltip.isVisible())) return null;
    return /Trial (\d+) · /.exec((await tooltip.textContent()) ?? "")?.[1] ?? null;
  }

  /**
   * Moves the pointer down a vertical of the chart until the tooltip names a trial, then finds
   * the top edge of where it does (to 1/32 px) and rests there: where the pointer is on that
   * line by the pick distance, at a fractional position (as on a high-DPI or zoomed screen).
   * Chromium gives the click there whole-pixel coordinates (truncated), so a chart that picked
   * again at the click's position found no line; the press, like the hover, has the fraction.
   */
  async function hoverALine(chart: Locator, xFrac: number, yFrom = 0.25): Promise<{ x: number; y: number; trial: string }> {
    const box = (await chart.locator("canvas").boundingBox())!;
    const x = Math.round(box.x + box.width * xFrac);
    let missed = false;
    for (let y = Math.round(box.y + box.height * yFrom); y < box.y + box.height * 0.85; y += 2) {
      await page.mouse.move(x, y);
      const trial = await tooltipTrial();
      if (trial === null || !missed) {
        missed = trial === null;
        continue;
      }
      let [lo, hi] = [y - 2, y];
      while (hi - lo > 1 / 32) {
        const mid = (lo + hi) / 2;
        await page.mouse.move(x, mid);
        if ((await tooltipTrial()) === trial) hi = mid;
        else lo = mid;
      }
      if (hi % 1 < 0.1) continue; // too near a whole pixel to tell the click's position from the press's
      await page.mouse.move(x, hi);
      if ((await tooltipTrial()) === trial) return { x, y: hi, trial };
    }
    throw new Error("no line under the pointer anywhere on the probed vertical");
  }

  async function clearSelection(): Promise<void> {
    await page.mouse.move(0, 0);
    const close = study.locator(".tl-selection .tl-close");
    if ((await close.count()) > 0) await close.click();
    expect(await study.getAttribute("data-selected")).toBe("");
  }

  it.each([
    // From above the lines down (the curves fill their chart from near its top).
    ["parallel", 0.3, 0.25],
    ["curves", 0.45, 0.02],
  ])("clicking the line the tooltip names in the %s chart selects its trial", async (name, xFrac, yFrom) => {
    await clearSelection();
    const { x, y, trial } = await hoverALine(study.locator(`.tl-chart-${name}`), xFrac, yFrom);
    await page.mouse.click(x, y);
    await expect.poll(() => study.getAttribute("data-selected")).toBe(trial);
    await expect.poll(() => study.locator(`.tl-panel-${name} canvas.tl-lines`).getAttribute("data-selected")).toBe(trial);
    // A click on the plot away from every line selects nothing new.
    const box = (await study.locator(`.tl-chart-${name} canvas`).boundingBox())!;
    await page.mouse.click(box.x + box.width - 2, box.y + 2);
    await page.waitForTimeout(400); // longer than a brushed chart's wait for a second click
    expect(await study.getAttribute("data-selected")).toBe(trial);
  }, 60_000);

  it("with a brush drawn, clicking a line selects it and double-clicking a line only clears the brush", async () => {
    await clearSelection();
    const layer = study.locator(".tl-panel-parallel canvas.tl-lines");
    const chart = study.locator(".tl-chart-parallel");
    const box = (await chart.locator("canvas").boundingBox())!;
    // A band over the first axes (the middle of their height). A press outside the band starts a
    // new one (vega-lite), so the clicks below stay inside it.
    await page.mouse.move(box.x + 4, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.8, { steps: 6 });
    await page.mouse.up();
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBeLessThan(TRIALS);
    await brushAtRest();
    const brushedRows = await study.locator(".tl-table").getAttribute("data-rows");
    // A click on a line selects it, once the double-click time has passed; the brush stays.
    const first = await hoverALine(chart, 0.2, 0.3);
    await page.mouse.click(first.x, first.y);
    await expect.poll(() => study.getAttribute("data-selected")).toBe(first.trial);
    expect(await study.locator(".tl-table").getAttribute("data-rows")).toBe(brushedRows);
    // A double-click on another line clears the brush and leaves the selection as it was.
    await page.mouse.move(0, 0);
    let other = await hoverALine(chart, 0.3, 0.3);
    for (let from = 0.35; other.trial === first.trial && from < 0.7; from += 0.05) other = await hoverALine(chart, 0.3, from);
    expect(other.trial).not.toBe(first.trial);
    await page.mouse.dblclick(other.x, other.y);
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBe(TRIALS);
    await expect.poll(async () => layer.getAttribute("data-active-lines")).toBe(await layer.getAttribute("data-lines"));
    await page.waitForTimeout(400);
    expect(await study.getAttribute("data-selected")).toBe(first.trial);
    // Without a brush a double-click has nothing to clear: it selects like a click.
    await page.mouse.dblclick(other.x, other.y);
    await expect.poll(() => study.getAttribute("data-selected")).toBe(other.trial);
  }, 60_000);

  it("repaints in the dark theme's colours", async () => {
    const layer = study.locator(".tl-panel-parallel canvas.tl-lines");
    const light = await layer.screenshot();
    await setTheme(page, "JupyterLab Dark");
    await expect.poll(async () => (await layer.screenshot()).equals(light)).toBe(false);
    await page.waitForTimeout(300);
    expect((await pixels(layer)).coloured).toBeGreaterThan(20_000);
    await study.screenshot({ path: path.join(ARTIFACTS, "lines-dark.png") });
    await setTheme(page, "JupyterLab Light");
    // A theme change redraws every chart (now also importance, slice and contour) and the whole study is photographed: 60 s as the tests above.
  }, 60_000);
});
