// The compare tab's EDF and export in a real JupyterLab and Chromium (issue 16 parts 2 and 5):
// two studies written to journals by the engine (JournalStorage, no kernel), compared from the
// Studies sidebar: the EDF chart has one step line per study with every distinct complete value
// (up to EDF_POINTS), and "Export CSV" writes the compare table's rows in its order with a study
// column. Screenshots (light, dark) go to $TUNELAB_ARTIFACTS or a temp dir (docs/edf*.png).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { edfLine } from "../../src/views/edf";
import { makeRepoTempDir, removeDir } from "../helpers/jupyter";
import { setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";

const ARTIFACTS = process.env.TUNELAB_ARTIFACTS ?? fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-screens-"));
const Papa = createRequire(__filename)("papaparse") as { parse(t: string, c: object): { data: string[][] } };
type App = { jupyterapp: { restored: Promise<void>; commands: { execute(id: string, args?: unknown): Promise<unknown> } } };

/** A study of `n` trials on f(x) = (x - centre)^2 (every sixth one failed), written to `dir`. */
async function writeStudy(dir: string, name: string, n: number, centre: number): Promise<number[]> {
  const storage = new JournalStorage(dir);
  const study = await Study.open({ name, space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", strategy: { name: "random" }, seed: n, storage });
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = (await study.ask())!;
    if (i % 6 === 5) await study.tell(t.number, { state: "failed", error: "diverged" });
    else {
      const v = ((t.params["x"] as number) - centre) ** 2;
      values.push(v);
      await study.tell(t.number, { value: v });
    }
  }
  await storage.close();
  return values;
}

describe("the compare tab's EDF and export", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;
  let values: Record<string, number[]>;

  beforeAll(async () => {
    root = makeRepoTempDir("compare-edf");
    const dir = path.join(root, ".tunelab");
    values = { near: await writeStudy(dir, "near", 60, 0.5), far: await writeStudy(dir, "far", 45, 1.4) };
    lb = await startLabBrowser(root, { width: 1400, height: 1100, labArgs: ["--ContentsManager.allow_hidden=True"] });
    page = await lb.openLab();
    await page.evaluate(() => (window as unknown as App).jupyterapp.restored);
    await page.evaluate(() => void (window as unknown as App).jupyterapp.commands.execute("tunelab:show-studies"));
    await page.locator("#tunelab-studies .tl-sb-item").nth(1).waitFor({ timeout: 30_000 });
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  const item = (name: string) => page.locator("#tunelab-studies .tl-sb-item", { has: page.locator(".tl-sb-open", { hasText: name }) });

  it("draws one EDF step line per study with a point per distinct complete value, and exports the table in its order", async () => {
    await item("near").locator(".tl-sb-check").check();
    await item("far").locator(".tl-sb-check").check();
    await page.locator("#tunelab-studies .tl-sb-compare").click();
    const cmp = page.locator(".tl-compare:not(.lm-mod-hidden)");
    await page.waitForFunction(() => document.querySelector(".tl-compare:not(.lm-mod-hidden)")?.getAttribute("data-status") === "ready", null, { timeout: 30_000 });
    const want = edfLine(values.near!).length + edfLine(values.far!).length;
    expect(want).toBe(new Set(values.near).size + new Set(values.far).size);
    expect(Number(await cmp.locator(".tl-cmp-edf").getAttribute("data-points"))).toBe(want);
    expect(await cmp.locator(".tl-cmp-edf canvas").count()).toBe(1);
    await cmp.locator(".tl-panel", { has: page.locator(".tl-cmp-edf") }).screenshot({ path: path.join(ARTIFACTS, "edf-light.png") });

    // Sort the table by value, then export: the file has its rows in that order and a study column.
    await cmp.locator(".tl-cmp-head .tl-cmp-col-value").click();
    const [d] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), cmp.locator(".tl-export-csv").click()]);
    expect(d.suggestedFilename()).toBe("compare-trials.csv");
    const rows = Papa.parse(fs.readFileSync((await d.path())!, "utf8").trimEnd(), { delimiter: ",", newline: "\r\n" }).data;
    const header = rows[0]!;
    expect(header.slice(0, 4)).toEqual(["study", "number", "state", "value"]);
    expect(rows.length - 1).toBe(105);
    const shown = await cmp.locator(".tl-cmp-body .tl-cmp-row").evaluateAll((rs) => rs.map((r) => [r.children[0]!.textContent, r.children[1]!.textContent]));
    expect(rows.slice(1, 1 + shown.length).map((r) => [r[0], r[1]])).toEqual(shown);
    const v = rows.slice(1).map((r) => (r[3] === "" ? Infinity : Number(r[3])));
    expect([...v].sort((a, b) => a - b)).toEqual(v);

    await setTheme(page, "JupyterLab Dark");
    await page.waitForFunction(() => document.querySelector(".tl-compare:not(.lm-mod-hidden)")?.getAttribute("data-status") === "ready", null, { timeout: 30_000 });
    await page.waitForTimeout(500);
    await cmp.locator(".tl-panel", { has: page.locator(".tl-cmp-edf") }).screenshot({ path: path.join(ARTIFACTS, "edf-dark.png") });
    await setTheme(page, "JupyterLab Light");
    console.log(`screenshots in ${ARTIFACTS}`);
  });
});
