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

/**
 * Where a study is stored, as far as the views care: a journal on disk (the study browser can
 * open it in a tab), memory (gone with the kernel), or a storage of some other kind.
 */
export const StorageKinds = ["journal", "memory", "other"] as const;
export type StorageKind = (typeof StorageKinds)[number];

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
  /** The user's attributes (trial.setAttr); absent when none (and in outputs of older tunelab). */
  readonly attrs?: Readonly<Record<string, unknown>>;
  /** The user's markdown note (trial.note); absent when none. Rendered sanitized: it is hostile like every string here. */
  readonly note?: string;
}

/**
 * Everything the views need about a study at one moment.
 *
 * Additions to version 1 are optional fields that a renderer without them can ignore and still
 * draw correctly what it drew before (`view`, `paramOrder`, `metricOrder`, `storage`, the
 * notes and attributes); the
 * version goes up only when an older renderer would misread a payload.
 */
export interface StudyPayload {
  readonly version: typeof PAYLOAD_VERSION;
  readonly study: {
    readonly name: string;
    readonly direction: Direction;
    readonly metric: string;
    readonly strategy: string;
    readonly space: SpaceDef;
    /**
     * The parameters in declared order. The order of `space`'s keys is not kept: nbformat sorts
     * a notebook's JSON keys when it is saved, so a reopened output would list them
     * alphabetically. Absent in outputs of older tunelab: the keys' order then.
     */
    readonly paramOrder?: readonly string[];
    /** The metrics other than the objective, in order of first appearance (same reason). */
    readonly metricOrder?: readonly string[];
    /** Where the study is stored; absent in outputs of older tunelab. */
    readonly storage?: StorageKind;
    /** The study's markdown note (study.note), shown at the panel's top; absent when none. */
    readonly note?: string;
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

/**
 * Builds the payload from a study snapshot; `storage` says where the study lives when the caller
 * knows it.
 *
 * @example toPayload(study.snapshot, false, Date.now(), "journal").study.paramOrder // ["lr", "layers", "opt"]
 */
export function toPayload(snapshot: StudySnapshot, running: boolean, now: number = Date.now(), storage?: StorageKind): StudyPayload {
  const spec = snapshot.spec;
  return {
    version: PAYLOAD_VERSION,
    study: {
      name: spec.name,
      direction: spec.direction,
      metric: spec.metric,
      strategy: spec.strategy.name,
      // The space as extended mid-study (study.extendSpace), so axes cover the widened ranges.
      space: snapshot.space ?? spec.space,
      paramOrder: Object.keys(spec.space),
      metricOrder: metricNames(snapshot.trials, spec.metric),
      ...(storage !== undefined ? { storage } : {}),
      ...(snapshot.note !== undefined ? { note: snapshot.note } : {}),
    },
    trials: snapshot.trials.map(toPayloadTrial),
    running,
    updatedAt: now,
  };
}

/** Metric names other than `objective`, in order of first appearance. */
function metricNames(trials: readonly FrozenTrial[], objective: string): string[] {
  const seen = new Set<string>();
  for (const t of trials) for (const k of Object.keys(t.metrics)) if (k !== objective) seen.add(k);
  return [...seen];
}

export function toPayloadTrial(t: FrozenTrial): PayloadTrial {
  const p: PayloadTrial = {
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
  // The user's record, only when there is one (most trials have none: no extra keys to send).
  return t.attrs === undefined && t.note === undefined ? p : { ...p, ...(t.attrs !== undefined ? { attrs: t.attrs } : {}), ...(t.note !== undefined ? { note: t.note } : {}) };
}
