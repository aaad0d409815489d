/**
 * The trials an analysis reads, as columns: each complete trial with a finite value, and each
 * parameter's value placed on its own scale. Shared by importance (PED-ANOVA, fANOVA) and the
 * boundary warnings. Pure and browser-safe.
 */
import type { Direction, TrialState } from "../../model/trial";
import type { Config, ParamDef, SpaceDef } from "../../space/types";
import { paramScale } from "../axis";

/** What an analysis needs of a trial: a FrozenTrial or a PayloadTrial both fit. */
export interface AnalysisTrial {
  readonly state: TrialState;
  readonly params: Readonly<Config>;
  readonly value?: number | null;
}

/** One parameter's values over the analysed trials. */
export interface ParamColumn {
  readonly name: string;
  readonly def: ParamDef;
  /**
   * Numeric parameters: the position in [0, 1] of the declared range in the parameter's own
   * scale (log parameters in log space). Categorical: the choice's index. NaN where the trial
   * has no value for it (a conditional parameter whose condition failed).
   */
  readonly x: Float64Array;
  /** How many trials have a value for it. */
  readonly active: number;
}

export interface AnalysisTable {
  /** The objective as a loss: lower is better whatever the study's direction. */
  readonly loss: Float64Array;
  readonly columns: readonly ParamColumn[];
  readonly size: number;
}

/**
 * The complete trials with a finite value, as columns. `order` lists the parameters (the
 * payload's `paramOrder`: a saved notebook sorts the space's keys); default: the space's keys.
 *
 * @example analysisTable(trials, { x: float(0, 1) }, "minimize").columns[0].x // Float64Array [0.25, ...]
 */
export function analysisTable(trials: readonly AnalysisTrial[], space: SpaceDef, direction: Direction, order?: readonly string[]): AnalysisTable {
  const done = trials.filter((t) => t.state === "complete" && typeof t.value === "number" && Number.isFinite(t.value));
  const sign = direction === "minimize" ? 1 : -1;
  const loss = Float64Array.from(done, (t) => sign * (t.value as number));
  const names = (order ?? Object.keys(space)).filter((n) => Object.prototype.hasOwnProperty.call(space, n));
  const columns = names.map((name) => column(name, space[name]!, done));
  return { loss, columns, size: done.length };
}

function column(name: string, def: ParamDef, trials: readonly AnalysisTrial[]): ParamColumn {
  const x = new Float64Array(trials.length);
  const place = placer(def);
  let active = 0;
  for (let i = 0; i < trials.length; i++) {
    const params = trials[i]!.params;
    const v = Object.prototype.hasOwnProperty.call(params, name) ? place(params[name]) : NaN;
    x[i] = v;
    if (!Number.isNaN(v)) active++;
  }
  return { name, def, x, active };
}

function placer(def: ParamDef): (v: unknown) => number {
  if (def.type === "categorical") {
    const index = new Map<unknown, number>(def.choices.map((c, i) => [c, i]));
    return (v) => index.get(v) ?? NaN;
  }
  const scale = paramScale(def);
  return (v) => scale.norm(v) ?? NaN;
}
