/**
 * Browser benchmark of the study browser: journals of 1,000, 10,000 and 50,000 trials on disk,
 * read by the Studies sidebar through the server's files API (no kernel), opened in a tab, and
 * updated with 100 more trials appended to the file, in a real JupyterLab in Chromium.
 *
 *   npx vitest run --config bench/browser-studies.vitest.config.mts
 *
 * (after `bash scripts/setup.sh --with-browser`). Prints a table and rewrites the
 * "browser-studies" section of bench/README.md (between its markers).
 *
 * Method: the journals hold the synthetic studies of the extension's other browser benchmark
 * (test/extension/study-fixtures.ts), written as the engine's journal operations (trial, one
 * report per intermediate value, end). Polling is set to 10 minutes so only the timed refreshes
 * read. "read": a refresh (the palette command) after the file appeared, until the sidebar lists
 * it with every trial (fetch + parse + apply). "open": a click on the study in the sidebar until
 * the tab shows the table with every trial ("table") and until every view is drawn ("all
 * views"), each plus one animation frame. "update": 100 trials appended to the file, then a
 * refresh, until the open tab shows them (Range read of the appended bytes only + redraw); with
 * polling on, the wait for the next poll (2 s by default) comes on top. Long tasks come from a
 * PerformanceObserver.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { it } from "vitest";
import { README, writeSection } from "./lib/readme";
import { makeRepoTempDir, removeDir } from "../test/helpers/jupyter";
import { startLabBrowser } from "../test/extension/lab-browser";
import { syntheticPayload } from "../test/extension/study-fixtures";
import type { PayloadTrial, StudyPayload } from "../src/views/payload";

const SIZES = [1000, 10_000, 50_000];
const PARAMS = 6;
const STEPS = 5;
const ADDED = 100;
const REPEATS = 3;

interface Timing {
  table: number;
  all: number;
  longestTask: number;
  /** Each chart's own drawing time (its data-render-ms). */
  charts: Record<string, number>;
  /** The widget's whole render (data-render-ms): the pacing of the next update is twice this. */
  render: number;
}

/** The journal text of a payload's study: its header, then each trial's operations. */
function journalText(p: StudyPayload, from = 0, header = true): string {
  const lines: string[] = [];
  if (header) {
    const spec = { name: p.study.name, space: p.study.space, direction: p.study.direction, metric: p.study.metric, strategy: { name: p.study.strategy, options: {} }, seed: 1, createdAt: 1_700_000_000_000 };
    lines.push(JSON.stringify({ op: "study", v: 1, spec }));
  }
  for (const t of p.trials.slice(from)) lines.push(...trialOps(t, p.study.metric));
  return lines.join("\n") + "\n";
}

function trialOps(t: PayloadTrial, metric: string): string[] {
  const out = [JSON.stringify({ op: "trial", n: t.number, params: t.params, t: t.startedAt })];
  for (const [step, v] of t.intermediate) out.push(JSON.stringify({ op: "report", n: t.number, step, v: { [metric]: v } }));
  if (t.state !== "running") {
    const end: Record<string, unknown> = { op: "end", n: t.number, state: t.state, t: t.finishedAt ?? t.startedAt };
    if (t.value !== null) end["value"] = t.value;
    if (t.error !== null) end["error"] = t.error;
    out.push(JSON.stringify(end));
  }
  return out;
}

/** Code run in the page: window.__tlb holds the timing helpers. */
const PAGE_HELPERS = () => {
  type App = { commands: { execute(id: string, args?: unknown): Promise<unknown> } };
  const w = window as unknown as { jupyterapp: App; __tlb: Record<string, unknown> };
  const tasks: { start: number; duration: number }[] = [];
  const record = (entries: PerformanceEntryList) => {
    for (const e of entries) tasks.push({ start: e.startTime, duration: e.duration });
  };
  const observer = new PerformanceObserver((list) => record(list.getEntries()));
  observer.observe({ type: "longtask", buffered: true });
  const frame = () => new Promise<number>((r) => requestAnimationFrame(() => r(performance.now())));
  async function until(pred: () => boolean, ms = 300_000): Promise<void> {
    const end = performance.now() + ms;
    while (!pred()) {
      if (performance.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const longest = (from: number) => {
    record(observer.takeRecords());
    return tasks.filter((t) => t.start + t.duration >= from).reduce((m, t) => Math.max(m, t.duration), 0);
  };
  const item = (p: string) => Array.from(document.querySelectorAll<HTMLElement>("#tunelab-studies .tl-sb-item")).find((li) => li.dataset.path === p);
  const tab = () => document.querySelector<HTMLElement>(".tl-study-tab:not(.lm-mod-hidden) .tl-study");
  const charts = () => {
    const out: Record<string, number> = {};
    for (const c of Array.from(tab()?.querySelectorAll<HTMLElement>(".tl-chart") ?? [])) {
      const name = ["parallel", "history", "curves", "slice", "contour"].find((n) => c.classList.contains(`tl-chart-${n}`));
      if (name && c.dataset.renderMs) out[name] = Number(c.dataset.renderMs);
    }
    return out;
  };
  const render = () => Number(tab()?.dataset.renderMs ?? 0);
  w.__tlb = {
    async read(p: string, n: number) {
      const t0 = performance.now();
      void w.jupyterapp.commands.execute("tunelab:refresh-studies");
      await until(() => item(p)?.dataset.trials === String(n));
      const t = (await frame()) - t0;
      return { ms: t, longestTask: longest(t0) };
    },
    async open(p: string, n: number) {
      const t0 = performance.now();
      item(p)!.querySelector<HTMLElement>(".tl-sb-open")!.click();
      await until(() => tab()?.dataset.trials === String(n));
      const table = (await frame()) - t0;
      await until(() => Number(tab()?.dataset.renders ?? 0) >= 1);
      const all = (await frame()) - t0;
      return { table, all, longestTask: longest(t0), charts: charts(), render: render() };
    },
    async update(n: number) {
      const before = Number(tab()!.dataset.renders ?? 0);
      const t0 = performance.now();
      void w.jupyterapp.commands.execute("tunelab:refresh-studies");
      await until(() => tab()?.dataset.trials === String(n));
      const table = (await frame()) - t0;
      await until(() => Number(tab()?.dataset.renders ?? 0) > before);
      const all = (await frame()) - t0;
      return { table, all, longestTask: longest(t0), charts: charts(), render: render() };
    },
    async gone(p: string) {
      void w.jupyterapp.commands.execute("tunelab:refresh-studies");
      await until(() => item(p) === undefined, 30_000);
    },
    async close() {
      type Shell = { widgets(area: string): Iterable<{ node: HTMLElement; close(): void }> };
      for (const x of [...(w.jupyterapp as unknown as { shell: Shell }).shell.widgets("main")]) if (x.node.classList.contains("tl-study-tab")) x.close();
      await until(() => tab() === null, 10_000);
      await frame();
    },
  };
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (v: number) => `${Math.round(v)} ms`;
const longTask = (v: number) => (v > 0 ? ms(v) : "< 50 ms");
const call = <T,>(page: Page, fn: string, ...args: unknown[]) =>
  page.evaluate(([fn, args]) => ((window as unknown as { __tlb: Record<string, (...a: unknown[]) => Promise<unknown>> }).__tlb[fn as string]!(...(args as unknown[]))), [fn, args] as const) as Promise<T>;


it("reads, opens and updates studies of 1,000, 10,000 and 50,000 trials from disk", async () => {
  const load = os.loadavg()[0]!.toFixed(1);
  const root = makeRepoTempDir("bench-studies");
  const dir = path.join(root, ".tunelab");
  fs.mkdirSync(dir);
  const lb = await startLabBrowser(root, { width: 1400, height: 1000, labArgs: ["--ContentsManager.allow_hidden=True"] });
  try {
    // Only the timed refreshes read (no poll in between).
    const put = await lb.lab.api("/lab/api/settings/tunelab-jupyterlab:browser", {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ raw: JSON.stringify({ pollSeconds: 600, searchDepth: 0 }) }),
    });
    if (!put.ok) throw new Error(`settings: HTTP ${put.status} ${await put.text()}`);
    const page = await lb.openLab();
    await page.evaluate(() => (window as unknown as { jupyterapp: { restored: Promise<void> } }).jupyterapp.restored);
    await page.evaluate(() => void (window as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }).jupyterapp.commands.execute("tunelab:show-studies"));
    await page.evaluate(PAGE_HELPERS);

    const rows: string[] = [];
    const chartRows: string[] = [];
    for (const n of SIZES) {
      const name = `synthetic-${n}`;
      const full = syntheticPayload({ trials: n + ADDED, params: PARAMS, steps: STEPS, seed: n, name });
      const first = { ...full, trials: full.trials.slice(0, n) };
      const file = path.join(dir, `${name}.jsonl`);
      fs.writeFileSync(file, journalText(first));
      const bytes = fs.statSync(file).size;
      const rel = `.tunelab/${name}.jsonl`;
      const read = await call<{ ms: number; longestTask: number }>(page, "read", rel, n);
      const opens: Timing[] = [];
      for (let r = 0; r < REPEATS; r++) {
        opens.push(await call<Timing>(page, "open", rel, n));
        if (r < REPEATS - 1) await call(page, "close");
      }
      // Updates right after a render are paced (the widget waits twice the last render's cost,
      // keeping the page responsive while a study streams in): measure from idle.
      await new Promise((r) => setTimeout(r, 2.2 * opens[opens.length - 1]!.render + 200));
      fs.appendFileSync(file, journalText(full, n, false));
      const update = await call<Timing>(page, "update", n + ADDED);
      await call(page, "close");
      const row = `| ${n.toLocaleString("en")} | ${(bytes / 2 ** 20).toFixed(1)} MiB | ${ms(read.ms)} | ${ms(median(opens.map((o) => o.table)))} | ${ms(median(opens.map((o) => o.all)))} | ${ms(update.table)} | ${ms(update.all)} | ${longTask(Math.max(read.longestTask, ...opens.map((o) => o.longestTask), update.longestTask))} |`;
      rows.push(row);
      const c = opens[opens.length - 1]!.charts;
      chartRows.push(`| ${n.toLocaleString("en")} | ${["parallel", "history", "curves", "slice", "contour"].map((k) => (c[k] === undefined ? "–" : ms(c[k]!))).join(" | ")} |`);
      process.stderr.write(`bench: ${row}\n`);
      fs.rmSync(file); // keep the next size's read alone
      await call(page, "gone", rel);
    }
    const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
    const chromium = lb.context.browser()?.version() ?? "Chromium";
    const markdown = [
      "## Browser: the study browser at 1,000 / 10,000 / 50,000 trials",
      "",
      `\`npx vitest run --config bench/browser-studies.vitest.config.mts\` — JupyterLab 4.6 in headless Chromium ${chromium} (software rendering), ${os.cpus().length} × ${cpu}, load average ${load} before the run, ${new Date().toISOString().slice(0, 10)}.`,
      `Journals on disk (bench/browser-studies.bench.mts) holding the synthetic studies of test/extension/study-fixtures.ts: ${PARAMS} parameters (log, int, categorical, reverse-log, linear), ${STEPS} intermediate values per trial, ~10% pruned, ~5% failed. "open": medians of ${REPEATS} (the study already read); "read" and "update": one run.`,
      "",
      `| trials | journal | read (sidebar lists it) | open: table shown | open: all views drawn | update +${ADDED}: table | update +${ADDED}: all views | longest main-thread task |`,
      "|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...rows,
      "",
      "Where \"all views\" goes: each chart's own drawing time at the last open (vega draws the axes, labels and markers, and a canvas layer under it the parallel-coordinate lines and learning curves; the slice plots (one per parameter) and the contour are painted on a canvas of their own; one chart per task):",
      "",
      "| trials | parallel coordinates | history | learning curves | slice plots | contour |",
      "|---:|---:|---:|---:|---:|---:|",
      ...chartRows,
      "",
      `"read": a refresh until the sidebar lists the new file with every trial (one files-API fetch, parse, apply). "open": a click in the sidebar until the tab shows the table with every trial, and until the charts are drawn too (they draw one per task after the table, so the tab is usable from "table shown"; the charts are drawn at every size). "update": ${ADDED} trials appended to the file once the tab is idle, then a refresh, until the open tab shows them (only the appended bytes are fetched, with an HTTP Range read); in use the next poll (every 2 s by default, only while the sidebar or a study tab is shown) starts it, and an update arriving sooner than twice the last render's cost after it (at most 500 ms) waits for that (the widget paces back-to-back renders so a streaming study leaves the page time to respond). The longest task is the costliest single step (the journal is read in slices of at most 4,000 lines or 12 ms; the charts draw one per task).`,
    ].join("\n");
    process.stdout.write(`\n${markdown}\n`);
    writeSection("browser-studies", markdown);
    process.stderr.write(`bench: wrote the browser-studies section of ${README}\n`);
  } finally {
    await lb.close();
    removeDir(root);
  }
}, 1_800_000);
