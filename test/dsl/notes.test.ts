// Attributes and notes from the objective and the DSL (issue 16 part 4): stored with the trial
// in the journal, there again after a resume (a fresh process's reader), refused with catalog
// codes when out of bounds (failing the trial as a bad report does), and shown in the details
// and the payload the views draw.
import * as fs from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { float, tune } from "../../src";
import { Study } from "../../src/study/study";
import { JournalStorage } from "../../src/storage/journal";
import { toPayload } from "../../src/views/payload";
import { trialDetails } from "../../src/views/details";
import { tempDir } from "../storage/workers/build";

let dir: string;
beforeEach(() => {
  dir = tempDir("notes");
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const space = { x: float(0, 1) };

describe("trial.setAttr / trial.note / study.note", () => {
  it("are stored with the trials in the journal and read back by a resumed study", async () => {
    const study = tune("n").space(space).minimize("loss").strategy("random", { seed: 1 }).storage(dir).limits({ trials: 3 }).display(false);
    await study.note("Plan: **x** near 0.3");
    await study.objective(async (p, trial) => {
      await trial.setAttr("dataset", { rows: 100 + trial.number, split: "v2" });
      await trial.report(0, p.x);
      await trial.note(`trial ${trial.number}: <b>ok</b>`);
      if (trial.number === 1) throw new Error("diverged");
      return (p.x - 0.3) ** 2;
    }).run();
    await study.note(0, "the first");
    await study.setAttr(2, "checked", true);

    // A new process: the journal read from disk.
    const again = await Study.openStored("n", new JournalStorage(dir));
    const [t0, t1, t2] = again.trials;
    expect(again.snapshot.note).toBe("Plan: **x** near 0.3");
    expect(t0).toMatchObject({ state: "complete", attrs: { dataset: { rows: 100, split: "v2" } }, note: "the first" });
    expect(t1).toMatchObject({ state: "failed", attrs: { dataset: { rows: 101, split: "v2" } }, note: "trial 1: <b>ok</b>" });
    expect(t1!.error).toContain("diverged");
    expect(t2).toMatchObject({ state: "complete", attrs: { dataset: { rows: 102, split: "v2" }, checked: true }, note: "trial 2: <b>ok</b>" });

    // The payload and the details pane's data carry them.
    const payload = toPayload(again.snapshot, false);
    expect(payload.study.note).toBe("Plan: **x** near 0.3");
    expect(payload.trials[1]).toMatchObject({ note: "trial 1: <b>ok</b>", attrs: { dataset: { rows: 101, split: "v2" } } });
    expect(payload.trials[1]!.error).toContain("diverged");
    const d = trialDetails(payload, 1)!;
    expect(d.note).toBe("trial 1: <b>ok</b>");
    expect(d.attrs).toEqual([{ name: "dataset", text: '{"rows":101,"split":"v2"}' }]);
    expect(d.curve).toEqual([[0, again.trials[1]!.params["x"]]]);
    expect(d.state).toBe("failed");
    // A trial without any keeps the payload as before (no keys added).
    expect(Object.keys(toPayload({ ...again.snapshot, trials: [{ ...again.trials[0]!, attrs: undefined, note: undefined } as never] }, false).trials[0]!)).not.toContain("attrs");
  });

  it("a value the record can't hold is refused with its catalog code and fails the trial, awaited or not; the study goes on", async () => {
    const codes: string[] = [];
    const study = tune("bad").space(space).minimize().strategy("random", { seed: 2 }).storage("memory").limits({ trials: 4 }).display(false);
    await study
      .objective(async (_p, trial) => {
        if (trial.number === 0) await trial.setAttr("when", new Date()).catch((e: { code: string }) => (codes.push(e.code), Promise.reject(e)));
        if (trial.number === 1) void trial.setAttr("__proto__", 1); // not awaited: still fails the trial, no unhandled rejection
        if (trial.number === 2) await trial.note("x".repeat(70 * 1024)).catch((e: { code: string }) => (codes.push(e.code), undefined));
        await new Promise((r) => setTimeout(r, 20));
        return 1;
      })
      .run();
    expect(codes).toEqual(["attr.bad_value", "note.too_large"]);
    const ts = study.trials;
    expect(ts.map((t) => t.state)).toEqual(["failed", "failed", "failed", "complete"]);
    expect(ts[0]!.error).toMatch(/^trial\.setAttr\(\) was refused: value must be plain JSON/);
    expect(ts[1]!.error).toMatch(/^trial\.setAttr\(\) was refused: key must be an attribute name/);
    expect(ts[2]!.error).toMatch(/^trial\.note\(\) was refused: note is \d+ bytes/);
    expect(ts.every((t) => t.attrs === undefined && t.note === undefined)).toBe(true);
  });

  it("a stored value is a copy: changing the object afterwards changes nothing", async () => {
    const study = tune("copy").space(space).minimize().storage("memory").display(false);
    const t = (await study.ask())!;
    const v = { a: [1] };
    await study.setAttr(t, "v", v);
    v.a.push(2);
    expect(study.trials[0]!.attrs).toEqual({ v: { a: [1] } });
  });
});
