import type { FrozenTrial, StudySnapshot } from "../model/trial";
import type { SearchSpace } from "../space/space";
import type { Config } from "../space/types";
import type { JsonObject } from "../util/json";
import { Rng } from "../util/rng";

/** What a strategy sees when asked for the next configuration. */
export interface ProposeContext {
  readonly snapshot: StudySnapshot;
  readonly space: SearchSpace;
  /** The number the new trial will get. */
  readonly trialNumber: number;
  /** The study's seed. */
  readonly seed: number;
  /** A generator for this trial and purpose: same seed, trial and purpose → same stream. */
  rng(purpose: number): Rng;
  /** Parent studies' trials when the study warm-starts (issue 17 part 2); absent otherwise. */
  readonly prior?: PriorObservations;
}

// ---- warm start (issue 17 part 2) ----

/** A parent study's complete trial, as a configuration of this study's current space. */
export interface PriorTrial {
  readonly params: Readonly<Config>;
  /** Its objective value in the parent. */
  readonly value: number;
  /** Which parent (index into the study's warmStart parents). */
  readonly source: number;
  /**
   * The normal score of its rank among its parent's trials (Gaussian copula: Φ⁻¹((rank + ½) / n)),
   * oriented so that larger is better in this study's direction: what "transfer" uses instead
   * of the parent's values.
   */
  readonly score: number;
}

/**
 * What a warm-started study hands its strategy: "identical" — the parents ran this objective,
 * their trials are observations like the study's own; "transfer" — a related objective, only
 * the parents' rankings inform the model (see each strategy).
 */
export interface PriorObservations {
  readonly type: "identical" | "transfer";
  readonly trials: readonly PriorTrial[];
}

/** A strategy's answer: the configuration, plus bookkeeping saved with the trial. */
export interface Proposal {
  readonly params: Config;
  /** Saved in the trial's `system` record (grid position, bracket, ...). */
  readonly system?: JsonObject;
  /** The most steps the trial should run (multi-fidelity strategies). */
  readonly budget?: number;
}

export type ProposeResult = Proposal | { readonly done: true };

export function isDone(r: ProposeResult): r is { readonly done: true } {
  return (r as { done?: boolean }).done === true;
}

/** What an early-stopping rule sees when a running trial reports. */
export interface StopContext {
  readonly snapshot: StudySnapshot;
  readonly space: SearchSpace;
  /** The trial, with the value just reported already in `intermediate`. */
  readonly trial: FrozenTrial;
  readonly step: number;
  readonly value: number;
  readonly seed: number;
}

export interface StopDecision {
  readonly stop: boolean;
  /** Bookkeeping saved with the trial (the rung it stopped at, ...). */
  readonly system?: JsonObject;
}

/** Decides whether a running trial should stop early. Pure and synchronous. */
export interface Stopper {
  readonly name: string;
  shouldStop(ctx: StopContext): StopDecision;
}

/**
 * A search strategy. Strategies are pure and synchronous: they get a
 * read-only snapshot of the study and derive their randomness from the
 * study's seed and the trial number, so several processes can share a study
 * and a resumed study continues exactly. Anything they must remember goes
 * into the proposal's `system` record, which storage keeps with the trial.
 *
 * A strategy may also stop running trials (Hyperband does) by implementing
 * `shouldStop`.
 */
export interface Strategy {
  readonly name: string;
  /**
   * Its proposals fit a model (milliseconds to seconds): Study.ask then computes them before
   * the storage's write and appends them if still valid, so that on a shared storage no other
   * worker waits for this one's fit. Leave it unset for proposals that are quick or that must
   * be decided on the state the write holds (a grid position).
   */
  readonly costly?: boolean;
  propose(ctx: ProposeContext): ProposeResult;
  shouldStop?(ctx: StopContext): StopDecision;
}

/** Builds a ProposeContext. */
export function proposeContext(snapshot: StudySnapshot, space: SearchSpace, trialNumber: number, seed: number, prior?: PriorObservations): ProposeContext {
  const ctx = {
    snapshot,
    space,
    trialNumber,
    seed,
    rng: (purpose: number) => Rng.derive(seed, trialNumber, purpose),
  };
  return prior ? { ...ctx, prior } : ctx;
}
