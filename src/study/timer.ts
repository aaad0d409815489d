/**
 * The longest delay setTimeout honours (2^31-1 ms, about 24.8 days): Node and
 * browsers fire a longer one after 1 ms instead.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A timeout from setLongTimeout. */
export type LongTimeout = ReturnType<typeof setTimeout> | ChainedTimeout;

/**
 * setTimeout for any delay: up to MAX_TIMER_MS it is setTimeout itself; a
 * longer delay (`limits.seconds: 1e10`) is waited in steps of at most that.
 */
export function setLongTimeout(fn: () => void, ms: number): LongTimeout {
  return ms <= MAX_TIMER_MS ? setTimeout(fn, ms) : new ChainedTimeout(fn, ms);
}

export function clearLongTimeout(t: LongTimeout | undefined): void {
  if (t instanceof ChainedTimeout) t.clear();
  else if (t !== undefined) clearTimeout(t);
}

class ChainedTimeout {
  private handle: ReturnType<typeof setTimeout> | undefined;

  constructor(fn: () => void, ms: number) {
    this.arm(fn, ms);
  }

  private arm(fn: () => void, left: number): void {
    const step = Math.min(left, MAX_TIMER_MS);
    this.handle = setTimeout(() => (left > step ? this.arm(fn, left - step) : fn()), step);
  }

  clear(): void {
    clearTimeout(this.handle);
  }
}
