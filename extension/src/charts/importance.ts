/**
 * Parameter importance as bars (src/views/analysis: PED-ANOVA by default, fANOVA on request),
 * most important on top. Computed in the page a slice at a time (a few milliseconds, then the
 * browser gets the thread back) and throttled: at most once every THROTTLE_MS, only when the
 * number of complete trials changed, never on every update of a live study. Until the first
 * result the panel says it is computing.
 *
 * `data-importance` (the parameters in drawn order), `data-importance-trials` (the complete
 * trials it was computed from) and `data-computes` are for tests and tools.
 */
import { importanceSteps, IMPORTANCE_LABELS, ImportanceMethods, type ImportanceMethod, type ParamImportance } from "../../../src/views";
import { el, yieldToBrowser } from "../dom";
import type { StudyModel } from "../study-model";
import { VegaChart, type ChartContext } from "./vega-chart";

/** The shortest time between two computations. */
export const THROTTLE_MS = 1500;
/** How long one slice of the computation may hold the thread. */
const SLICE_MS = 8;
/** What each method measures, for the picker's tooltip. */
const METHOD_HELP: Readonly<Record<ImportanceMethod, string>> = {
  "ped-anova": "PED-ANOVA: how differently the best 10% of complete trials are spread over each parameter than all of them (no model; Optuna's default)",
  fanova: "fANOVA: each parameter's share of a random forest's variance over the search space (first-order effects)",
};

/** PED-ANOVA needs a few complete trials to say anything. */
export const MIN_TRIALS = 3;

interface Bar {
  readonly param: string;
  readonly importance: number;
  readonly rank: number;
}

export class ImportanceChart extends VegaChart {
  method: ImportanceMethod = "ped-anova";
  private bars: readonly Bar[] = [];
  private doneKey = "";
  private computing = false;
  private lastStart = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ctx: ChartContext | null = null;
  private queue: Promise<void> = Promise.resolve();
  private gone = false;

  /** Renders one at a time: a finished computation redraws the chart while the widget may be drawing it too. */
  override render(ctx: ChartContext): Promise<void> {
    const next = this.queue.then(() => (this.gone ? undefined : super.render(ctx)));
    this.queue = next.catch(() => undefined);
    return next;
  }

  override dispose(): void {
    this.gone = true;
    clearTimeout(this.timer);
    super.dispose();
  }

  /** Buttons choosing the method; a choice recomputes at once. */
  methodPicker(): HTMLElement {
    const box = el("span", "tl-importance-methods");
    const buttons = ImportanceMethods.map((m) => {
      const b = el("button", "tl-importance-method", IMPORTANCE_LABELS[m]);
      b.type = "button";
      b.title = METHOD_HELP[m];
      b.dataset.method = m;
      b.setAttribute("aria-pressed", String(m === this.method));
      b.addEventListener("click", () => {
        if (this.method === m) return;
        this.method = m;
        for (const other of buttons) other.setAttribute("aria-pressed", String(other.dataset.method === m));
        // The throttle is for a live study's updates, not for a person's click.
        clearTimeout(this.timer);
        this.timer = undefined;
        this.lastStart = -Infinity;
        if (this.ctx) this.request(this.ctx.model);
      });
      return b;
    });
    box.append(...buttons);
    return box;
  }

  protected shapeKey({ model, theme }: ChartContext): string {
    return [theme.dark, theme.text, theme.states.complete, names(model).length].join("|");
  }

  protected spec({ model, theme }: ChartContext): Record<string, unknown> {
    return {
      width: "container",
      height: Math.max(40, 22 * names(model).length),
      autosize: { type: "fit-x", contains: "padding" },
      params: [{ name: "sel", value: -1 }],
      data: { name: "bars" },
      layer: [
        {
          mark: { type: "bar", color: theme.states.complete, cornerRadiusEnd: 2 },
          encoding: {
            // The parameter names are data values (drawn as text), never part of the spec.
            y: { field: "param", type: "nominal", title: null, sort: { field: "rank", order: "ascending" }, axis: { labelLimit: 160 } },
            x: { field: "importance", type: "quantitative", title: "share of importance", scale: { domain: [0, 1] }, axis: { format: "%", tickCount: 5 } },
          },
        },
        {
          mark: { type: "text", align: "left", dx: 4, color: theme.text },
          encoding: {
            y: { field: "param", type: "nominal", sort: { field: "rank", order: "ascending" } },
            x: { field: "importance", type: "quantitative" },
            text: { field: "importance", type: "quantitative", format: ".0%" },
          },
        },
      ],
    };
  }

  /** Records the parameters as drawn, top to bottom (`data-drawn`), from the scenegraph's bars. */
  protected override drawn(): void {
    const root = (this.view?.scenegraph() as { root?: unknown } | undefined)?.root;
    const bars: { param: string; y: number }[] = [];
    const visit = (node: unknown): void => {
      const n = node as { marktype?: string; items?: unknown[] } | null;
      if (!n || !Array.isArray(n.items)) return;
      for (const item of n.items) {
        const it = item as { datum?: { param?: unknown }; y?: number };
        if (n.marktype === "rect" && typeof it.datum?.param === "string") bars.push({ param: it.datum.param, y: it.y ?? 0 });
        else visit(item);
      }
    };
    visit(root);
    this.node.dataset.drawn = bars
      .sort((a, b) => a.y - b.y)
      .map((b) => b.param)
      .join(",");
  }

  protected data(ctx: ChartContext): Record<string, readonly object[]> {
    this.ctx = ctx;
    this.request(ctx.model);
    return { bars: this.bars };
  }

  /** Starts a computation for the model's complete trials, now or when the throttle allows. */
  private request(model: StudyModel): void {
    const key = `${this.method}|${model.history.points.length}`;
    if (key === this.doneKey || this.computing || this.timer !== undefined) return;
    const wait = this.lastStart + THROTTLE_MS - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.ctx && !this.gone) this.request(this.ctx.model);
      }, wait);
      return;
    }
    void this.compute(model, key);
  }

  private async compute(model: StudyModel, key: string): Promise<void> {
    this.computing = true;
    this.lastStart = performance.now();
    this.node.dataset.importanceStatus = "computing";
    const method = this.method;
    try {
      const p = model.payload;
      const steps = importanceSteps(p.trials, p.study.space, { method, direction: p.study.direction, ...(p.study.paramOrder ? { order: p.study.paramOrder } : {}) });
      let result: ParamImportance[] | undefined;
      while (result === undefined) {
        const t0 = performance.now();
        while (result === undefined && performance.now() - t0 < SLICE_MS) {
          const r = steps.next();
          if (r.done) result = r.value;
        }
        if (result === undefined) await yieldToBrowser();
        if (this.gone) return;
      }
      this.bars = result.map((b, rank) => ({ param: b.param, importance: b.importance, rank }));
      this.doneKey = key;
      this.node.dataset.importance = result.map((b) => b.param).join(",");
      this.node.dataset.importanceTrials = String(model.history.points.length);
      this.node.dataset.importanceMethod = IMPORTANCE_LABELS[method];
      this.node.dataset.computes = String(Number(this.node.dataset.computes ?? 0) + 1);
      this.node.dataset.importanceStatus = "ready";
    } catch (err) {
      // A computation that fails leaves a line saying so, not a chart stuck on "computing".
      this.doneKey = key;
      this.node.dataset.importanceStatus = "failed";
      this.computing = false;
      this.showFailure(err);
      return;
    } finally {
      this.computing = false;
    }
    if (this.ctx && !this.gone) await this.render(this.ctx).catch((err: unknown) => this.showFailure(err));
  }
}

function names(model: StudyModel): readonly string[] {
  return model.paramNames;
}

/** Whether the panel shows the chart: enough complete trials for importance to say something. */
export function hasImportanceTrials(model: StudyModel): boolean {
  return model.history.points.length >= MIN_TRIALS;
}
