/**
 * Parameter importance: which parameters mattered for the objective, as shares that sum to 1.
 * Two methods: "ped-anova" (the default, as in Optuna 5: no model, cheap; ped-anova.ts) and
 * "fanova" (a random forest's functional ANOVA; fanova.ts). Pure, synchronous and browser-safe:
 * the kernel, `tunelab serve` and the JupyterLab extension all call it; the extension steps the
 * generator form a slice at a time so a big study never blocks the page.
 */
import type { Direction, StudySnapshot } from "../../model/trial";
import type { SpaceDef } from "../../space/types";
import { Msg } from "../../util/messages";
import { Rng, RngPurpose } from "../../util/rng";
import { fanova } from "./fanova";
import { pedAnova } from "./ped-anova";
import { analysisTable, type AnalysisTrial } from "./table";

export const ImportanceMethods = ["ped-anova", "fanova"] as const;
export type ImportanceMethod = (typeof ImportanceMethods)[number];
export function isImportanceMethod(v: unknown): v is ImportanceMethod {
  return (ImportanceMethods as readonly unknown[]).includes(v);
}

/** One parameter's share of the importance. */
export interface ParamImportance {
  readonly param: string;
  readonly importance: number;
}

export interface ImportanceOptions {
  /** Default "ped-anova". */
  readonly method?: ImportanceMethod;
  /** The study's direction (default "minimize"): PED-ANOVA's top trials are the best ones. */
  readonly direction?: Direction;
  /** The study's seed: fANOVA's forest is drawn from it. Default 0. */
  readonly seed?: number;
  /** The parameters in declared order (ties keep it); default the space's keys. */
  readonly order?: readonly string[];
}

/**
 * Each parameter's importance, most important first (ties in declared order). The shares sum
 * to 1; all are 0 while there are too few complete trials to tell (PED-ANOVA needs 3, fANOVA 2,
 * and a forest that predicts a constant tells nothing).
 *
 * @example importance(study.trials, study.space, { method: "fanova", direction: "minimize", seed: 1 })
 * // [{ param: "lr", importance: 0.81 }, { param: "layers", importance: 0.17 }, { param: "opt", importance: 0.02 }]
 */
export function importance(trials: readonly AnalysisTrial[], space: SpaceDef, options: ImportanceOptions = {}): ParamImportance[] {
  const steps = importanceSteps(trials, space, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** `importance` as a generator that yields between units of work (a parameter, a tree), for callers that slice it. */
export function* importanceSteps(trials: readonly AnalysisTrial[], space: SpaceDef, options: ImportanceOptions = {}): Generator<void, ParamImportance[]> {
  const method = options.method ?? "ped-anova";
  if (!isImportanceMethod(method)) throw Msg.badImportanceMethod(method, ImportanceMethods);
  const table = analysisTable(trials, space, options.direction ?? "minimize", options.order);
  const raw = method === "fanova" ? yield* fanova(table, Rng.derive(options.seed ?? 0, RngPurpose.importance)) : yield* pedAnova(table);
  return ranked(
    table.columns.map((c) => c.name),
    raw,
  );
}

function ranked(names: readonly string[], raw: readonly number[]): ParamImportance[] {
  const clean = raw.map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  const total = clean.reduce((a, b) => a + b, 0);
  const out = names.map((param, i) => ({ param, importance: total > 0 ? clean[i]! / total : 0 }));
  return out.sort((a, b) => b.importance - a.importance);
}

/**
 * A study's importance: its trials, space, direction and seed (the DSL's `study.importance()`
 * and serve's `importance` op).
 *
 * @example snapshotImportance(study.snapshot, "fanova")
 */
export function snapshotImportance(snapshot: StudySnapshot, method: ImportanceMethod = "ped-anova"): ParamImportance[] {
  const spec = snapshot.spec;
  return importance(snapshot.trials, spec.space, { method, direction: spec.direction, seed: spec.seed });
}
