/**
 * Browser benchmark of the JupyterLab extension: how long the study widget takes to draw in a
 * real JupyterLab in Chromium, at 100, 1,000 and 5,000 trials with 10 parameters, and whether a
 * running study of 500+ trials updating every 200 ms keeps the page responsive.
 *
 *   npx vitest run --config bench/browser.vitest.config.mts
 *
 * (after `bash scripts/setup.sh --with-browser`). Prints a table and rewrites the
 * "browser" section of bench/README.md (between its markers; the rest of the file is kept).
 *
 * Method: one notebook is opened; for each size the payload is handed to the page first (so
 * JSON transfer isn't timed), then an output carrying it is added to the cell's output area,
 * as the kernel's display_data does: "first render" is from that call until the widget reports
 * every view drawn and one more animation frame has passed (so layout and paint are in).
 * "update" replaces the output (the update_display_data path: the same widget redraws with
 * the new payload, here with 20 more trials). Long tasks come from a PerformanceObserver.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { it } from "vitest";
import { README, writeSection } from "./lib/readme";
import { makeRepoTempDir, removeDir, writeNotebook } from "../test/helpers/jupyter";
import { startLabBrowser } from "../test/extension/lab-browser";
import { notebookWithOutputs, studyOutput, syntheticPayload } from "../test/extension/study-fixtures";

const SIZES = [100, 1000, 5000, 10_000];
const PARAMS = 10;
const STEPS = 20;
const REPEATS = 3;

interface RenderTiming {
  /** Wall time from handing the output to JupyterLab until drawn and painted. */
  wall: number;
  /** The widget's own measure (payload check to last chart drawn). */
  widget: number;
  longestTask: number;
  /** Each chart's own drawing time (its data-render-ms). */
  charts: Record<string, number>;
}

/** The charts whose own drawing time the per-chart table shows. */
const CHART_NAMES = ["parallel", "history", "curves", "slice", "contour"];

/** Code run in the page: window.__tl holds helpers and the payloads to render. */
const PAGE_HELPERS = () => {
  type OutputModel = { add(o: unknown): void; set(i: number, o: unknown): void; clear(wait?: boolean): void };
  type App = { shell: { currentWidget: { content: { widgets: { outputArea: { model: OutputModel } }[] } } } };
  const w = window as unknown as { jupyterapp: App; __tl: Record<string, unknown> };
  const tasks: { start: number; duration: number }[] = [];
  const record = (entries: PerformanceEntryList) => {
    for (const e of entries) tasks.push({ start: e.startTime, duration: e.duration });
  };
  const observer = new PerformanceObserver((list) => record(list.getEntries()));
  observer.observe({ type: "longtask", buffered: true });
  const frame = () => new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())));
  const outputs = () => w.jupyterapp.shell.currentWidget.content.widgets[0]!.outputArea.model;
  const widget = () => document.querySelector(".jp-Cell .tl-study") as HTMLElement | null;
  const renders = () => Number(widget()?.dataset.renders ?? 0);
  async function until(pred: () => boolean, ms = 120_000): Promise<void> {
    const end = performance.now() + ms;
    while (!pred()) {
      if (performance.now() > end) throw new Error("timed out waiting for the widget");
      await frame();
    }
  }
  const charts = () => {
    const out: Record<string, number> = {};
    for (const c of Array.from(widget()?.querySelectorAll<HTMLElement>(".tl-chart") ?? [])) {
      const name = ["parallel", "history", "curves", "slice", "contour"].find((n) => c.classList.contains(`tl-chart-${n}`));
      if (name && c.dataset.renderMs) out[name] = Number(c.dataset.renderMs);
    }
    return out;
  };
  const longest = (from: number) => {
    record(observer.takeRecords()); // entries not delivered to the callback yet
    return tasks.filter((t) => t.start + t.duration >= from).reduce((m, t) => Math.max(m, t.duration), 0);
  };
  /** Payloads are kept as JSON text (a kernel message's form), parsed when used, then dropped. */
  const take = (key: string): unknown => {
    const payloads = w.__tl.payloads as Record<string, string>;
    const output = JSON.parse(payloads[key]!) as unknown;
    delete payloads[key];
    return output;
  };
  w.__tl = {
    payloads: {} as Record<string, string>,
    async first(key: string) {
      outputs().clear();
      const output = take(key);
      await frame();
      const t0 = performance.now();
      outputs().add(output);
      await until(() => renders() >= 1);
      const t1 = await frame();
      return { wall: t1 - t0, widget: Number(widget()!.dataset.renderMs), longestTask: longest(t0), charts: charts() };
    },
    async update(key: string) {
      const before = renders();
      const output = take(key);
      // An update some time after the last render (the widget paces back-to-back updates; the
      // live study below measures those).
      await new Promise((r) => setTimeout(r, 200 + 3 * Number(widget()!.dataset.renderMs)));
      await frame();
      const t0 = performance.now();
      outputs().set(0, output);
      await until(() => renders() > before);
      const t1 = await frame();
      return { wall: t1 - t0, widget: Number(widget()!.dataset.renderMs), longestTask: longest(t0), charts: charts() };
    },
    /** Scrolls the table of the rendered widget by `step` px per frame, `frames` times; frame gaps. */
    async scroll(frames: number, step: number) {
      const scroller = widget()!.querySelector(".tl-table-scroll") as HTMLElement;
      scroller.scrollIntoView();
      await frame();
      const gaps: number[] = [];
      let last = await frame();
      for (let i = 0; i < frames; i++) {
        scroller.scrollTop += step;
        const t = await frame();
        gaps.push(t - last);
        last = t;
      }
      const sorted = [...gaps].sort((a, b) => a - b);
      return { longest: sorted[sorted.length - 1]!, median: sorted[Math.floor(sorted.length / 2)]!, rows: widget()!.querySelectorAll(".tl-body .tl-row").length };
    },
    /** A running study: `count` updates `every` ms apart, each with `grow` more trials. */
    async live(keys: string[], every: number) {
      outputs().clear();
      await frame();
      outputs().add(take(keys[0]!));
      await until(() => renders() >= 1);
      const start = performance.now();
      const gaps: number[] = [];
      let last = start;
      let running = true;
      const watch = async () => {
        while (running) {
          const t = await frame();
          gaps.push(t - last);
          last = t;
        }
      };
      const watching = watch();
      const startRenders = renders();
      let lastTrials = -1;
      for (let i = 1; i < keys.length; i++) {
        await new Promise((r) => setTimeout(r, every));
        // Parsed here, as JupyterLab parses each kernel message (part of the cost of an update).
        const output = take(keys[i]!) as { data: Record<string, { trials: unknown[] }> };
        lastTrials = output.data["application/vnd.tunelab.study.v1+json"]!.trials.length;
        outputs().set(0, output);
      }
      await until(() => widget()!.dataset.trials === String(lastTrials));
      await frame();
      running = false;
      await watching;
      const seconds = (performance.now() - start) / 1000;
      return {
        updates: keys.length - 1,
        drawn: renders() - startRenders,
        seconds,
        longestTask: longest(start),
        longestFrame: Math.max(...gaps),
        slowFrames: gaps.filter((g) => g > 100).length,
        frames: gaps.length,
      };
    },
  };
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const ms = (v: number) => `${Math.round(v)} ms`;
/** The browser reports only tasks over 50 ms as long tasks. */
const longTask = (v: number) => (v > 0 ? ms(v) : "< 50 ms");

async function put(page: Page, key: string, output: unknown): Promise<void> {
  const json = JSON.stringify(output);
  await page.evaluate(([k, o]) => ((window as unknown as { __tl: { payloads: Record<string, string> } }).__tl.payloads[k] = o), [key, json] as const);
}


it("renders studies of 100, 1,000 and 5,000 trials and keeps a live study responsive", async () => {
  const load = os.loadavg()[0]!.toFixed(1);
  const root = makeRepoTempDir("bench-browser");
  writeNotebook(path.join(root, "bench.ipynb"), notebookWithOutputs([[]]));
  const lb = await startLabBrowser(root, { width: 1280, height: 1100 });
  try {
    const page = await lb.openNotebook("bench.ipynb");
    // Let the kernel finish starting so it doesn't compete for the CPU.
    await page.waitForFunction(
      () => (window as unknown as { jupyterapp: { shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status?: string } } } } } } }).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle",
      null,
      { timeout: 90_000 },
    );
    await page.evaluate(PAGE_HELPERS);

    const rows: string[] = [];
    const chartRows: string[] = [];
    let cold: RenderTiming | undefined;
    let scroll = { longest: 0, median: 0, rows: 0 };
    for (const n of SIZES) {
      const saved = studyOutput(syntheticPayload({ trials: n, params: PARAMS, steps: STEPS, seed: n }));
      const updated = studyOutput(syntheticPayload({ trials: n + 20, params: PARAMS, steps: STEPS, seed: n, running: 4 }));
      const first: RenderTiming[] = [];
      const update: RenderTiming[] = [];
      for (let r = 0; r < REPEATS; r++) {
        await put(page, `s${n}`, saved);
        await put(page, `u${n}`, updated);
        const f = (await page.evaluate((k) => (window as unknown as { __tl: { first(k: string): Promise<RenderTiming> } }).__tl.first(k), `s${n}`)) as RenderTiming;
        if (!cold) cold = f; // the very first render also loads and parses vega (lazy import)
        else first.push(f);
        update.push((await page.evaluate((k) => (window as unknown as { __tl: { update(k: string): Promise<RenderTiming> } }).__tl.update(k), `u${n}`)) as RenderTiming);
      }
      if (first.length === 0) first.push(cold!);
      if (n === SIZES[SIZES.length - 1]) {
        scroll = (await page.evaluate(() => (window as unknown as { __tl: { scroll(f: number, s: number): Promise<unknown> } }).__tl.scroll(120, 240))) as typeof scroll;
      }
      const row = `| ${n.toLocaleString("en")} | ${PARAMS} | ${ms(median(first.map((t) => t.wall)))} | ${ms(median(first.map((t) => t.widget)))} | ${ms(median(update.map((t) => t.wall)))} | ${longTask(Math.max(...first.map((t) => t.longestTask), ...update.map((t) => t.longestTask)))} |`;
      rows.push(row);
      chartRows.push(`| ${n.toLocaleString("en")} | ${CHART_NAMES.map((k) => median(first.map((t) => t.charts[k] ?? NaN))).map((v) => (Number.isNaN(v) ? "–" : ms(v))).join(" | ")} |`);
      process.stderr.write(`bench: ${row}\n`);
    }

    // A running study: 500 trials growing by 5 every 200 ms for 10 s (as a live kernel sends them).
    const keys: string[] = [];
    for (let i = 0; i <= 50; i++) {
      const key = `live${i}`;
      await put(page, key, studyOutput(syntheticPayload({ trials: 500 + 5 * i, params: PARAMS, steps: STEPS, seed: 11, running: 4 })));
      keys.push(key);
    }
    const live = (await page.evaluate(
      ([k, every]) => (window as unknown as { __tl: { live(k: string[], e: number): Promise<unknown> } }).__tl.live(k as string[], every as number),
      [keys, 200] as const,
    )) as { updates: number; drawn: number; seconds: number; longestTask: number; longestFrame: number; slowFrames: number; frames: number };

    const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
    const chromium = lb.context.browser()?.version() ?? "Chromium";
    const markdown = [
      "## Browser: the JupyterLab extension's render times",
      "",
      `\`npx vitest run --config bench/browser.vitest.config.mts\` — JupyterLab 4.6 in headless Chromium ${chromium} (software rendering), ${os.cpus().length} × ${cpu}, load average ${load} before the run, ${new Date().toISOString().slice(0, 10)}.`,
      `Synthetic studies (bench/browser.bench.mts): ${PARAMS} parameters (log, int, categorical, reverse-log, linear), ${STEPS} intermediate values per trial, ~10% pruned, ~5% failed. Medians of ${REPEATS} runs (the cold run, which also loads vega, is separate).`,
      "",
      "| trials | params | first render | of which widget | update (+20 trials) | longest main-thread task |",
      "|---:|---:|---:|---:|---:|---:|",
      ...rows,
      "",
      `Cold first render (100 trials, includes loading and parsing the vega bundle): ${ms(cold!.wall)}.`,
      "",
      "Each chart's own drawing time in the first render (medians; one chart per task; the slice plots, one per parameter, and the contour are painted on a canvas of their own):",
      "",
      "| trials | parallel coordinates | history | learning curves | slice plots | contour |",
      "|---:|---:|---:|---:|---:|---:|",
      ...chartRows,
      "",
      `Table scrolling at ${SIZES[SIZES.length - 1]!.toLocaleString("en")} trials (virtualised: ${scroll.rows} row elements in the page), 240 px per frame for 120 frames: median frame ${ms(scroll.median)}, longest ${ms(scroll.longest)}.`,
      "",
      `Live study: 500 → ${500 + 5 * 50} trials, an update every 200 ms (the kernel sends at most one per 500 ms) for ${live.seconds.toFixed(1)} s: ${live.updates} updates, ${live.drawn} drawn (back-to-back updates are paced and coalesced to the newest), longest main-thread task ${longTask(live.longestTask)}, longest frame ${ms(live.longestFrame)}, ${live.slowFrames} of ${live.frames} frames over 100 ms.`,
      "",
      "\"first render\": from handing the output to JupyterLab (as a display_data message does) until every view is drawn and the next frame is painted; \"of which widget\": the extension's own part (payload check to last chart); \"update\": the same widget redrawn in place (update_display_data). The charts are drawn one per task, so the longest task is about the costliest chart (plus JupyterLab's handling of the message).",
    ].join("\n");
    process.stdout.write(`\n${markdown}\n`);
    writeSection("browser", markdown);
    process.stderr.write(`bench: wrote the browser section of ${README}\n`);
  } finally {
    await lb.close();
    removeDir(root);
  }
}, 900_000);
