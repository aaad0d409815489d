// LimitWatch keeps the patience count incrementally: it must agree, after every change, with
// the count made from scratch (every finished trial, in the order of finishing), also when
// trials finish with stamps out of order (another process's clock) and some fail.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isBetter, type FrozenTrial } from "../../src/model/trial";
import { MemoryStorage } from "../../src/storage/base";
import { resolveLimits } from "../../src/study/limits";
import { LimitWatch } from "../../src/study/reached";
import { Study } from "../../src/study/study";

afterEach(() => {
  vi.restoreAllMocks();
});

/** From scratch: finished trials in a row since the best, or -1 without a best. */
function sinceBest(trials: readonly FrozenTrial[], direction: "minimize" | "maximize"): number {
  const finished = trials.filter((t) => t.state !== "running" && t.finishedAt !== undefined).sort((a, b) => a.finishedAt! - b.finishedAt! || a.number - b.number);
  let best: number | undefined;
  let since = 0;
  for (const t of finished) {
    if (t.state === "complete" && t.value !== undefined && (best === undefined || isBetter(direction, t.value, best))) {
      best = t.value;
      since = 0;
    } else since++;
  }
  return best === undefined ? -1 : since;
}

const step = fc.record({
  finish: fc.nat(), // which running trial finishes (modulo how many are running)
  stamp: fc.integer({ min: 0, max: 50 }), // its finishedAt: any order, ties included
  outcome: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constant("failed" as const)),
});

describe("LimitWatch: patience", () => {
  it("property: the incremental count equals the count from scratch after every finish", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("minimize" as const, "maximize" as const), fc.integer({ min: 1, max: 4 }), fc.array(step, { minLength: 1, maxLength: 25 }), async (direction, patience, steps) => {
        const now = vi.spyOn(Date, "now");
        const study = await Study.open({ name: "p", space: { x: { type: "float", low: 0, high: 1 } }, direction, seed: 1, storage: new MemoryStorage() });
        const watch = new LimitWatch(study, resolveLimits({ patience }));
        const running: number[] = [];
        for (const s of steps) {
          now.mockReturnValue(1000);
          running.push((await study.ask())!.number);
          if (s.finish % 2 === 0) continue; // leave some running for a while
          const n = running.splice(s.finish % running.length, 1)[0]!;
          now.mockReturnValue(1000 + s.stamp);
          await study.tell(n, s.outcome === "failed" ? { state: "failed", error: "x" } : { value: s.outcome });
          watch.nextPass();
          const expected = sinceBest(study.trials, direction) >= patience;
          expect(watch.reached(running.length)).toBe(expected ? "patience" : undefined);
        }
        now.mockRestore();
      }),
      { numRuns: 150 },
    );
  });
});
