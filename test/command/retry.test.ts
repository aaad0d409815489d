// Retries of infrastructure failures with any objective (retry.ts): a function objective that
// throws InfrastructureFailure gets the same treatment as a killed process; copies carry the
// parameters, budget and the strategy's bookkeeping as the trial started; resolveRetries
// checks its input.
import { describe, expect, it } from "vitest";
import { float } from "../../src/space/builders";
import { runStudy } from "../../src/study/runner";
import { InfrastructureFailure, resolveRetries } from "../../src/study/retry";
import { Study } from "../../src/study/study";
import { isTunelabError } from "../../src/util/errors";

const open = (max?: number, strategy?: { name: string; options?: unknown }) =>
  Study.open({ name: "r", space: { x: float(0, 1) }, direction: "minimize", seed: 4, ...(max !== undefined ? { retries: { max } } : {}), ...(strategy ? { strategy } : {}) });

describe("retries", () => {
  it("run a trial lost to the infrastructure again, once per failure up to max; other errors never", async () => {
    const study = await open(2);
    const seen = new Map<number, number>();
    await runStudy(study, ((p: { x: number }) => {
      const k = (seen.get(p.x) ?? 0) + 1;
      seen.set(p.x, k);
      if (p.x < 0.5 && k === 1) throw new InfrastructureFailure("the GPU fell off the bus", "signal");
      if (p.x >= 0.5 && k === 1) throw new Error("a bug in the objective");
      return p.x;
    }) as never, { trials: 6 });
    for (const t of study.trials) {
      const f = t.system["failure"] as { retry: string } | undefined;
      if (t.error === "a bug in the objective") expect(f).toBeUndefined();
      if (t.error === "the GPU fell off the bus") {
        expect(f!.retry).toBe("requested");
        const copy = study.trials.find((c) => (c.system["retry"] as { from?: number } | undefined)?.from === t.number);
        expect(copy!.state).toBe("complete");
        expect(copy!.params).toEqual(t.params);
      }
    }
    // Six counted: the failed-and-retried ones don't count, their copies do.
    expect(study.trials.filter((t) => (t.system["failure"] as { retry?: string } | undefined)?.retry !== "requested")).toHaveLength(6);
  });

  it("copy a Hyperband trial's bracket and budget as the trial started, and count attempts across copies", async () => {
    const study = await open(1, { name: "hyperband", options: { maxResource: 9 } });
    await runStudy(study, (async (_p: unknown, trial: { report(s: number, v: number): Promise<boolean> }) => {
      for (let s = 1; s <= 4; s++) if (await trial.report(s, 5 - s)) return 5 - s;
      throw new InfrastructureFailure("killed", "oom");
    }) as never, { trials: 1 });
    const [a, b] = study.trials;
    expect((a!.system["failure"] as { retry: string }).retry).toBe("requested");
    expect((b!.system["failure"] as { retry: string }).retry).toBe("exhausted");
    expect(b!.budget).toBe(a!.budget);
    expect((b!.system["hyperband"] as { bracket: number }).bracket).toBe((a!.system["hyperband"] as { bracket: number }).bracket);
    expect(b!.system["retry"]).toMatchObject({ of: 0, from: 0, attempt: 1 });
    expect(study.trials).toHaveLength(2);
  });

  it("take { max: n } with n from 0 to 100, and nothing else", () => {
    expect(resolveRetries(undefined)).toBeUndefined();
    expect(resolveRetries({ max: 3 })).toEqual({ max: 3 });
    for (const bad of [3, { max: -1 }, { max: 1.5 }, { max: 101 }, { max: 1, min: 0 }, []]) {
      try {
        resolveRetries(bad);
        expect.unreachable();
      } catch (e) {
        expect(isTunelabError(e) && /^option\./.test(e.code)).toBe(true);
      }
    }
  });
});
