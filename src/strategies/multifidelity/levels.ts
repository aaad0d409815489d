import type { FrozenTrial, StudySnapshot } from "../../model/trial";
import { MODEL_KEY, modelRecordOf } from "../../record/system";
import type { JsonObject } from "../../util/json";
import { ndtri } from "../../math/special";

/** The key, in a trial's system record, of what the model-guided sampler saved with its proposal. */
export { MODEL_KEY };

/**
 * The value trial `t` had when it reached `level` steps: the objective value it reported at
 * the first step >= level (what a rung records), or its final value when `level` is the full
 * budget and it completed. Undefined when it never got that far.
 */
export function valueAtLevel(t: FrozenTrial, level: number, maxResource: number): number | undefined {
  const iv = t.intermediate;
  if (level >= maxResource && t.state === "complete" && t.value !== undefined) return t.value;
  const n = iv.length;
  if (n === 0 || iv[n - 1]![0] < level) return undefined;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (iv[mid]![0] >= level) hi = mid;
    else lo = mid + 1;
  }
  return iv[lo]![1];
}

/** How many trials have a value at `level` (failed ones included: they reached it). */
export function countAtLevel(trials: readonly FrozenTrial[], level: number, maxResource: number): number {
  let c = 0;
  for (const t of trials) if (valueAtLevel(t, level, maxResource) !== undefined) c++;
  return c;
}

/**
 * The study as it looks at one budget level, for a model fitted on that level — BOHB's rule
 * (Falkner et al. 2018): the model sees only D_b, the trials evaluated at the largest budget
 * b that enough of them reached. Every trial that reached `level` steps is complete there with
 * the value it had then; trials still running below it stay running (so a model with a
 * constant liar or a Kriging believer keeps parallel proposals apart); trials that ended below
 * it — stopped at an earlier rung, or failed — are left out: how they compared at a lower
 * budget says little about this one (on curves that cross, the configurations stopped early
 * include the best ones), and leaving them out also keeps the model's cost to |D_b|. Each
 * trial's `system` is what the model saved with it, so a model that keeps state there (the
 * GP's hyperparameters) finds it. Trial numbers and order are unchanged.
 */
export function snapshotAtLevel(snap: StudySnapshot, level: number, maxResource: number): StudySnapshot {
  const trials: FrozenTrial[] = [];
  for (const t of snap.trials) {
    const v = valueAtLevel(t, level, maxResource);
    if (v === undefined && t.state !== "running") continue;
    const system: JsonObject = modelRecordOf(t.system) ?? {};
    trials.push(
      v !== undefined
        ? { number: t.number, state: "complete", params: t.params, value: v, metrics: {}, intermediate: [], curves: {}, startedAt: t.startedAt, system }
        : { ...t, system },
    );
  }
  return { spec: snap.spec, trials, queue: snap.queue };
}

/**
 * The study as a model sees it when it learns from every trial at once (Optuna's TPE with a
 * pruner does this; BOHB uses one budget level): each trial that reached at least one level is
 * placed by how far it got, then by its value at the furthest level it reached — a trial that
 * reached budget 27 ranks above every trial stopped before 27, whatever their values — and is
 * given as complete with a value that encodes that rank: the normal score Φ⁻¹((rank + ½)/n),
 * best lowest (highest when maximizing), so a model that reads values (the GP) sees the same
 * order that one reading ranks (TPE) does, on a scale that does not depend on the objective's.
 * Running trials stay running (pending for the model); finished trials with no value at any
 * level (failed before the first) are left out.
 *
 * `levels`: the budget levels, largest first (maxResource first).
 */
export function snapshotByProgress(snap: StudySnapshot, levels: readonly number[], maxResource: number): StudySnapshot {
  const sign = snap.spec.direction === "minimize" ? 1 : -1;
  const placed: { t: FrozenTrial; depth: number; v: number }[] = [];
  const keep: FrozenTrial[] = [];
  for (const t of snap.trials) {
    if (t.state === "running") {
      keep.push({ ...t, system: modelRecordOf(t.system) ?? {} });
      continue;
    }
    for (let d = 0; d < levels.length; d++) {
      const v = valueAtLevel(t, levels[d]!, maxResource);
      if (v !== undefined && Number.isFinite(v)) {
        placed.push({ t, depth: d, v: sign * v });
        break;
      }
    }
  }
  placed.sort((a, b) => a.depth - b.depth || a.v - b.v || a.t.number - b.t.number);
  const n = placed.length;
  placed.forEach((p, rank) => {
    const t = p.t;
    keep.push({ number: t.number, state: "complete", params: t.params, value: sign * ndtri((rank + 0.5) / n), metrics: {}, intermediate: [], curves: {}, startedAt: t.startedAt, system: modelRecordOf(t.system) ?? {} });
  });
  keep.sort((a, b) => a.number - b.number);
  return { spec: snap.spec, trials: keep, queue: snap.queue };
}
