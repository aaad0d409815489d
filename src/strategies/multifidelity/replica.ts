import type { FrozenTrial, StudySnapshot } from "../../model/trial";

/**
 * Something derived from one storage replica's trials and kept up to date instead of
 * recomputed by a pass over every trial at each decision (the rung index, the tracker of
 * complete trials). A replica holds trial n at position n of its `trials` array, which only
 * grows except when a write is taken back; a trial already read changes only when the
 * replica's `systemLog` names it (a write taken back is logged too). So each look re-reads
 * the trials added, the positions taken away, the logged ones, and whatever `watched()` adds.
 *
 * A snapshot whose trials are not at the positions of their numbers (never a replica's) makes
 * the follower irregular for good: its answers would be about the wrong trials, so callers
 * then do the pass.
 */
const NONE: readonly number[] = [];

export abstract class ReplicaFollower {
  /** Positions read. */
  private count = 0;
  /** `systemLog` entries read. */
  private logRead = 0;
  /** False once a trial was found away from the position of its number. */
  regular = true;

  constructor(readonly trials: readonly FrozenTrial[]) {}

  /**
   * Trial `n`'s record may have changed since it was last read, or it is new (`first`: the
   * follower's first look), or it is gone (`trial` undefined: a write taken back).
   */
  protected abstract reread(n: number, trial: FrozenTrial | undefined, first: boolean): void;

  /** Trials to re-read at every look besides the logged ones (none unless overridden). */
  protected watched(): Iterable<number> {
    return NONE;
  }

  /** Brings the follower up to date with its trials array and `log` (which only grows). */
  update(log: readonly number[]): void {
    if (!this.regular) return;
    const trials = this.trials;
    const first = this.count === 0 && this.logRead === 0;
    // (A trial both watched and logged is read twice: reading is idempotent.)
    for (const n of this.watched()) if (n < this.count && n < trials.length) this.read(n, false);
    for (; this.logRead < log.length; this.logRead++) {
      const n = log[this.logRead]!;
      if (n < this.count && n < trials.length) this.read(n, false);
    }
    // A write taken back may have taken trials away.
    for (; this.count > trials.length; this.count--) this.reread(this.count - 1, undefined, false);
    for (; this.count < trials.length && this.regular; this.count++) this.read(this.count, first);
  }

  private read(n: number, first: boolean): void {
    const t = this.trials[n];
    if (t === undefined || t.number !== n) {
      this.regular = false;
      return;
    }
    this.reread(n, t, first);
  }
}

/**
 * The up-to-date follower of a storage replica in `followers` (keyed by the replica's system
 * log, so one per replica, gone with it), made by `make` the first time or when the snapshot's
 * trials array is another one; undefined for a snapshot that is not a replica's (no
 * `systemLog`: a hand-made snapshot, a view) or an irregular one: the caller then does the pass.
 */
export function followerOf<F extends ReplicaFollower>(
  snapshot: StudySnapshot,
  followers: WeakMap<readonly number[], F>,
  make: (trials: readonly FrozenTrial[]) => F,
): F | undefined {
  const log = snapshot.systemLog;
  if (log === undefined) return undefined;
  let f = followers.get(log);
  if (f === undefined || f.trials !== snapshot.trials) {
    f = make(snapshot.trials);
    followers.set(log, f);
  }
  f.update(log);
  return f.regular ? f : undefined;
}
