// "Why did trial 1 fail, and what did I note about it?" in a real JupyterLab (Chromium,
// playwright-core) with a real tslab kernel: a study whose objective sets attributes and a note
// per trial (trial 1 fails, with a hostile note) and a hostile study note. Selecting the failed
// trial shows its error, its note rendered as markdown, and, unfolded, its worker, metrics,
// intermediate curve and attributes; the study's note sits at the panel's top. The study
// browser's tab, reading the journal from disk, shows the same. The hostile notes run nothing:
// no handler fires (a global flag the payloads would set stays unset) and no element with an
// on* attribute, script, iframe or image exists in the panel.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepoTempDir, REPO_ROOT, removeDir, tslabNotebook, writeNotebook } from "../helpers/jupyter";
import { openStudyTab, runNotebook, setTheme, startLabBrowser, type LabBrowser } from "./lab-browser";

// The pictures in docs/ are retaken on request (TUNELAB_DOCS=1); other runs leave them to tmp/.
const SHOTS = process.env["TUNELAB_DOCS"] === "1" ? path.join(REPO_ROOT, "docs") : (process.env["TUNELAB_ARTIFACTS"] ?? path.join(REPO_ROOT, "tmp", "artifacts"));
const STUDY = "noted";
const TRIALS = 4;
const FAILS = 1;

/** Every way a note could try to run code: markup, handlers, SVG, javascript: and data: links. */
const HOSTILE_TRIAL = [
  "**Diverged** at step 3 (`lr` too high?): see [the run](https://example.org/runs/1?x=<b>).",
  "",
  "- tried *smaller* batches",
  "- <script>window.__pwned=1</script>",
  "",
  '<img src=x onerror="window.__pwned=2"> <svg onload="window.__pwned=3"><script>window.__pwned=4</script></svg>',
  '[click me](javascript:window.__pwned=5) ![pic](x" onerror="window.__pwned=6) [data](data:text/html,<script>parent.__pwned=10</script>)',
  '<a href="javascript:window.__pwned=7" onclick="window.__pwned=8">a link</a> <iframe srcdoc="<script>parent.__pwned=9</script>"></iframe>',
].join("\n");
const HOSTILE_STUDY = "### Plan <style>*{display:none}</style>\nWiden **lr** if the best sits at its edge. <img src=y onerror=window.__pwned=11>\n\n> baseline: 0.31";

const CELLS = [
  `import { tune, float } from "tunelab";`,
  `const study = tune(${JSON.stringify(STUDY)})
  .space({ x: float(0, 1), lr: float(1e-4, 1e-1, { scale: "log" }) })
  .minimize("loss")
  .strategy("random", { seed: 5 })
  .limits({ trials: ${TRIALS} })
  .objective(async (p, trial) => {
    await trial.setAttr("dataset", { rows: 50000, split: "v2" });
    await trial.setAttr("gpu", "A100 <b>80GB</b>");
    for (let s = 0; s < 6; s++) await trial.report(s, (p.x - 0.3) ** 2 + 1 / (s + 1));
    await trial.note(trial.number === ${FAILS} ? ${JSON.stringify(HOSTILE_TRIAL)} : "Trial " + trial.number + ": **fine**");
    if (trial.number === ${FAILS}) throw new Error("diverged: loss is nan <img src=z onerror=window.__pwned=12>");
    return { loss: (p.x - 0.3) ** 2, acc: 1 - p.x / 2 };
  });
await study.note(${JSON.stringify(HOSTILE_STUDY)});
await study.run();`,
];

/** Clicks trial `n`'s row and returns the selection line once it shows that trial. */
async function selectTrial(study: Locator, n: number): Promise<Locator> {
  await study.locator(`.tl-body .tl-row[data-trial="${n}"]`).click();
  const line = study.locator(".tl-selection");
  await expect.poll(() => study.getAttribute("data-selected"), { timeout: 10_000 }).toBe(String(n));
  return line;
}

/** The failed trial's error and notes as the selection line shows them, the details unfolded. */
async function checkDetails(line: Locator): Promise<void> {
  expect(await line.locator(".tl-error-text").textContent()).toContain("diverged: loss is nan <img src=z onerror=window.__pwned=12>");
  const note = line.locator(".tl-note");
  expect(await note.isVisible()).toBe(true);
  expect(await note.locator("strong").first().textContent()).toBe("Diverged");
  expect(await note.locator("code").first().textContent()).toBe("lr");
  expect(await note.locator("li").allTextContents()).toEqual(["tried smaller batches", "<script>window.__pwned=1</script>"]);
  const text = (await note.textContent()) ?? "";
  for (const shown of ['<img src=x onerror="window.__pwned=2">', "click me", '<iframe srcdoc="<script>parent.__pwned=9</script>"></iframe>']) expect(text).toContain(shown);
  // The one http(s) link is a link, opened apart from the page; the others are text.
  const links = note.locator("a");
  expect(await links.count()).toBe(1);
  expect(await links.first().getAttribute("href")).toBe("https://example.org/runs/1?x=%3Cb%3E");
  expect(await links.first().getAttribute("rel")).toBe("noopener noreferrer");

  const details = line.locator(".tl-details");
  if ((await details.getAttribute("open")) === null) await details.locator("summary").click();
  const grid = details.locator(".tl-details-grid");
  expect(await grid.isVisible()).toBe(true);
  const all = (await grid.textContent()) ?? "";
  expect(all).toContain("failed");
  expect(all).toMatch(/Worker.+ · pid \d+/);
  expect(all).toContain('dataset={"rows":50000,"split":"v2"}');
  expect(all).toContain('gpu="A100 <b>80GB</b>"');
  expect(await details.locator(".tl-sparkline polyline").count()).toBe(1);
  expect(all).toMatch(/step 0: [-0-9.e]+ → step 5: [-0-9.e]+/);
}

/** Nothing the notes or the error carried ran or became an element. */
async function checkNothingRan(page: Page, study: Locator): Promise<void> {
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  const found = await study.evaluate((root) => {
    const handlers = Array.from(root.querySelectorAll("*")).filter((e) => Array.from(e.attributes).some((a) => a.name.toLowerCase().startsWith("on")));
    const markdown = Array.from(root.querySelectorAll(".tl-markdown"));
    const bad = markdown.flatMap((m) => Array.from(m.querySelectorAll("script, img, iframe, svg, style, object, embed, input, form")));
    const links = markdown.flatMap((m) => Array.from(m.querySelectorAll("a"))).map((a) => a.getAttribute("href") ?? "");
    return { handlers: handlers.length, bad: bad.length, links };
  });
  expect(found.handlers).toBe(0);
  expect(found.bad).toBe(0);
  for (const href of found.links) expect(href).toMatch(/^https?:\/\//);
  expect(await page.locator("img[src=x], img[src=y], img[src=z], iframe[srcdoc]").count()).toBe(0);
}

async function checkStudyNote(study: Locator): Promise<void> {
  const note = study.locator(".tl-study-note");
  expect(await note.isVisible()).toBe(true);
  expect(await note.locator("h3").textContent()).toBe("Plan <style>*{display:none}</style>");
  expect(await note.locator("strong").textContent()).toBe("lr");
  expect(await note.locator("blockquote").textContent()).toBe("baseline: 0.31");
  // The panel is still drawn below it (a <style> in a note stays text).
  expect(await study.locator(".tl-body .tl-row").count()).toBe(TRIALS);
}

describe("trial details and notes", () => {
  let root: string;
  let lb: LabBrowser;

  beforeAll(async () => {
    root = makeRepoTempDir("trial-details");
    fs.mkdirSync(SHOTS, { recursive: true });
    writeNotebook(path.join(root, "notes.ipynb"), tslabNotebook(CELLS));
    lb = await startLabBrowser(root, { width: 1100, height: 1000, labArgs: ["--ContentsManager.allow_hidden=True"] });
  }, 120_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("the cell panel: a failed trial's error, its note as markdown, its details and attributes, the study's note on top; the hostile notes run nothing", async () => {
    const page = await runNotebook(lb, "notes.ipynb");
    const study = page.locator(".jp-OutputArea .tl-study").first();
    await page.waitForFunction(
      (n) => {
        const w = document.querySelector(".jp-OutputArea .tl-study");
        return w?.getAttribute("data-trials") === String(n) && (w.querySelector(".tl-live") as HTMLElement | null)?.hidden === true;
      },
      TRIALS,
      { timeout: 120_000 },
    );
    await checkStudyNote(study);
    const line = await selectTrial(study, FAILS);
    await checkDetails(line);
    await checkNothingRan(page, study);

    // Another trial: its own note, the details left unfolded as the user left them.
    const other = await selectTrial(study, 0);
    expect(await other.locator(".tl-note").textContent()).toBe("Trial 0: fine");
    expect(await other.locator(".tl-details").getAttribute("open")).not.toBeNull();
    expect(await other.locator(".tl-error-text").count()).toBe(0);

    await selectTrial(study, FAILS);
    await study.locator(".tl-header").scrollIntoViewIfNeeded();
    const box = await study.boundingBox();
    const sel = await study.locator(".tl-selection").boundingBox();
    const clip = { x: box!.x, y: box!.y, width: box!.width, height: sel!.y + sel!.height - box!.y + 4 };
    await page.screenshot({ path: path.join(SHOTS, "trial-details.png"), clip });
    await setTheme(page, "JupyterLab Dark");
    await page.screenshot({ path: path.join(SHOTS, "trial-details-dark.png"), clip });
    await setTheme(page, "JupyterLab Light");
    await checkNothingRan(page, study);
    await page.close();
  }, 300_000);

  it("the study browser's tab, reading the journal from disk, shows the same notes and details", async () => {
    const { page, study } = await openStudyTab(lb, STUDY, TRIALS);
    await checkStudyNote(study);
    const line = await selectTrial(study, FAILS);
    await checkDetails(line);
    await checkNothingRan(page, study);
    await page.close();
  }, 120_000);
});
