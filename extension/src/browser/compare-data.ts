/**
 * Studies side by side as plain data (the compare tab draws it): each study's best-so-far
 * by trial number and by wall time since its first trial started, overlaid, and one trial
 * table with a study column. Best-so-far lines keep only the points where the best changes
 * (plus the last trial), so 50,000-trial studies overlay as a few hundred points.
 *
 *   const d = compareData([{ label: "a", snapshot: replicaA }, { label: "b", snapshot: replicaB }]);
 *   d.byTrial; d.byTime; d.rows.length;
 */
import { isBetter, type StudySnapshot, type TrialState } from "../../../src/model/trial";
import { formatParams } from "../../../src/views";

export interface CompareInput {
  /** What tells the study apart in legends and the study column (its name, or name and folder). */
  readonly label: string;
  readonly snapshot: StudySnapshot;
}

/** One point of a best-so-far line: `x` is the trial number or seconds since the study began. */
export interface BestPoint {
  readonly study: string;
  readonly x: number;
  readonly best: number;
}

export interface CompareRow {
  readonly study: string;
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  /** Seconds the trial ran, or null while it runs. */
  readonly seconds: number | null;
  /** "lr=0.01, opt=adam" (text only), in the space's declared order. */
  readonly params: string;
}

export interface CompareData {
  readonly byTrial: readonly BestPoint[];
  readonly byTime: readonly BestPoint[];
  readonly rows: readonly CompareRow[];
  /** The studies' metrics and directions differ: the overlay compares unlike things. */
  readonly mixed: boolean;
  readonly metric: string;
}

export function compareData(inputs: readonly CompareInput[]): CompareData {
  const byTrial: BestPoint[] = [];
  const byTime: BestPoint[] = [];
  const rows: CompareRow[] = [];
  const kinds = new Set(inputs.map((i) => `${i.snapshot.spec.direction} ${i.snapshot.spec.metric}`));
  for (const { label, snapshot } of inputs) {
    const dir = snapshot.spec.direction;
    const trials = snapshot.trials;
    const names = Object.keys(snapshot.spec.space);
    let start = Infinity;
    for (const t of trials) if (t.startedAt < start) start = t.startedAt;
    // By trial number.
    let best: number | undefined;
    let lastNumber = -1;
    for (const t of trials) {
      lastNumber = Math.max(lastNumber, t.number);
      rows.push({
        study: label,
        number: t.number,
        state: t.state,
        value: typeof t.value === "number" && Number.isFinite(t.value) ? t.value : null,
        seconds: t.finishedAt !== undefined ? Math.max(0, (t.finishedAt - t.startedAt) / 1000) : null,
        params: formatParams(t.params, names, snapshot.spec.space),
      });
      if (!isCompleteValue(t)) continue;
      if (best === undefined || isBetter(dir, t.value!, best)) {
        best = t.value!;
        byTrial.push({ study: label, x: t.number, best });
      }
    }
    if (best !== undefined && byTrial[byTrial.length - 1]!.x < lastNumber) byTrial.push({ study: label, x: lastNumber, best });
    // By wall time: in the order trials finished.
    const done = trials.filter(isCompleteValue).sort((a, b) => a.finishedAt! - b.finishedAt!);
    best = undefined;
    let lastX = 0;
    for (const t of done) {
      lastX = (t.finishedAt! - start) / 1000;
      if (best === undefined || isBetter(dir, t.value!, best)) {
        best = t.value!;
        byTime.push({ study: label, x: lastX, best });
      }
    }
    if (best !== undefined && byTime[byTime.length - 1]!.x < lastX) byTime.push({ study: label, x: lastX, best });
  }
  return { byTrial, byTime, rows, mixed: kinds.size > 1, metric: inputs[0]?.snapshot.spec.metric ?? "" };
}

function isCompleteValue(t: StudySnapshot["trials"][number]): boolean {
  return t.state === "complete" && typeof t.value === "number" && Number.isFinite(t.value) && typeof t.finishedAt === "number";
}

/** Labels for studies: the name, with the file's folder added where two share a name. */
export function studyLabels(entries: readonly { name: string; folder: string }[]): string[] {
  const count = new Map<string, number>();
  for (const e of entries) count.set(e.name, (count.get(e.name) ?? 0) + 1);
  return entries.map((e) => ((count.get(e.name) ?? 0) > 1 ? `${e.name} (${e.folder || "/"})` : e.name));
}
