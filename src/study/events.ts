import { errorText } from "../util/errors";
import type { FrozenTrial } from "../model/trial";

/** What a study publishes; the notebook views subscribe to these. */
export interface StudyEventMap {
  /** A trial was created and is running. */
  trialStarted: { readonly trial: FrozenTrial };
  /** A running trial reported intermediate values. */
  trialReported: { readonly trial: FrozenTrial; readonly step: number; readonly stop: boolean };
  /** A trial ended: complete, failed or pruned. */
  trialFinished: { readonly trial: FrozenTrial };
  /** `run()` ended. */
  studyFinished: { readonly reason: StopReason; readonly trials: number };
  /** The user's record changed: a trial's attribute or note (`trial`), or the study's note (no `trial`). */
  noted: { readonly trial?: FrozenTrial };
}

export type StudyEventName = keyof StudyEventMap;

export const STUDY_EVENT_NAMES: readonly StudyEventName[] = ["trialStarted", "trialReported", "trialFinished", "studyFinished", "noted"];

export function isStudyEventName(v: unknown): v is StudyEventName {
  return typeof v === "string" && (STUDY_EVENT_NAMES as readonly string[]).includes(v);
}

/** Why `run()` stopped. */
export type StopReason = "trials" | "time" | "target" | "patience" | "convergence" | "done" | "interrupted";

type Listener<K extends StudyEventName> = (event: StudyEventMap[K]) => void;

/**
 * A tiny synchronous event emitter. A listener that throws, or returns a
 * promise that rejects (an async listener), is reported on the console and
 * never breaks the study; whatever it threw is only read through errorText.
 */
export class StudyEvents {
  private readonly listeners: { [K in StudyEventName]?: Listener<K>[] } = {};

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends StudyEventName>(name: K, listener: Listener<K>): () => void {
    const list = (this.listeners[name] ??= [] as never) as Listener<K>[];
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  emit<K extends StudyEventName>(name: K, event: StudyEventMap[K]): void {
    const list = this.listeners[name] as Listener<K>[] | undefined;
    if (!list || list.length === 0) return;
    for (const l of [...list]) {
      try {
        const r: unknown = l(event);
        if (r !== undefined && r !== null && (typeof r === "object" || typeof r === "function")) watch(r, name);
      } catch (e) {
        warn(`a "${name}" listener threw: ${errorText(e)}`);
      }
    }
  }
}

/** Reports the rejection of a thenable a listener returned (else an unhandled rejection could end the process). */
function watch(r: object, name: string): void {
  const then = (r as { then?: unknown }).then; // may throw: emit reports it
  if (typeof then === "function") then.call(r, undefined, (e: unknown) => warn(`a "${name}" listener failed: ${errorText(e)}`));
}

/** A warning on the console that can't throw (a replaced console.warn may). */
export function warn(text: string): void {
  try {
    console.warn(`tunelab: ${text}`);
  } catch {
    // nowhere left to say it
  }
}
