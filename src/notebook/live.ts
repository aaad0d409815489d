import type { Study } from "../study/study";
import type { StudyPayload } from "../views/payload";
import { composeDisplay, renderCharts, type ChartSet } from "./bundle";
import { studyPayload } from "./payload";
import { kernelWriter, newDisplayId, type DisplayWriter } from "./tslab";
import { preloadVega } from "./vega";

/** How often a live display may update. */
export interface LiveOptions {
  /** The shortest pause between two updates (default 500 ms). */
  readonly minIntervalMs?: number;
  /**
   * The pause after an update is at least this many times what it cost
   * apart from drawing charts (default 40).
   */
  readonly costFactor?: number;
  /**
   * Charts (SVG) are redrawn only after this many times the last drawing's
   * cost (default 40); updates in between reuse the last drawing. With both
   * factors at 40 the display takes at most about 1/41 + 1/41 of the kernel's
   * time however large the study grows, while the payload (what the
   * extension draws) stays fresh.
   */
  readonly chartFactor?: number;
  /**
   * The first this-many trials that finish are each shown as soon as
   * `minIntervalMs` allows, whatever the cost-based pause (default 3): a
   * person watching a run wants to see it start working, and the first cost
   * measurements (a large resumed study, a cold kernel) would otherwise hold
   * the first update back for seconds.
   */
  readonly promptTrials?: number;
}

/** What a live display cost: the kernel-side measurement. */
export interface LiveStats {
  /** Messages sent: the first display and every update (the final one included). */
  readonly messages: number;
  /** How many of them carried freshly drawn charts. */
  readonly redraws: number;
  /** Milliseconds loading vega and vega-lite (once per kernel; not used for throttling). */
  readonly loadMs: number;
  /** Milliseconds drawing charts to SVG (wall time, an upper bound: other work may interleave). */
  readonly chartMs: number;
  /** Milliseconds building payloads, HTML and text. */
  readonly buildMs: number;
  /** Milliseconds handing messages to the kernel (serialising, signing, sending). */
  readonly sendMs: number;
  /** Milliseconds from the first display to the final update. */
  readonly elapsedMs: number;
  /** (loadMs + chartMs + buildMs + sendMs) / elapsedMs. */
  readonly share: number;
}

const now = () => performance.now();

/**
 * One study's display that follows its run: sent as `display_data` when the
 * run starts, replaced in place (`update_display_data`, same display id) as
 * trials start, report and finish, throttled adaptively (the payload and the
 * table often, the SVG charts rarely), and updated a last time, fully
 * redrawn, when the run ends. Study events only mark it stale; the work happens
 * on a timer, never inside the study's own calls.
 */
export class LiveDisplay {
  readonly displayId = newDisplayId();
  private readonly minInterval: number;
  private readonly costFactor: number;
  private readonly chartFactor: number;
  private readonly promptTrials: number;
  /** Trials finished when the display started, and the most finished trials an update has shown. */
  private finishedAtStart = 0;
  private finishedShown = 0;
  /** The latest costs (ms, without charts) of a send and of a chart drawing: pauses follow the smallest, so one slow outlier (a GC, a cold start) doesn't stall the display. */
  private readonly sendCosts: number[] = [];
  private readonly chartCosts: number[] = [];
  private charts: ChartSet | undefined;
  private chartsNextAt = 0;
  private readonly unsubscribe: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private busy: Promise<void> | undefined;
  private dirty = false;
  private closed = false;
  private failed = false;
  private nextAt = 0;
  private lastSentAt = 0;
  private timerAt = 0;
  private readonly t0 = now();
  private stats = { messages: 0, redraws: 0, loadMs: 0, chartMs: 0, buildMs: 0, sendMs: 0 };
  private final: LiveStats | undefined;

  private constructor(
    private readonly study: Study,
    private readonly write: DisplayWriter,
    options: LiveOptions,
  ) {
    this.minInterval = options.minIntervalMs ?? 500;
    this.costFactor = options.costFactor ?? 40;
    this.chartFactor = options.chartFactor ?? 40;
    this.promptTrials = options.promptTrials ?? 3;
  }

  /** Sends the first display and follows the study until `finish()`. */
  static async start(study: Study, write: DisplayWriter, options: LiveOptions = {}): Promise<LiveDisplay> {
    const live = new LiveDisplay(study, write, options);
    const t0 = now();
    try {
      await preloadVega();
    } catch {
      // send() reports it when a chart needs vega
    }
    live.stats.loadMs = now() - t0;
    live.finishedAtStart = live.finishedShown = finishedCount(study.snapshot.trials);
    await live.send(false, true);
    const touch = () => live.touch(false);
    live.unsubscribe.push(study.events.on("trialStarted", touch), study.events.on("trialReported", touch), study.events.on("noted", touch), study.events.on("trialFinished", () => live.touch(true)));
    return live;
  }

  /** Stops following, waits for an update in flight, and sends the final one (not running). */
  async finish(): Promise<LiveStats> {
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.busy;
    await this.send(true, false);
    this.final = this.measure();
    return this.final;
  }

  /** The cost so far (after `finish()`: the whole run's). */
  measure(): LiveStats {
    if (this.final) return this.final;
    const elapsedMs = now() - this.t0;
    const s = this.stats;
    const spent = s.loadMs + s.chartMs + s.buildMs + s.sendMs;
    return { ...s, elapsedMs, share: elapsedMs > 0 ? spent / elapsedMs : 0 };
  }

  /**
   * The study changed in a way its events don't tell (another process wrote it, and it was
   * read again): an update is due, throttled like any other.
   */
  changed(): void {
    this.touch(true);
  }

  /** True while the first `promptTrials` finished trials have not all been shown. */
  private get prompting(): boolean {
    return this.finishedShown - this.finishedAtStart < this.promptTrials;
  }

  private touch(finished: boolean): void {
    this.dirty = true;
    if (this.busy !== undefined || this.closed || this.failed) return;
    // One of the first trials finished: show it as soon as the shortest pause allows.
    const at = finished && this.prompting ? Math.min(this.nextAt, this.lastSentAt + this.minInterval) : this.nextAt;
    if (this.timer !== undefined) {
      if (at >= this.timerAt) return;
      clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = setTimeout(() => this.flush(), Math.ceil(Math.max(0, at - now())));
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed) return;
    this.dirty = false;
    this.busy = this.send(true, true).finally(() => {
      this.busy = undefined;
      if (this.dirty) this.touch(this.prompting && finishedCount(this.study.snapshot.trials) > this.finishedShown);
    });
  }

  /** Sends the display; charts are redrawn when due, and always for the final update. */
  private async send(update: boolean, running: boolean): Promise<void> {
    if (this.failed) return;
    const t0 = now();
    try {
      const payload: StudyPayload = studyPayload(this.study, running);
      const finished = finishedCount(payload.trials);
      let chartMs = 0;
      let charts = this.charts;
      // (1 ms of slack: a timer may fire a fraction of a millisecond early)
      const redraw = !running || charts === undefined || t0 + 1 >= this.chartsNextAt;
      if (redraw || charts === undefined) {
        const c0 = now();
        charts = this.charts = await renderCharts(payload);
        chartMs = now() - c0;
        this.stats.redraws++;
      }
      const display = composeDisplay(payload, charts);
      const t1 = now();
      this.write({ ...display, transient: { display_id: this.displayId } }, update);
      const t2 = now();
      this.stats.messages++;
      this.stats.chartMs += chartMs;
      this.stats.buildMs += t1 - t0 - chartMs;
      this.stats.sendMs += t2 - t1;
      this.lastSentAt = t2;
      this.finishedShown = Math.max(this.finishedShown, finished);
      this.nextAt = t2 + Math.max(this.minInterval, this.costFactor * recentLeast(this.sendCosts, t2 - t0 - chartMs));
      if (redraw) this.chartsNextAt = t2 + Math.max(this.minInterval, this.chartFactor * recentLeast(this.chartCosts, chartMs));
    } catch (e) {
      // A display must never break a run: report once and stop updating.
      this.failed = true;
      console.warn("tunelab: the live study display failed and stops updating:", e);
    }
  }
}

/** Trials that have ended (complete, pruned or failed). */
function finishedCount(trials: readonly { readonly state: string }[]): number {
  let n = 0;
  for (const t of trials) if (t.state !== "running") n++;
  return n;
}

/** Adds a cost to the latest three and returns the smallest of them. */
function recentLeast(costs: number[], cost: number): number {
  costs.push(cost);
  if (costs.length > 3) costs.shift();
  return Math.min(...costs);
}

let last: LiveDisplay | undefined;

/**
 * Starts a live display when running inside a tslab kernel; resolves to the
 * function that ends it (awaited when the run ends), or undefined elsewhere.
 */
export async function startLiveDisplay(study: Study, options: LiveOptions = {}): Promise<(() => Promise<LiveStats>) | undefined> {
  const write = kernelWriter();
  if (!write) return undefined;
  const live = await LiveDisplay.start(study, write, options);
  last = live;
  return () => live.finish();
}

/** The cost of the latest live display in this process (for benchmarks), or undefined. */
export function lastLiveStats(): LiveStats | undefined {
  return last?.measure();
}
