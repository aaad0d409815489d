// Re-attaching (issue 17 part 4): another process writes a study; this process, knowing only its
// name and storage, opens it with open(name) / tune(name).open() (views, best, trials, and run()
// continuing it), and `tunelab status NAME` (a child process too) prints what it holds, whether
// its running trial's worker is alive (heartbeats) and what ended its last run. On the journal
// and on PostgreSQL.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { open } from "../../src/dsl/open";
import { tune } from "../../src/dsl/tuner";
import { openStorage } from "../../src/storage/open";
import { isTunelabError } from "../../src/util/errors";
import { testDatabase } from "../helpers/postgres";
import { ensureBuilt, startNode, startWorker, tempDir } from "../storage/workers/build";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function location(kind: "journal" | "postgresql"): Promise<string> {
  if (kind === "postgresql") return (await testDatabase(`reattach_${Math.random().toString(36).slice(2, 8)}`)).url;
  const d = tempDir("reattach");
  dirs.push(d);
  return path.join(d, "studies");
}

/** `tunelab status ...` in a child process: exit code, stdout, stderr. */
async function status(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startNode([path.join(ensureBuilt(), "cli", "main.js"), "status", ...args]);
  const { code, stderr } = await p.exited;
  return { code, stdout: p.messages.map((m) => ("text" in (m as object) ? (m as { text: string }).text : JSON.stringify(m))).join("\n"), stderr };
}

describe.each(["journal", "postgresql"] as const)("re-attach on %s", (kind) => {
  it("a fresh process opens the study another wrote, shows it, continues it with run(); tunelab status summarises it", async () => {
    const storage = await location(kind);
    const writer = startWorker("reattach-writer.js", ensureBuilt(), { storage, name: "other", hang: false });
    const done = (await writer.waitFor((m) => m["done"] === true || "error" in m)) as { reason: string; trials: number; best: number; bestNumber: number };
    expect(done.reason).toBe("patience");
    expect((await writer.exited).code).toBe(0);

    // Knowing only the name and the storage.
    const study = await open("other", { storage });
    expect(study.trials).toHaveLength(done.trials);
    expect(study.best?.number).toBe(done.bestNumber);
    expect(study.best?.value).toBe(done.best);
    expect(study.study?.strategy.name).toBe("tpe");
    // Outside a kernel show() resolves to the bundle it would display: the stored trials, as a run study's.
    const bundle = await study.show("table");
    expect(bundle?.["application/vnd.tunelab.study.v1+json"].trials).toHaveLength(done.trials);

    // Continued with an objective: numbering, seed and space carry on.
    const seen: number[] = [];
    const more = await study
      .objective((p, trial) => {
        seen.push(trial.number);
        expect(Object.keys(p as object).sort()).toEqual(["kind", "x"]);
        return { loss: 5 };
      })
      .limits({ trials: done.trials + 3 })
      .display(false)
      .run({ handleSigint: false });
    expect(more.started).toBe(3);
    expect(seen).toEqual([done.trials, done.trials + 1, done.trials + 2]);
    expect(more.reason).toBe("trials");
    // tune(name).open() is the same re-attachment.
    const again = tune("other").storage(storage);
    await again.open();
    expect(again.trials).toHaveLength(done.trials + 3);
    await again.study!.storage.close();
    await study.study!.storage.close();

    const st = await status(["other", "--storage", storage, "--json"]);
    expect(st.code, st.stderr).toBe(0);
    const json = JSON.parse(st.stdout) as { trials: number; counts: Record<string, number>; best: { number: number }; running: unknown[] };
    expect(json).toMatchObject({ trials: done.trials + 3, counts: { complete: done.trials + 3 }, best: { number: done.bestNumber }, running: [] });
    const text = await status(["other", `--storage=${storage}`]);
    expect(text.stdout).toMatch(/trials +\d+: \d+ complete/);
    expect(text.stdout).toMatch(new RegExp(`best +trial ${done.bestNumber}: loss`));
  }, 120_000);

  it("tunelab status tells a running trial's live worker from one that was killed (heartbeats)", async () => {
    const storage = await location(kind);
    const writer = startWorker("reattach-writer.js", ensureBuilt(), { storage, name: "live", hang: true });
    const hanging = (await writer.waitFor((m) => "hanging" in m || "error" in m))["hanging"] as number;
    expect(typeof hanging).toBe("number");
    // Beats every 0.1 s: with a 5 s grace the worker is alive.
    const alive = JSON.parse((await status(["live", "--storage", storage, "--json", "--grace", "5"])).stdout) as { running: { trial: number; alive: boolean; worker?: string }[] };
    expect(alive.running).toEqual([expect.objectContaining({ trial: hanging, alive: true })]);
    expect(alive.running[0]!.worker).toMatch(/\/\d+\//);
    writer.kill("SIGKILL");
    await writer.exited;
    // Silent from now on: after a grace of 0.5 s it is stale.
    let stale: { running: { alive: boolean }[] } | undefined;
    for (let i = 0; i < 50 && !(stale && stale.running[0]?.alive === false); i++) {
      await new Promise((r) => setTimeout(r, 200));
      stale = JSON.parse((await status(["live", "--storage", storage, "--json", "--grace", "0.5"])).stdout) as typeof stale;
    }
    expect(stale!.running[0]!.alive).toBe(false);
    expect((await status(["live", "--storage", storage, "--grace", "0.5"])).stdout).toMatch(/1 running, 0 with a live worker: trial \d+ on .* stale/);
  }, 120_000);

  it("an unknown name is refused, listing the studies the storage holds (open() and tunelab status)", async () => {
    const storage = await location(kind);
    const s = await openStorage(storage);
    try {
      const t = tune("present").space({ x: { type: "float", low: 0, high: 1 } }).minimize().storage(s).display(false).objective((p) => p.x);
      await t.limits({ trials: 1 }).run({ handleSigint: false });
      let e: unknown;
      try {
        await open("absent", { storage: s });
      } catch (x) {
        e = x;
      }
      expect(isTunelabError(e)).toBe(true);
      expect(e).toMatchObject({ code: "study.not_found", field: "study" });
      expect((e as Error).message).toContain('"present"');
    } finally {
      await s.close();
    }
    const st = await status(["absent", "--storage", storage]);
    expect(st.code).toBe(2);
    expect(st.stderr).toMatch(/study\.not_found/);
    expect(st.stderr).toContain('"present"');
    expect((await status(["--storage", storage])).code).toBe(2);
  }, 120_000);
});
