// The kernel-side bridge in a real tslab kernel: a notebook that imports a build of the current
// sources as "tunelab" (a private one: see linkFreshPackage) runs a small study, shows one view and all views, and makes a DataFrame. Checked
// twice: as nbclient saves the executed notebook (what GitHub and nbviewer show: updates folded
// into the display), and as the raw IOPub messages (display_data, then update_display_data with
// the same display id while the run goes on).
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeNotebook, makeRepoTempDir, mimeValue, pngSize, removeDir, streamText, cellStreamText, tslabNotebook, writeNotebook, type Notebook, type NotebookOutput } from "../helpers/jupyter";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { SCALE } from "../../src/notebook/picture";
import { linkFreshPackage, runCellsInKernel, type CellRun, type KernelMessage } from "./kernel";

const TRIALS = 20;

const CELLS = [
  `import { tune, float, int, choice } from "tunelab";
import { lastLiveStats } from "tunelab/dist/notebook";`,
  `const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const study = tune("bridge")
  .space({ lr: float(1e-4, 1, { scale: "log" }), layers: int(1, 4), opt: choice(["sgd", "adam"]) })
  .minimize("loss")
  .strategy("random", { seed: 7 })
  .storage("memory")
  .limits({ trials: ${TRIALS} })
  .objective(async (p, trial) => {
    // Halfway, wait (60 s at most) until the live panel has been sent with freshly drawn
    // charts once, so that such an update happens mid-run however slow the machine and
    // however long the throttle.
    if (trial.number === ${TRIALS / 2}) {
      const t0 = Date.now();
      while ((lastLiveStats()?.redraws ?? 0) < 2 && Date.now() - t0 < 60_000) await sleep(50);
    }
    let loss = 0;
    for (let step = 1; step <= 3; step++) {
      loss = Math.abs(Math.log10(p.lr) + 2) + p.layers / 10 + (p.opt === "adam" ? 0 : 0.2) + 1 / step;
      await trial.report(step, loss);
      await sleep(5);
    }
    return { loss: loss, acc: 1 / (1 + loss) };
  });`,
  `await study.run();`,
  `await study.show("parallel");`,
  `await study.show();`,
  `study.dataframe().shape`,
  `console.log(require.resolve("tunelab"))`,
];
const RUN = 2, SHOW_ONE = 3, SHOW_ALL = 4, FRAME = 5, WHICH = 6;


let dir: string;
let nb: Notebook;
let runs: CellRun[];

beforeAll(async () => {
  dir = makeRepoTempDir("bridge");
  linkFreshPackage(dir);
  const file = path.join(dir, "bridge.ipynb");
  writeNotebook(file, tslabNotebook(CELLS));
  [nb, runs] = await Promise.all([executeNotebook(file, { timeoutMs: 150_000 }), runCellsInKernel(CELLS, dir, 150_000)]);
}, 200_000);
afterAll(() => removeDir(dir));

function studyOutputs(cell: number): NotebookOutput[] {
  return (nb.cells[cell]!.outputs ?? []).filter((o) => o.data !== undefined && STUDY_MIME in o.data);
}

describe("the executed notebook (as saved and shared)", () => {
  it("imports the private build of the current sources, not dist/", () => {
    expect(cellStreamText(nb, WHICH, "stdout")).toMatch(/\/tmp\/notebook-pkg\/[0-9a-f]{16}\/dist\/index\.js\n$/);
  });

  it("runs without errors or stderr", () => {
    expect(streamText(nb, "stderr")).toBe("");
    expect(runs.map((r) => r.status)).toEqual(CELLS.map(() => "ok"));
  });

  it("keeps one display for the run, holding the final state: payload, picture (PNG) at its display size, text", () => {
    const outs = studyOutputs(RUN);
    expect(outs.map((o) => o.output_type)).toEqual(["display_data"]);
    const payload = mimeValue(outs[0]!, STUDY_MIME) as StudyPayload;
    expect(payload.running).toBe(false);
    expect(payload.trials).toHaveLength(TRIALS);
    expect(payload.trials.every((t) => t.state === "complete" && t.intermediate.length === 3)).toBe(true);
    expect(Object.keys(outs[0]!.data!).sort()).toEqual([STUDY_MIME, "image/png", "text/plain"].sort());
    const size = pngSize(mimeValue(outs[0]!, "image/png") as string);
    expect(outs[0]!.metadata).toEqual({ "image/png": { width: size.width / SCALE, height: size.height / SCALE } });
    expect(mimeValue(outs[0]!, "text/plain")).toMatch(new RegExp(`^study "bridge" \\(minimize loss, random\\): ${TRIALS} trials: ${TRIALS} complete\\nbest: #\\d+ loss=`));
  });

  it('shows one view alone with study.show("parallel"), and every view with study.show()', () => {
    const one = studyOutputs(SHOW_ONE);
    expect(one).toHaveLength(1);
    expect((mimeValue(one[0]!, STUDY_MIME) as StudyPayload).view).toBe("parallel");
    const all = studyOutputs(SHOW_ALL);
    expect(all).toHaveLength(1);
    expect((mimeValue(all[0]!, STUDY_MIME) as StudyPayload).view).toBeUndefined();
    // One chart and no table draw a smaller picture than all the views and the table.
    expect(pngSize(mimeValue(one[0]!, "image/png") as string).height).toBeLessThan(pngSize(mimeValue(all[0]!, "image/png") as string).height / 2);
  });

  it("gives the trials as a DataFrame: one row per trial, 10 columns", () => {
    expect(cellStreamText(nb, FRAME, "stdout")).toBe(`[ ${TRIALS}, 10 ]\n`);
  });
});

describe("the kernel's messages (live updates)", () => {
  const displays = (r: CellRun) => r.messages.filter((m) => m.msg_type === "display_data" || m.msg_type === "update_display_data");
  const payloadOf = (m: KernelMessage) => m.content.data[STUDY_MIME] as StudyPayload;

  it("sends the run's panel once and then replaces it in place, under one display id", () => {
    const msgs = displays(runs[RUN]!);
    expect(msgs[0]!.msg_type).toBe("display_data");
    expect(msgs.length).toBeGreaterThanOrEqual(3);
    expect(msgs.slice(1).every((m) => m.msg_type === "update_display_data")).toBe(true);
    const id = msgs[0]!.content.transient.display_id;
    expect(typeof id).toBe("string");
    expect(msgs.every((m) => m.content.transient.display_id === id)).toBe(true);
    expect(msgs.every((m) => Object.keys(m.content.data).sort().join() === [STUDY_MIME, "image/png", "text/plain"].sort().join())).toBe(true);
  });

  it("updates while the run goes on, and a last time when it ends", () => {
    const msgs = displays(runs[RUN]!);
    const finished = (m: KernelMessage) => payloadOf(m).trials.filter((t) => t.state === "complete").length;
    const live = msgs.slice(1, -1);
    expect(live.length).toBeGreaterThanOrEqual(1);
    expect(live.every((m) => payloadOf(m).running)).toBe(true);
    expect(live.some((m) => finished(m) > 0 && finished(m) < TRIALS)).toBe(true);
    // A picture redrawn mid-run (charts drawn), not the first display's.
    expect(live.some((m) => m.content.data["image/png"] !== msgs[0]!.content.data["image/png"])).toBe(true);
    const last = msgs[msgs.length - 1]!;
    expect(payloadOf(last).running).toBe(false);
    expect(finished(last)).toBe(TRIALS);
  });

  it("sends exactly one display_data for study.show()", () => {
    expect(displays(runs[SHOW_ONE]!).map((m) => m.msg_type)).toEqual(["display_data"]);
    expect(displays(runs[SHOW_ALL]!).map((m) => m.msg_type)).toEqual(["display_data"]);
  });
});
