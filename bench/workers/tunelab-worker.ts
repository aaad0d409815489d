/**
 * One tunelab worker process of the workers benchmark (bench/suites/workers.ts):
 *
 *   node tunelab-worker.js '{"location": ..., "durable": bool, "study": ..., "trials": n, "seconds": s, "out": file}'
 *
 * Opens the study on `location` (a postgresql:// URL or a journal folder) with the random
 * strategy (every worker with the study's seed), prints {"ready":true}, waits for "go" on stdin
 * (so that every worker starts together), then runs trials of a trivial objective with ask()
 * and tell(), timing each ask + tell, until it made `trials` or `seconds` have passed. Writes
 * {"numbers", "latency", "start", "end"} to `out` (times in epoch ms; latency in ms per trial,
 * in the order of the trials) and prints {"done":true}.
 */
import * as fs from "node:fs";
import { openStorage } from "../../src/storage/open";
import { Study } from "../../src/study/study";
import { WORKERS_SPACE, type WorkerArgs, type WorkerResult } from "../lib/workers";

function waitForGo(): Promise<void> {
  return new Promise<void>((resolve) => {
    let buf = "";
    process.stdin.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("go\n")) resolve();
    });
  }).then(() => {
    process.stdin.pause();
  });
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]!) as WorkerArgs;
  const warnings: string[] = [];
  const storage = await openStorage(a.location, { durable: a.durable, onWarning: (m) => warnings.push(m) });
  const study = await Study.open({ name: a.study, space: WORKERS_SPACE, direction: "minimize", strategy: { name: "random" }, seed: 1, storage });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await waitForGo();
  const numbers: number[] = [];
  const latency: number[] = [];
  const origin = performance.timeOrigin;
  const start = origin + performance.now();
  const deadline = performance.now() + a.seconds * 1000;
  for (let i = 0; i < a.trials && performance.now() < deadline; i++) {
    const t0 = performance.now();
    const t = await study.ask();
    if (!t) throw new Error("bench: ask() gave no trial");
    const t1 = performance.now();
    const x = t.params["x"] as number;
    const value = x * x + (t.params["y"] as number) / 100 + (t.params["c"] === "a" ? 0 : 1);
    const t2 = performance.now();
    await study.tell(t.number, { value });
    latency.push(t1 - t0 + (performance.now() - t2));
    numbers.push(t.number);
  }
  const end = origin + performance.now();
  await storage.close();
  const result: WorkerResult = { numbers, latency, start, end, warnings };
  fs.writeFileSync(a.out, JSON.stringify(result));
  process.stdout.write(`${JSON.stringify({ done: true })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
