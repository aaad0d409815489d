// study.watch() shows the user's record as another handle (another process) writes it: a
// trial's attributes and note and the study's note reach the watching panel's payload, told by
// the journal's file watch like any other write (issue 16 part 4).
import * as fs from "node:fs";
import { afterEach, expect, it } from "vitest";
import { tune } from "../../src/index";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { tempDir } from "../storage/workers/build";
import { installFakeKernel, type FakeKernel } from "./fake-kernel";

let kernel: FakeKernel | undefined;
let dir: string | undefined;
afterEach(() => {
  kernel?.remove();
  kernel = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("a note or attribute written by another handle reaches the watching panel", async () => {
  kernel = installFakeKernel();
  dir = tempDir("watch-notes");
  const worker = await Study.open({ name: "w", space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", seed: 2, storage: new JournalStorage(dir) });
  const t = (await worker.ask())!;
  const stop = await tune("w").storage(dir).watch({ minIntervalMs: 10 });
  const last = () => kernel!.sent[kernel!.sent.length - 1]!.content.data[STUDY_MIME] as StudyPayload;
  const until = async (ok: (p: StudyPayload) => boolean) => {
    const t0 = Date.now();
    while (!ok(last()) && Date.now() - t0 < 5_000) await sleep(20);
    return last();
  };
  expect(last().trials[0]!.note).toBeUndefined();
  await worker.setAttr(t.number, "gpu", "A100");
  await worker.note(t.number, "warming up");
  await worker.note(null, "the **plan**");
  const p = await until((p) => p.study.note !== undefined && p.trials[0]!.note !== undefined);
  expect(p.study.note).toBe("the **plan**");
  expect(p.trials[0]).toMatchObject({ state: "running", attrs: { gpu: "A100" }, note: "warming up" });
  await stop();
  await stop.done;
}, 20_000);
