/**
 * Screenshots of what a new user sees (issue 12), in light and dark themes: a study run live in a
 * real tslab kernel, the same notebook saved and reopened, its saved static output (the image/png
 * picture GitHub, nbviewer or nbconvert show), the study in a study-browser tab, and an
 * in-memory study's panel. With TUNELAB_DOCS=1 it also refreshes the README's pictures in docs/.
 *
 *   npx vitest run --config scripts/screenshots.vitest.config.mts
 *   TUNELAB_SHOTS=/tmp/shots TUNELAB_DOCS=1 npx vitest run --config scripts/screenshots.vitest.config.mts
 *
 * (after `bash scripts/setup.sh --with-browser`). Pictures go to $TUNELAB_SHOTS (default
 * tmp/screens/).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { it } from "vitest";
import { makeRepoTempDir, readNotebook, removeDir, REPO_ROOT, tslabNotebook, writeNotebook } from "../test/helpers/jupyter";
import { setTheme, startLabBrowser } from "../test/extension/lab-browser";

const SHOTS = process.env["TUNELAB_SHOTS"] ?? path.join(REPO_ROOT, "tmp", "screens");
const DOCS = process.env["TUNELAB_DOCS"] === "1" ? path.join(REPO_ROOT, "docs") : null;

/** A study declared in an order that is not alphabetical, with curves, median-rule stops and failures. */
const CELLS = [
  `import { tune, float, int, choice } from "tunelab";`,
  `const study = tune("mlp-demo")
  .space({
    lr: float(1e-4, 0.3, { scale: "log" }),
    layers: int(1, 6),
    optimizer: choice(["sgd", "adam", "rmsprop"]),
    dropout: float(0, 0.5),
  })
  .minimize("val_loss")
  .strategy("random", { seed: 7 })
  .stopping("median", { startupTrials: 8, warmupSteps: 5, compare: "value" })
  .limits({ trials: 60 })
  .objective(async (p, trial) => {
    if (p.lr > 0.1 && p.optimizer === "sgd") throw new Error("loss diverged (NaN) at epoch 2");
    const floor = 0.12 + Math.abs(Math.log10(p.lr) + 2.2) * 0.11 + Math.abs(p.layers - 3) * 0.035 + p.dropout * 0.15 + (p.optimizer === "sgd" ? 0.06 : 0);
    let loss = 2;
    for (let epoch = 1; epoch <= 12; epoch++) {
      await new Promise((r) => setTimeout(r, 12));
      loss = floor + (1.6 - floor) * Math.exp(-epoch / 3);
      if (await trial.report(epoch, { val_loss: loss })) break;
    }
    return { val_loss: loss, accuracy: 1 - loss / 3 };
  });
await study.run();`,
  `const scratch = tune("scratch")
  .space({ x: float(0, 1), y: float(0, 1) })
  .minimize("loss")
  .storage("memory")
  .limits({ trials: 12 })
  .objective(async (p) => ({ loss: (p.x - 0.3) ** 2 + (p.y - 0.6) ** 2 }));
await scratch.run();`,
];

type App = {
  jupyterapp: {
    shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } };
    commands: { execute(id: string, args?: unknown): Promise<unknown> };
    restored: Promise<void>;
  };
};

const exec = (page: Page, id: string, args?: unknown) =>
  page.evaluate(([id, args]) => void (window as unknown as App).jupyterapp.commands.execute(id as string, args), [id, args] as const);

async function shoot(target: Page | Locator, name: string, docName?: string): Promise<void> {
  const file = path.join(SHOTS, name);
  await target.screenshot({ path: file });
  process.stderr.write(`screenshot: ${file}\n`);
  if (DOCS && docName) {
    fs.copyFileSync(file, path.join(DOCS, docName));
    process.stderr.write(`screenshot: ${path.join(DOCS, docName)}\n`);
  }
}

/** Both themes: light first, then dark, then back to light. */
async function bothThemes(page: Page, take: (theme: "light" | "dark") => Promise<void>): Promise<void> {
  await take("light");
  await setTheme(page, "JupyterLab Dark");
  await page.waitForTimeout(1200);
  await take("dark");
  await setTheme(page, "JupyterLab Light");
  await page.waitForTimeout(600);
}

/** Waits until every study panel of the page has drawn and its charts have settled. */
async function settled(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const ws = Array.from(document.querySelectorAll(".tl-study"));
      return ws.length >= n && ws.every((w) => Number(w.getAttribute("data-renders") ?? 0) >= 1 && w.querySelector(".tl-live")?.hasAttribute("hidden"));
    },
    count,
    { timeout: 120_000 },
  );
  await page.waitForTimeout(800);
}

it("takes the screenshots", async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const root = makeRepoTempDir("screens");
  const lb = await startLabBrowser(root, { width: 1280, height: 1500, labArgs: ["--ContentsManager.allow_hidden=True"] });
  try {
    writeNotebook(path.join(root, "demo.ipynb"), tslabNotebook(CELLS));
    // 1. The live run, as it ends.
    let page = await lb.openNotebook("demo.ipynb");
    await page.waitForFunction(() => (window as unknown as App).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle", null, { timeout: 90_000 });
    await exec(page, "notebook:run-all-cells");
    await settled(page, 2);
    const first = page.locator(".tl-study").first();
    await first.scrollIntoViewIfNeeded();
    await bothThemes(page, (t) => shoot(first, `live-${t}.png`, t === "light" ? "notebook-panel.png" : "notebook-panel-dark.png"));
    const scratch = page.locator(".tl-study").nth(1);
    await scratch.scrollIntoViewIfNeeded();
    await shoot(scratch, "memory-study-light.png");
    const openTab = scratch.locator(".tl-open-tab");
    if (await openTab.isVisible()) {
      await openTab.click();
      await page.waitForTimeout(2500);
      await shoot(page, "memory-open-in-tab-light.png");
    }
    // 2. Saved (nbformat sorts the JSON keys) and reopened.
    await exec(page, "docmanager:save");
    await page.waitForFunction(() => !document.title.startsWith("*") && !document.querySelector(".jp-mod-dirty"), null, { timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.close();
    page = await lb.openNotebook("demo.ipynb");
    await settled(page, 2);
    const reopened = page.locator(".tl-study").first();
    await reopened.scrollIntoViewIfNeeded();
    await bothThemes(page, (t) => shoot(reopened, `reopened-${t}.png`));
    await page.close();
    // 3. The saved static output (the image/png picture: summary, SVG charts, best trials), as
    //    nbconvert, nbviewer or GitHub show it.
    const saved = readNotebook(path.join(root, "demo.ipynb"));
    const png = saved.cells.flatMap((c) => c.outputs ?? []).map((o) => o.data?.["image/png"]).find((d) => d !== undefined);
    if (png !== undefined) {
      const file = path.join(SHOTS, "saved-output.png");
      fs.writeFileSync(file, Buffer.from(Array.isArray(png) ? png.join("") : String(png), "base64"));
      process.stderr.write(`screenshot: ${file}\n`);
      if (DOCS) fs.copyFileSync(file, path.join(DOCS, "saved-output.png"));
    }
    // 4. The study in a study-browser tab.
    page = await lb.openLab();
    await page.evaluate(() => (window as unknown as App).jupyterapp.restored);
    await exec(page, "tunelab:show-studies");
    await page.locator("#tunelab-studies .tl-sb-item").first().waitFor({ timeout: 30_000 });
    await page.locator("#tunelab-studies .tl-sb-open", { hasText: "mlp-demo" }).click();
    await page.waitForFunction(() => Number(document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study")?.getAttribute("data-renders") ?? 0) >= 1, null, { timeout: 60_000 });
    await page.waitForTimeout(1000);
    await bothThemes(page, (t) => shoot(page, `tab-${t}.png`, t === "light" ? "study-browser.png" : "study-browser-dark.png"));
    await page.close();
  } finally {
    await lb.close();
    removeDir(root);
  }
}, 600_000);
