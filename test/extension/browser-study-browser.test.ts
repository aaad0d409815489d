// The study browser in a real JupyterLab (Chromium, playwright-core), with no kernel involved in
// reading: the Studies sidebar lists a study written by a notebook run in a tslab kernel (in the
// notebook's own .tunelab folder) and one written by a separate `tunelab serve` process; a study
// opens in a tab with one table row per trial and follows the serve process as it goes on;
// two studies compare in one tab; crafted files are reported in the sidebar and run nothing;
// "Open in tab" on a cell panel opens the same study in a tab.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeNotebook, makeRepoTempDir, REPO_ROOT, removeDir, tslabNotebook, writeNotebook } from "../helpers/jupyter";
import { setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";
import { JOURNAL_VERSION } from "../../src/record/ops";

const MAIN = path.join(REPO_ROOT, "dist", "cli", "main.js");
const XSS = "<img src=x onerror=window.__pwned=1>";
const NOTEBOOK_TRIALS = 12;
const ARTIFACTS = process.env["TUNELAB_ARTIFACTS"] ?? path.join(REPO_ROOT, "tmp", "artifacts");

const CELLS = [
  `import { tune, float, int, choice } from "tunelab";`,
  `const study = tune("from-notebook")
  .space({ lr: float(1e-4, 1, { scale: "log" }), layers: int(1, 4), opt: choice(["sgd", "adam"]) })
  .minimize("loss")
  .strategy("random", { seed: 5 })
  .limits({ trials: ${NOTEBOOK_TRIALS} })
  .objective(async (p, trial) => {
    for (let step = 1; step <= 3; step++) await trial.report(step, { loss: Math.abs(Math.log10(p.lr) + 2) + p.layers / 10 + 1 / step });
    return { loss: Math.abs(Math.log10(p.lr) + 2) + p.layers / 10 };
  });
await study.run();`,
];

/** A `tunelab serve` child driven request by request. */
class Serve {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = "";
  private readonly waiting: ((line: string) => void)[] = [];

  constructor(cwd: string) {
    this.child = spawn(process.execPath, [MAIN, "serve"], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8").on("data", (d: string) => {
      this.buffer += d;
      for (let nl = this.buffer.indexOf("\n"); nl >= 0; nl = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.shift()?.(line);
      }
    });
  }

  request(r: object): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.waiting.push((line) => resolve(JSON.parse(line) as Record<string, unknown>));
      this.child.stdin.write(JSON.stringify(r) + "\n");
    });
  }

  /** Runs `count` trials to the end; the last `open` of them are asked but not told. */
  async trials(count: number, open = 0): Promise<number[]> {
    const left: number[] = [];
    for (let i = 0; i < count; i++) {
      const a = await this.request({ op: "ask", study: "served" });
      const n = a["trial"] as number;
      const x = (a["params"] as { x: number }).x;
      await this.request({ op: "report", study: "served", trial: n, step: 0, value: x + 1 });
      if (i >= count - open) left.push(n);
      else await this.request({ op: "tell", study: "served", trial: n, value: (x - 0.3) ** 2 });
    }
    return left;
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill();
  }
}

/** dist/ (the notebook's `tunelab` and `tunelab serve`) built from the current sources. */
function ensureDist(): void {
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = path.join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith(".ts") ? fs.statSync(p).mtimeMs : 0);
    }, 0);
  if (fs.existsSync(MAIN) && fs.statSync(MAIN).mtimeMs >= newest(path.join(REPO_ROOT, "src"))) return;
  try {
    execFileSync("npx", ["--no-install", "tsc", "-p", "."], { cwd: REPO_ROOT, stdio: "pipe" });
  } catch {
    // tsc still emits when some other file has a type error; the CLI must exist.
    if (!fs.existsSync(MAIN)) throw new Error("tsc did not build dist/cli/main.js");
  }
}

type App = { jupyterapp: { commands: { execute(id: string, args?: unknown): Promise<unknown> } } };

const exec = (page: Page, id: string, args?: unknown) => page.evaluate(([id, args]) => void (window as unknown as App).jupyterapp.commands.execute(id as string, args), [id, args] as const);

describe("the study browser", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;
  let serve: Serve;
  let running: number[];

  beforeAll(async () => {
    ensureDist();
    root = makeRepoTempDir("study-browser");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // 1. A notebook run in a real tslab kernel: its study goes to nb/.tunelab/ beside it.
    fs.mkdirSync(path.join(root, "nb"));
    const nbFile = path.join(root, "nb", "train.ipynb");
    writeNotebook(nbFile, tslabNotebook(CELLS));
    writeNotebook(nbFile, await executeNotebook(nbFile, { timeoutMs: 150_000 }));
    // 2. A separate `tunelab serve` process writing .tunelab/served.jsonl, left running.
    serve = new Serve(root);
    const created = await serve.request({ op: "create", study: "served", space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", strategy: "random", seed: 2, storage: ".tunelab" });
    expect(created["ok"]).toBe(true);
    running = await serve.trials(8, 2);
    // 3. Crafted files beside them.
    const dir = path.join(root, ".tunelab");
    fs.writeFileSync(path.join(dir, "not-a-journal.jsonl"), `<script>window.__pwned=1</script>\n${"A".repeat(300_000)}\n`);
    fs.writeFileSync(path.join(dir, "future.jsonl"), JSON.stringify({ op: "study", v: 99, spec: {} }) + "\n");
    const spec = { name: XSS, space: { [XSS]: { type: "categorical", choices: [XSS, "b"] } }, direction: "minimize", metric: XSS, strategy: { name: XSS, options: {} }, seed: 1, createdAt: 1 };
    const evil = [
      { op: "study", v: 1, spec },
      { op: "trial", n: 0, params: { [XSS]: XSS }, t: 1 },
      { op: "end", n: 0, state: "failed", t: 2, error: XSS },
      { op: "trial", n: 1, params: { [XSS]: "b" }, t: 3 },
      { op: "end", n: 1, state: "complete", t: 4, value: 1 },
      { op: "trial", n: "2", params: XSS, t: "<b>" },
    ];
    fs.writeFileSync(path.join(dir, "evil.jsonl"), evil.map((o) => JSON.stringify(o)).join("\n") + "\n{torn");
    lb = await startLabBrowser(root, { width: 1400, height: 950, labArgs: ["--ContentsManager.allow_hidden=True"] });
    page = await lb.openLab();
    await page.evaluate(() => (window as unknown as { jupyterapp: { restored: Promise<void> } }).jupyterapp.restored);
    await exec(page, "tunelab:show-studies");
    await page.locator("#tunelab-studies .tl-sb-item").first().waitFor({ timeout: 30_000 });
  }, 300_000);

  afterAll(async () => {
    serve?.stop();
    await lb?.close();
    if (root) removeDir(root);
  });

  const item = (name: string) => page.locator("#tunelab-studies .tl-sb-item", { has: page.locator(".tl-sb-open", { hasText: name }) });

  it("lists the notebook's study and the serve process's study with strategy, trials by state, best value and running state", async () => {
    const nb = item("from-notebook");
    const served = item("served");
    await nb.waitFor({ timeout: 30_000 });
    await served.waitFor({ timeout: 30_000 });
    expect(await nb.getAttribute("data-status")).toBe("finished");
    expect(await nb.getAttribute("data-trials")).toBe(String(NOTEBOOK_TRIALS));
    expect(await nb.locator(".tl-sb-meta").textContent()).toMatch(/^random · minimize loss · best #\d+: \d/);
    expect(await nb.locator(".tl-sb-where").textContent()).toMatch(/^nb\/\.tunelab · /);
    expect(await served.getAttribute("data-status")).toBe("running");
    expect(await served.locator(".tl-sb-counts").textContent()).toBe("8 trials6 complete2 running");
    await page.locator("#tunelab-studies").screenshot({ path: path.join(ARTIFACTS, "study-browser-sidebar.png") });
  });

  it("sorts by name, last change and best value", async () => {
    const names = () => page.locator("#tunelab-studies .tl-sb-item:not(.tl-sb-error) .tl-sb-open").allTextContents();
    await page.locator("#tunelab-studies .tl-sb-sort").selectOption("name");
    const byName = await names();
    expect(byName).toEqual([...byName].sort((a, b) => a.localeCompare(b)));
    await page.locator("#tunelab-studies .tl-sb-sort").selectOption("best");
    expect((await names()).length).toBe(3);
    await page.locator("#tunelab-studies .tl-sb-sort").selectOption("modified");
  });

  it("reports crafted files in their own rows, lists the rest, and runs nothing from them", async () => {
    const errors = page.locator("#tunelab-studies .tl-sb-error");
    await expect.poll(() => errors.count()).toBe(2);
    const texts = await errors.allTextContents();
    expect(texts.some((t) => t.includes("future.jsonl") && new RegExp(`journal format version 99, newer than this tunelab reads \\(version ${JOURNAL_VERSION}\\)`).test(t))).toBe(true);
    expect(texts.some((t) => t.includes("not-a-journal.jsonl") && t.includes("does not start with a tunelab study record"))).toBe(true);
    // The hostile study itself is listed (its bad record skipped and said so), as text.
    const evil = page.locator("#tunelab-studies .tl-sb-item", { has: page.locator(".tl-sb-open", { hasText: "<img src=x" }) });
    expect(await evil.locator(".tl-sb-warn").textContent()).toBe("1 damaged or foreign record skipped");
    await evil.locator(".tl-sb-open").click();
    const tab = page.locator(".tl-study-tab:visible .tl-study");
    await tab.waitFor();
    await page.waitForFunction(() => document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study")?.getAttribute("data-status") === "ready", null, { timeout: 30_000 });
    expect(await tab.getAttribute("data-trials")).toBe("2");
    expect(await tab.locator(".tl-title").textContent()).toBe(XSS);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator("img[src=x]").count()).toBe(0);
  });

  it("opens a study in a tab with one table row per trial, and follows it while it runs", async () => {
    await item("served").locator(".tl-sb-open").click();
    const tab = page.locator(".tl-study-tab:not(.lm-mod-hidden) .tl-study");
    const drawn = (trials: number, after: number) =>
      page.waitForFunction(
        ([trials, after]) => {
          const w = document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study");
          return w?.getAttribute("data-trials") === String(trials) && Number(w.getAttribute("data-renders") ?? 0) > after;
        },
        [trials, after] as const,
        { timeout: 30_000 },
      );
    await drawn(8, 0);
    expect(await tab.locator(".tl-title").textContent()).toBe("served");
    expect(await tab.locator(".tl-body .tl-row").count()).toBe(8);
    expect(await tab.locator(".tl-live").isVisible()).toBe(true);
    const renders = Number(await tab.getAttribute("data-renders"));
    // The serve process goes on: the open tab follows, fetching only the appended bytes (the
    // server answers the Range reads with 206 Partial Content from past the start).
    const reads: { status: number; range: string }[] = [];
    page.on("response", (r) => {
      if (r.url().includes("/files/.tunelab/served.jsonl")) reads.push({ status: r.status(), range: r.headers()["content-range"] ?? "" });
    });
    for (const n of running) await serve.request({ op: "tell", study: "served", trial: n, value: 0.5 });
    await serve.trials(4);
    await drawn(12, renders);
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(r.status).toBe(206);
    expect(reads.some((r) => /^bytes [1-9]\d*-/.test(r.range))).toBe(true);
    expect(await tab.locator(".tl-body .tl-row").count()).toBe(12);
    await expect.poll(() => tab.locator(".tl-live").isVisible()).toBe(false);
    await expect.poll(() => item("served").getAttribute("data-status")).toBe("finished");
    await page.waitForFunction(() => document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-chart-parallel canvas") !== null, null, { timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, "study-browser-served.png") });
  });

  it("closes a study tab for good (it stops following the file) and opens it again", async () => {
    await page.evaluate(() => {
      type Shell = { widgets(area: string): Iterable<{ node: HTMLElement; close(): void }> };
      for (const w of [...(window as unknown as { jupyterapp: { shell: Shell } }).jupyterapp.shell.widgets("main")]) if (w.node.classList.contains("tl-study-tab")) w.close();
    });
    expect(await page.locator(".tl-study-tab").count()).toBe(0);
    await item("served").locator(".tl-sb-open").press("Enter");
    await page.waitForFunction(() => document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study")?.getAttribute("data-trials") === "12", null, { timeout: 30_000 });
    expect(await page.locator(".tl-study-tab").count()).toBe(1);
    // The notebook's study beside it, every view drawn (the README's picture).
    await item("from-notebook").locator(".tl-sb-open").click();
    await page.waitForFunction(
      () => {
        const w = document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study");
        return w?.querySelector(".tl-title")?.textContent === "from-notebook" && Number(w.getAttribute("data-renders") ?? 0) >= 1;
      },
      null,
      { timeout: 30_000 },
    );
    expect(await page.locator(".tl-study-tab").count()).toBe(2);
    await page.screenshot({ path: path.join(ARTIFACTS, "study-browser-tab.png") });
  });

  it("compares two studies: overlaid best-so-far by trial and by time, one table with a study column", async () => {
    await item("from-notebook").locator(".tl-sb-check").check();
    await item("served").locator(".tl-sb-check").check();
    const button = page.locator("#tunelab-studies .tl-sb-compare");
    expect(await button.textContent()).toBe("Compare 2");
    await button.click();
    const cmp = page.locator(".tl-compare:not(.lm-mod-hidden)");
    await page.waitForFunction(() => document.querySelector(".tl-compare:not(.lm-mod-hidden)")?.getAttribute("data-status") === "ready", null, { timeout: 30_000 });
    expect(await cmp.getAttribute("data-studies")).toBe("2");
    expect(await cmp.getAttribute("data-rows")).toBe(String(NOTEBOOK_TRIALS + 12));
    const studies = new Set(await cmp.locator(".tl-cmp-body .tl-cmp-col-study").allTextContents());
    expect(studies).toEqual(new Set(["from-notebook", "served"]));
    expect(await cmp.locator(".tl-cmp-by-trial canvas").count()).toBe(1);
    expect(await cmp.locator(".tl-cmp-by-time canvas").count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, "study-browser-compare.png") });
    await setTheme(page, "JupyterLab Dark");
    await page.waitForFunction(() => document.querySelector(".tl-compare:not(.lm-mod-hidden)")?.getAttribute("data-status") === "ready", null, { timeout: 30_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, "study-browser-compare-dark.png") });
    await setTheme(page, "JupyterLab Light");
  });

  it("opens the same study in a tab from the cell panel's Open in tab", async () => {
    const nbPage = await lb.openNotebook("nb/train.ipynb");
    try {
      const button = nbPage.locator(".jp-OutputArea .tl-study .tl-open-tab");
      await button.waitFor({ timeout: 60_000 });
      await button.click();
      await nbPage.waitForFunction(
        () => {
          const w = document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study");
          return w?.getAttribute("data-status") === "ready" && w.querySelector(".tl-title")?.textContent === "from-notebook";
        },
        null,
        { timeout: 30_000 },
      );
      expect(await nbPage.locator(".tl-study-tab:not(.lm-mod-hidden) .tl-study").getAttribute("data-trials")).toBe(String(NOTEBOOK_TRIALS));
    } finally {
      await nbPage.close();
    }
    // Its own waits allow 60 s + 30 s: the test's limit must not cut them short (the default 20 s did under load).
  }, 150_000);
});
