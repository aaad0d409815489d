// The processes of command() trials: every strategy and stopping rule drives real processes;
// a trial told to stop (pruned, timed out, interrupted) has its whole process group stopped,
// including children and scripts that ignore SIGTERM, and nothing is left behind; huge and
// binary output; `parallel` really runs N processes at once.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { command } from "../../src/command";
import type { FrozenTrial } from "../../src/model/trial";
import { float, int } from "../../src/space/builders";
import { createStopper } from "../../src/strategies/registry";
import { JournalStorage } from "../../src/storage/journal";
import { runStudy } from "../../src/study/runner";
import { Study, type StudyOptions } from "../../src/study/study";
import { cleanup, liveInGroup, NODE, ownZombies, pidsIn, PYTHON, running, scratch, TRIAL_JS, TRIAL_PY } from "./helpers";

afterAll(cleanup);

const open = (o: Partial<StudyOptions> = {}) =>
  Study.open({ name: "p", space: { x: float(0, 1) }, direction: "minimize", metric: "loss", seed: 3, storage: new JournalStorage(scratch("proc")), ...o });
const pidOf = (t: FrozenTrial) => (t.system["process"] as { pid: number }).pid;
const epochsRun = (t: FrozenTrial) => t.intermediate.length;

/** After every trial ends: its process group has no live process (checked the moment the trial is recorded). */
function watchGroups(study: Study): { leftovers: number[][]; checked: number } {
  const seen = { leftovers: [] as number[][], checked: 0 };
  study.events.on("trialFinished", ({ trial }) => {
    const rec = study.snapshot.trials[trial.number]!.system["process"] as { pid: number } | undefined;
    if (!rec) return;
    seen.checked++;
    const live = liveInGroup(rec.pid);
    if (live.length) seen.leftovers.push(live);
  });
  return seen;
}

describe("every strategy drives real processes", () => {
  const cases: [string, Partial<StudyOptions>, boolean][] = [
    ["random", { strategy: { name: "random" } }, false],
    ["grid", { space: { x: float(0, 1, { step: 0.25 }), n: int(1, 2) }, strategy: { name: "grid" } }, false],
    ["bayesian", { strategy: { name: "bayesian", options: { startupTrials: 3 } } }, false],
    ["tpe", { strategy: { name: "tpe", options: { startupTrials: 3 } } }, false],
    ["hyperband", { strategy: { name: "hyperband", options: { maxResource: 9 } } }, true],
    ["asha", { strategy: { name: "asha", options: { maxResource: 9 } } }, true],
    ["random + median stopping", { stopping: createStopper("median", { startupTrials: 2 }) }, true],
  ];
  it.each(cases)("%s", async (name, o, prunes) => {
    const study = await open(o);
    const groups = watchGroups(study);
    // Later epochs are better for every x (loss = x + 1/epoch).
    const cmd = command([NODE, TRIAL_JS, "--x", "{x}", "--epochs", "9", "--sleep", "3"]);
    const r = await runStudy(study, cmd as never, { trials: 8, parallel: 3 });
    const trials = study.trials;
    expect(["trials", "done"]).toContain(r.reason);
    expect(trials.length).toBe(8);
    for (const t of trials) {
      expect(["complete", "pruned"]).toContain(t.state);
      expect(epochsRun(t)).toBe(t.state === "complete" ? 9 : epochsRun(t));
      expect(t.value).toBe(t.intermediate[t.intermediate.length - 1]![1]);
    }
    const pruned = trials.filter((t) => t.state === "pruned");
    if (prunes) {
      expect(pruned.length).toBeGreaterThan(0);
      // Hyperband and ASHA judge trials only at rungs below the full budget of 9. The median
      // rule judges every step, and a trial that finished newly can move the median under a
      // running one at its last step: pruned then after all 9 epochs, by the rule's own logic.
      if (name === "random + median stopping") {
        for (const t of pruned) expect(epochsRun(t)).toBeLessThanOrEqual(9);
        expect(pruned.some((t) => epochsRun(t) < 9)).toBe(true);
      } else {
        for (const t of pruned) expect(epochsRun(t)).toBeLessThan(9);
      }
    } else {
      expect(pruned).toHaveLength(0);
    }
    expect(groups.checked).toBe(trials.length);
    expect(groups.leftovers).toEqual([]);
  });
});

describe("stopping a trial stops its whole process group", () => {
  it("a pruned Python trial's process is gone when the trial is recorded, with its last value kept", async () => {
    const study = await open({ strategy: { name: "asha", options: { maxResource: 27 } } });
    const gone: boolean[] = [];
    study.events.on("trialFinished", ({ trial }) => gone.push(!running(pidOf(study.snapshot.trials[trial.number]!))));
    await runStudy(study, command([PYTHON, TRIAL_PY, "--x", "{x}", "--epochs", "27", "--sleep", "0.01"]) as never, { trials: 6 });
    expect(gone.every(Boolean)).toBe(true);
    const pruned = study.trials.filter((t) => t.state === "pruned");
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      expect(t.value).toBe(t.intermediate[t.intermediate.length - 1]![1]);
      // It stopped at the rung where it was judged, not at the end.
      expect(epochsRun(t)).toBeLessThan(27);
    }
  });

  it.each([
    ["Node", [NODE, TRIAL_JS, "--mode", "ignoreterm"]],
    ["Python", [PYTHON, TRIAL_PY, "--mode", "ignoreterm"]],
  ])("a %s script that ignores SIGTERM is killed after the grace period when pruned", async (_lang, argv) => {
    const dir = scratch("pids");
    const pids = path.join(dir, "pids");
    const study = await open({ stopping: createStopper("median", { startupTrials: 1 }) });
    const groups = watchGroups(study);
    // 60 epochs of 10 ms: a pruned trial would go on well past its grace period of 0.2 s.
    const cmd = command([...argv, "--x", "{x}", "--epochs", "60", "--sleep", argv[0] === NODE ? "10" : "0.01", "--pids", pids], { graceSeconds: 0.2 });
    // One at a time: each trial is judged against finished trials only, so the median can't move
    // under it mid-run and one worse than it is pruned at step 1, with 59 epochs to go (in
    // parallel, a trial could be pruned at its last step and exit within the grace period).
    await runStudy(study, cmd as never, { trials: 4 });
    const pruned = study.trials.filter((t) => t.state === "pruned");
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      const log = fs.readFileSync(path.join(study.storage instanceof JournalStorage ? study.storage.dir : "", "p.trials", String(t.number), "output.log"), "utf8");
      expect(log).toContain("SIGTERM ignored");
      expect(log).toMatch(/\[tunelab\] killed by SIGKILL after .* \(stopped by tunelab: pruned\)/);
    }
    expect(groups.leftovers).toEqual([]);
    for (const { pid } of pidsIn(pids)) expect(running(pid)).toBe(false);
  });

  it("a process tree: the children go with the leader (pruned, or left behind by a leader that exited)", async () => {
    const dir = scratch("pids");
    const pids = path.join(dir, "pids");
    const study = await open({ stopping: createStopper("median", { startupTrials: 1 }) });
    const groups = watchGroups(study);
    const cmd = command([NODE, TRIAL_JS, "--mode", "tree", "--x", "{x}", "--epochs", "12", "--sleep", "10", "--pids", pids], { graceSeconds: 1 });
    await runStudy(study, cmd as never, { trials: 5 });
    const children = pidsIn(pids).filter((p) => p.role === "child");
    expect(children.length).toBe(2 * 5);
    // Complete trials' leaders exited on their own, leaving their children: those were stopped too.
    expect(study.trials.filter((t) => t.state === "complete").length).toBeGreaterThan(0);
    expect(groups.leftovers).toEqual([]);
    for (const { pid } of pidsIn(pids)) expect(running(pid)).toBe(false);
    expect(ownZombies()).toEqual([]);
  });

  it("limits.trialSeconds stops the group (SIGTERM, then SIGKILL) and fails the trial; run() returns once it is gone", async () => {
    const dir = scratch("pids");
    const pids = path.join(dir, "pids");
    const study = await open();
    const cmd = command([NODE, TRIAL_JS, "--mode", "tree", "--x", "{x}", "--epochs", "1000", "--sleep", "10", "--pids", pids], { graceSeconds: 0.5 });
    await runStudy(study, cmd as never, { trials: 2, parallel: 2, trialSeconds: 1.5 });
    for (const t of study.trials) {
      expect(t.state).toBe("failed");
      expect(t.error).toMatch(/^timed out/);
      expect(t.system["stopped"]).toBe("timeout");
    }
    expect(pidsIn(pids)).toHaveLength(6);
    for (const { pid } of pidsIn(pids)) expect(running(pid)).toBe(false);
  });

  it("an aborted run stops every running group and records the trials as interrupted", async () => {
    const dir = scratch("pids");
    const pids = path.join(dir, "pids");
    const study = await open();
    const controller = new AbortController();
    // Once all three have reported (so each has set up its SIGTERM handler).
    const reported = new Set<number>();
    study.events.on("trialReported", ({ trial }) => {
      reported.add(trial.number);
      if (reported.size === 3) controller.abort();
    });
    const cmd = command([NODE, TRIAL_JS, "--mode", "ignoreterm", "--x", "{x}", "--epochs", "1000", "--sleep", "10", "--pids", pids], { graceSeconds: 0.3 });
    const r = await runStudy(study, cmd as never, { trials: 10, parallel: 3 }, { signal: controller.signal, handleSigint: false });
    expect(r.reason).toBe("interrupted");
    expect(study.trials.map((t) => t.system["stopped"])).toEqual(["interrupt", "interrupt", "interrupt"]);
    expect(pidsIn(pids)).toHaveLength(3);
    for (const { pid } of pidsIn(pids)) expect(running(pid)).toBe(false);
  });
});

describe("output", () => {
  it("30 MB without a newline, then the metric: read in bounded memory, the log capped to its first and last halves", async () => {
    const study = await open();
    const heap0 = process.memoryUsage().heapUsed;
    let heapMax = heap0;
    const timer = setInterval(() => (heapMax = Math.max(heapMax, process.memoryUsage().heapUsed)), 5);
    await runStudy(study, command([NODE, TRIAL_JS, "--mode", "spew", "--mb", "30", "--x", "{x}"], { logBytes: 64 * 1024 }) as never, { trials: 1 });
    clearInterval(timer);
    const t = study.trials[0]!;
    expect(t.state).toBe("complete");
    expect(t.value).toBe(t.params["x"]);
    const dir = (study.storage as JournalStorage).dir;
    const size = fs.statSync(path.join(dir, "p.trials", "0", "output.log")).size;
    expect(size).toBeLessThan(64 * 1024 + 1024);
    // 30 MB went through; the heap never held more than a few line caps of it.
    expect(heapMax - heap0).toBeLessThan(30 * 1024 * 1024);
  });

  it("20 MB of binary garbage with a metric line at the end: the trial completes", async () => {
    const study = await open();
    await runStudy(study, command([NODE, TRIAL_JS, "--mode", "spew", "--binary", "1", "--mb", "20", "--x", "{x}"]) as never, { trials: 1 });
    expect(study.trials[0]!.state).toBe("complete");
  });
});

describe("parallel", () => {
  it("runs N processes at once: each of 4 waits until 4 have started", async () => {
    const dir = scratch("barrier");
    const study = await open();
    const cmd = command([NODE, TRIAL_JS, "--mode", "barrier", "--n", "4", "--dir", dir, "--x", "{x}"]);
    await runStudy(study, cmd as never, { trials: 8, parallel: 4 });
    expect(study.trials).toHaveLength(8);
    // The first four saw each other (with parallel 3 they would wait out the barrier's 20 s and see 3).
    for (const t of study.trials.slice(0, 4)) expect(t.metrics["seen"]).toBeGreaterThanOrEqual(4);
    expect(study.trials.every((t) => t.state === "complete")).toBe(true);
  });
});
