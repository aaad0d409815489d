import { Grid } from "../space/grid";
import type { SearchSpace } from "../space/space";
import { FreePosition } from "../util/positions";
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
 * The next position is the smallest one no trial holds (util/positions.ts:
 * read from the trials added since the last proposal, so a proposal costs
 * O(new trials), not O(trials) or O(grid)).
 */
export class GridStrategy implements Strategy {
  readonly name = "grid";
  readonly grid: Grid;
  private readonly free = new FreePosition(GRID_KEY);

  constructor(space: SearchSpace, options?: unknown) {
    const o = readOptions("options", options, ["seed"]);
    optSeed("options.seed", o["seed"]);
    this.grid = new Grid(space);
  }

  propose(ctx: ProposeContext): ProposeResult {
    const next = this.free.next(ctx.snapshot);
    if (next >= this.grid.size) return { done: true };
    return { params: this.grid.at(next), system: { [GRID_KEY]: next } };
  }
}
