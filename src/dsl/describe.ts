import type { Direction, FrozenTrial } from "../model/trial";
import { TrialStates } from "../model/trial";
import type { ParamDef, SpaceDef } from "../space/types";
import type { ResolvedLimits } from "../study/limits";
import { formatDuration, formatNumber, formatParams } from "../views/format";

/** What a builder knows about itself, for its printed form. */
export interface TunerFacts {
  readonly name: string;
  readonly space?: SpaceDef;
  readonly direction?: Direction;
  readonly metric: string;
  /** The strategy's name, or a Strategy object's description. */
  readonly strategy: string;
  readonly strategyOptions?: unknown;
  readonly seed?: number;
  readonly stopping?: string;
  readonly limits: ResolvedLimits;
  /** Where the study is kept, as a person reads it. */
  readonly storage: string;
  readonly hasObjective: boolean;
  /** The study's trials once it is open; undefined before. */
  readonly trials?: readonly FrozenTrial[];
  readonly best?: FrozenTrial;
  readonly running: boolean;
}

/**
 * A builder as a few lines of text: what `console.log(study)` and a notebook
 * cell ending in `study` print, instead of the builder's internals.
 *
 * @example
 * describeTuner(facts)
 * // tune("mlp"): not run yet
 * //   space      lr float 0.0001..0.3 log, opt choice sgd|adam
 * //   minimize   val_loss
 * //   strategy   random (seed 7)
 * //   limits     60 trials, 4 parallel, 10 min
 * //   storage    .tunelab/mlp.jsonl
 */
export function describeTuner(f: TunerFacts): string {
  const rows: [string, string | string[]][] = [
    ["space", f.space ? describeSpace(f.space) : "none yet: call .space({...})"],
    f.direction ? [f.direction, f.metric] : ["direction", "none yet: call .minimize(metric) or .maximize(metric)"],
    ["strategy", describeStrategy(f)],
  ];
  if (f.stopping !== undefined) rows.push(["stopping", f.stopping]);
  rows.push(["limits", describeLimits(f.limits)], ["storage", f.storage]);
  if (!f.hasObjective) rows.push(["objective", "none yet: call .objective(async (params, trial) => ...)"]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  // A list (the space) goes on one line when short, else one item per line, aligned.
  const wrap = (v: string | string[]) => (typeof v === "string" ? v : v.join(", ").length <= 80 ? v.join(", ") : v.join(`\n  ${" ".repeat(width)} `));
  return [`tune(${JSON.stringify(f.name)}): ${state(f)}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)} ${wrap(v)}`)].join("\n");
}

function state(f: TunerFacts): string {
  if (f.trials === undefined) return "not run yet";
  const n = f.trials.length;
  const counts = TrialStates.map((s) => [s, f.trials!.filter((t) => t.state === s).length] as const).filter(([, c]) => c > 0);
  const head = `${n} trial${n === 1 ? "" : "s"}${counts.length ? ` (${counts.map(([s, c]) => `${c} ${s}`).join(", ")})` : ""}${f.running ? ", running" : ""}`;
  const b = f.best;
  if (!b || b.value === undefined) return head;
  const params = f.space ? formatParams(b.params, Object.keys(f.space), f.space) : "";
  return `${head}; best #${b.number} ${f.metric}=${formatNumber(b.value)}${params ? ` (${params})` : ""}`;
}

/** One item per parameter: `lr float 1e-4..0.3 log`, `opt choice sgd|adam`, `m float 0.5..0.99 when opt=sgd`. */
export function describeSpace(space: SpaceDef): string[] {
  return Object.entries(space).map(([name, p]) => `${name} ${describeParam(p)}`);
}

function describeParam(p: ParamDef): string {
  const range = p.type === "categorical" ? `choice ${p.choices.map(String).join("|")}` : `${p.type} ${formatNumber(p.low)}..${formatNumber(p.high)}`;
  const extras: string[] = [];
  if (p.type !== "categorical" && p.scale !== undefined && p.scale !== "linear") extras.push(p.scale);
  if (p.type !== "categorical" && p.step !== undefined && !(p.type === "int" && p.step === 1)) extras.push(`step ${formatNumber(p.step)}`);
  if (p.when) extras.push(`when ${Object.entries(p.when).map(([k, v]) => `${k}=${v.map(String).join("|")}`).join(" and ")}`);
  return [range, ...extras].join(" ");
}

function describeStrategy(f: TunerFacts): string {
  const opts = f.strategyOptions && typeof f.strategyOptions === "object" ? Object.entries(f.strategyOptions as Record<string, unknown>).filter(([k, v]) => k !== "seed" && v !== undefined) : [];
  const parts = opts.map(([k, v]) => `${k} ${typeof v === "string" ? v : JSON.stringify(v)}`);
  if (f.seed !== undefined) parts.unshift(`seed ${f.seed}`);
  return parts.length ? `${f.strategy} (${parts.join(", ")})` : f.strategy;
}

function describeLimits(l: ResolvedLimits): string {
  const parts: string[] = [];
  parts.push(Number.isFinite(l.trials) ? `${l.trials} trials` : "no trial limit");
  if (l.parallel > 1) parts.push(`${l.parallel} parallel`);
  if (Number.isFinite(l.ms)) parts.push(formatDuration(l.ms));
  if (l.target !== undefined) parts.push(`target ${formatNumber(l.target)}`);
  if (Number.isFinite(l.patience)) {
    const least = [l.minImprovement > 0 ? `${formatNumber(l.minImprovement * 100)}%` : "", l.minDelta > 0 ? `${formatNumber(l.minDelta)}` : ""].filter(Boolean).join(" or ");
    parts.push(`patience ${l.patience}${least ? ` (by at least ${least})` : ""}`);
  }
  if (l.convergence) parts.push(`convergence (${l.convergence.tolerance !== undefined ? `tolerance ${formatNumber(l.convergence.tolerance)}` : `${formatNumber(l.convergence.relative * 100)}% of the IQR`})`);
  if (Number.isFinite(l.trialMs)) parts.push(`${formatDuration(l.trialMs)} per trial`);
  return parts.join(", ");
}
