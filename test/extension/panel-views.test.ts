// The cell panel as a new user meets it (issue 12), in a real JupyterLab and Chromium: charts
// laid out again when a live run's data arrives (the history keeps its axis labels and title),
// learning curves coloured by the objective or a chosen parameter with the metric on the y axis
// and a log toggle, no empty curves box when nothing reports, and "Open in tab" offered only for
// studies stored on disk. Screenshots go to $TUNELAB_ARTIFACTS or a temp dir.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StudyPayload } from "../../src/views/payload";
import { makeRepoTempDir, removeDir, writeNotebook } from "../helpers/jupyter";
import { CATEGORY_COLORS, objectiveColor, PARAM_COLORS, rampColor } from "../../src/views/encoding";
import { commonColours, inPalette } from "./canvas-probe";
import { replaceOutput, startLabBrowser, type LabBrowser } from "./lab-browser";
import { notebookWithOutputs, studyOutput, syntheticPayload } from "./study-fixtures";

const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
const FINAL = syntheticPayload({ trials: 40, params: 4, steps: 10, seed: 5, name: "live" });
/** A study whose trials report nothing: no learning curves. */
const SILENT = (() => {
  const p = syntheticPayload({ trials: 12, params: 3, steps: 4, seed: 2, name: "silent" });
  return { ...p, trials: p.trials.map((t) => ({ ...t, intermediate: [] })) };
})();
const IN_MEMORY = { ...syntheticPayload({ trials: 6, params: 2, steps: 3, seed: 4, name: "scratch" }), study: { ...syntheticPayload({ trials: 0, params: 2, name: "scratch" }).study, storage: "memory" as const } };
const ON_DISK = { ...syntheticPayload({ trials: 6, params: 2, steps: 3, seed: 4, name: "not-in-any-watched-folder" }), study: { ...syntheticPayload({ trials: 0, params: 2, name: "not-in-any-watched-folder" }).study, storage: "journal" as const } };
/** Drawn into a fresh output by the layout test: enough parameters for two rows of slice plots. */
const STEADY = syntheticPayload({ trials: 300, params: 6, steps: 10, seed: 7, name: "steady" });
/** The shared scales, sampled as the charts paint them. */
const OBJECTIVE = Array.from({ length: 97 }, (_, i) => objectiveColor(i / 96));
const PARAMS = Array.from({ length: 97 }, (_, i) => rampColor(PARAM_COLORS, i / 96));

/** The study as a live run shows it: its first `n` trials, the last of them running. */
function upTo(n: number): StudyPayload {
  const trials = FINAL.trials.slice(0, n).map((t, i) => (i === n - 1 ? { ...t, state: "running" as const, value: null, finishedAt: null, metrics: {} } : t));
  return { ...FINAL, trials, running: true };
}

async function renders(w: Locator): Promise<number> {
  return Number((await w.getAttribute("data-renders")) ?? 0);
}

async function replaced(page: Page, w: Locator, cell: number, p: StudyPayload): Promise<void> {
  const before = await renders(w);
  await replaceOutput(page, cell, studyOutput(p));
  await expect.poll(() => renders(w), { timeout: 30_000 }).toBeGreaterThan(before);
}

describe("the study panel in JupyterLab", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;

  beforeAll(async () => {
    root = makeRepoTempDir("ext-panel");
    // Cell 0 is fed like a live run (an empty study first); cell 1 holds the final study, saved.
    writeNotebook(
      path.join(root, "panel.ipynb"),
      notebookWithOutputs([[studyOutput({ ...FINAL, trials: [], running: true })], [studyOutput(FINAL)], [studyOutput(SILENT)], [studyOutput(IN_MEMORY)], [studyOutput(ON_DISK)], []]),
    );
    lb = await startLabBrowser(root, { height: 1600 });
    page = await lb.openNotebook("panel.ipynb");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".tl-study")).filter((w) => Number(w.getAttribute("data-renders") ?? 0) >= 1).length === 5, null, { timeout: 60_000 });
    console.log(`screenshots in ${ARTIFACTS}`);
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("lays the charts out again as a live run's data arrives: the history keeps its axis labels and title", async () => {
    const live = page.locator(".tl-study").nth(0);
    const saved = page.locator(".tl-study").nth(1);
    for (const n of [1, 2, 5, 12, 25]) await replaced(page, live, 0, upTo(n));
    await replaced(page, live, 0, FINAL);
    await page.waitForTimeout(300);
    for (const chart of ["history", "curves", "parallel"]) {
      expect(await live.locator(`.tl-chart-${chart}`).getAttribute("data-clipped")).toBe("");
    }
    // Drawn live, the history is the same picture as the one drawn at once from the saved output.
    const a = await live.locator(".tl-chart-history canvas").screenshot();
    const b = await saved.locator(".tl-chart-history canvas").screenshot();
    await live.locator(".tl-panel-history").screenshot({ path: path.join(ARTIFACTS, "history-after-live-light.png") });
    expect(a.equals(b)).toBe(true);
  });

  it("colours learning curves by the objective, or by a parameter picked above them; the metric names the y axis; log y toggles", async () => {
    const w = page.locator(".tl-study").nth(1);
    const chart = w.locator(".tl-chart-curves");
    const layer = w.locator("canvas.tl-lines-curves");
    expect(await chart.getAttribute("data-colour-by")).toBe("objective");
    expect(await chart.getAttribute("data-y-title")).toBe("loss");
    expect(await chart.getAttribute("data-clipped")).toBe("");
    for (const k of await commonColours(layer, 5)) expect([k, inPalette(k, OBJECTIVE)]).toEqual([k, true]);
    await w.locator(".tl-panel-curves").screenshot({ path: path.join(ARTIFACTS, "curves-by-objective-light.png") });
    // The choices: the objective, then the parameters in declared order.
    expect(await w.locator(".tl-colour-by option").allTextContents()).toEqual(["loss (objective)", ...FINAL.study.paramOrder!]);
    await w.locator(".tl-colour-by").selectOption({ label: "opt" });
    await expect.poll(() => chart.getAttribute("data-colour-by")).toBe("param:opt");
    await expect.poll(async () => (await commonColours(layer, 3)).every((k) => inPalette(k, CATEGORY_COLORS.slice(0, 3)))).toBe(true);
    expect(await w.locator(".tl-colour-key .tl-key-label").allTextContents()).toEqual(["sgd", "adam", "rmsprop"]);
    await w.locator(".tl-panel-curves").screenshot({ path: path.join(ARTIFACTS, "curves-by-opt-light.png") });
    await w.locator(".tl-colour-by").selectOption({ label: "lr" });
    await expect.poll(() => chart.getAttribute("data-colour-by")).toBe("param:lr");
    await expect.poll(async () => (await commonColours(layer, 5)).every((k) => inPalette(k, PARAMS))).toBe(true);
    // Log y: off by default here (the values span less than three decades), on when ticked.
    const embeds = Number(await chart.getAttribute("data-embeds"));
    expect(await chart.getAttribute("data-log-y")).toBe("false");
    await w.locator(".tl-log-toggle input").check();
    await expect.poll(() => chart.getAttribute("data-log-y")).toBe("true");
    expect(Number(await chart.getAttribute("data-embeds"))).toBeGreaterThan(embeds);
    expect(await chart.getAttribute("data-clipped")).toBe("");
    await w.locator(".tl-panel-curves").screenshot({ path: path.join(ARTIFACTS, "curves-log-light.png") });
    await w.locator(".tl-log-toggle input").uncheck();
    await expect.poll(() => chart.getAttribute("data-log-y")).toBe("false");
    await w.locator(".tl-colour-by").selectOption({ value: "objective" });
  });

  it("shows no learning-curves box for a study whose trials report nothing: the history takes the row", async () => {
    const w = page.locator(".tl-study").nth(2);
    expect(await w.locator(".tl-panel-curves").isHidden()).toBe(true);
    expect(await w.locator(".tl-empty:visible").count()).toBe(0);
    const history = (await w.locator(".tl-panel-history").boundingBox())!;
    const parallel = (await w.locator(".tl-panel-parallel").boundingBox())!;
    expect(Math.abs(history.width - parallel.width)).toBeLessThan(2);
    // As soon as a trial reports, the curves are back.
    await replaced(page, w, 2, syntheticPayload({ trials: 12, params: 3, steps: 4, seed: 2, name: "silent" }));
    expect(await w.locator(".tl-panel-curves").isVisible()).toBe(true);
    expect(await w.locator(".tl-chart-curves").getAttribute("data-curves")).toBe("12");
  });

  it("keeps every panel's height while its chart is drawn: charts appearing move nothing below them, and the reservation is let go after", async () => {
    // A fresh widget in the empty last cell; after each chart is drawn (its data-render-ms set) the
    // table's and each panel's place in the widget are read.
    const seen = await page.evaluate(async (output) => {
      type Model = { clear(): void; add(o: unknown): void };
      const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { content: { widgets: { node: HTMLElement; outputArea: { model: Model } }[] } } } } }).jupyterapp;
      const cell = app.shell.currentWidget.content.widgets[5]!;
      const places = (w: HTMLElement) => {
        const top = w.getBoundingClientRect().top;
        const at = (e: Element | null) => (e ? Math.round(e.getBoundingClientRect().top - top) : -1);
        return { table: at(w.querySelector(".tl-table")), panels: Array.from(w.querySelectorAll(".tl-panel")).map(at).join(" ") };
      };
      const afterChart: { drawn: number; table: number; panels: string }[] = [];
      const observer = new MutationObserver(() => {
        const w = cell.node.querySelector<HTMLElement>(".tl-study");
        if (w) afterChart.push({ drawn: w.querySelectorAll(".tl-chart[data-render-ms]").length, ...places(w) });
      });
      observer.observe(cell.node, { subtree: true, attributes: true, attributeFilter: ["data-render-ms"] });
      cell.outputArea.model.clear();
      cell.outputArea.model.add(output);
      const widget = () => cell.node.querySelector<HTMLElement>(".tl-study");
      while (Number(widget()?.dataset.renders ?? 0) < 1) await new Promise((r) => requestAnimationFrame(r));
      observer.disconnect();
      const w = widget()!;
      const reserved = Array.from(w.querySelectorAll<HTMLElement>(".tl-chart")).map((c) => c.style.minHeight).filter((h) => h !== "");
      return { afterChart, final: places(w), charts: w.querySelectorAll(".tl-panel:not([hidden]) .tl-chart").length, reserved };
    }, studyOutput(STEADY));
    const drawn = seen.afterChart.filter((s) => s.drawn > 0);
    // Every chart was seen drawn, and the table and the panels stayed where they were from the
    // first to the last and after: a vega chart's height is estimated before vega lays out its
    // axes, so a few pixels of error are allowed (a panel that grew with its chart moved the
    // rest by hundreds).
    expect(seen.charts).toBe(6);
    expect(Math.max(...drawn.map((s) => s.drawn))).toBe(seen.charts);
    const places = [...drawn, seen.final];
    const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
    expect(spread(places.map((s) => s.table))).toBeLessThanOrEqual(8);
    for (let i = 0; i < seen.charts; i++) expect(spread(places.map((s) => Number(s.panels.split(" ")[i])))).toBeLessThanOrEqual(8);
    // The reservation is let go once every chart is drawn.
    expect(seen.reserved).toEqual([]);
  });

  it("offers Open in tab only for a study stored on disk, and says in full why one can't be found", async () => {
    const memory = page.locator(".tl-study").nth(3);
    const disk = page.locator(".tl-study").nth(4);
    expect(await memory.locator(".tl-open-tab").isHidden()).toBe(true);
    expect(await disk.locator(".tl-open-tab").isVisible()).toBe(true);
    await disk.locator(".tl-open-tab").click();
    const toast = page.locator(".Toastify__toast", { hasText: "not-in-any-watched-folder" });
    await toast.waitFor({ timeout: 30_000 });
    const text = (await toast.innerText()).replace(/\s+/g, " ");
    expect(text).toContain('No study "not-in-any-watched-folder" in the watched folders');
    expect(text).toContain("Add its folder under Settings, tunelab study browser.");
    expect(await toast.getByRole("button", { name: "Settings" }).count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, "open-in-tab-warning-light.png") });
  });
});
