import { Grid } from "../space/grid";
import type { SearchSpace } from "../space/space";
import { optSeed, readOptions } from "./options";
import type { ProposeContext, ProposeResult, Strategy } from "./strategy";

export interface GridOptions {
  readonly seed?: number;
}

/** The key of a trial's grid position in its `system` record. */
export const GRID_KEY = "grid";

/**
 * Grid search: every configuration of the grid exactly once, in the grid's
 * stable order, then done. Each trial records its grid position, so a study
 * resumed from storage, or shared by several processes, continues where it
 * stopped without repeating a configuration.
 *
 * The next position is the smallest one no trial holds. It is found from the
 * trials added since the last proposal when the snapshot is a storage replica
 * that only grew (no "sys" op since, the only kind that rewrites a trial's
 * record), so a proposal costs O(new trials), not O(trials) or O(grid).
 */
export class GridStrategy implements Strategy {
  readonly name = "grid";
  readonly grid: Grid;
  private taken?: TakenPositions;

  constructor(space: SearchSpace, options?: unknown) {
    const o = readOptions("options", options, ["seed"]);
    optSeed("options.seed", o["seed"]);
    this.grid = new Grid(space);
  }

  propose(ctx: ProposeContext): ProposeResult {
    const snap = ctx.snapshot;
    const trials = snap.trials;
    const sysOps = (snap as { readonly sysOps?: unknown }).sysOps;
    let t = this.taken;
    if (!t || t.trials !== trials || typeof sysOps !== "number" || t.sysOps !== sysOps || trials.length < t.scanned) {
      t = this.taken = { trials, sysOps, scanned: 0, next: 0, ahead: new Set() };
    }
    for (; t.scanned < trials.length; t.scanned++) take(t, trials[t.scanned]!.system[GRID_KEY]);
    if (t.next >= this.grid.size) return { done: true };
    return { params: this.grid.at(t.next), system: { [GRID_KEY]: t.next } };
  }
}

/** The grid positions the trials of one snapshot hold: all below `next`, and `ahead`. */
interface TakenPositions {
  readonly trials: readonly unknown[];
  readonly sysOps: unknown;
  /** Trials looked at so far. */
  scanned: number;
  /** The smallest position no trial holds. */
  next: number;
  /** Positions above `next` that trials hold (gaps come from trials taken out of order). */
  readonly ahead: Set<number>;
}

function take(t: TakenPositions, g: unknown): void {
  if (typeof g !== "number" || !Number.isSafeInteger(g) || g < t.next) return;
  if (g > t.next) {
    t.ahead.add(g);
    return;
  }
  t.next++;
  while (t.ahead.delete(t.next)) t.next++;
}
