import type { Config, SpaceDef } from "../space/types";
import type { JsonObject } from "../util/json";

export const TrialStates = ["running", "complete", "failed", "pruned"] as const;
export type TrialState = (typeof TrialStates)[number];
export function isTrialState(v: unknown): v is TrialState {
  return (TrialStates as readonly unknown[]).includes(v);
}
export function isFinished(state: TrialState): boolean {
  return state !== "running";
}

export const Directions = ["minimize", "maximize"] as const;
export type Direction = (typeof Directions)[number];
export function isDirection(v: unknown): v is Direction {
  return (Directions as readonly unknown[]).includes(v);
}

/** [step, value] */
export type StepValue = readonly [number, number];

/**
 * An immutable record of one trial. The study replaces the record when the
 * trial changes; nobody mutates one.
 */
export interface FrozenTrial {
  /** 0, 1, 2, ... in order of creation within the study. */
  readonly number: number;
  readonly state: TrialState;
  readonly params: Readonly<Config>;
  /**
   * The objective metric: the final value of a complete trial; for a pruned
   * trial the last reported value; absent for running and failed trials.
   */
  readonly value?: number;
  /** Every named metric the trial returned (the objective's included). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The objective metric reported during the trial, by step. */
  readonly intermediate: readonly StepValue[];
  /** Other metrics reported during the trial, by name then step. */
  readonly curves: Readonly<Record<string, readonly StepValue[]>>;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly finishedAt?: number;
  /** Why a failed trial failed. */
  readonly error?: string;
  /**
   * Bookkeeping that strategies and the engine keep with the trial (grid
   * position, enqueued-config index, Hyperband bracket, why it was stopped).
   * State lives here, in storage, never in strategy objects.
   */
  readonly system: Readonly<JsonObject>;
  /** The most steps this trial should run, when the strategy sets a budget. */
  readonly budget?: number;
  /** The user's attributes (trial.setAttr): plain JSON values by name. */
  readonly attrs?: Readonly<JsonObject>;
  /** The user's markdown note (trial.note). */
  readonly note?: string;
}

/** What a study is: fixed when it is created, checked when it is opened again. */
export interface StudySpec {
  readonly name: string;
  readonly space: SpaceDef;
  readonly direction: Direction;
  /** The objective metric's name. */
  readonly metric: string;
  readonly strategy: { readonly name: string; readonly options: Readonly<JsonObject> };
  readonly seed: number;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Free-form user attributes. */
  readonly user?: Readonly<JsonObject>;
  /** The parents it warm-started from (issue 17 part 2; src/study/warm-start.ts). */
  readonly warmStart?: WarmStartSpec;
}

// ---- warm start (issue 17 part 2) ----

export type WarmStartType = "identical" | "transfer";

/** A warm start as recorded when the study was created: a resumed study reads the same parent trials. */
export interface WarmStartSpec {
  readonly type: WarmStartType;
  /** Each parent, and how many trials it had then (only those are read). */
  readonly parents: readonly { readonly study: string; readonly trials: number }[];
  /** Where the parents live (an openStorage location), when not in the study's own storage. */
  readonly storage?: string;
}

/** A read-only view of a study at one moment: what strategies see. */
export interface StudySnapshot {
  readonly spec: StudySpec;
  readonly trials: readonly FrozenTrial[];
  /**
   * Configurations enqueued by the user, by queue position; undefined at a position whose
   * record a damaged journal lost.
   */
  readonly queue: readonly (Readonly<Config> | undefined)[];
  /**
   * Present on a storage's replica (src/record/replica.ts), whose `trials` array only grows: how
   * many operations so far rewrote an existing trial's `system` record. While it and the
   * `trials` array stay the same, only trials added since need reading again (FreePosition, the
   * run loop's limit count and the retry queue keep counts that way).
   */
  readonly sysOps?: number;
  /**
   * Present on a storage's replica: the number of each existing trial whose `system` record was
   * replaced, in order (a "sys" operation, a restored lost trial, a write taken back). Only ever
   * appended to: with the same `trials` array, the trials to read again since a reader last
   * looked are those logged since, plus the trials added.
   */
  readonly systemLog?: readonly number[];
  /** The study's markdown note (study.note), when it has one. */
  readonly note?: string;
  /** Present on a storage's replica: operations applied so far (any write changes it). */
  readonly applied?: number;
  /**
   * The space after the study's recorded extensions (study.extendSpace), absent while it has
   * none: `spec.space` is then the space. See currentSpaceDef.
   */
  readonly space?: SpaceDef;
  /** How many extensions were recorded (0 or absent: none). */
  readonly spaceVersion?: number;
}

/** The study's space as it is now: the extended one, or the one it was created with. */
export function currentSpaceDef(snapshot: StudySnapshot): SpaceDef {
  return snapshot.space ?? snapshot.spec.space;
}

/** True when `a` is strictly better than `b` in `direction`. */
export function isBetter(direction: Direction, a: number, b: number): boolean {
  return direction === "minimize" ? a < b : a > b;
}

/** The best complete trial (first one on ties), or undefined. */
export function bestTrial(direction: Direction, trials: readonly FrozenTrial[]): FrozenTrial | undefined {
  let best: FrozenTrial | undefined;
  for (const t of trials) {
    if (t.state !== "complete" || t.value === undefined) continue;
    if (!best || isBetter(direction, t.value, best.value!)) best = t;
  }
  return best;
}
