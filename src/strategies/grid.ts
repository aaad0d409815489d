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
 */
export class GridStrategy implements Strategy {
  readonly name = "grid";
  readonly grid: Grid;

  constructor(space: SearchSpace, options?: unknown) {
    const o = readOptions("options", options, ["seed"]);
    optSeed("options.seed", o["seed"]);
    this.grid = new Grid(space);
  }

  propose(ctx: ProposeContext): ProposeResult {
    const trials = ctx.snapshot.trials;
    // Positions are taken in order, so the next one is usually trials-many;
    // gaps only appear when trials came from elsewhere (enqueued configs).
    const taken = new Uint8Array(Math.min(this.grid.size, trials.length + 1));
    for (const t of trials) {
      const g = t.system[GRID_KEY];
      if (typeof g === "number" && g < taken.length) taken[g] = 1;
    }
    let next = 0;
    while (next < taken.length && taken[next]) next++;
    if (next >= this.grid.size) return { done: true };
    return { params: this.grid.at(next), system: { [GRID_KEY]: next } };
  }
}
