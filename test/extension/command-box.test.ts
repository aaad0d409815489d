// "Why did trial 1 fail?" one click away, in a real JupyterLab (Chromium, playwright-core): a
// study of command() trials (a Python script printing its loss; trial 1 dies with a traceback
// on stderr) runs live in a real tslab kernel. Clicking the failed trial's row in the cell
// panel shows the command line, where the whole log is and, unfolded, the last lines of its
// output with the traceback; the box stays as the user left it (unfolded, text selected)
// while live updates redraw the panel. The study browser's tab, reading the journal from disk,
// shows the same and opens the whole log in one click. The command line and the output carry
// markup: it shows as text and runs nothing.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepoTempDir, REPO_ROOT, removeDir, tslabNotebook, VENV, writeNotebook } from "../helpers/jupyter";
import { setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";

const ARTIFACTS = process.env["TUNELAB_ARTIFACTS"] ?? path.join(REPO_ROOT, "tmp", "artifacts");
const PYTHON = path.join(VENV, "bin", "python");
const XSS_ARG = "<img src=x onerror=window.__pwned=1>";
const XSS_OUT = "<script>window.__pwned=2</script><img src=y onerror=window.__pwned=3>";
const FAILS = 1;
const TRIALS = 5;
const STUDY = "why-failed";
// A long argument (a data path), so the command line is wider than the panel.
const DATA = "/data/" + "a-rather-long-folder-name/".repeat(8) + "train.csv";
const LOG = `.tunelab/${STUDY}.trials/${FAILS}/output.log`;

/**
 * A training script printing a loss per epoch. Trial FAILS prints 40 epochs, then dies with a
 * traceback; the trial after it goes on printing until the test creates ./release, so the
 * study is still running (and the panel still updating) while the test looks at the box.
 */
const TRAIN_PY = `
import os, sys, time
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
x, trial = float(args["--x"]), int(args["--trial"])
epochs = 40 if trial == ${FAILS} else 3
epoch = 0
while epoch < epochs or (trial == ${FAILS + 1} and not os.path.exists("release") and epoch < 600):
    epoch += 1
    print(f"epoch {epoch} loss={(x - 0.3) ** 2 + 1 / epoch:.4f}", flush=True)
    if trial == ${FAILS + 1}: time.sleep(0.1)

def train_step(lr):
    raise FloatingPointError(${JSON.stringify(`loss diverged to nan ${XSS_OUT}`)})

if trial == ${FAILS}:
    train_step(x)
`;

const ARGV = [PYTHON, "train.py", "--x", "{x}", "--trial", "{trial}", "--data", DATA, "--note", XSS_ARG];

const CELLS = [
  `import { tune, command, float } from "tunelab";`,
  `const study = tune(${JSON.stringify(STUDY)})
  .space({ x: float(0, 1) })
  .minimize("loss")
  .strategy("random", { seed: 4 })
  .limits({ trials: ${TRIALS} })
  .objective(command(${JSON.stringify(ARGV)}, { metrics: [{ name: "loss", regex: "loss=([-+0-9.eE]+)" }] }));
await study.run();`,
];

type App = {
  jupyterapp: {
    shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } };
    commands: { execute(id: string, args?: unknown): Promise<unknown> };
    restored: Promise<void>;
  };
};

const exec = (page: Page, id: string) => page.evaluate((id) => void (window as unknown as App).jupyterapp.commands.execute(id), id);

/** Clicks trial `n`'s row in `study` and returns its command box once shown. */
async function selectTrial(study: Locator, n: number): Promise<Locator> {
  await study.locator(`.tl-body .tl-row[data-trial="${n}"]`).click();
  const box = study.locator(".tl-selection .tl-command");
  await box.waitFor({ timeout: 10_000 });
  return box;
}

/** The command line and where the whole log is are shown at once, as text; the output is folded. */
async function checkCommand(box: Locator, log: string): Promise<void> {
  const line = box.locator(".tl-command-line");
  expect(await line.isVisible()).toBe(true);
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // Shell-quoted for reading: the argument with markup in quotes, as text.
  expect(await line.textContent()).toMatch(new RegExp(`^${esc(PYTHON)} train\\.py --x [-+0-9.e]+ --trial ${FAILS} --data ${esc(DATA)} --note ${esc(`'${XSS_ARG}'`)}$`));
  expect(await box.locator(".tl-command-log").textContent()).toContain(log);
  expect(await box.locator(".tl-command-log").isVisible()).toBe(true);
}

/** Unfolds the output (unless it is) and checks it ends with the traceback, as text. */
async function checkOutput(page: Page, box: Locator): Promise<void> {
  const output = box.locator(".tl-command-output");
  if ((await output.getAttribute("open")) === null) await output.locator("summary").click();
  const tail = box.locator(".tl-command-tail");
  expect(await tail.isVisible()).toBe(true);
  const text = (await tail.textContent()) ?? "";
  expect(text).toContain("Traceback (most recent call last):");
  expect(text).toContain("in train_step");
  expect(text.trimEnd().endsWith(`FloatingPointError: loss diverged to nan ${XSS_OUT}`)).toBe(true);
  expect(text).not.toContain("epoch 1 loss="); // the last lines only
  // Unfolded at its end: the exception's line is in view, not below the fold.
  const seen = await tail.evaluate((pre) => pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 1);
  expect(seen).toBe(true);
  await checkNothingRan(page, box);
}

async function checkNothingRan(page: Page, box: Locator): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.locator("img[src=x], img[src=y]").count()).toBe(0);
  expect(await box.locator("script, img").count()).toBe(0);
}

async function shoot(page: Page, target: Locator, name: string): Promise<void> {
  await target.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  await setTheme(page, "JupyterLab Dark");
  await target.screenshot({ path: path.join(ARTIFACTS, `${name}-dark.png`) });
  await setTheme(page, "JupyterLab Light");
}

const renders = (study: Locator) => study.evaluate((n) => Number((n as HTMLElement).dataset.renders ?? 0));

describe("the command box of a trial run by command()", () => {
  let root: string;
  let lb: LabBrowser;

  beforeAll(async () => {
    root = makeRepoTempDir("command-box");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(root, "train.py"), TRAIN_PY);
    writeNotebook(path.join(root, "why.ipynb"), tslabNotebook(CELLS));
    lb = await startLabBrowser(root, { width: 1200, height: 1000, labArgs: ["--ContentsManager.allow_hidden=True"] });
  }, 120_000);

  afterAll(async () => {
    if (root) fs.writeFileSync(path.join(root, "release"), "");
    await lb?.close();
    if (root) removeDir(root);
  });

  it("shows the failed trial's command line, log and traceback in the cell panel, and keeps them through live updates", async () => {
    const page = await lb.openNotebook("why.ipynb");
    await page.waitForFunction(() => (window as unknown as App).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle", null, { timeout: 90_000 });
    await exec(page, "notebook:run-all-cells");
    const study = page.locator(".jp-OutputArea .tl-study").first();
    await page.waitForFunction((n) => document.querySelector(`.jp-OutputArea .tl-study .tl-body .tl-row[data-trial="${n}"]`)?.textContent?.includes("failed"), FAILS, { timeout: 90_000 });
    expect(await study.locator(".tl-live").isVisible()).toBe(true); // trial FAILS + 1 is running

    const box = await selectTrial(study, FAILS);
    await checkCommand(box, `${STUDY}.trials/${FAILS}/output.log`);
    expect(await box.locator(".tl-command-log").textContent()).toContain(`await study.log(${FAILS})`);
    expect(await box.locator(".tl-command-output").getAttribute("open")).toBeNull();
    await study.locator(".tl-selection").screenshot({ path: path.join(ARTIFACTS, "command-box-panel-folded.png") });
    await checkOutput(page, box);

    // Live updates redraw the panel; the box stays as the user left it: unfolded, the command
    // line selected (to copy it), the same nodes.
    await box.evaluate((n) => ((n as HTMLElement).dataset.mark = "kept"));
    await page.evaluate(() => getSelection()!.selectAllChildren(document.querySelector(".jp-OutputArea .tl-command-line")!));
    const before = await renders(study);
    await expect.poll(() => renders(study), { timeout: 30_000 }).toBeGreaterThan(before + 2);
    expect(await box.getAttribute("data-mark")).toBe("kept");
    expect(await box.locator(".tl-command-output").getAttribute("open")).not.toBeNull();
    expect(await page.evaluate(() => getSelection()!.toString())).toBe(await box.locator(".tl-command-line").textContent());

    fs.writeFileSync(path.join(root, "release"), "");
    await page.waitForFunction((n) => {
      const w = document.querySelector(".jp-OutputArea .tl-study");
      return w?.getAttribute("data-trials") === String(n) && (w.querySelector(".tl-live") as HTMLElement).hidden;
    }, TRIALS, { timeout: 90_000 });
    expect(await box.locator(".tl-command-tail").isVisible()).toBe(true);
    await checkNothingRan(page, box);
    await page.evaluate(() => getSelection()!.removeAllRanges());
    await shoot(page, study.locator(".tl-selection"), "command-box-panel");
    await page.close();
  }, 240_000);

  it("shows the same in the study browser's tab, read from the journal on disk, and opens the whole log", async () => {
    fs.writeFileSync(path.join(root, "release"), ""); // the study ends even if the test above stopped early
    const page = await lb.openLab();
    await page.evaluate(() => (window as unknown as App).jupyterapp.restored);
    await exec(page, "tunelab:show-studies");
    const item = page.locator("#tunelab-studies .tl-sb-item", { has: page.locator(".tl-sb-open", { hasText: STUDY }) });
    await item.waitFor({ timeout: 30_000 });
    await item.locator(".tl-sb-open").click();
    const study = page.locator(".tl-study-tab:not(.lm-mod-hidden) .tl-study");
    await page.waitForFunction((n) => document.querySelector(".tl-study-tab:not(.lm-mod-hidden) .tl-study")?.getAttribute("data-trials") === String(n), TRIALS, {
      timeout: 30_000,
    });
    const box = await selectTrial(study, FAILS);
    await checkCommand(box, LOG);
    await checkOutput(page, box);
    await shoot(page, study.locator(".tl-selection"), "command-box-tab");

    // One click to the whole log: from its first line (the command) to how it ended.
    await box.locator(".tl-command-open").click();
    const editor = page.locator(".jp-FileEditor:visible .cm-content");
    await editor.waitFor({ timeout: 30_000 });
    await expect.poll(() => editor.textContent(), { timeout: 30_000 }).toContain("[tunelab] exit code 1");
    const whole = (await editor.textContent()) ?? "";
    expect(whole).toContain(`[tunelab] trial ${FAILS}`);
    expect(whole).toContain("epoch 1 loss=");
    expect(whole).toContain(`FloatingPointError: loss diverged to nan ${XSS_OUT}`);
    expect(await page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").textContent()).toBe("output.log");
    await checkNothingRan(page, box);
    await page.close();
  }, 120_000);
});
