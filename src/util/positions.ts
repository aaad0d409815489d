/** What FreePosition reads of a study snapshot (structurally: util imports nothing). */
interface TrialsSnapshot {
  readonly trials: readonly { readonly system: Readonly<Record<string, unknown>> }[];
}

/**
 * The smallest position (an integer >= 0) that no trial of a study holds under one key of
 * its `system` record: the next grid position, the next enqueued configuration.
 *
 * Kept up to date from the trials added since the last call while the snapshot is a storage
 * replica that only grew: the same trials array, and the same count of "sys" operations
 * (`sysOps`, the only operations that rewrite an existing trial's record). Otherwise every
 * trial is read again. So a call costs O(new trials), not O(trials), in a long study.
 *
 * @example
 * const free = new FreePosition("grid");
 * free.next(snapshot); // 0 for a new study
 */
export class FreePosition {
  private trials?: readonly unknown[];
  private sysOps: unknown;
  /** Trials read so far. */
  private scanned = 0;
  /** The smallest position no trial read so far holds. */
  private free = 0;
  /** Positions above `free` that trials hold (gaps come from positions taken out of order). */
  private readonly ahead = new Set<number>();

  /** `holds`: whether a trial's record counts (absent: every trial's does). */
  constructor(
    private readonly key: string,
    private readonly holds?: (system: Readonly<Record<string, unknown>>) => boolean,
  ) {}

  next(snapshot: TrialsSnapshot): number {
    const trials = snapshot.trials;
    const sysOps = (snapshot as { readonly sysOps?: unknown }).sysOps;
    if (trials !== this.trials || typeof sysOps !== "number" || sysOps !== this.sysOps || trials.length < this.scanned) {
      this.trials = trials;
      this.sysOps = sysOps;
      this.scanned = 0;
      this.free = 0;
      this.ahead.clear();
    }
    const holds = this.holds;
    for (; this.scanned < trials.length; this.scanned++) {
      const system = trials[this.scanned]!.system;
      if (holds === undefined || holds(system)) this.take(system[this.key]);
    }
    return this.free;
  }

  /**
   * The smallest free position below `end` that `usable` accepts (a queue position a damaged
   * journal lost has no configuration to run), or undefined. Usually `next()` itself: the loop
   * only walks past unusable positions, which are rare.
   */
  nextUsable(snapshot: TrialsSnapshot, end: number, usable: (position: number) => boolean, from = 0): number | undefined {
    // `from`: the caller knows every position below it is taken or unusable.
    for (let i = Math.max(this.next(snapshot), from); i < end; i++) {
      if (!this.ahead.has(i) && usable(i)) return i;
    }
    return undefined;
  }

  private take(g: unknown): void {
    if (typeof g !== "number" || !Number.isSafeInteger(g) || g < this.free) return;
    if (g > this.free) {
      this.ahead.add(g);
      return;
    }
    this.free++;
    while (this.ahead.delete(this.free)) this.free++;
  }
}
