// The JupyterLab extension in a real JupyterLab and Chromium. One notebook whose saved outputs
// carry three study bundles (no kernel is needed to show saved outputs): a normal study, a
// hostile one, a malformed one. The widget must render instead of the text/html fallback; the
// table, filters, charts and linking must work; hostile and malformed payloads must be harmless.
// Screenshots (light and dark) go to $TUNELAB_ARTIFACTS, or a fresh temp dir printed by the test.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STUDY_MIME } from "../../src/views/payload";
import { makeRepoTempDir, removeDir, writeNotebook } from "../helpers/jupyter";
import { replaceOutput, setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";
import { hostilePayload, notebookWithOutputs, studyOutput, syntheticPayload, XSS } from "./study-fixtures";

const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
const STUDY = syntheticPayload({ trials: 15, params: 4, steps: 10, seed: 3, name: "mlp" });
const MALFORMED = { ...syntheticPayload({ trials: 3, params: 2 }), trials: [{ number: 0, state: "exploded" }] };
const EMPTY = syntheticPayload({ trials: 0, params: 3, name: "just-started", running: 0 });

/** Texts of column `col` of the rendered table rows, in display order. */
async function column(widget: Locator, col: number): Promise<string[]> {
  return widget.locator(".tl-body .tl-row").evaluateAll(
    (rows, c) =>
      rows
        .map((r) => ({ i: Number(r.getAttribute("aria-rowindex")), text: r.children[c]?.textContent ?? "" }))
        .sort((a, b) => a.i - b.i)
        .map((r) => r.text),
    col,
  );
}

function headerButton(widget: Locator, label: string): Locator {
  return widget.locator(".tl-head .tl-sort", { hasText: new RegExp(`^${label}$`) });
}

/** Waits until the `index`th study widget of the page has finished `count` renders. */
async function waitRenders(page: Page, index: number, count: number): Promise<void> {
  await page.waitForFunction(
    ([i, n]) => Number(document.querySelectorAll(".tl-study")[i]?.getAttribute("data-renders") ?? 0) >= n,
    [index, count] as const,
    { timeout: 60_000 },
  );
}

describe("the tunelab study renderer in JupyterLab", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;
  let study: Locator;
  let hostile: Locator;
  let malformed: Locator;

  beforeAll(async () => {
    root = makeRepoTempDir("ext");
    const outputs = [
      [studyOutput(STUDY)],
      [studyOutput(hostilePayload(), `<b class="fallback">fallback</b>`)],
      [studyOutput(MALFORMED)],
      [studyOutput(EMPTY)],
      [studyOutput({ ...STUDY, view: "parallel" })],
    ];
    writeNotebook(path.join(root, "study.ipynb"), notebookWithOutputs(outputs));
    lb = await startLabBrowser(root, { height: 1400 });
    page = await lb.openNotebook("study.ipynb");
    await page.waitForFunction(() => document.querySelectorAll(".tl-study").length === 5, null, { timeout: 60_000 });
    const widgets = page.locator(".tl-study");
    study = widgets.nth(0);
    hostile = widgets.nth(1);
    malformed = widgets.nth(2);
    await waitRenders(page, 0, 1);
    await waitRenders(page, 1, 1);
    console.log(`screenshots in ${ARTIFACTS}`);
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("renders the widget for the study MIME type instead of the text/html fallback", async () => {
    expect(await study.getAttribute("data-status")).toBe("ready");
    expect(await study.locator(".tl-title").textContent()).toBe("mlp");
    expect(await study.locator(".tl-summary").textContent()).toContain("15 trials");
    expect(await page.locator(".fallback").count()).toBe(0);
    // One table row per trial (15 fit in the virtualised window, so all are in the DOM).
    expect(await study.locator(".tl-table").getAttribute("data-rows")).toBe("15");
    expect(await study.locator(".tl-body .tl-row").count()).toBe(15);
    expect(await column(study, 0)).toEqual(STUDY.trials.map((t) => (t.number === bestNumber() ? `★ ${t.number}` : String(t.number))));
    await study.screenshot({ path: path.join(ARTIFACTS, "study-light.png") });
  });

  it("draws parallel coordinates, the history and learning curves on canvases", async () => {
    for (const name of ["parallel", "history", "curves"]) {
      const canvas = study.locator(`.tl-chart-${name} canvas`);
      expect(await canvas.count()).toBe(1);
      const box = await canvas.boundingBox();
      expect(box!.width).toBeGreaterThan(200);
      expect(box!.height).toBeGreaterThan(150);
    }
    // One line per trial with a value or failed, one curve per trial that reported, one point per complete trial.
    const withValue = STUDY.trials.filter((t) => t.value !== null || t.state === "failed").length;
    expect(await study.locator(".tl-chart-parallel").getAttribute("data-lines")).toBe(String(withValue));
    expect(await study.locator(".tl-chart-parallel").getAttribute("data-active-lines")).toBe(String(withValue));
    expect(await study.locator(".tl-chart-curves").getAttribute("data-curves")).toBe(String(STUDY.trials.filter((t) => t.intermediate.length > 0).length));
    expect(await study.locator(".tl-chart-history").getAttribute("data-points")).toBe(String(STUDY.trials.filter((t) => t.state === "complete").length));
  });

  it("marks the best trial in the table", async () => {
    const best = study.locator(".tl-body .tl-row.tl-best");
    expect(await best.count()).toBe(1);
    expect(await best.getAttribute("data-trial")).toBe(String(bestNumber()));
  });

  it("sorts by any column, ascending then descending, missing values last", async () => {
    await headerButton(study, "loss").click();
    const losses = STUDY.trials.filter((t) => t.value !== null).map((t) => t.value!);
    const asc = (await column(study, 0)).map((s) => Number(s.replace("★ ", "")));
    const ascValues = asc.map((n) => STUDY.trials[n]!.value);
    expect(ascValues.slice(0, losses.length)).toEqual([...losses].sort((a, b) => a - b));
    expect(ascValues.slice(losses.length).every((v) => v === null)).toBe(true);
    expect(await study.locator(".tl-head [aria-sort='ascending']").textContent()).toBe("loss");

    await headerButton(study, "loss").click();
    const desc = (await column(study, 0)).map((s) => STUDY.trials[Number(s.replace("★ ", ""))]!.value);
    expect(desc.slice(0, losses.length)).toEqual([...losses].sort((a, b) => b - a));

    await headerButton(study, "opt").click(); // a categorical column sorts as text
    const opts = await column(study, 5);
    expect(opts).toEqual([...opts].sort());

    await headerButton(study, "#").click(); // back to trial order for the other tests
    expect(await study.locator(".tl-body .tl-row").first().getAttribute("data-trial")).toBe("0");
  });

  it("filters the table by state", async () => {
    const complete = STUDY.trials.filter((t) => t.state === "complete").length;
    const toggle = study.locator("input[data-state='complete']");
    await toggle.uncheck();
    expect(await study.locator(".tl-table").getAttribute("data-rows")).toBe(String(15 - complete));
    const states = await column(study, 1);
    expect(states.length).toBe(15 - complete);
    expect(states.every((s) => s !== "complete")).toBe(true);
    expect(await study.locator(".tl-filter-info").textContent()).toContain(`showing ${15 - complete} of 15`);
    await toggle.check();
    expect(await study.locator(".tl-table").getAttribute("data-rows")).toBe("15");
  });

  it("selecting a row highlights it in the table and in the charts", async () => {
    const parallel = study.locator(".tl-chart-parallel canvas");
    const history = study.locator(".tl-chart-history canvas");
    const before = [await parallel.screenshot(), await history.screenshot()];
    const target = STUDY.trials.find((t) => t.state === "complete" && t.number !== bestNumber())!;
    await study.locator(`.tl-body .tl-row[data-trial='${target.number}']`).click();
    expect(await study.getAttribute("data-selected")).toBe(String(target.number));
    expect(await study.locator(".tl-body .tl-row.tl-selected").getAttribute("data-trial")).toBe(String(target.number));
    expect(await study.locator(".tl-selection").textContent()).toContain(`Trial ${target.number}`);
    // The charts redraw the selected trial on top (thick line, ring): their pixels change.
    await expect.poll(async () => (await parallel.screenshot()).equals(before[0]!)).toBe(false);
    await expect.poll(async () => (await history.screenshot()).equals(before[1]!)).toBe(false);
    await study.screenshot({ path: path.join(ARTIFACTS, "study-selected-light.png") });
    // Arrow keys move the selection through the table's order.
    await page.keyboard.press("ArrowDown");
    expect(await study.getAttribute("data-selected")).toBe(String(target.number + 1));
    await page.keyboard.press("ArrowUp");
    expect(await study.getAttribute("data-selected")).toBe(String(target.number));
    await study.locator(".tl-selection .tl-close").click();
    expect(await study.getAttribute("data-selected")).toBe("");
  });

  it("hovering a learning curve names the trial and its parameters; clicking it selects the trial", async () => {
    const canvas = study.locator(".tl-chart-curves canvas");
    const box = (await canvas.boundingBox())!;
    const tooltip = page.locator(".tl-tooltip");
    let shown = false;
    // Sweep a vertical line through the plot until the pointer is on some curve.
    for (const fx of [0.3, 0.5, 0.7]) {
      for (let y = box.y + 20; y < box.y + box.height - 30 && !shown; y += 1.5) {
        await page.mouse.move(box.x + box.width * fx, y);
        shown = await tooltip.isVisible();
      }
      if (shown) break;
    }
    expect(shown).toBe(true);
    const text = (await tooltip.textContent()) ?? "";
    expect(text).toMatch(/Trial \d+ · (complete|pruned|failed)/);
    expect(text).toContain("lr=");
    expect(text).toContain("opt=");
    // Clicking the curve under the pointer selects that trial in every view.
    const hovered = text.match(/Trial (\d+)/)![1]!;
    await page.mouse.down();
    await page.mouse.up();
    expect(await study.getAttribute("data-selected")).toBe(hovered);
    expect(await study.locator(".tl-body .tl-row.tl-selected").getAttribute("data-trial")).toBe(hovered);
    await study.locator(".tl-selection .tl-close").click();
    await page.mouse.move(0, 0);
  });

  it("brushing an axis filters the table and the other views; double-click clears", async () => {
    const canvas = study.locator(".tl-chart-parallel canvas");
    const box = (await canvas.boundingBox())!;
    // Drag a band over the middle of the first axis (lr) and a little around it.
    await page.mouse.move(box.x + 4, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + 40, box.y + box.height * 0.55, { steps: 8 });
    await page.mouse.move(box.x + 60, box.y + box.height * 0.75, { steps: 8 });
    await page.mouse.up();
    const table = study.locator(".tl-table");
    await expect.poll(async () => Number(await table.getAttribute("data-rows"))).toBeLessThan(15);
    expect(await study.locator(".tl-filter-info").textContent()).toMatch(/brushed: lr /);
    const shown = Number(await table.getAttribute("data-rows"));
    // The other views show the same trials: the rows (all have lines while brushing), the
    // coloured lines, the curves and the complete trials' points.
    const rows = (await column(study, 0)).map((s) => Number(s.replace("★ ", "")));
    const complete = rows.filter((n) => STUDY.trials[n]!.state === "complete").length;
    expect(await study.locator(".tl-chart-parallel").getAttribute("data-active-lines")).toBe(String(shown));
    expect(await study.locator(".tl-chart-curves").getAttribute("data-curves")).toBe(String(shown));
    expect(await study.locator(".tl-chart-history").getAttribute("data-points")).toBe(String(complete));
    await study.screenshot({ path: path.join(ARTIFACTS, "study-brushed-light.png") });
    await page.mouse.dblclick(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await expect.poll(async () => Number(await table.getAttribute("data-rows"))).toBe(15);
    // The table is redrawn first; the charts follow, one per task.
    const lines = await study.locator(".tl-chart-parallel").getAttribute("data-lines");
    await expect.poll(() => study.locator(".tl-chart-parallel").getAttribute("data-active-lines")).toBe(lines);
  });

  it("updates in place on a live update, keeping sort and selection", async () => {
    await study.evaluate((n) => ((n as HTMLElement).dataset.mark = "same-node"));
    const renders = Number(await study.getAttribute("data-renders"));
    await study.locator(".tl-body .tl-row[data-trial='3']").click();
    await headerButton(study, "loss").click();
    const bigger = syntheticPayload({ trials: 20, params: 4, steps: 10, seed: 3, name: "mlp", running: 2 });
    await replaceOutput(page, 0, studyOutput(bigger));
    await waitRenders(page, 0, renders + 1);
    expect(await study.getAttribute("data-mark")).toBe("same-node");
    expect(await study.locator(".tl-table").getAttribute("data-rows")).toBe("20");
    expect(await study.locator(".tl-live").isVisible()).toBe(true);
    expect(await study.getAttribute("data-selected")).toBe("3");
    expect(await study.locator(".tl-head [aria-sort='ascending']").textContent()).toBe("loss");
    // Back to the saved payload for the theme test.
    await headerButton(study, "#").click();
    await study.locator(".tl-body .tl-row[data-trial='3']").click();
    await replaceOutput(page, 0, studyOutput(STUDY));
    await waitRenders(page, 0, renders + 2);
  });

  it("follows the dark theme (a theme change redraws the charts and keeps the brush)", async () => {
    const canvas = study.locator(".tl-chart-parallel canvas");
    // The panel is taller than the viewport (range warnings, importance, slice and contour plots): drag where it is on screen.
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + 4, box.y + box.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(box.x + 60, box.y + box.height * 0.75, { steps: 8 });
    await page.mouse.up();
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBeLessThan(15);
    const lightBg = await study.evaluate((n) => getComputedStyle(n).backgroundColor);
    const lightChart = await study.locator(".tl-chart-parallel canvas").screenshot();
    await setTheme(page, "JupyterLab Dark");
    await expect.poll(() => study.evaluate((n) => getComputedStyle(n).backgroundColor)).not.toBe(lightBg);
    // The charts are rebuilt with the dark theme's colours; the brush (ours, not vega's) stays.
    const brushed = await study.locator(".tl-table").getAttribute("data-rows");
    await expect.poll(async () => (await study.locator(".tl-chart-parallel canvas").screenshot()).equals(lightChart)).toBe(false);
    await page.waitForTimeout(300);
    expect(await study.locator(".tl-table").getAttribute("data-rows")).toBe(brushed);
    expect(JSON.parse((await study.locator(".tl-chart-parallel").getAttribute("data-brush"))!)).toHaveLength(1);
    await study.screenshot({ path: path.join(ARTIFACTS, "study-dark.png") });
    await study.locator(".tl-button", { hasText: "Show all" }).click();
    await expect.poll(async () => Number(await study.locator(".tl-table").getAttribute("data-rows"))).toBe(15);
    await hostile.screenshot({ path: path.join(ARTIFACTS, "hostile-dark.png") });
    await setTheme(page, "JupyterLab Light");
  });

  it("shows hostile strings as text and runs nothing", async () => {
    expect(await hostile.getAttribute("data-status")).toBe("ready");
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await hostile.locator("img").count()).toBe(0);
    expect(await hostile.locator(".tl-title").textContent()).toBe(XSS);
    expect(await hostile.locator(".tl-head .tl-sort", { hasText: XSS }).count()).toBeGreaterThanOrEqual(2); // parameter and metric
    const cells = await column(hostile, 3); // the XSS-named parameter's column
    expect(cells).toContain(XSS);
    // The failed trial's error text, in its cell and in the selection line.
    await hostile.locator(".tl-body .tl-row[data-trial='1']").click();
    expect(await hostile.locator(".tl-selection .tl-error-text").textContent()).toBe(XSS);
    expect(await hostile.locator(".tl-body .tl-row[data-trial='1'] .tl-cell").last().textContent()).toBe(XSS);
    await hostile.screenshot({ path: path.join(ARTIFACTS, "hostile-light.png") });
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.locator(".tl-study img, .jp-OutputArea img").count()).toBe(0);
  });

  it("shows a readable message for a malformed payload", async () => {
    expect(await malformed.getAttribute("data-status")).toBe("error");
    const text = (await malformed.locator(".tl-error").textContent()) ?? "";
    expect(text).toContain("can't be shown");
    expect(text).toContain('trials[0].state must be one of "running", "complete", "failed", "pruned", but got "exploded"');
    expect(await malformed.locator(".tl-content").isHidden()).toBe(true);
    await malformed.screenshot({ path: path.join(ARTIFACTS, "malformed-light.png") });
  });

  it("shows a study with no trials yet without errors", async () => {
    const empty = page.locator(".tl-study").nth(3);
    await waitRenders(page, 3, 1);
    expect(await empty.getAttribute("data-status")).toBe("ready");
    expect(await empty.locator(".tl-summary").textContent()).toContain("0 trials · no complete trial yet");
    expect(await empty.locator(".tl-table").getAttribute("data-rows")).toBe("0");
    expect(await empty.locator(".tl-chart-parallel canvas").count()).toBe(1); // the axes, waiting for lines
    expect(await empty.locator(".tl-chart-error").count()).toBe(0);
    expect(await empty.locator(".tl-panel-curves").isHidden()).toBe(true); // nothing reported: no curves box
  });

  it("shows one view alone when the payload asks for it (study.show(\"parallel\"))", async () => {
    const one = page.locator(".tl-study").nth(4);
    await waitRenders(page, 4, 1);
    expect(await one.getAttribute("data-view")).toBe("parallel");
    expect(await one.locator(".tl-panel-parallel").isVisible()).toBe(true);
    expect(await one.locator(".tl-panel-history").isHidden()).toBe(true);
    expect(await one.locator(".tl-panel-curves").isHidden()).toBe(true);
    expect(await one.locator(".tl-table").isHidden()).toBe(true);
    expect(await one.locator(".tl-chart-parallel canvas").count()).toBe(1);
  });

  it("declares the MIME type it renders", async () => {
    expect(await study.getAttribute("data-mime")).toBe(STUDY_MIME);
  });
});

function bestNumber(): number {
  let best: { number: number; value: number } | null = null;
  for (const t of STUDY.trials) {
    if (t.state !== "complete" || t.value === null) continue;
    if (best === null || t.value < best.value) best = { number: t.number, value: t.value };
  }
  return best!.number;
}
