import { isBetter, type Direction, type FrozenTrial, type StudySnapshot } from "../model/trial";
import { STOPPED_KEY, stopCauseOf } from "../record/system";
import { judgeConvergence, type ConvergenceSettings, type ConvergenceVerdict } from "../strategies/convergence";
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
  private readonly order = new FinishOrder();
  private readonly convergence?: ConvergenceWatch;
  /** Why the last criterion that was reached holds, in words (for the run's summary). */
  detail?: string;

  constructor(
    private readonly study: Study,
    private readonly lim: ResolvedLimits,
  ) {
    if (lim.convergence) this.convergence = new ConvergenceWatch(lim.convergence);
  }

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
    if (Number.isFinite(lim.patience) || this.convergence) this.order.update(study.snapshot, study.direction);
    if (Number.isFinite(lim.patience) && patienceReached(this.order, lim, study.direction)) {
      const k = this.order.finished.length;
      const [ref, cur] = [this.order.bestAt[k - lim.patience]!, this.order.bestAt[k]!];
      const last = `the last ${lim.patience} finished trial${lim.patience === 1 ? "" : "s"}`;
      const least = [lim.minImprovement > 0 ? `${round(lim.minImprovement * 100)}%` : "", lim.minDelta > 0 ? round(lim.minDelta) : ""].filter(Boolean).join(" or ");
      this.detail = least
        ? `the best moved from ${round(ref)} to ${round(cur)} over ${last}, less than ${least}`
        : `the best (${round(cur)}) did not improve over ${last}`;
      return "patience";
    }
    const verdict = this.convergence?.judge(this.order, study);
    if (verdict?.converged) {
      this.detail = `${verdict.rule === "regret-bound" ? "GP regret bound" : "forecast improvement"} ${round(verdict.expected)} <= tolerance ${round(verdict.tolerance)} after ${verdict.trials} complete trials`;
      return "convergence";
    }
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
 * The finished trials in the order they finished, with the best value after each: what
 * `limits.patience` and `limits.convergence` read. Only a running trial can finish and a
 * finished record never changes again, so each pass looks only at the trials that were running
 * last time and at new ones; a trial that finishes later than the last one counted (the usual
 * case) is appended, and only one stamped earlier (another process's clock) sorts them again.
 */
export class FinishOrder {
  private trials: readonly FrozenTrial[] | undefined;
  private seenLength = 0;
  private open: number[] = [];
  /** Finished trials, by finishedAt then number. */
  readonly finished: FrozenTrial[] = [];
  /** bestAt[k]: the best complete value among the first k finished trials (NaN: none yet). */
  readonly bestAt: number[] = [NaN];
  /** Changes whenever `finished` does. */
  version = 0;

  update(snapshot: StudySnapshot, direction: Direction): void {
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
  }

  private reset(trials: readonly FrozenTrial[]): void {
    this.trials = trials;
    this.seenLength = 0;
    this.open = [];
    this.finished.length = 0;
    this.bestAt.length = 1;
    this.version++;
  }

  private add(fresh: FrozenTrial[], direction: Direction): void {
    this.version++;
    const last = this.finished[this.finished.length - 1];
    if (last !== undefined && byFinish(fresh[0]!, last) < 0) {
      const all = this.finished.concat(fresh).sort(byFinish);
      this.finished.length = 0;
      this.bestAt.length = 1;
      fresh = all;
    }
    for (const t of fresh) {
      this.finished.push(t);
      const best = this.bestAt[this.bestAt.length - 1]!;
      const better = t.state === "complete" && t.value !== undefined && (Number.isNaN(best) || isBetter(direction, t.value, best));
      this.bestAt.push(better ? t.value! : best);
    }
  }
}

/**
 * `limits.patience` on the finished trials: with k of them, whether b(k - patience) exists and
 * b(k) does not improve on it by at least max(minImprovement × |b(k - patience)|, minDelta)
 * (any strict improvement when both are 0). See PatienceOptions.
 */
export function patienceReached(order: FinishOrder, lim: ResolvedLimits, direction: Direction): boolean {
  const k = order.finished.length;
  if (k - lim.patience < 1) return false;
  const ref = order.bestAt[k - lim.patience]!;
  if (Number.isNaN(ref)) return false;
  const cur = order.bestAt[k]!;
  if (!isBetter(direction, cur, ref)) return true;
  return Math.abs(cur - ref) < Math.max(lim.minImprovement * Math.abs(ref), lim.minDelta);
}

/** `limits.convergence`, judged again only when a trial has finished since the last verdict. */
class ConvergenceWatch {
  private version = -1;
  verdict: ConvergenceVerdict | undefined;

  constructor(private readonly settings: ConvergenceSettings) {}

  judge(order: FinishOrder, study: Study): ConvergenceVerdict | undefined {
    if (order.version === this.version) return this.verdict;
    this.version = order.version;
    const complete = order.finished.filter((t) => t.state === "complete" && t.value !== undefined && Number.isFinite(t.value));
    if (this.verdict && complete.length === this.verdict.trials) return this.verdict;
    this.verdict = judgeConvergence(this.settings, complete, {
      direction: study.direction,
      space: study.space,
      strategy: study.strategy.name,
      seed: study.seed,
      all: study.snapshot.trials,
    });
    return this.verdict;
  }
}

function byFinish(a: FrozenTrial, b: FrozenTrial): number {
  return a.finishedAt! - b.finishedAt! || a.number - b.number;
}

function round(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
