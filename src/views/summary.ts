import { isBetter, TrialStates, type TrialState } from "../model/trial";
import { finiteOrNull, formatNumber, formatParams } from "./format";
import type { PayloadTrial, StudyPayload } from "./payload";

/** The study in a few numbers: what a header line or a text fallback says. */
export interface StudySummary {
  readonly name: string;
  readonly direction: StudyPayload["study"]["direction"];
  readonly metric: string;
  readonly strategy: string;
  readonly trials: number;
  readonly counts: Readonly<Record<TrialState, number>>;
  /** The best complete trial (first on ties), or null. */
  readonly best: { readonly number: number; readonly value: number; readonly params: string } | null;
  readonly running: boolean;
}

/**
 * The parameter names of the payload's space, in declaration order: `paramOrder` (which survives
 * a notebook's save, where the space's keys come back sorted), then any name of the space it
 * doesn't list; the keys' order for payloads without it.
 */
export function paramNames(p: StudyPayload): string[] {
  return declaredOrder(p.study.paramOrder, Object.keys(p.study.space));
}

/**
 * The metric names other than the objective: `metricOrder` first, then any other name seen in
 * the trials, in order of first appearance.
 */
export function otherMetricNames(p: StudyPayload): string[] {
  const seen: string[] = [];
  const known = new Set<string>();
  for (const t of p.trials) {
    for (const k of Object.keys(t.metrics)) {
      if (k === p.study.metric || known.has(k)) continue;
      known.add(k);
      seen.push(k);
    }
  }
  return declaredOrder(p.study.metricOrder, seen);
}

/** The names of `order` that are in `names`, once each, then the rest of `names` in their order. */
function declaredOrder(order: readonly string[] | undefined, names: readonly string[]): string[] {
  if (!Array.isArray(order)) return [...names];
  const present = new Set(names);
  const out = new Set<string>();
  for (const n of order) if (present.has(n)) out.add(n);
  for (const n of names) out.add(n);
  return [...out];
}

/** The best complete trial of the payload (first on ties), or undefined. */
export function bestPayloadTrial(p: StudyPayload): PayloadTrial | undefined {
  let best: PayloadTrial | undefined;
  let bestValue = 0;
  for (const t of p.trials) {
    const v = finiteOrNull(t.value);
    if (t.state !== "complete" || v === null) continue;
    if (!best || isBetter(p.study.direction, v, bestValue)) {
      best = t;
      bestValue = v;
    }
  }
  return best;
}

/** Counts, the best trial and its configuration. */
export function summarize(p: StudyPayload): StudySummary {
  const counts = Object.fromEntries(TrialStates.map((s) => [s, 0])) as Record<TrialState, number>;
  for (const t of p.trials) if (t.state in counts) counts[t.state]++;
  const best = bestPayloadTrial(p);
  return {
    name: p.study.name,
    direction: p.study.direction,
    metric: p.study.metric,
    strategy: p.study.strategy,
    trials: p.trials.length,
    counts,
    best: best ? { number: best.number, value: best.value as number, params: formatParams(best.params, paramNames(p), p.study.space) } : null,
    running: p.running,
  };
}

/**
 * Two or three lines of plain text about the study.
 *
 * @example
 * summaryText(payload)
 * // study "mlp" (minimize val_loss, random): 20 trials: 18 complete, 2 pruned
 * // best: #7 val_loss=0.1234 (lr=0.01, opt=adam)
 */
export function summaryText(p: StudyPayload): string {
  const s = summarize(p);
  const parts = TrialStates.filter((st) => s.counts[st] > 0).map((st) => `${s.counts[st]} ${st}`);
  const head = `study "${s.name}" (${s.direction} ${s.metric}, ${s.strategy}): ${s.trials} trial${s.trials === 1 ? "" : "s"}${parts.length ? `: ${parts.join(", ")}` : ""}${s.running ? " (running)" : ""}`;
  const best = s.best ? `best: #${s.best.number} ${s.metric}=${formatNumber(s.best.value)}${s.best.params ? ` (${s.best.params})` : ""}` : "best: none yet";
  return `${head}\n${best}`;
}
