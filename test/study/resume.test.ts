// Resuming a study from its journal: the same declaration picks up where the
// last run stopped, a different one is refused, and a seeded study continues
// exactly as if it had never stopped.
import * as fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { tune } from "../../src/dsl/tuner";
import { choice, float, int } from "../../src/space/builders";
import { JournalStorage, readHeader } from "../../src/storage/journal";
import { STOPPED_KEY } from "../../src/study/runner";
import { TunelabError } from "../../src/util/errors";
import { tempDir } from "../storage/workers/build";

let dir: string;
let log: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  dir = tempDir("resume");
  log = vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

const space = { lr: float(1e-4, 0.1, { scale: "log" }), layers: int(1, 4), opt: choice(["sgd", "adam"]) };
const loss = (p: { lr: number; layers: number }) => p.lr * p.layers;

/** The study as declared in a notebook cell; every call is a fresh declaration. */
function declare(name = "mlp", o: { seed?: number; storage?: "memory" } = {}) {
  return tune(name)
    .space(space)
    .minimize("loss")
    .strategy("random", o.seed !== undefined ? { seed: o.seed } : {})
    .storage(o.storage ?? { dir })
    .objective((p) => ({ loss: loss(p) }));
}

describe("resume from disk", () => {
  it("the same study built again sees its trials and only runs the rest", async () => {
    const first = declare("mlp", { seed: 7 }).limits({ trials: 10 });
    expect((await first.run()).started).toBe(10);

    const again = declare("mlp", { seed: 7 });
    const study = await again.open();
    expect(study.trials).toHaveLength(10);
    expect(log).toHaveBeenCalledWith(expect.stringContaining("resuming"));
    expect(log.mock.calls.at(-1)![0]).toContain("10 trials");
    const summary = await again.limits({ trials: 25 }).run();
    expect(summary).toMatchObject({ reason: "trials", started: 15 });
    expect(again.trials.map((t) => t.number)).toEqual([...Array(25).keys()]);
    expect(again.trials.slice(0, 10)).toEqual(first.trials);

    // A third declaration, asked for no more than exists, runs nothing.
    expect((await declare("mlp", { seed: 7 }).limits({ trials: 25 }).run()).started).toBe(0);
  });

  it("random with a seed gives the same trials resumed as in one uninterrupted run", async () => {
    await declare("seeded", { seed: 11 }).limits({ trials: 10 }).run();
    const resumed = declare("seeded", { seed: 11 }).limits({ trials: 25 });
    await resumed.run();
    const straight = declare("seeded", { seed: 11, storage: "memory" }).limits({ trials: 25 });
    await straight.run();
    expect(resumed.trials.map((t) => t.params)).toEqual(straight.trials.map((t) => t.params));
    expect(resumed.trials.map((t) => t.value)).toEqual(straight.trials.map((t) => t.value));
    expect(resumed.best!.number).toBe(straight.best!.number);
  });

  it("without a seed, the stored one is reused: still the same trials as an uninterrupted run", async () => {
    await declare("unseeded").limits({ trials: 4 }).run();
    const seed = readHeader(new JournalStorage(dir).fileFor("unseeded")).spec.seed;
    expect(Number.isSafeInteger(seed)).toBe(true);
    const resumed = declare("unseeded").limits({ trials: 9 });
    await resumed.run();
    expect(resumed.study!.seed).toBe(seed);
    const straight = declare("other", { seed, storage: "memory" }).limits({ trials: 9 });
    await straight.run();
    expect(resumed.trials.map((t) => t.params)).toEqual(straight.trials.map((t) => t.params));
  });

  it("a grid resumed goes on with the configurations not yet tried", async () => {
    const grid = () =>
      tune("grid")
        .space({ a: int(0, 2), b: choice(["x", "y"]) })
        .maximize()
        .strategy("grid")
        .storage({ dir })
        .objective((p) => p.a);
    await grid().limits({ trials: 4 }).run();
    const rest = grid();
    const summary = await rest.run();
    expect(summary).toMatchObject({ reason: "done", started: 2 });
    expect(new Set(rest.trials.map((t) => `${t.params.a}${t.params.b}`)).size).toBe(6);
  });

  it("trials stopped by an interrupt don't count toward the trials limit after a resume", async () => {
    const ac = new AbortController();
    let n = 0;
    const first = declare("stopped", { seed: 3 })
      .limits({ trials: 10, parallel: 2 })
      .objective(async (p) => {
        if (++n <= 3) return { loss: loss(p) };
        if (n === 5) ac.abort();
        return new Promise<never>(() => {});
      });
    expect((await first.run({ signal: ac.signal, handleSigint: false })).reason).toBe("interrupted");
    const counted = first.trials.filter((t) => t.system[STOPPED_KEY] !== "interrupt").length;
    expect(counted).toBe(3);
    const interrupted = first.trials.length - counted;
    expect(interrupted).toBeGreaterThan(0);

    const resumed = declare("stopped", { seed: 3 }).limits({ trials: 6 });
    expect((await resumed.run()).started).toBe(3);
    expect(resumed.trials).toHaveLength(3 + interrupted + 3);
    expect(resumed.trials.filter((t) => t.state === "complete")).toHaveLength(6);
  });
});

describe("the same name with another declaration", () => {
  async function refused<T extends { run(): Promise<unknown> }>(build: () => T, field: string): Promise<T> {
    const file = new JournalStorage(dir).fileFor("mlp");
    const before = fs.readFileSync(file);
    const t = build();
    const e = await t.run().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TunelabError);
    expect(e).toMatchObject({ code: "study.mismatch", field });
    expect((e as Error).message).toContain('"mlp"');
    expect(fs.readFileSync(file).equals(before)).toBe(true); // nothing lost, nothing added
    return t;
  }

  beforeEach(async () => {
    await declare("mlp", { seed: 7 }).limits({ trials: 5 }).run();
  });

  it("another space: study.mismatch, the journal untouched", async () => {
    await refused(
      () =>
        tune("mlp")
          .space({ ...space, layers: int(1, 8) })
          .minimize("loss")
          .storage({ dir })
          .objective((p) => ({ loss: loss(p) })),
      "space",
    );
    await refused(
      () =>
        tune("mlp")
          .space({ lr: space.lr, layers: space.layers })
          .minimize("loss")
          .storage({ dir })
          .objective((p) => ({ loss: loss(p) })),
      "space",
    );
  });

  it("another direction or metric: study.mismatch, the journal untouched", async () => {
    await refused(() => declare("mlp").maximize("loss"), "direction");
    await refused(() => declare("mlp").minimize("val_loss"), "metric");
  });

  it("another explicit seed: study.mismatch, the journal untouched (the stored seed is what makes it reproducible)", async () => {
    await refused(() => declare("mlp", { seed: 8 }), "seed");
  });

  it("after a refusal the declaration can be corrected and run", async () => {
    const t = await refused(() => declare("mlp").maximize("loss"), "direction");
    t.minimize("loss").limits({ trials: 6 });
    expect((await t.run()).started).toBe(1);
    expect(t.trials).toHaveLength(6);
  });
});
