// notebooks/grid-search.ipynb in a real tslab kernel (harness.ts: the common checks), plus its
// own results: a grid with a conditional parameter runs each of its configurations once, and a
// finished grid runs nothing more, in the same study object or a reopened one.
import { expect, it } from "vitest";
import { mimeValue } from "../helpers/jupyter";
import { cellIndex, cellText, describeNotebook, payloadOf, pictureOf, studyOutputs } from "./harness";

// optimizer (2) × hidden (3) × l2 (3), and momentum (3) for "sgd" only: 27 + 9.
const SGD = 3 * 3 * 3;
const ADAM = 3 * 3;
const SIZE = SGD + ADAM;

describeNotebook("grid-search.ipynb", (get) => {
  it("counts the grid: the conditional parameter multiplies only its branch", () => {
    expect(cellText(get(), "space")).toMatch(new RegExp(`^${SIZE} combinations; the first three:\n\\{ optimizer: 'sgd', hidden: 16, l2: 0, momentum: 0 \\}\n`));
  });

  it("runs every configuration exactly once, then stops by itself", () => {
    expect(cellText(get(), "run")).toContain(`stopped (done) after ${SIZE} trials`);
    expect(cellText(get(), "once")).toContain(`${SIZE} trials, ${SIZE} distinct combinations, grid size ${SIZE}`);
    const outs = studyOutputs(get(), "run");
    expect(outs).toHaveLength(1);
    const payload = payloadOf(outs[0]!);
    expect(payload.study).toMatchObject({ name: "grid-demo", direction: "maximize", metric: "val_acc", strategy: "grid" });
    expect(payload.trials).toHaveLength(SIZE);
    expect(payload.trials.every((t) => t.state === "complete" && t.intermediate.length === 3)).toBe(true);
    const keys = new Set(payload.trials.map((t) => JSON.stringify(t.params)));
    expect(keys.size).toBe(SIZE);
    const sgd = payload.trials.filter((t) => t.params["optimizer"] === "sgd");
    const adam = payload.trials.filter((t) => t.params["optimizer"] === "adam");
    expect(sgd).toHaveLength(SGD);
    expect(adam).toHaveLength(ADAM);
    expect(sgd.every((t) => [0, 0.45, 0.9].includes(t.params["momentum"] as number))).toBe(true);
    expect(adam.every((t) => !("momentum" in t.params))).toBe(true);
    expect(new Set(payload.trials.map((t) => t.params["l2"]))).toEqual(new Set([0, 0.005, 0.01]));
    expect(new Set(payload.trials.map((t) => t.params["hidden"]))).toEqual(new Set([16, 32, 48]));
    // In the grid's order: the first parameter varies slowest.
    expect(payload.trials.map((t) => t.params["optimizer"])).toEqual([...sgd.map(() => "sgd"), ...adam.map(() => "adam")]);
    // A network trained on 1,000 digits for 3 epochs: far above chance (0.1) at its best.
    expect(Math.max(...payload.trials.map((t) => t.value!))).toBeGreaterThan(0.75);
  });

  it("runs nothing more when run again, or reopened from its saved journal", () => {
    expect(cellText(get(), "again")).toBe(`stopped (done) after 0 new trials; ${SIZE} trials in all\n`);
    expect(cellText(get(), "reopen")).toBe(
      `tunelab: resuming study "grid-demo" with ${SIZE} trials from .tunelab/grid-demo.jsonl\n` +
        `stopped (done) after 0 new trials; ${SIZE} trials in all\n`,
    );
    expect(studyOutputs(get(), "again")).toHaveLength(0); // display: false
    expect(studyOutputs(get(), "reopen")).toHaveLength(0);
  });

  it('shows the trial table alone with study.show("table")', () => {
    const outs = studyOutputs(get(), "table");
    expect(outs).toHaveLength(1);
    expect(payloadOf(outs[0]!).view).toBe("table");
    expect(pictureOf(outs[0]!).height).toBeLessThan(400); // the summary and the best trials, no chart
  });

  it("gives the trials as a DataFrame and shows its five best rows as a table", () => {
    expect(cellText(get(), "frame")).toBe(`[ ${SIZE}, 11 ]\n`);
    const shown = (get().cells[cellIndex(get(), "frame")]!.outputs ?? []).filter((o) => o.output_type === "display_data");
    expect(shown).toHaveLength(1);
    expect(mimeValue(shown[0]!, "text/plain")).toContain("[5 rows × 6 columns]");
    // number, params_optimizer, params_hidden, params_l2, params_momentum, value
    const rows = [...(mimeValue(shown[0]!, "text/html") as string).matchAll(/<tr><th>\d+<\/th>(.*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]!));
    expect(rows).toHaveLength(5);
    const values = rows.map((r) => Number(r[5]));
    expect([...values].sort((a, b) => b - a)).toEqual(values);
    const payload = payloadOf(studyOutputs(get(), "run")[0]!);
    expect(values[0]).toBe(Math.max(...payload.trials.map((t) => t.value!)));
    for (const r of rows) expect(r[4] === "").toBe(r[1] === "adam"); // momentum only for SGD
  });
});
