import { createRequire } from "node:module";
import type { DataFrame } from "danfojs-node";
import type { StudySnapshot } from "../model/trial";
import { teachFrameDisplay } from "./frame-display";

/** The column values of a trial table, column by column. */
export type TrialColumns = Record<string, (number | string | boolean | null)[]>;

/**
 * The trials as columns: `number`, `state`, `value`, `params_<name>` for each
 * parameter (null where inactive), `metrics_<name>` for each metric the
 * trials returned, `duration` in seconds (null while running) and `error`.
 */
export function trialColumns(snapshot: StudySnapshot): TrialColumns {
  const trials = [...snapshot.trials].sort((a, b) => a.number - b.number);
  const params = Object.keys(snapshot.spec.space);
  const metrics = [...new Set(trials.flatMap((t) => Object.keys(t.metrics)))];
  const cols: TrialColumns = {
    number: trials.map((t) => t.number),
    state: trials.map((t) => t.state),
    value: trials.map((t) => t.value ?? null),
  };
  for (const p of params) cols[`params_${p}`] = trials.map((t) => t.params[p] ?? null);
  for (const m of metrics) cols[`metrics_${m}`] = trials.map((t) => t.metrics[m] ?? null);
  cols.duration = trials.map((t) => (t.finishedAt === undefined ? null : (t.finishedAt - t.startedAt) / 1000));
  cols.error = trials.map((t) => t.error ?? null);
  return cols;
}

type Danfo = typeof import("danfojs-node");
let danfo: Danfo | undefined;

/** danfojs-node, loaded on first use (it takes a couple of seconds). */
function loadDanfo(): Danfo {
  if (!danfo) {
    danfo = createRequire(__filename)("danfojs-node") as Danfo;
    teachFrameDisplay(danfo);
  }
  return danfo;
}

/**
 * The trials as a danfojs-node DataFrame, one row per trial. In a tslab
 * notebook it (and any frame made from it) shows as an HTML table.
 *
 * @example trialsDataFrame(study.snapshot).sortValues("value").head(5).print()
 */
export function trialsDataFrame(snapshot: StudySnapshot): DataFrame {
  const { DataFrame } = loadDanfo();
  const cols = trialColumns(snapshot);
  if (snapshot.trials.length === 0) return new DataFrame([], { columns: Object.keys(cols) });
  return new DataFrame(cols);
}
