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
}

export type StudyEventName = keyof StudyEventMap;

/** Why `run()` stopped. */
export type StopReason = "trials" | "time" | "target" | "patience" | "done" | "interrupted";

type Listener<K extends StudyEventName> = (event: StudyEventMap[K]) => void;

/** A tiny synchronous event emitter; a throwing listener is reported, never breaks the study. */
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
        l(event);
      } catch (e) {
        console.warn(`tunelab: a "${name}" listener threw:`, e);
      }
    }
  }
}
