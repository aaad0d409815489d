import { isBetter, type Direction, type FrozenTrial, type StudySnapshot } from "../model/trial";
import { STOPPED_KEY, stopCauseOf } from "../record/system";
import type { StopReason } from "./events";
import type { ResolvedLimits } from "./limits";
import { isRetryRequested } from "./retry";
import type { Study } from "./study";

/** Marks in a trial's system record why the engine stopped it. */
export { STOPPED_KEY };

/**
 * Which of the run's limits (trials, target, patience) the study has reached. Asked on every
 * pass of the run loop, so each count is kept up to date incrementally rather than recomputed
 * from every trial (which made a long study quadratic).
 */
export class LimitWatch {
  private readonly toward = new TowardLimit();
  private readonly patience = new SinceBest();

  constructor(
    private readonly study: Study,
    private readonly lim: ResolvedLimits,
  ) {}

  /** A new pass of the run loop (see TowardLimit.nextPass). */
  nextPass(): void {
    this.toward.nextPass();
  }

  /** Trials that count toward `limits.trials`. */
  count(): number {
    return this.toward.count(this.study.snapshot);
  }

  /**
   * Whether `snapshot` leaves room for another trial under `limits.trials`: asked inside the
   * write that would create it (Study.ask), on the state every worker sharing the storage has
   * written, so N workers together start `limits.trials` trials, not up to N - 1 more.
   * (An arrow made once per run: Study.ask keeps the guard it builds around it.)
   */
  readonly room = (snapshot: StudySnapshot): boolean => this.toward.countNow(snapshot) < this.lim.trials;

  /** The limit reached, if any; `ownRunning` is how many trials of this run are in flight. */
  reached(ownRunning: number): StopReason | undefined {
    const { study, lim } = this;
    if (lim.target !== undefined) {
      const best = study.best;
      if (best && best.value !== undefined && (best.value === lim.target || isBetter(study.direction, best.value, lim.target))) return "target";
    }
    if (Number.isFinite(lim.patience) && this.patience.since(study.snapshot, study.direction) >= lim.patience) return "patience";
    // Trials running in other processes are theirs to finish: only wait for our own.
    if (ownRunning === 0 && this.toward.count(study.snapshot) >= lim.trials) return "trials";
    return undefined;
  }
}

/** Stopped by an interrupt or the time limit, or lost to the infrastructure and run again (retry.ts): not counted. */
export function stoppedByRun(t: FrozenTrial): boolean {
  const s = stopCauseOf(t.system);
  return s === "interrupt" || s === "time" || isRetryRequested(t);
}

/**
 * Trials that count toward `limits.trials`: all but those the engine stopped for an
 * interrupt or the time limit. Asked on every pass of the run loop, so instead of reading
 * every trial's system record each time (quadratic in a long study) it remembers each
 * record it classified and looks again only at records that were replaced (records are
 * immutable: a change replaces the record), and, on a storage replica, only at new trials
 * while no "sys" operation (the only kind that changes a system record) was applied.
 */
class TowardLimit {
  private seen: FrozenTrial[] = [];
  private stopped: boolean[] = [];
  private nStopped = 0;
  private pass = 0;
  private countedPass = -1;
  private counted = 0;
  private trials: readonly FrozenTrial[] | undefined;
  private sysOps: number | undefined;

  /**
   * A new pass of the run loop. Within one pass nothing awaits, so the snapshot cannot
   * change between the two questions the loop asks (limitReached, then whether to start a
   * trial): the second gets the first's answer.
   */
  nextPass(): void {
    this.pass++;
  }

  count(snapshot: StudySnapshot): number {
    if (this.countedPass === this.pass) return this.counted;
    this.countedPass = this.pass;
    this.counted = this.scan(snapshot);
    return this.counted;
  }

  /** The count on `snapshot` now, whatever the pass (inside a write, on the state it holds). */
  countNow(snapshot: StudySnapshot): number {
    return this.scan(snapshot);
  }

  private scan(snapshot: StudySnapshot): number {
    const trials = snapshot.trials;
    if (trials.length < this.seen.length) {
      this.seen = [];
      this.stopped = [];
      this.nStopped = 0;
    }
    // A storage replica tells when a trial's system record may have changed (a "sys" op):
    // until then only the trials added since the last look need classifying.
    const sysOps = snapshot.sysOps;
    const from = sysOps !== undefined && trials === this.trials && sysOps === this.sysOps ? this.seen.length : 0;
    this.trials = trials;
    this.sysOps = sysOps;
    const seen = this.seen;
    for (let i = from; i < trials.length; i++) {
      const t = trials[i]!;
      if (t === seen[i]) continue;
      const s = stoppedByRun(t);
      if (i < seen.length) {
        if (s !== this.stopped[i]) this.nStopped += s ? 1 : -1;
      } else if (s) {
        this.nStopped++;
      }
      seen[i] = t;
      this.stopped[i] = s;
    }
    return trials.length - this.nStopped;
  }
}

/**
 * What `limits.patience` counts: finished trials in a row, in the order they finished, since
 * the best complete one. Only a running trial can finish and a finished record never changes
 * again, so each pass looks only at the trials that were running last time and at new ones;
 * a trial that finishes later than the last one counted (the usual case) updates the count
 * in place, and only one stamped earlier (another process's clock) sorts them all again.
 */
class SinceBest {
  private trials: readonly FrozenTrial[] | undefined;
  private seenLength = 0;
  private open: number[] = [];
  private finished: FrozenTrial[] = [];
  private best: number | undefined;
  private sinceBest = 0;

  /** The count, or -1 while no trial is complete (patience waits for a best). */
  since(snapshot: StudySnapshot, direction: Direction): number {
    const trials = snapshot.trials;
    if (trials !== this.trials || trials.length < this.seenLength) this.reset(trials);
    let fresh: FrozenTrial[] | undefined;
    const stillOpen: number[] = [];
    const look = (i: number) => {
      const t = trials[i]!;
      if (t.state !== "running" && t.finishedAt !== undefined) (fresh ??= []).push(t);
      else stillOpen.push(i);
    };
    for (const i of this.open) look(i);
    for (let i = this.seenLength; i < trials.length; i++) look(i);
    this.open = stillOpen;
    this.seenLength = trials.length;
    if (fresh) this.add(fresh.sort(byFinish), direction);
    return this.best === undefined ? -1 : this.sinceBest;
  }

  private reset(trials: readonly FrozenTrial[]): void {
    this.trials = trials;
    this.seenLength = 0;
    this.open = [];
    this.finished = [];
    this.best = undefined;
    this.sinceBest = 0;
  }

  private add(fresh: FrozenTrial[], direction: Direction): void {
    const last = this.finished[this.finished.length - 1];
    if (last !== undefined && byFinish(fresh[0]!, last) < 0) {
      this.finished = this.finished.concat(fresh).sort(byFinish);
      this.best = undefined;
      this.sinceBest = 0;
      fresh = this.finished;
    } else {
      for (const t of fresh) this.finished.push(t);
    }
    for (const t of fresh) {
      if (t.state === "complete" && t.value !== undefined && (this.best === undefined || isBetter(direction, t.value, this.best))) {
        this.best = t.value;
        this.sinceBest = 0;
      } else this.sinceBest++;
    }
  }
}

function byFinish(a: FrozenTrial, b: FrozenTrial): number {
  return a.finishedAt! - b.finishedAt! || a.number - b.number;
}
