// Issue 16 parts 1 and 3 in a real JupyterLab and Chromium: the importance chart draws a known
// function's parameters in the known order (and recomputes, throttled, as a live study grows);
// the range warning appears for a study whose optimum is at an edge and not for one whose
// optimum is inside. Screenshots in light and dark themes go to $TUNELAB_ARTIFACTS or a temp dir.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float, int } from "../../src/space/builders";
import type { StudyPayload } from "../../src/views/payload";
import { makeRepoTempDir, removeDir, writeNotebook } from "../helpers/jupyter";
import { optimiserTrials, payloadOf, sampleTrials } from "../views/analysis/sample";
import { replaceOutput, setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";
import { notebookWithOutputs, studyOutput, XSS } from "./study-fixtures";

const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
const space = { noise: float(0, 1), layers: int(1, 8), lr: float(1e-5, 1, { scale: "log" }) };
/** lr matters most, layers less, noise not at all (declared in the opposite order). */
const KNOWN = payloadOf(space, sampleTrials(3, 200, space, (p) => (Math.log10(p.lr as number) + 2.5) ** 2 + 0.05 * ((p.layers as number) - 3) ** 2), "known");
/** An optimiser's trials with lr's optimum below its range, and with every optimum inside. */
const EDGE = payloadOf(space, optimiserTrials(1, space, { lr: -0.4, layers: 0.3, noise: 0.5 }), "edge");
const INSIDE = payloadOf(space, optimiserTrials(1, space, { lr: 0.4, layers: 0.3, noise: 0.5 }), "inside");
/** A parameter named as markup, at an edge: its name reaches the warning and the bars as text only. */
const hostileSpace = { [XSS]: float(0, 1), b: float(0, 1) };
const HOSTILE = payloadOf(hostileSpace, optimiserTrials(2, hostileSpace, { [XSS]: -0.4, b: 0.5 }), XSS);

describe("importance and range warnings in the panel", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;

  beforeAll(async () => {
    root = makeRepoTempDir("ext-analysis");
    writeNotebook(path.join(root, "analysis.ipynb"), notebookWithOutputs([[studyOutput(KNOWN)], [studyOutput(EDGE)], [studyOutput(INSIDE)], [studyOutput(HOSTILE)]]));
    lb = await startLabBrowser(root, { height: 1800 });
    page = await lb.openNotebook("analysis.ipynb");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".tl-study")).filter((w) => Number(w.getAttribute("data-renders") ?? 0) >= 1).length === 4, null, { timeout: 60_000 });
    console.log(`screenshots in ${ARTIFACTS}`);
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("draws the importance bars of a known function in the known order", async () => {
    const chart = page.locator(".tl-study").nth(0).locator(".tl-chart-importance");
    await expect.poll(() => chart.getAttribute("data-drawn"), { timeout: 30_000 }).toBe("lr,layers,noise");
    expect(await chart.getAttribute("data-importance")).toBe("lr,layers,noise");
    expect(await chart.getAttribute("data-importance-trials")).toBe("200");
    expect(await chart.getAttribute("data-clipped")).toBe("");
  });

  it("recomputes with fANOVA when it is chosen, with the same known order", async () => {
    const w = page.locator(".tl-study").nth(0);
    const chart = w.locator(".tl-chart-importance");
    expect(await chart.getAttribute("data-importance-method")).toBe("PED-ANOVA");
    await w.locator('.tl-importance-method[data-method="fanova"]').click();
    await expect.poll(() => chart.getAttribute("data-importance-method"), { timeout: 30_000 }).toBe("fANOVA");
    await expect.poll(() => chart.getAttribute("data-drawn"), { timeout: 30_000 }).toBe("lr,layers,noise");
    expect(await w.locator('.tl-importance-method[data-method="fanova"]').getAttribute("aria-pressed")).toBe("true");
    await w.locator('.tl-importance-method[data-method="ped-anova"]').click();
    await expect.poll(() => chart.getAttribute("data-importance-method"), { timeout: 30_000 }).toBe("PED-ANOVA");
  });

  it("recomputes as a live study grows, throttled (not on every update), and ends on the last trials", async () => {
    const w = page.locator(".tl-study").nth(0);
    const chart = w.locator(".tl-chart-importance");
    // Start from a small study, computed: the previous test left the full study's 200 trials
    // shown, and a panel that coalesces fast updates may show only the last (200 again, with
    // nothing new to compute).
    await replaceOutput(page, 0, studyOutput({ ...KNOWN, trials: KNOWN.trials.slice(0, 20), running: true }));
    await expect.poll(() => chart.getAttribute("data-importance-trials"), { timeout: 30_000 }).toBe("20");
    const before = Number(await chart.getAttribute("data-computes"));
    const updates = [40, 60, 80, 100, 120, 140, 160, 180, 200];
    for (const n of updates) {
      const p: StudyPayload = { ...KNOWN, trials: KNOWN.trials.slice(0, n), running: n < 200 };
      await replaceOutput(page, 0, studyOutput(p));
      await page.waitForTimeout(50);
    }
    await expect.poll(() => chart.getAttribute("data-importance-trials"), { timeout: 30_000 }).toBe("200");
    const computes = Number(await chart.getAttribute("data-computes")) - before;
    expect(computes).toBeGreaterThanOrEqual(1);
    expect(computes).toBeLessThan(updates.length);
    expect(await chart.getAttribute("data-drawn")).toBe("lr,layers,noise");
  });

  it("warns for the study whose optimum is at an edge, naming the parameter, the bound and the code to widen it; not for the one inside", async () => {
    const edge = page.locator(".tl-study").nth(1).locator(".tl-boundary");
    const inside = page.locator(".tl-study").nth(2).locator(".tl-boundary");
    await expect.poll(() => edge.getAttribute("data-warnings")).toBe("lr:low");
    expect(await edge.isVisible()).toBe(true);
    const text = (await edge.textContent()) ?? "";
    expect(text).toContain("lr");
    expect(text).toContain("low bound");
    expect(text).toContain('study.extendSpace({ lr: float(1e-6, 1, { scale: "log" }) })');
    expect(await inside.getAttribute("data-warnings")).toBe("");
    expect(await inside.isHidden()).toBe(true);
  });

  it("shows a hostile parameter name as text in the warning and the bars, and runs nothing", async () => {
    const w = page.locator(".tl-study").nth(3);
    await expect.poll(() => w.locator(".tl-boundary").getAttribute("data-warnings")).toBe(`${XSS}:low`);
    expect(await w.locator(".tl-boundary-param").textContent()).toBe(XSS);
    await expect.poll(() => w.locator(".tl-chart-importance").getAttribute("data-drawn"), { timeout: 30_000 }).toContain(XSS);
    expect(await w.locator("img").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
  });

  it("takes screenshots in the light and dark themes", async () => {
    for (const theme of ["JupyterLab Light", "JupyterLab Dark"] as const) {
      await setTheme(page, theme);
      const tag = theme.endsWith("Dark") ? "dark" : "light";
      const known = page.locator(".tl-study").nth(0);
      await expect.poll(() => known.locator(".tl-chart-importance").getAttribute("data-drawn"), { timeout: 30_000 }).toBe("lr,layers,noise");
      await page.waitForTimeout(500);
      await known.locator(".tl-panel-importance").screenshot({ path: path.join(ARTIFACTS, `importance-${tag}.png`) });
      const edge = page.locator(".tl-study").nth(1);
      await edge.scrollIntoViewIfNeeded();
      const box = await edge.boundingBox();
      await page.screenshot({ path: path.join(ARTIFACTS, `boundary-${tag}.png`), clip: { x: box!.x, y: box!.y, width: box!.width, height: Math.min(box!.height, 260) } });
    }
    await setTheme(page, "JupyterLab Light");
  }, 60_000);
});
