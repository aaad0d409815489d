// study.watch(): a notebook follows a study that another handle writes (as a worker on another
// machine would), told by the storage (Storage.watch), with the live panel updated in place.
// Here on the journal, whose second handle is a replica of its own like another process's; the
// real kernel and PostgreSQL (LISTEN/NOTIFY) with a separate worker process are in
// watch-kernel.test.ts.
import * as fs from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tune, float } from "../../src/index";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { installFakeKernel, type FakeKernel, type SentMessage } from "./fake-kernel";
import { tempDir } from "../storage/workers/build";
import { isTunelabError } from "../../src/util/errors";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const payloadOf = (m: SentMessage) => m.content.data[STUDY_MIME] as StudyPayload;

let kernel: FakeKernel | undefined;
const dirs: string[] = [];
afterEach(() => {
  kernel?.remove();
  kernel = undefined;
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A study in a fresh journal folder, written through a handle of its own (the "worker"). */
async function worker(name: string) {
  const dir = tempDir("watch");
  dirs.push(dir);
  const study = await Study.open({ name, space: { x: { type: "float", low: 0, high: 1 } }, direction: "minimize", seed: 2, storage: new JournalStorage(dir) });
  const trial = async () => {
    const t = await study.ask();
    await study.report(t!.number, 1, 0.5);
    await study.tell(t!.number, { value: (t!.params as { x: number }).x });
  };
  return { dir, study, trial };
}

describe("study.watch() on a study another handle writes", () => {
  it("opens it by name alone, updates the panel as trials arrive, and stops by itself once `trials` have finished", async () => {
    kernel = installFakeKernel();
    const w = await worker("followed");
    await w.trial();
    const watched = tune("followed").storage(w.dir);
    const stop = await watched.watch({ trials: 6, minIntervalMs: 20 });
    expect(kernel.sent).toHaveLength(1);
    expect(payloadOf(kernel.sent[0]!)).toMatchObject({ running: true });
    expect(payloadOf(kernel.sent[0]!).trials).toHaveLength(1);
    const counts: number[] = [];
    for (let i = 1; i < 6; i++) {
      await w.trial();
      // The journal's file watch looks four times a second: wait for this trial to show.
      const t0 = Date.now();
      while (payloadOf(kernel.sent[kernel.sent.length - 1]!).trials.length <= i && Date.now() - t0 < 5_000) await sleep(20);
      counts.push(payloadOf(kernel.sent[kernel.sent.length - 1]!).trials.length);
    }
    expect(counts).toEqual([2, 3, 4, 5, 6]);
    await stop.done;
    const sent = kernel.sent;
    expect(sent.slice(1).every((m) => m.type === "update_display_data")).toBe(true);
    expect(new Set(sent.map((m) => m.content.transient.display_id)).size).toBe(1);
    const last = payloadOf(sent[sent.length - 1]!);
    expect(last.running).toBe(false);
    expect(last.trials.map((t) => t.state)).toEqual(Array(6).fill("complete"));
    // The tuner opened the study as it was created: its space, direction, and trials.
    expect(watched.study!.space.toJSON()).toEqual(w.study.space.toJSON());
    expect(watched.trials).toHaveLength(6);
    // Stopped: a trial written now is not shown.
    const n = sent.length;
    await w.trial();
    await sleep(600);
    expect(kernel.sent).toHaveLength(n);
  }, 20_000);

  it("sends nothing while nobody writes (no polling of its own), and the stop function ends it with a final update", async () => {
    kernel = installFakeKernel();
    const w = await worker("quiet");
    await w.trial();
    const stop = await tune("quiet").storage(w.dir).watch({ minIntervalMs: 10 });
    await sleep(800);
    expect(kernel.sent).toHaveLength(1);
    await stop();
    await stop.done;
    expect(kernel.sent).toHaveLength(2);
    expect(payloadOf(kernel.sent[1]!).running).toBe(false);
    // Stopping again is a no-op.
    await stop();
    expect(kernel.sent).toHaveLength(2);
  }, 20_000);

  it("a study that is already complete ends at once; a name the storage does not hold is study.not_found; bad trials are refused", async () => {
    kernel = installFakeKernel();
    const w = await worker("complete");
    for (let i = 0; i < 3; i++) await w.trial();
    const stop = await tune("complete").storage(w.dir).watch({ trials: 3 });
    await stop.done;
    expect(payloadOf(kernel.sent[kernel.sent.length - 1]!).running).toBe(false);
    const missing = await tune("nobody").storage(w.dir).watch().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTunelabError(missing) && missing.code).toBe("study.not_found");
    expect(fs.existsSync(new JournalStorage(w.dir).fileFor("nobody"))).toBe(false);
    for (const bad of [0, 1.5, -1, "3", Number.NaN]) {
      const e = await tune("complete").storage(w.dir).watch({ trials: bad as number }).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(isTunelabError(e) && e.field).toBe("watch.trials");
    }
  }, 20_000);

  it("show() and log() need only the name and the storage too; a study made with a strategy this process lacks can be read, not asked", async () => {
    const w = await worker("shown");
    await w.trial();
    const bundle = await tune("shown").storage(w.dir).show("table");
    expect((bundle![STUDY_MIME] as StudyPayload).trials).toHaveLength(1);
    const custom = await Study.open({
      name: "custom",
      space: { x: { type: "float", low: 0, high: 1 } },
      direction: "maximize",
      strategy: { name: "mine", propose: () => ({ params: { x: 0.5 } }) },
      storage: new JournalStorage(w.dir),
    });
    await custom.tell((await custom.ask())!.number, { value: 1 });
    const read = await Study.openStored("custom", new JournalStorage(w.dir));
    expect(read.direction).toBe("maximize");
    expect(read.best?.value).toBe(1);
    const e = await read.ask().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(isTunelabError(e) && e.code).toBe("study.strategy_unavailable");
  });

  it("a declared study (space and direction given) is watched as declared; outside a kernel it only keeps the study fresh", async () => {
    const w = await worker("declared");
    const t = tune("declared").space({ x: float(0, 1) }).minimize().storage(w.dir);
    const stop = await t.watch({ trials: 2, minIntervalMs: 10 });
    await w.trial();
    await w.trial();
    await stop.done;
    expect(t.trials.map((x) => x.state)).toEqual(["complete", "complete"]);
  }, 20_000);
});
