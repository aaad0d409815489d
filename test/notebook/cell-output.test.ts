// What a notebook cell prints, in a real tslab kernel (TypeScript 5.0, non-strict cells): a
// TunelabError as one message, a wrong strategy name as one compile error listing the valid
// names, a conditional parameter that must be checked before use, a builder as a short
// description, a DataFrame as an HTML table, and a live display that shows the first trials of
// a run promptly even when the study is large (its cost-based pause would be seconds long).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepoTempDir, removeDir } from "../helpers/jupyter";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { linkFreshPackage, runCellsInKernel, type CellRun } from "./kernel";

/** Trials the large study holds before the watched run, and the watched run's trials. */
const BIG = 3000;
const WATCHED = 6;

const CELLS = {
  imports: `import { tune, float, int, choice } from "tunelab";`,
  syncError: `tune("bad").space({ x: float(0, 1) }).strategy("bayes" as never);`,
  asyncError: `const mem = tune("async").space({ x: float(0, 1) }).minimize().storage("memory");
await mem.tell(99, 1);`,
  noDirection: `tune("nodir").space({ x: float(0, 1) }).storage("memory").objective((p) => p.x);`,
  strategyTypo: `tune("typo").space({ x: float(0, 1) }).strategy("bayes");`,
  condDeclare: `const cond = tune("cond").space({ opt: choice(["sgd", "adam"]), m: float(0.5, 0.99, { when: { opt: ["sgd"] } }) }).minimize().storage("memory");`,
  condUnchecked: `cond.objective((p) => p.m * 2);`,
  condChecked: `cond.objective((p) => (p.opt === "sgd" ? p.m * 2 : 0) + ("m" in p ? p.m : 0));
console.log("checked reads compile");`,
  builder: `const shown = tune("shown")
  .space({ lr: float(1e-4, 0.1, { scale: "log" }), opt: choice(["sgd", "adam"]) })
  .minimize("loss")
  .strategy("tpe", { seed: 3 })
  .storage("memory")
  .limits({ trials: 4 })
  .objective((p) => ({ loss: p.lr }));
shown`,
  builderRun: `await shown.run({ display: false });
shown`,
  frame: `shown.dataframe()`,
  framePrint: `shown.dataframe().sortValues("value").head(2).print()`,
  bigStudy: `const big = tune("prompt").space({ x: float(0, 1), y: int(1, 10), o: choice(["a", "b"]) }).minimize().storage("memory").limits({ trials: ${BIG} }).objective((p) => p.x);
await big.run({ display: false });`,
  watched: `big.limits({ trials: ${BIG + WATCHED} }).objective(async (p) => { await new Promise((r) => setTimeout(r, 400)); return p.x; });
await big.run();`,
};
const NAMES = Object.keys(CELLS) as (keyof typeof CELLS)[];

let dir: string;
let runs: Record<keyof typeof CELLS, CellRun>;

beforeAll(async () => {
  dir = makeRepoTempDir("cell-output");
  linkFreshPackage(dir);
  const list = await runCellsInKernel(Object.values(CELLS), dir, 150_000, true);
  runs = Object.fromEntries(NAMES.map((n, i) => [n, list[i]!])) as typeof runs;
}, 180_000);

afterAll(() => removeDir(dir));

const stream = (run: CellRun, name: "stdout" | "stderr") =>
  run.messages
    .filter((m) => m.msg_type === "stream" && m.content.name === name)
    .map((m) => m.content.text as string)
    .join("");
const displays = (run: CellRun) => run.messages.filter((m) => m.msg_type === "display_data" || m.msg_type === "update_display_data");

describe("a TunelabError thrown in a cell", () => {
  it.each([
    ["syncError", "strategy.unknown"],
    ["asyncError", "trial.unknown"],
    ["noDirection", "dsl.no_direction"],
  ] as const)("%s prints as one line: TunelabError [%s]: message", (cell, code) => {
    const run = runs[cell];
    expect(run.status).toBe("error");
    const err = stream(run, "stderr").trim();
    expect(err).toMatch(new RegExp(`^TunelabError \\[${code.replace(".", "\\.")}\\]: \\S.*$`));
    expect(err.split("\n")).toHaveLength(1);
    expect(err).not.toMatch(/ at |dist[\\/]|\{ *code:/);
  });
});

describe("the compiler's messages in a cell", () => {
  const diagnostics = (run: CellRun) => stream(run, "stderr").split("\n").filter((l) => /^\d+:\d+ - /.test(l));

  it("a wrong strategy name is one error that lists the valid names", () => {
    const run = runs.strategyTypo;
    expect(run.status).toBe("error");
    const lines = diagnostics(run);
    expect(lines).toHaveLength(1);
    for (const name of ["random", "grid", "bayesian", "tpe", "hyperband", "asha"]) expect(lines[0]).toContain(`"${name}"`);
    expect(lines[0]).not.toMatch(/keyof|StrategyOptionsMap/);
  });

  it("a conditional parameter must be checked before use; checked reads compile", () => {
    expect(runs.condDeclare.status).toBe("ok");
    expect(runs.condUnchecked.status).toBe("error");
    expect(diagnostics(runs.condUnchecked).join("\n")).toMatch(/Property 'm' does not exist on type/);
    expect(runs.condChecked.status).toBe("ok");
    expect(stream(runs.condChecked, "stdout")).toContain("checked reads compile");
  });
});

describe("values a cell shows", () => {
  it("an unrun builder shows its name, space, direction, strategy, limits, storage and 'not run yet'", () => {
    const out = stream(runs.builder, "stdout");
    expect(out.split("\n")[0]).toBe('tune("shown"): not run yet');
    for (const part of ["lr float 1e-4..0.1 log", "opt choice sgd|adam", "minimize", "loss", "tpe (seed 3)", "4 trials", "in memory"]) expect(out).toContain(part);
    expect(out).not.toMatch(/spaceDef|pendingListeners|strategySpec/);
    expect(out.split("\n").length).toBeLessThan(12);
  });

  it("a builder that ran shows its trial counts and best trial", () => {
    expect(stream(runs.builderRun, "stdout")).toMatch(/^tune\("shown"\): 4 trials \(4 complete\); best #\d+ loss=/);
  });

  it("a DataFrame shows as an HTML table with a text table beside it", () => {
    for (const [cell, rows] of [["frame", 4], ["framePrint", 2]] as const) {
      const shown = displays(runs[cell]);
      expect(shown).toHaveLength(1);
      const data = shown[0]!.content.data as Record<string, string>;
      expect(data["text/html"]).toContain('<table class="tunelab-frame">');
      expect(data["text/html"]).toMatch(/<th[^>]*>params_lr<\/th>/);
      expect(data["text/html"].match(/<tr><th>\d+<\/th>/g)).toHaveLength(rows);
      expect(data["text/plain"]).toContain(`[${rows} rows × `);
    }
    expect(stream(runs.frame, "stdout")).not.toContain("$dataIncolumnFormat");
  });
});

describe("the live display of a run", () => {
  it("shows the first trials that finish promptly, before the end, though the study is large", () => {
    expect(runs.bigStudy.status).toBe("ok");
    const run = runs.watched;
    expect(run.status).toBe("ok");
    const payloads = displays(run).map((m) => m.content.data[STUDY_MIME] as StudyPayload);
    const finishedNow = payloads.map((p) => p.trials.filter((t) => t.state !== "running").length - BIG);
    expect(finishedNow[0]).toBe(0);
    expect(finishedNow[finishedNow.length - 1]).toBe(WATCHED);
    // The first update that shows any trial of this run shows one or two of them, while running.
    const first = finishedNow.findIndex((n) => n > 0);
    expect(payloads[first]!.running).toBe(true);
    expect(finishedNow[first]).toBeLessThanOrEqual(2);
  });
});
