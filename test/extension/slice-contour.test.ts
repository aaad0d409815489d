// Slice and contour plots and the table's export in a real JupyterLab and Chromium (issue 16
// parts 2 and 5): one mark per complete trial (per parameter where it is active), brushing the
// parallel coordinates filters them, clicking a mark selects its trial (and every plot rings
// it), the contour's selects change the pair; the CSV export has the table's rows (filtered and
// sorted) and columns, read from the downloaded file. Screenshots in light and dark go to
// $TUNELAB_ARTIFACTS or a temp dir (docs/slice*.png and docs/contour*.png come from here).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inBrush, type Brush } from "../../extension/src/brush";
import { defaultPair } from "../../src/views/contour";
import { importanceData } from "../../src/views/analysis/importance-view";
import { StudyModel } from "../../extension/src/study-model";
import { exportData } from "../../src/views/analysis/export";
import { goodness, objectiveColor } from "../../src/views/encoding";
import { makeRepoTempDir, removeDir, writeNotebook } from "../helpers/jupyter";
import { probe, rgb } from "./canvas-probe";
import { setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";
import { notebookWithOutputs, studyOutput, syntheticPayload, XSS } from "./study-fixtures";

const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
const STUDY = syntheticPayload({ trials: 90, params: 5, steps: 4, seed: 21, name: "slices" });
const Papa = createRequire(__filename)("papaparse") as { parse(t: string, c: object): { data: string[][] } };

/** Complete trials with a value where `param` is active (every parameter, when none is named). */
function completeWith(trials: typeof STUDY.trials, param?: string): number[] {
  return trials.filter((t) => t.state === "complete" && t.value !== null && (param === undefined || t.params[param] !== undefined)).map((t) => t.number);
}

async function num(w: Locator, selector: string, attr: string): Promise<number> {
  return Number(await w.locator(selector).getAttribute(attr));
}

async function selectedAt(w: Locator, chart: string): Promise<[number, number][]> {
  return JSON.parse((await w.locator(`.tl-chart-${chart}`).getAttribute("data-selected-at")) ?? "[]") as [number, number][];
}

interface Layout {
  axes: { axis: number; name: string; x: number }[];
  y1: number;
  y0: number;
}

/** Drags a band along parallel-coordinates axis `name` (normalised 0 bottom, 1 top). */
async function band(page: Page, w: Locator, name: string, from: number, to: number): Promise<void> {
  const l = JSON.parse((await w.locator(".tl-chart-parallel").getAttribute("data-layout"))!) as Layout;
  const a = l.axes.find((x) => x.name === name)!;
  const box = (await w.locator(".tl-chart-parallel canvas").boundingBox())!;
  const y = (n: number) => box.y + l.y0 + (l.y1 - l.y0) * n;
  await page.mouse.move(box.x + a.x, y(from));
  await page.mouse.down();
  await page.mouse.move(box.x + a.x + 2, y(to), { steps: 6 });
  await page.mouse.up();
}

/** Reads a downloaded file the page makes when `click` runs. */
async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; text: string }> {
  const [d] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), click()]);
  const file = await d.path();
  return { name: d.suggestedFilename(), text: fs.readFileSync(file, "utf8") };
}

describe("slice and contour plots and the export in JupyterLab", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;
  let w: Locator;
  let hostile: Locator;

  beforeAll(async () => {
    root = makeRepoTempDir("ext-slice");
    const evil = syntheticPayload({ trials: 12, params: 2, steps: 0, seed: 3, name: XSS });
    const evilSpace = { [XSS]: { type: "categorical", choices: [XSS, "=1+1"] }, lr: evil.study.space["lr"]! } as const;
    const HOSTILE = { ...evil, study: { ...evil.study, space: evilSpace, paramOrder: [XSS, "lr"] }, trials: evil.trials.map((t, i) => ({ ...t, params: { [XSS]: i % 2 ? XSS : "=1+1", lr: t.params["lr"]! } })) };
    writeNotebook(path.join(root, "s.ipynb"), notebookWithOutputs([[studyOutput(STUDY)], [studyOutput(HOSTILE)]]));
    lb = await startLabBrowser(root, { height: 2400 });
    page = await lb.openNotebook("s.ipynb");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".tl-study")).filter((n) => Number(n.getAttribute("data-renders") ?? 0) >= 1).length === 2, null, { timeout: 60_000 });
    w = page.locator(".tl-study").nth(0);
    hostile = page.locator(".tl-study").nth(1);
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".tl-chart-contour")).every((n) => n.getAttribute("data-marks") !== null), null, { timeout: 30_000 });
    console.log(`screenshots in ${ARTIFACTS}`);
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("slice: a plot per parameter with one mark per complete trial where it is active; contour: one per complete trial", async () => {
    const names = STUDY.study.paramOrder!;
    const perPanel = names.map((n) => completeWith(STUDY.trials, n).length);
    expect(perPanel.every((n) => n > 40)).toBe(true);
    expect((await w.locator(".tl-chart-slice").getAttribute("data-panel-marks"))!.split(",").map(Number)).toEqual(perPanel);
    expect(await num(w, ".tl-chart-slice", "data-marks")).toBe(perPanel.reduce((a, b) => a + b, 0));
    expect(await num(w, ".tl-chart-contour", "data-marks")).toBe(completeWith(STUDY.trials).length);
    // The pair defaults to the two most important parameters (PED-ANOVA), in declared order.
    const top = importanceData(STUDY).bars.slice(0, 2).map((b) => b.param);
    const expected = names.filter((n) => top.includes(n));
    expect(expected).toEqual(defaultPair(STUDY));
    expect(await w.locator(".tl-contour-x").inputValue()).toBe(expected[0]);
    expect(await w.locator(".tl-contour-y").inputValue()).toBe(expected[1]);
    await w.locator(".tl-panel-slice").screenshot({ path: path.join(ARTIFACTS, "slice-light.png") });
    await w.locator(".tl-panel-contour").screenshot({ path: path.join(ARTIFACTS, "contour-light.png") });
  });

  it("clicking a mark selects its trial, and every plot rings it", async () => {
    const best = StudyModel.from(STUDY).best!;
    // Select the best trial from the table (sorted by the objective: the best first), read where
    // the slice plots draw it, clear the selection, then click its mark.
    await w.locator(".tl-head .tl-cell .tl-sort").nth(2).click();
    await w.locator(".tl-body .tl-row").first().click();
    await expect.poll(() => w.getAttribute("data-selected")).toBe(String(best));
    await expect.poll(async () => (await selectedAt(w, "slice")).length).toBe(STUDY.study.paramOrder!.length);
    const rings = await selectedAt(w, "slice");
    expect(await selectedAt(w, "contour")).toHaveLength(1);
    // The ring is drawn in the highlight colour around the mark, the mark in the best colour.
    const canvas = w.locator(".tl-chart-slice canvas");
    const [x, y] = rings[0]!;
    const [mark] = await probe(canvas, [[x, y]]);
    const want = rgb(objectiveColor(goodness("minimize", 0)));
    expect(Math.abs(mark![0]! - want[0]) + Math.abs(mark![1]! - want[1]) + Math.abs(mark![2]! - want[2])).toBeLessThan(30);
    // Clear the selection, then click the mark in another plot.
    await w.locator(".tl-selection .tl-close").click();
    await expect.poll(() => w.getAttribute("data-selected")).toBe("");
    const box = (await canvas.boundingBox())!;
    const [x2, y2] = rings[1]!;
    await page.mouse.click(box.x + x2, box.y + y2);
    await expect.poll(() => w.getAttribute("data-selected")).toBe(String(best));
    await w.locator(".tl-panel-slice").screenshot({ path: path.join(ARTIFACTS, "slice-selected-light.png") });
  });

  it("brushing the parallel coordinates filters the slice and contour marks to the trials that pass", async () => {
    await band(page, w, "lr", 0.15, 0.6);
    await expect.poll(async () => JSON.parse((await w.locator(".tl-chart-parallel").getAttribute("data-brush")) ?? "[]").length).toBe(1);
    const brush = JSON.parse((await w.locator(".tl-chart-parallel").getAttribute("data-brush"))!) as Brush;
    const model = StudyModel.from(STUDY);
    const pass = new Set(model.rows.filter((r) => inBrush(brush, model.positions(r.number))).map((r) => r.number));
    const kept = STUDY.trials.filter((t) => pass.has(t.number));
    const perPanel = STUDY.study.paramOrder!.map((n) => completeWith(kept, n).length);
    expect(perPanel[0]).toBeGreaterThan(0);
    expect(perPanel[0]).toBeLessThan(completeWith(STUDY.trials, "lr").length);
    await expect.poll(async () => (await w.locator(".tl-chart-slice").getAttribute("data-panel-marks"))!.split(",").map(Number)).toEqual(perPanel);
    expect(await num(w, ".tl-chart-contour", "data-marks")).toBe(completeWith(kept).length);
    await w.locator(".tl-panel-contour").screenshot({ path: path.join(ARTIFACTS, "contour-brushed-light.png") });
  });

  it("the CSV export has the table's rows, filtered and sorted as shown, and its columns; JSON the same trials", async () => {
    // Still brushed, sorted by the objective (the earlier test's header click).
    const shown = await w.locator(".tl-body .tl-row").evaluateAll((rs) => rs.map((r) => Number(r.getAttribute("data-trial"))));
    const rows = Number(await w.locator(".tl-table").getAttribute("data-rows"));
    expect(rows).toBeGreaterThan(0);
    const csv = await downloaded(page, () => w.locator(".tl-export-csv").click());
    expect(csv.name).toBe("slices-trials.csv");
    const parsed = Papa.parse(csv.text.trimEnd(), { delimiter: ",", newline: "\r\n" }).data;
    const header = parsed[0]!;
    const body = parsed.slice(1);
    expect(body).toHaveLength(rows);
    // The rows in the table's order (the first rows in view are the first in the file).
    expect(body.slice(0, shown.length).map((r) => Number(r[0]))).toEqual(shown);
    // Sorted by the objective, ascending, as the table shows it.
    const values = body.map((r) => Number(r[header.indexOf("value")]) || Infinity);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    // The table's columns, each under its export name.
    const labels = await w.locator(".tl-head .tl-sort").evaluateAll((cs) => cs.map((c) => (c.textContent ?? "").trim()));
    const exportName: Record<string, string> = { "#": "number", state: "state", loss: "value", duration: "duration", error: "error" };
    for (const l of labels) expect(header).toContain(exportName[l] ?? (STUDY.study.paramOrder!.includes(l) ? `params_${l}` : `metrics_${l}`));
    // The same bytes the shared writer gives for those rows.
    expect(csv.text).toBe(
      (await import("../../src/views/analysis/export")).toCSV(exportData(STUDY, body.map((r) => Number(r[0])))),
    );
    const json = await downloaded(page, () => w.locator(".tl-export-json").click());
    expect((JSON.parse(json.text) as { number: number }[]).map((r) => r.number)).toEqual(body.map((r) => Number(r[0])));
  });

  it("a hostile payload draws its names and choices as canvas text, defuses them in the CSV, and runs nothing", async () => {
    await expect.poll(() => hostile.locator(".tl-chart-slice").getAttribute("data-marks")).not.toBeNull();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await hostile.locator(".tl-chart-slice img, .tl-chart-contour img").count()).toBe(0);
    // The select's option is text.
    expect(await hostile.locator(".tl-contour-x option").first().textContent()).toBe(XSS);
    const csv = await downloaded(page, () => hostile.locator(".tl-export-csv").click());
    expect(csv.name).toMatch(/^[A-Za-z0-9._-]+-trials\.csv$/);
    const parsed = Papa.parse(csv.text.trimEnd(), { delimiter: ",", newline: "\r\n" }).data;
    const col = parsed[0]!.indexOf(`params_${XSS}`);
    expect(col).toBeGreaterThan(0);
    expect(new Set(parsed.slice(1).map((r) => r[col]))).toEqual(new Set([XSS, "'=1+1"]));
  });

  it("changing the contour's pair redraws it; in the dark theme too", async () => {
    const names = STUDY.study.paramOrder!;
    await w.locator(".tl-contour-y").selectOption(names[2]!);
    await expect.poll(() => w.locator(".tl-contour-y").inputValue()).toBe(names[2]);
    await expect.poll(async () => num(w, ".tl-chart-contour", "data-marks")).toBeGreaterThan(0);
    await page.mouse.dblclick(10, 10); // nothing: the brush stays (only the parallel chart clears it)
    await setTheme(page, "JupyterLab Dark");
    await page.waitForTimeout(400);
    await w.locator(".tl-panel-slice").screenshot({ path: path.join(ARTIFACTS, "slice-dark.png") });
    await w.locator(".tl-panel-contour").screenshot({ path: path.join(ARTIFACTS, "contour-dark.png") });
    await setTheme(page, "JupyterLab Light");
  });
});
