/**
 * What the sidebar says about one journal: name, strategy, trials by state, the best value
 * and whether the study is still running, or why the file can't be shown; and the payload the
 * study views draw (the same toPayload the kernel uses, from the replica read in the browser).
 */
import { isBetter, type Direction, type TrialState } from "../../../src/model/trial";
import { toPayload, type StudyPayload } from "../../../src/views";
import type { StudyEntry } from "./study-files";

/**
 * A study with running trials whose file has not changed for this long is shown as "stalled"
 * (its process probably died) rather than "running".
 */
export const STALE_MS = 10 * 60 * 1000;

export type EntryStatus = "running" | "stalled" | "finished" | "empty" | "error";

export interface EntrySummary {
  readonly path: string;
  readonly folder: string;
  /** The study's name, or the file's name when the file can't be read. */
  readonly name: string;
  readonly strategy: string;
  readonly direction: Direction | null;
  readonly metric: string;
  readonly trials: number;
  readonly counts: Readonly<Record<TrialState, number>>;
  readonly best: { readonly number: number; readonly value: number } | null;
  readonly status: EntryStatus;
  readonly running: boolean;
  readonly modified: number;
  /** Why the file can't be shown (status "error"). */
  readonly error: string | null;
  /** Lines skipped, and the first few reasons. */
  readonly skipped: number;
  readonly warnings: readonly string[];
}

export function summarizeEntry(e: StudyEntry, now: number): EntrySummary {
  const counts: Record<TrialState, number> = { running: 0, complete: 0, failed: 0, pruned: 0 };
  const r = e.reader.replica;
  const fileName = e.path.slice(e.path.lastIndexOf("/") + 1);
  const error = e.reader.error?.message ?? e.fetchError ?? (r ? null : e.size === 0 ? null : "the file has no complete first record yet.");
  let best: { number: number; value: number } | null = null;
  if (r) {
    const dir = r.spec.direction;
    for (const t of r.trials) {
      counts[t.state]++;
      if (t.state === "complete" && typeof t.value === "number" && Number.isFinite(t.value) && (!best || isBetter(dir, t.value, best.value))) {
        best = { number: t.number, value: t.value };
      }
    }
  }
  const trials = r?.trials.length ?? 0;
  const running = counts.running > 0 && now - e.modified < STALE_MS;
  const status: EntryStatus = error && !r ? "error" : counts.running > 0 ? (running ? "running" : "stalled") : trials === 0 ? "empty" : "finished";
  return {
    path: e.path,
    folder: e.folder,
    name: clip(r?.spec.name ?? fileName),
    strategy: clip(r?.spec.strategy.name ?? ""),
    direction: r?.spec.direction ?? null,
    metric: clip(r?.spec.metric ?? ""),
    trials,
    counts,
    best,
    status,
    running,
    modified: e.modified,
    error: error && !r ? error : null,
    skipped: e.reader.skipped,
    warnings: e.reader.warnings,
  };
}

/** Names from a file are shown whole up to this length (a crafted one may be megabytes). */
const MAX_SHOWN = 300;

function clip(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN - 1)}…` : text;
}

/** The views' payload for an entry that has a study (null otherwise). */
export function entryPayload(e: StudyEntry, now = Date.now()): StudyPayload | null {
  const r = e.reader.replica;
  if (!r) return null;
  const running = r.trials.some((t) => t.state === "running") && now - e.modified < STALE_MS;
  return toPayload(r, running, now, "journal");
}
