// A crash of tunelab itself (kill -9 of `tunelab run`) while its trials run: the reaper stops
// their process groups at once; if the reaper dies too, the groups keep running until the
// study is resumed, which recognises them by the identity in each trial's record, stops them,
// and fails the trials as infrastructure failures (retried when asked). Either way no process
// survives and no trial is counted twice.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FrozenTrial } from "../../src/model/trial";
import { float } from "../../src/space/builders";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { childrenOf, cleanup, freshCli, NODE, pidsIn, running, scratch, startCli, TRIAL_JS, until } from "./helpers";

let cli: string;
beforeAll(() => {
  cli = freshCli();
}, 180_000);
afterAll(cleanup);

function writeFile(dir: string, sleep: number, extra: object = {}): string {
  const file = path.join(dir, "study.json");
  const study = {
    study: "crash",
    space: { x: { type: "float", low: 0, high: 1 } },
    direction: "minimize",
    metric: "loss",
    seed: 5,
    limits: { trials: 5, parallel: 3 },
    command: [NODE, TRIAL_JS, "--x", "{x}", "--epochs", "40", "--sleep", String(sleep), "--pids", path.join(dir, "pids")],
    graceSeconds: 1,
    ...extra,
  };
  fs.writeFileSync(file, JSON.stringify(study));
  return file;
}

const run = (file: string) => startCli(cli, ["run", file]);

async function load(dir: string): Promise<FrozenTrial[]> {
  const study = await Study.open({ name: "crash", space: { x: float(0, 1) }, direction: "minimize", metric: "loss", storage: new JournalStorage(dir) });
  return study.trials;
}

const counted = (ts: FrozenTrial[]) => ts.filter((t) => !(t.state === "failed" && (t.system["failure"] as { retry?: string } | undefined)?.retry === "requested")).length;

describe("a crash of tunelab run (kill -9)", () => {
  it("the reaper stops the running trials' groups; the resumed study fails them as orphaned, retries them, and counts each once", async () => {
    const dir = scratch("crash");
    const file = writeFile(dir, 200, { retries: { max: 1 } });
    const { child, done } = run(file);
    await until(() => pidsIn(path.join(dir, "pids")).length >= 3, 30_000, "three trials to start");
    const leaders = pidsIn(path.join(dir, "pids")).map((p) => p.pid);
    expect(childrenOf(child.pid!, "tunelab-reaper")).toHaveLength(1);
    child.kill("SIGKILL");
    await done;
    // No tunelab is left to stop them: the reaper does (SIGTERM; they exit on it).
    await until(() => leaders.every((p) => !running(p)), 10_000, "the trials' processes to be stopped by the reaper");
    const before = await load(path.join(dir, ".tunelab"));
    expect(before.filter((t) => t.state === "running")).toHaveLength(3);

    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"--sleep","200"', '"--sleep","1"'));
    const resumed = await run(file).done;
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming study "crash" with 3 trials');
    const after = await load(path.join(dir, ".tunelab"));
    const orphaned = after.filter((t) => (t.system["failure"] as { cause?: string } | undefined)?.cause === "orphaned");
    expect(orphaned.map((t) => t.number)).toEqual([0, 1, 2]);
    for (const t of orphaned) expect(t.error).toMatch(/^orphaned: the tunelab process \d+ that ran this trial ended while it ran; its processes had ended when the study was resumed$/);
    // Each orphan was run again (same parameters), and the limit counts each configuration once.
    for (const t of orphaned) expect(after.some((c) => (c.system["retry"] as { from?: number } | undefined)?.from === t.number && c.params["x"] === t.params["x"])).toBe(true);
    expect(after.filter((t) => t.state === "running")).toEqual([]);
    expect(counted(after)).toBe(5);
    expect(after).toHaveLength(8);
  });

  it("with the reaper killed too, the groups run on until the study is resumed, which stops them and fails their trials", async () => {
    const dir = scratch("crash");
    // Silent for 10 s (a long epoch): a process that prints after tunelab is gone dies of the
    // broken pipe; one that doesn't runs on.
    const file = writeFile(dir, 10_000);
    const { child, done } = run(file);
    await until(() => pidsIn(path.join(dir, "pids")).length >= 3, 30_000, "three trials to start");
    const leaders = pidsIn(path.join(dir, "pids")).map((p) => p.pid);
    const reapers = childrenOf(child.pid!, "tunelab-reaper");
    expect(reapers).toHaveLength(1);
    process.kill(reapers[0]!, "SIGKILL");
    child.kill("SIGKILL");
    await done;
    await new Promise((r) => setTimeout(r, 500));
    expect(leaders.filter(running)).toEqual(leaders);

    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"--sleep","10000"', '"--sleep","1"'));
    const resumed = await run(file).done;
    expect(resumed.code).toBe(0);
    for (const p of leaders) expect(running(p)).toBe(false);
    const after = await load(path.join(dir, ".tunelab"));
    const orphaned = after.filter((t) => (t.system["failure"] as { cause?: string } | undefined)?.cause === "orphaned");
    expect(orphaned).toHaveLength(3);
    for (const t of orphaned) {
      expect(t.error).toContain("its process group");
      expect(t.error).toContain("was still running and has been stopped");
      expect((t.system["failure"] as { retry: string }).retry).toBe("off");
    }
    // Without retries each orphan counts as a failed trial: 3 + 2 more make the 5.
    expect(after.filter((t) => t.state === "running")).toEqual([]);
    expect(counted(after)).toBe(5);
    expect(after).toHaveLength(5);
  });

  it("a study resumed while its first tunelab still runs leaves that one's trials alone", async () => {
    const dir = scratch("crash");
    const file = writeFile(dir, 100, { limits: { trials: 3, parallel: 3 } });
    const first = run(file);
    await until(() => pidsIn(path.join(dir, "pids")).length >= 3, 30_000, "three trials to start");
    const second = await run(file).done;
    // The limit counts the first run's three running trials: the second has nothing to do.
    expect(second.code).toBe(0);
    expect((await first.done).code).toBe(0);
    const after = await load(path.join(dir, ".tunelab"));
    expect(after.map((t) => t.state)).toEqual(["complete", "complete", "complete"]);
  });
});
