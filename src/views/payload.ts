import type { Direction, FrozenTrial, StudySnapshot, TrialState } from "../model/trial";
import type { Config, SpaceDef } from "../space/types";
import type { ViewName } from "./specs";

/**
 * The versioned MIME type of a study's views. The kernel sends it with
 * text/markdown and text/plain fallbacks; the JupyterLab extension renders it.
 * Bump the version when a renderer of the old one would misread the payload.
 */
export const STUDY_MIME = "application/vnd.tunelab.study.v1+json";
export const PAYLOAD_VERSION = 1;

/** One trial as the views see it: plain JSON, nulls instead of absent fields. */
export interface PayloadTrial {
  readonly number: number;
  readonly state: TrialState;
  readonly params: Readonly<Config>;
  readonly value: number | null;
  readonly metrics: Readonly<Record<string, number>>;
  /** The objective metric by step: [[step, value], ...]. */
  readonly intermediate: readonly (readonly [number, number])[];
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly error: string | null;
  /** Strategy bookkeeping worth showing (e.g. Hyperband bracket, the rung where it stopped). */
  readonly system: Readonly<Record<string, unknown>>;
}

/** Everything the views need about a study at one moment. */
export interface StudyPayload {
  readonly version: typeof PAYLOAD_VERSION;
  readonly study: {
    readonly name: string;
    readonly direction: Direction;
    readonly metric: string;
    readonly strategy: string;
    readonly space: SpaceDef;
  };
  readonly trials: readonly PayloadTrial[];
  /** Whether a run is in progress (the views say "running" and expect updates). */
  readonly running: boolean;
  /** Epoch milliseconds when this payload was made. */
  readonly updatedAt: number;
  /**
   * Show this one view alone (`study.show("parallel")`); absent: the whole
   * panel. Optional, so v1 payloads without it stay valid.
   */
  readonly view?: ViewName;
}

/** Builds the payload from a study snapshot. */
export function toPayload(snapshot: StudySnapshot, running: boolean, now: number = Date.now()): StudyPayload {
  const spec = snapshot.spec;
  return {
    version: PAYLOAD_VERSION,
    study: { name: spec.name, direction: spec.direction, metric: spec.metric, strategy: spec.strategy.name, space: spec.space },
    trials: snapshot.trials.map(toPayloadTrial),
    running,
    updatedAt: now,
  };
}

export function toPayloadTrial(t: FrozenTrial): PayloadTrial {
  return {
    number: t.number,
    state: t.state,
    params: t.params,
    value: t.value ?? null,
    metrics: t.metrics,
    intermediate: t.intermediate,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt ?? null,
    error: t.error ?? null,
    system: t.system,
  };
}
