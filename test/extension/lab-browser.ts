/**
 * A real JupyterLab (the venv's, with the extension installed by scripts/setup.sh) driven by
 * Debian's Chromium through playwright-core. Shared by the browser tests and the browser
 * benchmark.
 *
 *   const lb = await startLabBrowser(root);
 *   const page = await lb.openNotebook("study.ipynb");
 *   await page.locator(".tl-study").first().waitFor();
 *   await lb.close();
 *
 * The app is exposed as window.jupyterapp (--expose-app-in-browser) so a test can switch the
 * theme and the benchmark can push live updates into an output, exactly as an
 * update_display_data message does.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { startJupyterLab, type JupyterLab } from "../helpers/jupyter";

export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface LabBrowser {
  readonly lab: JupyterLab;
  readonly context: BrowserContext;
  /** Opens a notebook under the server's root in a fresh page; resolves when the lab shell is up. */
  openNotebook(relPath: string): Promise<Page>;
  /** Opens the lab without a document (e.g. for the Studies sidebar); resolves when the shell is up. */
  openLab(): Promise<Page>;
  close(): Promise<void>;
}

export async function startLabBrowser(root: string, options: { width?: number; height?: number; labArgs?: string[] } = {}): Promise<LabBrowser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`bash scripts/setup.sh --with-browser\` (npm test does).`);
  }
  const lab = await startJupyterLab({ root, args: ["--expose-app-in-browser", ...(options.labArgs ?? [])] });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: options.width ?? 1280, height: options.height ?? 1000 },
    });
  } catch (err) {
    await lab.stop();
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const openUrl = async (url: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { jupyterapp?: { shell?: unknown } }).jupyterapp?.shell !== undefined, null, {
      timeout: 60_000,
    });
    return page;
  };
  return {
    lab,
    context,
    openLab: () => openUrl(`${lab.url}lab?token=${lab.token}&reset`),
    async openNotebook(relPath: string): Promise<Page> {
      const page = await context.newPage();
      const url = `${lab.url}lab/tree/${relPath.split("/").map(encodeURIComponent).join("/")}?token=${lab.token}&reset`;
      await page.goto(url);
      await page.waitForFunction(() => (window as unknown as { jupyterapp?: { shell?: unknown } }).jupyterapp?.shell !== undefined, null, {
        timeout: 60_000,
      });
      return page;
    },
    async close(): Promise<void> {
      await context.close().catch(() => undefined);
      await lab.stop();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Switches JupyterLab's theme ("JupyterLab Light" / "JupyterLab Dark") and waits for it to apply. */
export async function setTheme(page: Page, theme: "JupyterLab Light" | "JupyterLab Dark"): Promise<void> {
  const light = theme === "JupyterLab Light" ? "true" : "false";
  await page.evaluate((t) => {
    const app = (window as unknown as { jupyterapp: { commands: { execute(id: string, args: unknown): Promise<unknown> } } }).jupyterapp;
    void app.commands.execute("apputils:change-theme", { theme: t });
  }, theme);
  await page.waitForFunction((l) => document.body.dataset.jpThemeLight === l, light, { timeout: 30_000 });
}

/**
 * Replaces output `outputIndex` of cell `cellIndex` in the current notebook with `output`, the
 * way an update_display_data message does (OutputArea model `set`): the existing renderer's
 * renderModel is called again with the new bundle.
 */
export async function replaceOutput(page: Page, cellIndex: number, output: unknown, outputIndex = 0): Promise<void> {
  await page.evaluate(
    ({ cellIndex, outputIndex, output }) => {
      type OutputModel = { set(i: number, o: unknown): void };
      type Cell = { outputArea: { model: OutputModel } };
      const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { content: { widgets: Cell[] } } } } }).jupyterapp;
      app.shell.currentWidget.content.widgets[cellIndex]!.outputArea.model.set(outputIndex, output);
    },
    { cellIndex, outputIndex, output },
  );
}

// ---- shared steps of tests that run a notebook and open its study in a tab ----

/** `window.jupyterapp` (--expose-app-in-browser), as far as the tests use it. */
export type LabApp = {
  jupyterapp: {
    shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } };
    commands: { execute(id: string, args?: unknown): Promise<unknown> };
    restored: Promise<void>;
  };
};

/** Starts a JupyterLab command (not awaited inside the page: run-all would hold the evaluate until every cell ran). */
export function runCommand(page: Page, id: string): Promise<void> {
  return page.evaluate((id) => void (window as unknown as LabApp).jupyterapp.commands.execute(id), id);
}

/** Opens a notebook, waits for its kernel to be idle and starts running every cell. */
export async function runNotebook(lb: LabBrowser, relPath: string): Promise<Page> {
  const page = await lb.openNotebook(relPath);
  await page.waitForFunction(() => (window as unknown as LabApp).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle", null, { timeout: 90_000 });
  await runCommand(page, "notebook:run-all-cells");
  return page;
}

/** Opens study `name` from the Studies sidebar in a main-area tab; resolves once its panel shows `trials` trials. */
export async function openStudyTab(lb: LabBrowser, name: string, trials: number): Promise<{ page: Page; study: Locator }> {
  const page = await lb.openLab();
  await page.evaluate(() => (window as unknown as LabApp).jupyterapp.restored);
  await runCommand(page, "tunelab:show-studies");
  const item = page.locator("#tunelab-studies .tl-sb-item", { has: page.locator(".tl-sb-open", { hasText: name }) });
  await item.waitFor({ timeout: 30_000 });
  await item.locator(".tl-sb-open").click();
  const study = page.locator(".tl-study-tab:not(.lm-mod-hidden) .tl-study");
  await page.waitForFunction((n) => document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study")?.getAttribute("data-trials") === String(n), trials, { timeout: 30_000 });
  return { page, study };
}
