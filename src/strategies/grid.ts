import { Grid } from "../space/grid";
import { gridValue } from "../space/encoding";
import type { SearchSpace } from "../space/space";
import type { Config } from "../space/types";
import { GRID_KEY, GRID_SPACE_KEY } from "../record/system";
import type { StudySnapshot } from "../model/trial";
import { FreePosition } from "../util/positions";
import { optSeed, readOptions } from "./options";
import type { PriorTrial, ProposeContext, ProposeResult, Strategy } from "./strategy";

export interface GridOptions {
  readonly seed?: number;
}

/** The key of a trial's grid position in its `system` record. */
export { GRID_KEY };

/**
 * Grid search: every configuration of the grid exactly once, in the grid's
 * stable order, then done. Each trial records its grid position, so a study
 * resumed from storage, or shared by several processes, continues where it
 * stopped without repeating a configuration.
 *
 * The next position is the smallest one no trial holds (util/positions.ts:
 * read from the trials added since the last proposal, so a proposal costs
 * O(new trials), not O(trials) or O(grid)).
 *
 * After the space was extended (study.extendSpace), positions are those of the new grid,
 * recorded with the space version (`gridSpace`), and the grid skips every point a trial of an
 * earlier version ran (or an enqueued trial, or, warm-started "identical", a parent): so it
 * runs the new points and the old ones not yet run, never an old one again. Widenings keep
 * the old values on the grid (src/space/extend.ts), so "the same point" is exact.
 */
export class GridStrategy implements Strategy {
  readonly name = "grid";
  readonly grid: Grid;
  private readonly free = new FreePosition(GRID_KEY);
  private skipping: GridSkip | undefined;

  constructor(private readonly space: SearchSpace, options?: unknown) {
    const o = readOptions("options", options, ["seed"]);
    optSeed("options.seed", o["seed"]);
    this.grid = new Grid(space);
  }

  propose(ctx: ProposeContext): ProposeResult {
    const version = ctx.snapshot.spaceVersion ?? 0;
    // "transfer" parents ran another objective: the grid still runs every point.
    const prior = ctx.prior?.type === "identical" ? ctx.prior.trials : undefined;
    if (version === 0 && !prior) {
      const next = this.free.next(ctx.snapshot);
      if (next >= this.grid.size) return { done: true };
      return { params: this.grid.at(next), system: { [GRID_KEY]: next } };
    }
    if (this.skipping?.version !== version) this.skipping = new GridSkip(this.space, this.grid, version);
    const next = this.skipping.next(ctx.snapshot, prior);
    if (next === undefined) return { done: true };
    return { params: this.grid.at(next), system: version === 0 ? { [GRID_KEY]: next } : { [GRID_KEY]: next, [GRID_SPACE_KEY]: version } };
  }
}

/**
 * The next grid position of one space version that no trial of that version holds and whose
 * point no other trial (nor a parent) ran. Incremental, as FreePosition: `cursor` is a position
 * below which every point is taken or skipped, valid while the snapshot only grew.
 */
class GridSkip {
  private readonly free: FreePosition;
  private readonly seen = new Set<string>();
  private trials?: readonly unknown[];
  private scanned = 0;
  private priorScanned?: readonly PriorTrial[];
  private cursor = 0;

  constructor(
    private readonly space: SearchSpace,
    private readonly grid: Grid,
    readonly version: number,
  ) {
    this.free = new FreePosition(GRID_KEY, version === 0 ? undefined : (s) => s[GRID_SPACE_KEY] === version);
  }

  next(snapshot: StudySnapshot, prior: readonly PriorTrial[] | undefined): number | undefined {
    const trials = snapshot.trials;
    if (trials !== this.trials || trials.length < this.scanned) {
      this.trials = trials;
      this.scanned = 0;
      this.cursor = 0;
      this.seen.clear();
      this.priorScanned = undefined;
    }
    if (prior && prior !== this.priorScanned) {
      for (const t of prior) this.seen.add(this.key(t.params));
      this.priorScanned = prior;
    }
    for (; this.scanned < trials.length; this.scanned++) {
      const t = trials[this.scanned]!;
      if (this.version !== 0 && t.system[GRID_SPACE_KEY] === this.version) continue;
      // Trials of this version hold their position; any other one ran its point.
      if (this.version !== 0 || typeof t.system[GRID_KEY] !== "number") this.seen.add(this.key(t.params));
    }
    const p = this.free.nextUsable(snapshot, this.grid.size, (i) => !this.seen.has(this.key(this.grid.at(i))), this.cursor);
    if (p !== undefined) this.cursor = p;
    return p;
  }

  /**
   * Equal for configurations at the same grid point: categorical values as they are, numbers
   * by their step index (exact, whatever rounding the values went through); a value off the
   * grid gets a key no grid point has.
   */
  private key(config: Readonly<Config>): string {
    let k = "";
    for (const p of this.space.params) {
      if (!(p.name in config)) {
        k += "-,";
        continue;
      }
      const v = config[p.name];
      if (p.type === "categorical" || typeof v !== "number") {
        k += JSON.stringify(v) + ",";
        continue;
      }
      const i = Math.round((v - p.low) / p.step!);
      k += (i >= 0 && Math.abs(gridValue(p, i) - v) <= 1e-9 * Math.max(1, Math.abs(v)) ? String(i) : "x") + ",";
    }
    return k;
  }
}
