// Re-attaching from a fresh kernel (issue 17 part 4): a worker process (a DSL script) runs a
// study on a journal until patience ends it; then a real tslab kernel, knowing only the name and
// the folder, opens it with open(name, { storage }), shows it (the study's panel, with the
// worker's trials) and continues it with .objective(fn).run().
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepoTempDir, removeDir } from "../helpers/jupyter";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { startWorker } from "../storage/workers/build";
import { linkFreshPackage, runCellsInKernel, type CellRun, type KernelMessage } from "./kernel";

let dir: string;
let folder: string;
let runs: CellRun[];
let written: { reason: string; trials: number; bestNumber: number };

beforeAll(async () => {
  dir = makeRepoTempDir("reattach");
  linkFreshPackage(dir);
  folder = path.join(dir, "studies");
  const build = fs.realpathSync(path.join(dir, "node_modules", "tunelab", "dist"));
  const worker = startWorker("reattach-writer.js", build, { storage: folder, name: "other", hang: false });
  written = (await worker.waitFor((m) => m["done"] === true || "error" in m)) as typeof written;
  expect((await worker.exited).code).toBe(0);
  const cells = [
    `import { open } from "tunelab";`,
    `const study = await open("other", { storage: ${JSON.stringify(folder)} });
console.log(JSON.stringify({ trials: study.trials.length, best: study.best.number }));
await study.show();`,
    `const r = await study.objective((p) => ({ loss: 7 })).limits({ trials: ${written.trials + 2} }).display(false).run();
console.log(JSON.stringify({ started: r.started, reason: r.reason, trials: study.trials.length }));`,
  ];
  runs = await runCellsInKernel(cells, dir, 150_000);
}, 200_000);
afterAll(() => removeDir(dir));

const printed = (run: CellRun) =>
  run.messages
    .filter((m) => m.msg_type === "stream")
    .map((m) => m.content["text"] as string)
    .join("")
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const shown = (messages: KernelMessage[]) => messages.filter((m) => m.msg_type === "display_data" && STUDY_MIME in (m.content["data"] ?? {}));

describe("open(name) in a fresh tslab kernel, on a study another process wrote", () => {
  it("every cell ran", () => {
    expect(written.reason).toBe("patience");
    expect(runs.map((r) => r.status)).toEqual(["ok", "ok", "ok"]);
  });

  it("gives the stored study: its trials, its best, and its panel", () => {
    expect(printed(runs[1]!)).toEqual([{ trials: written.trials, best: written.bestNumber }]);
    const panel = shown(runs[1]!.messages);
    expect(panel).toHaveLength(1);
    const p = panel[0]!.content["data"][STUDY_MIME] as StudyPayload;
    expect(p.trials).toHaveLength(written.trials);
    expect(p.running).toBe(false);
  });

  it("continues it with run(): the new trials are appended to the same journal", async () => {
    expect(printed(runs[2]!)).toEqual([{ started: 2, reason: "trials", trials: written.trials + 2 }]);
    const reread = await Study.openStored("other", new JournalStorage(folder));
    expect(reread.trials.map((t) => t.number)).toEqual([...Array(written.trials + 2).keys()]);
    expect(reread.trials.slice(written.trials).map((t) => t.value)).toEqual([7, 7]);
  });
});
