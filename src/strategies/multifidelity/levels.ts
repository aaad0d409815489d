import type { FrozenTrial, StudySnapshot } from "../../model/trial";
import { MODEL_KEY, modelRecordOf } from "../../record/system";
import type { JsonObject } from "../../util/json";

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
