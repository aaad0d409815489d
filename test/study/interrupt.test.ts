// SIGINT (Ctrl-C, a Jupyter kernel interrupt) delivered to a real process
// running a study on a journal: the run stops, the journal stays consistent,
// and the process ends by itself.
import * as fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JournalStorage, readHeader } from "../../src/storage/journal";
import { STOPPED_KEY } from "../../src/study/runner";
import { ensureBuilt, startWorker, tempDir } from "../storage/workers/build";

let dist: string;
let dir: string;

beforeAll(() => {
  dist = ensureBuilt();
  dir = tempDir("sigint");
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("SIGINT in a process running a study on a journal", () => {
  it("stops the run cleanly: running trials failed as interrupted, finished ones kept, the process exits by itself", async () => {
    const name = "interrupted study";
    const w = startWorker("sigint-worker.js", dist, { dir, name });
    const msg = await w.waitFor((m) => Array.isArray(m["running"]));
    expect(msg["running"]).toEqual([5, 6, 7]);
    w.kill("SIGINT");
    const exit = await w.exited;
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    const done = w.messages.find((m) => (m as Record<string, unknown>)["summary"]) as Record<string, unknown>;
    expect(done).toEqual({ summary: { reason: "interrupted", started: 8 }, sigintListeners: 0 });

    // The journal: whole lines only, no lock left, every trial finished.
    const warnings: string[] = [];
    const storage = new JournalStorage(dir, { onWarning: (m) => warnings.push(m) });
    const file = storage.fileFor(name);
    const text = fs.readFileSync(file, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    for (const line of text.trimEnd().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    expect(fs.readdirSync(dir)).toEqual([file.slice(dir.length + 1)]);

    const snap = await storage.openStudy(readHeader(file).spec);
    expect(warnings).toEqual([]);
    const trials = snap.trials;
    expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(trials.slice(0, 5).every((t) => t.state === "complete" && t.value === t.params["x"])).toBe(true);
    for (const t of trials.slice(5)) {
      expect(t).toMatchObject({ state: "failed", system: { [STOPPED_KEY]: "interrupt" } });
      expect(t.error).toMatch(/interrupted/);
      expect(t.metrics).toEqual({}); // the late { loss: -1 } was ignored
    }
  });
});
