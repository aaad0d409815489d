/**
 * The multi-fidelity suite's process pool (bench/lib/mfsuite/run.ts runPool) with real child
 * processes: every job answered once, records in the jobs' order whichever process ran them,
 * a failed job or a dying process rejects.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runPool } from "../../bench/lib/mfsuite/run";

// A worker: a JSON job per line -> {"n": job.n * 2, "pid"}; job.fail -> {"error"}; job.die -> exits 3.
const WORKER = `
const rl = require("readline").createInterface({ input: process.stdin });
rl.on("line", (l) => {
  const j = JSON.parse(l);
  if (j.die) process.exit(3);
  setTimeout(() => process.stdout.write(JSON.stringify(j.fail ? { error: "boom " + j.n } : { n: j.n * 2, pid: process.pid }) + "\\n"), j.wait || 0);
});`;
const start = () => spawn(process.execPath, ["-e", WORKER], { stdio: ["pipe", "pipe", "inherit"] });

describe("runPool", () => {
  it("answers every job once, in the jobs' order, spread over the processes; progress counts up to the total", async () => {
    const jobs = Array.from({ length: 12 }, (_, n) => ({ job: { n, wait: (n * 7) % 5 }, key: n % 2 ? "odd" : "even" }));
    const seen: number[] = [];
    const out = await runPool<{ n: number }, { n: number; pid: number }>({ side: "t", n: 3, start, jobs, onRecord: (_, p) => seen.push(p.done) });
    expect(out.map((r) => r.n)).toEqual(jobs.map((j) => j.job.n * 2));
    expect(new Set(out.map((r) => r.pid)).size).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it("more processes than jobs, and no jobs at all", async () => {
    expect((await runPool<{ n: number }, { n: number }>({ side: "t", n: 4, start, jobs: [{ job: { n: 5 }, key: "k" }] })).map((r) => r.n)).toEqual([10]);
    expect(await runPool({ side: "t", n: 2, start, jobs: [] })).toEqual([]);
  });

  it("rejects on a job's error record and on a process that dies holding a job", async () => {
    await expect(runPool({ side: "t", n: 2, start, jobs: [0, 1, 2].map((n) => ({ job: { n, fail: n === 1 }, key: "k" })) })).rejects.toThrow(/boom 1/);
    await expect(runPool({ side: "t", n: 2, start, jobs: [0, 1, 2, 3].map((n) => ({ job: { n, die: n === 2 }, key: "k" })) })).rejects.toThrow(/exited with 3/);
  });
});
