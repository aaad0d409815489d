// A data scientist watches a study that runs elsewhere: in a real tslab kernel, a cell opens the
// study by its PostgreSQL URL and name alone (`tune(name).storage(url).watch()`) while a separate
// worker process (a DSL script) writes its trials. The panel must grow while the cell waits,
// told by LISTEN/NOTIFY (the cell has no loop of its own), and end by itself, not running, once
// the workers' limit has finished.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepoTempDir, removeDir } from "../helpers/jupyter";
import { testDatabase } from "../helpers/postgres";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { startWorker, type WorkerProcess } from "../storage/workers/build";
import { linkFreshPackage, runCellsInKernel, type CellRun, type KernelMessage } from "./kernel";

const TRIALS = 12;
let dir: string;
let run: CellRun;
let worker: WorkerProcess;

beforeAll(async () => {
  dir = makeRepoTempDir("watch");
  linkFreshPackage(dir);
  const { url } = await testDatabase("watch_kernel");
  const marker = path.join(dir, "watching");
  // The worker creates the study, then waits: the cell opens it by name before any trial runs.
  // (From the kernel's own build of the sources: one compile, not two.)
  const build = fs.realpathSync(path.join(dir, "node_modules", "tunelab", "dist"));
  worker = startWorker("mixed-dsl.js", build, { storage: url, name: "elsewhere", trials: TRIALS, parallel: 1, seed: 9, workMs: 400 });
  await worker.waitFor((m) => m["ready"] === true);
  const cells = [
    `import { tune } from "tunelab";
import * as fs from "fs";`,
    `const stop = await tune("elsewhere").storage(${JSON.stringify(url)}).watch({ trials: ${TRIALS}, minIntervalMs: 100, costFactor: 5 });
fs.writeFileSync(${JSON.stringify(marker)}, "watching");
await stop.done;
console.log("watched to the end");`,
  ];
  const kernel = runCellsInKernel(cells, dir, 150_000);
  // The worker goes once the cell is watching.
  const t0 = Date.now();
  while (!fs.existsSync(marker) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
  worker.send("go");
  const runs = await kernel;
  expect(runs.map((r) => r.status)).toEqual(["ok", "ok"]);
  run = runs[1]!;
}, 200_000);
afterAll(() => removeDir(dir));

const displays = (messages: KernelMessage[]) => messages.filter((m) => (m.msg_type === "display_data" || m.msg_type === "update_display_data") && STUDY_MIME in (m.content["data"] ?? {}));
const payload = (m: KernelMessage) => m.content["data"][STUDY_MIME] as StudyPayload;

describe("watch() in a tslab kernel, a worker process writing to PostgreSQL", () => {
  it("the worker ran every trial and stopped at its limit", async () => {
    expect(await worker.waitFor((m) => m["done"] === true)).toMatchObject({ reason: "trials", started: TRIALS });
    expect(await worker.exited).toMatchObject({ code: 0 });
  });

  it("one display, updated in place while the trials arrive: the payload grows, then ends complete and not running", () => {
    const shown = displays(run.messages);
    expect(shown[0]!.msg_type).toBe("display_data");
    expect(shown.slice(1).every((m) => m.msg_type === "update_display_data")).toBe(true);
    expect(new Set(shown.map((m) => m.content["transient"]["display_id"])).size).toBe(1);
    expect(payload(shown[0]!)).toMatchObject({ running: true, trials: [] });
    const finished = shown.map((m) => payload(m).trials.filter((t) => t.state !== "running").length);
    // Never shrinks, and shows the run on its way: several counts between none and all.
    for (let i = 1; i < finished.length; i++) expect(finished[i]).toBeGreaterThanOrEqual(finished[i - 1]!);
    expect(new Set(finished.filter((n) => n > 0 && n < TRIALS)).size).toBeGreaterThanOrEqual(3);
    const last = payload(shown[shown.length - 1]!);
    expect(last.running).toBe(false);
    expect(last.trials.map((t) => t.state)).toEqual(Array(TRIALS).fill("complete"));
  });

  it("the cell ended by itself once the limit had finished", () => {
    const out = run.messages.filter((m) => m.msg_type === "stream").map((m) => m.content["text"] as string).join("");
    expect(out).toContain("watched to the end");
    expect(run.messages.filter((m) => m.msg_type === "error")).toEqual([]);
  });
});
