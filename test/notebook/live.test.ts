import { afterEach, describe, expect, it, vi } from "vitest";
import { tune, float, choice } from "../../src/index";
import { LiveDisplay, type LiveOptions } from "../../src/notebook/live";
import { Study } from "../../src/study/study";
import { runStudy } from "../../src/study/runner";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { installFakeKernel, type FakeKernel, type SentMessage } from "./fake-kernel";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const payloadOf = (m: SentMessage) => m.content.data[STUDY_MIME] as StudyPayload;
/** A PNG's height in pixels (its IHDR chunk). */
const pngHeight = (base64: string) => Buffer.from(base64, "base64").readUInt32BE(20);

/** A study of `trials` quick trials that report three steps each. */
function quickStudy(name: string, trials: number) {
  return tune(name)
    .space({ x: float(0, 1), opt: choice(["a", "b"]) })
    .minimize("loss")
    .strategy("random", { seed: 3 })
    .storage("memory")
    .limits({ trials })
    .objective(async (p, trial) => {
      for (let step = 1; step <= 3; step++) {
        await trial.report(step, p.x * (4 - step));
        await sleep(2);
      }
      return { loss: p.x };
    });
}

let kernel: FakeKernel | undefined;
afterEach(() => {
  kernel?.remove();
  kernel = undefined;
  vi.restoreAllMocks();
});

describe("run() in a tslab kernel", () => {
  it("shows the panel when the run starts and updates it in place at the end", async () => {
    kernel = installFakeKernel();
    await quickStudy("live-default", 8).run();
    const sent = kernel.sent;
    expect(sent[0]!.type).toBe("display_data");
    expect(sent.slice(1).every((m) => m.type === "update_display_data")).toBe(true);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    const id = sent[0]!.content.transient.display_id;
    expect(sent.every((m) => m.content.transient.display_id === id)).toBe(true);
    expect(payloadOf(sent[0]!)).toMatchObject({ running: true, trials: [] });
    const last = payloadOf(sent[sent.length - 1]!);
    expect(last.running).toBe(false);
    expect(last.trials).toHaveLength(8);
    expect(last.trials.every((t) => t.state === "complete")).toBe(true);
    expect(Object.keys(sent[sent.length - 1]!.content.data).sort()).toEqual([STUDY_MIME, "image/png", "text/plain"].sort());
    expect(sent[sent.length - 1]!.content.metadata).toEqual({ "image/png": { width: expect.any(Number), height: expect.any(Number) } });
  });

  it("sends nothing when the display is turned off, on the builder or for one run", async () => {
    kernel = installFakeKernel();
    await quickStudy("live-off-builder", 3).display(false).run();
    await quickStudy("live-off-run", 3).run({ display: false });
    expect(kernel.sent).toEqual([]);
  });

  it("keeps running when the display fails, and says so once", async () => {
    kernel = installFakeKernel();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const write = vi.fn(() => {
      throw new Error("socket closed");
    });
    const study = await quickStudy("live-broken", 4).open();
    const live = await LiveDisplay.start(study, write, { minIntervalMs: 0, costFactor: 0 });
    await runStudy(study, async () => 1, { trials: 4 });
    await live.finish();
    expect(write).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(study.trials).toHaveLength(4);
  });
});

describe("LiveDisplay throttling", () => {
  async function follow(name: string, trials: number, options: LiveOptions) {
    const sent: { update: boolean; payload: StudyPayload; png: string }[] = [];
    const tuner = quickStudy(name, trials);
    const study: Study = await tuner.open();
    const live = await LiveDisplay.start(study, (c, update) => sent.push({ update, payload: c.data[STUDY_MIME] as StudyPayload, png: c.data["image/png"] as string }), options);
    await tuner.run({ display: false });
    const stats = await live.finish();
    return { sent, stats };
  }

  it("updates while trials run when allowed to, each update at least as new as the one before", async () => {
    const { sent, stats } = await follow("live-often", 4, { minIntervalMs: 0, costFactor: 0, chartFactor: 0 });
    expect(sent.length).toBeGreaterThan(2);
    expect(stats.messages).toBe(sent.length);
    expect(sent.map((s) => s.update)).toEqual([false, ...sent.slice(1).map(() => true)]);
    const progress = sent.map((s) => s.payload.trials.filter((t) => t.state !== "running").length * 100 + s.payload.trials.reduce((n, t) => n + t.intermediate.length, 0));
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(sent.slice(0, -1).every((s) => s.payload.running)).toBe(true);
    expect(sent[sent.length - 1]!.payload.running).toBe(false);
  });

  it("sends only the first display and the final update when the pause is longer than the run", async () => {
    const { sent, stats } = await follow("live-rare", 10, { minIntervalMs: 60_000, costFactor: 20 });
    expect(sent.map((s) => [s.update, s.payload.trials.length])).toEqual([
      [false, 0],
      [true, 10],
    ]);
    expect(stats.messages).toBe(2);
    expect(stats.redraws).toBe(2);
    expect(stats.chartMs).toBeGreaterThan(0);
    expect(stats.share).toBeGreaterThan(0);
  });

  it("sends the payload often but reuses the last picture until a redraw is due, and redraws for the final update", async () => {
    const { sent, stats } = await follow("live-reuse", 4, { minIntervalMs: 0, costFactor: 0, chartFactor: 1e9 });
    expect(sent.length).toBeGreaterThan(2);
    expect(stats.redraws).toBe(2); // the first display (no trials yet) and the final update
    const middle = sent.slice(1, -1);
    expect(middle.every((s) => s.png === sent[0]!.png)).toBe(true);
    expect(middle.some((s) => s.payload.trials.length > 0)).toBe(true);
    expect(pngHeight(sent[sent.length - 1]!.png)).toBeGreaterThan(pngHeight(sent[0]!.png)); // charts and a table now
  });
});

describe("show()", () => {
  it("returns the bundle outside a kernel and sends nothing", async () => {
    const study = quickStudy("show-plain", 3);
    await study.run();
    const bundle = (await study.show())!;
    expect((bundle[STUDY_MIME] as StudyPayload).trials).toHaveLength(3);
    expect((bundle[STUDY_MIME] as StudyPayload).view).toBeUndefined();
    const one = (await study.show("parallel"))!;
    expect((one[STUDY_MIME] as StudyPayload).view).toBe("parallel");
    expect(pngHeight(one["image/png"]!)).toBeLessThan(pngHeight(bundle["image/png"]!)); // one chart, no table
  });

  it("sends one display_data in a kernel and resolves to undefined", async () => {
    const study = quickStudy("show-kernel", 2).display(false);
    await study.run();
    kernel = installFakeKernel();
    expect(await study.show("history")).toBeUndefined();
    expect(kernel.sent.map((m) => [m.type, payloadOf(m).view, payloadOf(m).trials.length])).toEqual([["display_data", "history", 2]]);
  });

  it("rejects an unknown view with the catalog's error", async () => {
    await expect(quickStudy("show-bad", 1).show("pie" as never)).rejects.toMatchObject({ code: "option.bad_value", field: "view" });
  });
});
