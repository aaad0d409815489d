// The whole chain in a browser: a tslab kernel runs a study, the notebook bridge sends the
// study bundle and updates it in place while the cell runs, and the extension redraws the same
// widget with each update (in a real JupyterLab, Chromium, tslab kernel).
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepoTempDir, removeDir, tslabNotebook, writeNotebook } from "../helpers/jupyter";
import { startLabBrowser, type LabBrowser } from "./lab-browser";

const TRIALS = 30;

const CELLS = [
  `import { tune, float, int } from "tunelab";`,
  `const study = tune("live")
  .space({ x: float(0, 1), n: int(1, 5) })
  .minimize("loss")
  .strategy("random", { seed: 3 })
  .storage("memory")
  .limits({ trials: ${TRIALS} })
  .objective(async (p, trial) => {
    for (let step = 1; step <= 3; step++) {
      await new Promise((r) => setTimeout(r, 60));
      await trial.report(step, { loss: p.x + 1 / step });
    }
    return { loss: p.x };
  });
await study.run();
console.log("done");`,
];

type KernelApp = {
  jupyterapp: {
    shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } };
    commands: { execute(id: string): Promise<unknown> };
  };
};

describe("a study running in a tslab kernel, shown by the extension", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;

  beforeAll(async () => {
    root = makeRepoTempDir("ext-live");
    writeNotebook(path.join(root, "live.ipynb"), tslabNotebook(CELLS));
    lb = await startLabBrowser(root);
    page = await lb.openNotebook("live.ipynb");
    await page.waitForFunction(() => (window as unknown as KernelApp).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle", null, {
      timeout: 90_000,
    });
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("updates the panel in place while the cell runs, then shows every trial", async () => {
    // Started, not awaited: the command resolves only when the cells have run.
    await page.evaluate(() => void (window as unknown as KernelApp).jupyterapp.commands.execute("notebook:run-all-cells"));
    const widget = page.locator(".tl-study").first();
    await widget.waitFor({ timeout: 90_000 });
    await widget.evaluate((n) => ((n as HTMLElement).dataset.mark = "first"));
    // While the cell is still running (its prompt says [*]), the panel has drawn more than once
    // and shows a study that is running and not yet complete.
    const during = await page.waitForFunction(
      (total) => {
        const w = document.querySelector(".tl-study") as HTMLElement | null;
        const prompts = Array.from(document.querySelectorAll(".jp-CodeCell .jp-InputPrompt"), (p) => p.textContent ?? "");
        const executing = prompts[1]?.includes("*") ?? false;
        const trials = Number(w?.dataset.trials ?? 0);
        const renders = Number(w?.dataset.renders ?? 0);
        return executing && renders >= 2 && trials > 0 && trials < total ? { trials, renders } : null;
      },
      TRIALS,
      { timeout: 60_000, polling: 50 },
    );
    const seen = (await during.jsonValue()) as { trials: number; renders: number };
    expect(seen.trials).toBeLessThan(TRIALS);
    expect(await widget.locator(".tl-live").isVisible()).toBe(true);

    // The final update: every trial, no longer running, in the same widget.
    await page.waitForFunction(
      (total) => {
        const w = document.querySelector(".tl-study") as HTMLElement | null;
        return w?.dataset.trials === String(total) && (w.querySelector(".tl-live") as HTMLElement).hidden;
      },
      TRIALS,
      { timeout: 90_000 },
    );
    expect(await widget.getAttribute("data-mark")).toBe("first");
    expect(await page.locator(".tl-study").count()).toBe(1);
    expect(Number(await widget.getAttribute("data-renders"))).toBeGreaterThan(seen.renders);
    expect(await widget.locator(".tl-table").getAttribute("data-rows")).toBe(String(TRIALS));
    expect(await widget.locator(".tl-chart-parallel").getAttribute("data-lines")).toBe(String(TRIALS));
    expect(await widget.locator(".tl-chart-curves").getAttribute("data-curves")).toBe(String(TRIALS));
  }, 150_000);
});
