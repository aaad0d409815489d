// The nastiest objectives in a plain Node script (test/study/workers/nasty-objectives.js), on a
// real journal: Node ends a process on an unhandled rejection, so the script must exit 0 with
// none on stderr, every trial settled.
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, startWorker, tempDir } from "../storage/workers/build";

let dist: string;
let dir: string;
beforeAll(() => {
  dist = ensureBuilt();
  dir = tempDir("nasty");
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("a plain Node script running misbehaving objectives", () => {
  it("exits 0 with every trial settled and no unhandled rejection", async () => {
    const w = startWorker("../../study/workers/nasty-objectives.js", dist, { dir, mode: "nasty" });
    const exit = await w.exited;
    expect(exit.stderr).not.toMatch(/unhandled|uncaught|UnhandledPromiseRejection/i);
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    const out = w.messages.find((m) => (m as Record<string, unknown>)["summary"]) as { summary: { reason: string; started: number }; states: [string, string | null][] };
    expect(out.summary).toEqual({ reason: "trials", started: 44 });
    expect(out.states).toHaveLength(44);
    for (const [state, error] of out.states) {
      expect(["complete", "failed"]).toContain(state);
      if (state === "failed") expect(error).toMatch(/\S/);
    }
    // The engine's warnings (listeners, refused second runs) are there, as warnings.
    expect(exit.stderr).toMatch(/tunelab: a "trialStarted" listener threw/);
    expect(exit.stderr).toMatch(/already running/);
  });

  it("an objective that never settles, without limits, holds the run (the process does not quietly exit) until Ctrl-C stops it", async () => {
    const w = startWorker("../../study/workers/nasty-objectives.js", dist, { dir, mode: "never" });
    await w.waitFor((m) => m["running"] === true);
    // Node would exit here, halfway through the run, if nothing kept it alive.
    await new Promise((r) => setTimeout(r, 300));
    w.kill("SIGINT");
    const exit = await w.exited;
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(w.messages.find((m) => (m as Record<string, unknown>)["summary"])).toEqual({ summary: { reason: "interrupted", started: 1 }, states: ["failed"] });
  });
});
