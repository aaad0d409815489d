// notebooks/hyperband.ipynb in a real tslab kernel (harness.ts: the common checks), plus its own
// results: Hyperband on the MNIST-digits network, its brackets and rungs, random search given the
// same epochs, and the median stopping rule.
import { expect, it } from "vitest";
import type { PayloadTrial } from "../../src/views/payload";
import { cellText, describeNotebook, payloadOf, pictureOf, studyOutputs } from "./harness";

const MAX = 27;
const epochsOf = (trials: readonly PayloadTrial[]) => trials.reduce((s, t) => s + t.intermediate.length, 0);

describeNotebook("hyperband.ipynb", (get) => {
  it("runs 60 Hyperband trials whose pruned ones stopped at a rung of their bracket with their last value, the rest after 27 epochs", () => {
    const outs = studyOutputs(get(), "run");
    expect(outs).toHaveLength(1);
    const payload = payloadOf(outs[0]!);
    expect(payload.study).toMatchObject({ name: "digits-hyperband", direction: "minimize", metric: "val_loss", strategy: "hyperband" });
    expect(payload.trials).toHaveLength(60);
    const pruned = payload.trials.filter((t) => t.state === "pruned");
    expect(pruned.length).toBeGreaterThan(10);
    for (const t of payload.trials) {
      const hb = t.system["hyperband"] as { bracket: number; rungs: number[]; values: number[] };
      expect(hb.rungs).toEqual([1, 3, 9].slice(hb.bracket));
      const last = t.intermediate[t.intermediate.length - 1]!;
      if (t.state === "pruned") {
        expect(hb.rungs).toContain(last[0]);
        expect(t.system["stopped"]).toBe("rung");
        expect(t.value).toBe(last[1]);
      } else {
        expect(t.state).toBe("complete");
        expect(t.intermediate.map(([s]) => s)).toEqual(Array.from({ length: MAX }, (_, i) => i + 1));
      }
    }
    const epochs = epochsOf(payload.trials);
    expect(cellText(get(), "run")).toContain(`epochs trained: ${epochs}, against ${60 * MAX}`);
    expect(epochs).toBeLessThan(60 * MAX);
  });

  it("tabulates the four brackets and where their trials stopped", () => {
    const out = cellText(get(), "brackets");
    for (const header of ["bracket", "rungs", "stopped at 1", "stopped at 3", "stopped at 9", "ran 27", "epochs"]) expect(out).toContain(header);
    expect(out).toContain("'1, 3, 9'");
    expect(out).toContain("'3, 9'");
  });

  it("shows the learning curves alone, by bracket", () => {
    const outs = studyOutputs(get(), "curves");
    expect(outs).toHaveLength(1);
    expect(payloadOf(outs[0]!).view).toBe("curves");
    expect(pictureOf(outs[0]!).height).toBeGreaterThan(200); // the summary and the curves chart
  });

  it("gives random search the same epochs: it tries Hyperband's first settings, fewer of them, each for 27 epochs", () => {
    const hb = payloadOf(studyOutputs(get(), "run")[0]!);
    const out = cellText(get(), "compare");
    const k = Math.floor(epochsOf(hb.trials) / MAX);
    expect(out).toContain(`random search tried Hyperband's first ${k} settings: true`);
    const rows = out.split("\n").filter((l) => /^│ \d/.test(l)).map((l) => l.split("│").map((s) => s.trim()));
    expect(rows.map((r) => r[2])).toEqual(["'hyperband'", "'random'"]);
    expect(Number(rows[1]![3])).toBe(k);
    expect(Number(rows[1]![5])).toBe(k * MAX);
    expect(Number(rows[1]![5])).toBeLessThanOrEqual(Number(rows[0]![5]));
    // The best values printed are the studies' bests (hyperband's from its payload).
    const best = Math.min(...hb.trials.filter((t) => t.state === "complete").map((t) => t.value!));
    expect(Number(rows[0]![6])).toBeCloseTo(best, 4);
  });

  it("stops random-search trials with the median rule, after the warm-up, recorded as pruned by the median rule", () => {
    const outs = studyOutputs(get(), "median");
    expect(outs).toHaveLength(1);
    const payload = payloadOf(outs[0]!);
    expect(payload.study).toMatchObject({ name: "digits-median", strategy: "random" });
    expect(payload.trials).toHaveLength(20);
    const pruned = payload.trials.filter((t) => t.state === "pruned");
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      expect(t.system["stopped"]).toBe("median");
      expect(t.intermediate.length).toBeGreaterThanOrEqual(3);
      expect(t.value).toBe(t.intermediate[t.intermediate.length - 1]![1]);
      expect(t.number).toBeGreaterThanOrEqual(5);
    }
    expect(cellText(get(), "median")).toContain(`${epochsOf(payload.trials)} epochs instead of ${20 * MAX}`);
  });
});
