// Runs a copy of notebooks/quickstart.ipynb in a real tslab kernel, importing the built package
// as "tunelab" exactly as a user's notebook does.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  REPO_ROOT,
  cellStreamText,
  executeNotebook,
  failedCells,
  makeRepoTempDir,
  removeDir,
  streamText,
  type Notebook,
} from "../helpers/jupyter";

const BRANIN_MIN = 0.397887;

function branin(x: number, y: number): number {
  const b = 5.1 / (4 * Math.PI ** 2), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
  return (y - b * x ** 2 + c * x - 6) ** 2 + 10 * (1 - t) * Math.cos(x) + 10;
}

describe("notebooks/quickstart.ipynb", () => {
  let dir: string;
  let nb: Notebook;

  beforeAll(async () => {
    dir = makeRepoTempDir("quickstart");
    const copy = path.join(dir, "quickstart.ipynb");
    fs.copyFileSync(path.join(REPO_ROOT, "notebooks", "quickstart.ipynb"), copy);
    nb = await executeNotebook(copy, { timeoutMs: 150_000 }); // throws on any failed cell
  }, 180_000);
  afterAll(() => removeDir(dir));

  it("runs every cell without errors or stderr", () => {
    expect(failedCells(nb)).toEqual([]);
    expect(streamText(nb, "stderr")).toBe("");
    const codeCells = nb.cells.filter((c) => c.cell_type === "code");
    expect(codeCells.every((c) => (c.metadata["harness"] as { status: string }).status === "ok")).toBe(true);
  });

  it("computes Branin's minimum in the objective cell", () => {
    const index = nb.cells.findIndex((c) => c.id === "branin");
    expect(Number(cellStreamText(nb, index, "stdout"))).toBeCloseTo(BRANIN_MIN, 6);
  });

  it("runs 60 complete trials and finds a good, consistent best trial", () => {
    const out = streamText(nb, "stdout");
    expect(out).toContain("stopped (trials) after 60 trials");
    expect(out).toContain("complete trials: 60");

    const best = /best loss (\S+) at trial (\d+)\n\{ x: (\S+), y: (\S+) \}/.exec(out);
    expect(best, out).not.toBeNull();
    const [value, trial, x, y] = best!.slice(1).map(Number) as [number, number, number, number];
    expect(Number.isFinite(value)).toBe(true);
    // Random search on Branin with 60 trials: the best is below 4.5 for every one of 300 seeds
    // tried (median 1.06); seed 7 gives 2.09. A broken engine (wrong direction, stuck sampler,
    // values not recorded) lands far above.
    expect(value).toBeLessThan(5);
    expect(value).toBeGreaterThanOrEqual(BRANIN_MIN - 1e-6);
    expect(trial).toBeGreaterThanOrEqual(0);
    expect(trial).toBeLessThan(60);
    expect(x).toBeGreaterThanOrEqual(-5);
    expect(x).toBeLessThanOrEqual(10);
    expect(y).toBeGreaterThanOrEqual(0);
    expect(y).toBeLessThanOrEqual(15);
    expect(branin(x, y)).toBeCloseTo(value, 9); // the best value belongs to the best params
  });

  it("lists the five best trials, in order", () => {
    const index = nb.cells.findIndex((c) => c.id === "top");
    const rows = cellStreamText(nb, index, "stdout")
      .split("\n")
      .filter((l) => /^│ \d/.test(l))
      .map((l) => l.split("│").map((s) => s.trim()));
    expect(rows).toHaveLength(5);
    const losses = rows.map((r) => Number(r[5]));
    expect([...losses].sort((a, b) => a - b)).toEqual(losses);
  });
});
