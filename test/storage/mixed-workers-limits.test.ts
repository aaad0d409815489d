// limits.trials counts every worker's trials: several handles on one storage (each with its own
// replica, as separate processes have), each running the study with its own parallelism, start
// exactly limits.trials trials between them. Each handle's own count lags what the others wrote
// since its last write; the limit is checked inside the write that creates a trial, on the
// state every worker has written. (On the old code the total overshot by up to the number of
// trials in flight elsewhere.)
import fc from "fast-check";
import * as fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { JournalStorage } from "../../src/storage/journal";
import { openStorage } from "../../src/storage/open";
import type { Storage } from "../../src/storage/storage";
import { runStudy } from "../../src/study/runner";
import { Study } from "../../src/study/study";
import { testDatabase } from "../helpers/postgres";
import { tempDir } from "./workers/build";

const SPACE = { x: { type: "float", low: 0, high: 1 } } as const;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs one worker per entry of `parallel` on its own storage handle; returns the study as a fresh handle reads it. */
async function shareLimit(storages: Storage[], parallel: readonly number[], trials: number, delays: readonly number[]): Promise<{ reasons: string[]; states: string[]; started: number }> {
  const studies = await Promise.all(storages.map((storage) => Study.open({ name: "shared", space: SPACE, direction: "minimize", seed: 1, storage })));
  let calls = 0;
  const summaries = await Promise.all(
    studies.map((study, w) =>
      runStudy(
        study,
        async (p: { x: number }) => {
          await new Promise((r) => setTimeout(r, delays[calls++ % delays.length]!));
          return p.x;
        },
        { trials, parallel: parallel[w]! },
        { handleSigint: false },
      ),
    ),
  );
  const fresh = await studies[0]!.refresh();
  return { reasons: summaries.map((s) => s.reason), states: fresh.trials.map((t) => t.state), started: summaries.reduce((a, s) => a + s.started, 0) };
}

describe("limits.trials across workers sharing a storage", () => {
  it("property (journal, one handle per worker): exactly limits.trials trials, every one finished, every run stops for the limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 6 }),
        async (parallel, trials, delays) => {
          const dir = tempDir("limits");
          dirs.push(dir);
          const storages = parallel.map(() => new JournalStorage(dir));
          const r = await shareLimit(storages, parallel, trials, delays);
          expect(r.states).toEqual(Array(trials).fill("complete"));
          expect(r.started).toBe(trials);
          expect(r.reasons.every((x) => x === "trials")).toBe(true);
        },
      ),
      // The counterexample found on the old code: two workers, one trial each in flight, limit 1.
      { numRuns: 25, examples: [[[1, 1], 1, [0]]] },
    );
  }, 60_000);

  it("regression: 4 workers with parallel 3 each on a limit of 5 (one worker alone could start 3 of them)", async () => {
    const dir = tempDir("limits");
    dirs.push(dir);
    const r = await shareLimit([0, 1, 2, 3].map(() => new JournalStorage(dir)), [3, 3, 3, 3], 5, [2, 0, 3, 1]);
    expect(r.states).toEqual(Array(5).fill("complete"));
    expect(r.started).toBe(5);
  });

  it("PostgreSQL, one handle (pool, replica) per worker: 4 workers, parallel 2, limit 17", async () => {
    const { url } = await testDatabase("limits");
    const storages = await Promise.all([0, 1, 2, 3].map(() => openStorage(url)));
    try {
      const r = await shareLimit(storages, [2, 2, 2, 2], 17, [3, 1, 4, 1, 5]);
      expect(r.states).toEqual(Array(17).fill("complete"));
      expect(r.started).toBe(17);
      expect(r.reasons).toEqual(["trials", "trials", "trials", "trials"]);
    } finally {
      for (const s of storages) await s.close();
    }
  }, 60_000);
});
