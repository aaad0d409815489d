import type { Study } from "../study/study";
import { toPayload, type StorageKind, type StudyPayload } from "../views/payload";

/**
 * The payload of a study shown in the notebook, saying where the study is stored (the panel
 * offers "Open in tab" only for a study the study browser can find: one in a journal on disk).
 *
 * @example studyPayload(study, true).study.storage // "journal"
 */
export function studyPayload(study: Study, running: boolean): StudyPayload {
  return toPayload(study.snapshot, running, Date.now(), storageKind(study.storage.kind));
}

function storageKind(kind: string | undefined): StorageKind {
  return kind === "journal" || kind === "memory" ? kind : "other";
}
