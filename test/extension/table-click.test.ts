// Clicking a row of the virtualised trial table selects the trial that row showed when the
// button went down, in a real JupyterLab and Chromium: at several scroll positions, after
// sorting, when a scroll's redraw or a live update lands between press and release, and while
// live updates stream in (rows checked in display order after every redraw then). The expected
// trial is read from the row's cells at pointerdown (a capture listener on window runs before the
// table's own), not from its data attribute.
import * as path from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STUDY_MIME } from "../../src/views/payload";
import { makeRepoTempDir, removeDir, writeNotebook } from "../helpers/jupyter";
import { replaceOutput, startLabBrowser, type LabBrowser } from "./lab-browser";
import { notebookWithOutputs, studyOutput, syntheticPayload } from "./study-fixtures";

const ROW = 24;
const STUDY = syntheticPayload({ trials: 300, params: 4, steps: 6, seed: 5, name: "clicks" });
// The same first 300 trials (same seed) and 60 more whose losses fall between theirs.
const GROWN = syntheticPayload({ trials: 360, params: 4, steps: 6, seed: 5, name: "clicks", running: 3 });

interface Press {
  /** The trial number the row under the pointer showed in its first cell at pointerdown. */
  shown: string | null;
  /** Its data-trial then. */
  attr: string | null;
  /** Whether it was marked selected then (a click on it clears the selection). */
  selected: boolean;
}

/** Records, at every pointerdown, what the table row under the pointer shows. */
async function recordPresses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __tlPress: unknown };
    window.addEventListener(
      "pointerdown",
      (e) => {
        const row = (e.target as Element).closest?.(".tl-body .tl-row") as HTMLElement | null;
        w.__tlPress = row
          ? { shown: (row.children[0]?.textContent ?? "").replace("★ ", ""), attr: row.dataset.trial ?? null, selected: row.classList.contains("tl-selected") }
          : { shown: null, attr: null, selected: false };
      },
      true,
    );
  });
}

async function lastPress(page: Page): Promise<Press> {
  return page.evaluate(() => (window as unknown as { __tlPress: Press }).__tlPress);
}

/** Resolves after two animation frames (a scroll's deferred redraw has run). */
async function frames(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));
}

async function setScroll(page: Page, top: number): Promise<number> {
  const at = await page.evaluate((t) => {
    const s = document.querySelector(".tl-study .tl-table-scroll") as HTMLElement;
    s.scrollTop = t;
    return s.scrollTop;
  }, top);
  await frames(page);
  return at;
}

/** Page coordinates of a point `dy` px below the top of the body row at the middle of the table's viewport. */
async function middleRow(page: Page, dy = ROW / 2): Promise<{ x: number; y: number; shown: string }> {
  return page.evaluate((dy) => {
    const s = document.querySelector(".tl-study .tl-table-scroll") as HTMLElement;
    const box = s.getBoundingClientRect();
    const head = (s.querySelector(".tl-head") as HTMLElement).getBoundingClientRect().height;
    const x = box.left + 30; // inside the "#" column
    const y = box.top + head + (s.clientHeight - head) / 2;
    const row = document.elementFromPoint(x, y)?.closest(".tl-body .tl-row") as HTMLElement;
    const top = row.getBoundingClientRect().top;
    return { x, y: top + dy, shown: (row.children[0]?.textContent ?? "").replace("★ ", "") };
  }, dy);
}

/** What the body row under (x, y) shows now. */
async function shownAt(page: Page, x: number, y: number): Promise<string | null> {
  return page.evaluate(
    ([x, y]) => {
      const row = document.elementFromPoint(x, y)?.closest(".tl-body .tl-row");
      return row ? (row.children[0]?.textContent ?? "").replace("★ ", "") : null;
    },
    [x, y] as const,
  );
}

/**
 * A click selects the pressed row's trial, or clears the selection if that row was selected.
 * While updates stream in, the study shows the selected trial (data-selected) only while the
 * payload drawn has it: a trial of the 360-trial study is selected, then the 300-trial one is
 * drawn, and data-selected is "" until the next 360-trial update. So the wait is not for the
 * next render but for one that has the trial (a few seconds on a loaded machine).
 */
async function expectSelectedPressed(study: Locator, page: Page): Promise<string> {
  const press = await lastPress(page);
  expect(press.shown).toMatch(/^\d+$/);
  expect(press.attr).toBe(press.shown); // a row's data attribute and its cells agree
  const want = press.selected ? "" : press.shown!;
  await expect.poll(() => study.getAttribute("data-selected"), { timeout: 15_000 }).toBe(want);
  return want;
}

/**
 * The table's rows as the page has them in one animation frame: display index, data-trial and
 * first cell of each, in DOM order. Read in a single evaluate, so no redraw can land between
 * finding the rows and reading them (locator.evaluateAll finds the elements in one call and
 * reads them in another: a live update between the two moved and removed rows, and a sound
 * table failed the order check about once in 70 reads while updates streamed in).
 */
async function rowsInFrame(page: Page): Promise<{ i: number; attr: string | undefined; shown: string }[]> {
  return page.evaluate(
    () =>
      new Promise((resolve) =>
        requestAnimationFrame(() => {
          const rows = Array.from(document.querySelectorAll(".tl-study .tl-body .tl-row")) as HTMLElement[];
          resolve(rows.map((r) => ({ i: Number(r.getAttribute("aria-rowindex")), attr: r.dataset.trial, shown: (r.children[0]?.textContent ?? "").replace("★ ", "") })));
        }),
      ),
  );
}

/** Every row in the DOM: its data-trial equals its first cell, and DOM order is display order. */
async function expectRowsConsistent(page: Page): Promise<void> {
  const rows = await rowsInFrame(page);
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) expect(r.attr).toBe(r.shown);
  expect(rows.map((r) => r.i)).toEqual([...rows.map((r) => r.i)].sort((a, b) => a - b));
}

/**
 * Checks the table body after every change to it (a MutationObserver, called once each redraw
 * has finished): rows in display order, data-trial equal to the first cell. Returns a function
 * that stops watching and gives how many changes were checked and what was wrong.
 */
async function watchRows(page: Page): Promise<() => Promise<{ checked: number; faults: string[] }>> {
  await page.evaluate(() => {
    const w = window as unknown as { __tlWatch: { checked: number; faults: string[]; observer: MutationObserver } };
    const body = document.querySelector(".tl-study .tl-body")!;
    const watch = { checked: 0, faults: [] as string[], observer: null as unknown as MutationObserver };
    watch.observer = new MutationObserver(() => {
      watch.checked++;
      const rows = Array.from(body.querySelectorAll(".tl-row")) as HTMLElement[];
      const order = rows.map((r) => Number(r.getAttribute("aria-rowindex")));
      if (order.some((v, k) => k > 0 && v < order[k - 1]!)) watch.faults.push(`out of order: ${order.join(",")}`);
      for (const r of rows) {
        const shown = (r.children[0]?.textContent ?? "").replace("★ ", "");
        if (r.dataset.trial !== shown) watch.faults.push(`row of trial ${r.dataset.trial} shows ${shown}`);
      }
    });
    watch.observer.observe(body, { childList: true, subtree: true, attributes: true, characterData: true });
    w.__tlWatch = watch;
  });
  return () =>
    page.evaluate(() => {
      const watch = (window as unknown as { __tlWatch: { checked: number; faults: string[]; observer: MutationObserver } }).__tlWatch;
      watch.observer.disconnect();
      return { checked: watch.checked, faults: watch.faults.slice(0, 5) };
    });
}

async function selectedRowShows(study: Locator): Promise<string> {
  const cell = study.locator(".tl-body .tl-row.tl-selected .tl-cell").first();
  return ((await cell.textContent()) ?? "").replace("★ ", "");
}

describe("clicking rows of the virtualised trial table", () => {
  let root: string;
  let lb: LabBrowser;
  let page: Page;
  let study: Locator;

  const renders = async () => Number(await study.getAttribute("data-renders"));
  const clickMiddle = async (): Promise<string> => {
    const p = await middleRow(page);
    await page.mouse.click(p.x, p.y);
    return expectSelectedPressed(study, page);
  };

  beforeAll(async () => {
    root = makeRepoTempDir("ext-click");
    writeNotebook(path.join(root, "clicks.ipynb"), notebookWithOutputs([[studyOutput(STUDY)]]));
    lb = await startLabBrowser(root, { height: 1000 });
    page = await lb.openNotebook("clicks.ipynb");
    study = page.locator(".tl-study").first();
    await page.waitForFunction(() => Number(document.querySelector(".tl-study")?.getAttribute("data-renders") ?? 0) >= 1, null, { timeout: 60_000 });
    await study.locator(".tl-table-scroll").scrollIntoViewIfNeeded();
    await recordPresses(page);
  }, 150_000);

  afterAll(async () => {
    await lb?.close();
    if (root) removeDir(root);
  });

  it("selects the clicked row at several scroll positions", async () => {
    expect(await study.locator(".tl-table").getAttribute("data-rows")).toBe("300");
    for (const top of [0, ROW * 40 + 7, ROW * 137 + 13, 1e6]) {
      await setScroll(page, top);
      const sel = await clickMiddle();
      expect(await selectedRowShows(study)).toBe(sel);
      await expectRowsConsistent(page);
    }
  });

  it("a row found by its trial and clicked (scrolled into view first) selects that trial", async () => {
    // Rows just below the viewport are in the DOM (the overscan); clicking one scrolls the table.
    for (const top of [ROW * 20, ROW * 200 + 5]) {
      await setScroll(page, top);
      const target = Math.floor(top / ROW) + 18;
      await study.locator(`.tl-body .tl-row[data-trial='${target}']`).click();
      expect(await lastPress(page)).toMatchObject({ shown: String(target), attr: String(target) });
      await expect.poll(() => study.getAttribute("data-selected")).toBe(String(target));
      expect(await selectedRowShows(study)).toBe(String(target));
    }
  });

  it("selects the clicked row after sorting, ascending and descending", async () => {
    const header = (label: string) => study.locator(".tl-head .tl-sort", { hasText: new RegExp(`^${label}$`) });
    for (const [label, clicks] of [["loss", 1], ["loss", 1], ["lr", 1], ["opt", 1]] as const) {
      for (let k = 0; k < clicks; k++) await header(label).click();
      for (const top of [0, ROW * 90 + 11, ROW * 211 + 3]) {
        await setScroll(page, top);
        const sel = await clickMiddle();
        if (sel !== "") expect(await selectedRowShows(study)).toBe(sel);
        await expectRowsConsistent(page);
      }
    }
    await header("#").click();
  });

  it("a scroll's redraw between press and release does not lose or change the click", async () => {
    // The pointer 4 px into a row; the table scrolls 10 px while the button is down, so the
    // same row stays under the pointer but the first row of the window changes (the deferred
    // redraw recycles rows), as when a wheel scroll's redraw lands late on a busy machine.
    for (const m of [30, 120, 250]) {
      await setScroll(page, ROW * m + 20);
      const p = await middleRow(page, 4);
      await page.mouse.move(p.x, p.y);
      await page.mouse.down();
      await page.evaluate(() => ((document.querySelector(".tl-study .tl-table-scroll") as HTMLElement).scrollTop += 10));
      await frames(page);
      expect(await shownAt(page, p.x, p.y)).toBe(p.shown); // the premise: the same row under the pointer
      await page.mouse.up();
      expect((await lastPress(page)).shown).toBe(p.shown);
      await expectSelectedPressed(study, page);
    }
  });

  it("a live update between press and release selects the row that was pressed, not the one moved under the pointer", async () => {
    await study.locator(".tl-head .tl-sort", { hasText: /^loss$/ }).click();
    await setScroll(page, ROW * 140);
    const p = await middleRow(page);
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    const n = await renders();
    await replaceOutput(page, 0, studyOutput(GROWN));
    await page.waitForFunction((n) => Number(document.querySelector(".tl-study")?.getAttribute("data-renders")) > n, n, { timeout: 60_000 });
    await frames(page);
    expect(await study.locator(".tl-table").getAttribute("data-rows")).toBe("360");
    expect(await shownAt(page, p.x, p.y)).not.toBe(p.shown); // the premise: another trial is under the pointer now
    await page.mouse.up();
    expect((await lastPress(page)).shown).toBe(p.shown);
    await expectSelectedPressed(study, page);
    await expectRowsConsistent(page);
  });

  it("selects the pressed row while live updates stream in", async () => {
    // Updates pushed in the page every 150 ms, as update_display_data messages do (OutputArea
    // model `set`), alternating 300 and 360 trials, sorted by loss so rows move.
    await page.evaluate(
      ({ outputs }) => {
        type Cell = { outputArea: { model: { set(i: number, o: unknown): void } } };
        const w = window as unknown as { jupyterapp: { shell: { currentWidget: { content: { widgets: Cell[] } } } }; __tlStream: number };
        const model = w.jupyterapp.shell.currentWidget.content.widgets[0]!.outputArea.model;
        let i = 0;
        w.__tlStream = window.setInterval(() => model.set(0, outputs[i++ % outputs.length]), 150);
      },
      { outputs: [studyOutput(STUDY), studyOutput(GROWN)] },
    );
    const stopWatching = await watchRows(page);
    try {
      const start = await renders();
      for (const top of [ROW * 10, ROW * 60 + 9, ROW * 150 + 17, ROW * 230 + 2, ROW * 100 + 21, ROW * 5 + 12]) {
        await setScroll(page, top);
        await clickMiddle();
        await expectRowsConsistent(page);
      }
      expect(await renders()).toBeGreaterThan(start); // updates really were drawn meanwhile
      // Not only at the moments read above: after every redraw, the rows were in display order.
      const watched = await stopWatching();
      expect(watched.faults).toEqual([]);
      expect(watched.checked).toBeGreaterThan(5);
    } finally {
      await page.evaluate(() => window.clearInterval((window as unknown as { __tlStream: number }).__tlStream));
    }
    expect(await study.getAttribute("data-mime")).toBe(STUDY_MIME);
  });
});
