// A study run live in a real tslab kernel, saved through JupyterLab (nbformat writes the
// notebook's JSON with sorted keys) and reopened: the panel keeps the parameters in the order the
// space declared them (table columns, parallel axes, the curves' colour choices), in the cell and
// in a study-browser tab; and the history drawn during the live run keeps its axis labels.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STUDY_MIME } from "../../src/views/payload";
import { makeRepoTempDir, outputsByMime, readNotebook, removeDir, tslabNotebook, writeNotebook } from "../helpers/jupyter";
import { startLabBrowser, type LabBrowser } from "./lab-browser";

const DECLARED = ["lr", "layers", "optimizer", "dropout"];

const CELLS = [
  `import { tune, float, int, choice } from "tunelab";`,
  `const study = tune("declared-order")
  .space({ lr: float(1e-4, 0.3, { scale: "log" }), layers: int(1, 6), optimizer: choice(["sgd", "adam"]), dropout: float(0, 0.5) })
  .minimize("val_loss")
  .strategy("random", { seed: 4 })
  .limits({ trials: 16 })
  .objective(async (p, trial) => {
    let loss = 2;
    for (let step = 1; step <= 4; step++) {
      await new Promise((r) => setTimeout(r, 25));
      loss = 0.2 + Math.abs(Math.log10(p.lr) + 2) * 0.1 + p.dropout * 0.2 + 1 / (step + p.layers);
      await trial.report(step, { val_loss: loss });
    }
    return { val_loss: loss, accuracy: 1 - loss / 3 };
  });
await study.run();`,
];

type App = {
  jupyterapp: {
    shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } };
    commands: { execute(id: string, args?: unknown): Promise<unknown> };
  };
};

const exec = (page: Page, id: string) => page.evaluate((id) => void (window as unknown as App).jupyterapp.commands.execute(id), id);

/** What the panel lists, in order: the table's parameter columns, the parallel axes, the curves' colour choices. */
async function orders(w: Locator) {
  const headers = await w.locator(".tl-head .tl-sort").allTextContents();
  return {
    columns: headers.filter((h) => DECLARED.includes(h)),
    axes: ((await w.locator(".tl-chart-parallel").getAttribute("data-order")) ?? "").split("\u001f").slice(0, -1),
    colourBy: (await w.locator(".tl-colour-by option").allTextContents()).slice(1),
  };
}

describe("a study saved and reopened in JupyterLab", () => {
  let root: string;
  let lb: LabBrowser;

  beforeAll(async () => {
    root = makeRepoTempDir("ext-order");
    writeNotebook(path.join(root, "order.ipynb"), tslabNotebook(CELLS));
    lb = await startLabBrowser(root, { height: 1400, labArgs: ["--ContentsManager.allow_hidden=True"] });
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("keeps the declared parameter order after nbformat sorts the saved JSON, and the live history its labels", async () => {
    const page = await lb.openNotebook("order.ipynb");
    await page.waitForFunction(() => (window as unknown as App).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle", null, { timeout: 90_000 });
    await exec(page, "notebook:run-all-cells");
    const live = page.locator(".tl-study").first();
    await live.waitFor({ timeout: 90_000 });
    await page.waitForFunction(
      () => {
        const w = document.querySelector(".tl-study") as HTMLElement | null;
        return w?.dataset.trials === "16" && (w.querySelector(".tl-live") as HTMLElement).hidden;
      },
      null,
      { timeout: 120_000 },
    );
    await page.waitForTimeout(500);
    // Drawn while the run went on, the history still shows everything it drew (labels, title).
    expect(await live.locator(".tl-chart-history").getAttribute("data-clipped")).toBe("");
    expect(await live.locator(".tl-chart-curves").getAttribute("data-clipped")).toBe("");
    expect(await orders(live)).toEqual({ columns: DECLARED, axes: DECLARED, colourBy: DECLARED });

    await exec(page, "docmanager:save");
    const file = path.join(root, "order.ipynb");
    await expect.poll(() => outputsByMime(readNotebook(file), STUDY_MIME).length, { timeout: 30_000 }).toBe(1);
    await page.close();
    // What nbformat wrote: the space's keys sorted (the order is in paramOrder).
    const saved = outputsByMime(readNotebook(file), STUDY_MIME)[0]!.value as { study: { space: object; paramOrder: string[] } };
    expect(Object.keys(saved.study.space)).toEqual([...DECLARED].sort());
    expect(saved.study.paramOrder).toEqual(DECLARED);

    const reopened = await lb.openNotebook("order.ipynb");
    try {
      const w = reopened.locator(".tl-study").first();
      await reopened.waitForFunction(() => Number(document.querySelector(".tl-study")?.getAttribute("data-renders") ?? 0) >= 1, null, { timeout: 60_000 });
      expect(await orders(w)).toEqual({ columns: DECLARED, axes: DECLARED, colourBy: DECLARED });
      // The same study in a study-browser tab (read from its journal on disk).
      await w.locator(".tl-open-tab").click();
      await reopened.waitForFunction(() => document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study")?.getAttribute("data-status") === "ready", null, { timeout: 60_000 });
      const tab = reopened.locator(".tl-study-tab:not(.lm-mod-hidden) .tl-study");
      await expect.poll(async () => (await orders(tab)).axes).toEqual(DECLARED);
      expect(await orders(tab)).toEqual({ columns: DECLARED, axes: DECLARED, colourBy: DECLARED });
    } finally {
      await reopened.close();
    }
    expect(fs.existsSync(path.join(root, ".tunelab"))).toBe(true);
  }, 300_000);
});
