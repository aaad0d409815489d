// `tunelab run` names a range whose best trials crowd against a bound: in short on the progress
// line, in full (with the extendSpace line) in the summary; not when the optimum is inside.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { cleanup, NODE, scratch, TRIAL_JS } from "../command/helpers";
import { runIn } from "./run-in";

afterAll(cleanup);

const SPACE = { x: { type: "float", low: 0, high: 1 }, y: { type: "float", low: 0, high: 1 } };

/** A stored study of 40 trials whose best ones sit around x = `centre` (y spread), then one more trial run by `tunelab run`. */
async function runAfter(centre: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = scratch("run-boundary");
  const storage = new JournalStorage(path.join(dir, ".tunelab"));
  const study = await Study.open({ name: "edge", space: SPACE as never, direction: "minimize", metric: "loss", seed: 1, storage });
  for (let i = 0; i < 40; i++) {
    const x = i < 20 ? centre + (i - 10) * 0.002 : (i - 20) / 19;
    await study.enqueue({ x: Math.min(1, Math.max(0, x)), y: ((i * 7) % 20) / 19 });
  }
  for (let i = 0; i < 40; i++) {
    const t = (await study.ask())!;
    await study.tell(t.number, { value: Math.abs((t.params["x"] as number) - centre) });
  }
  await storage.close();
  const file = path.join(dir, "study.json");
  fs.writeFileSync(
    file,
    JSON.stringify({ study: "edge", space: SPACE, direction: "minimize", metric: "loss", strategy: "random", seed: 1, limits: { trials: 41 }, command: [NODE, TRIAL_JS, "--x", "{x}", "--epochs", "1", "--sleep", "0"] }),
  );
  return runIn([file]);
}

describe("tunelab run: range warnings", () => {
  it("warns when the best trials sit at a bound: short on the progress line, in full in the summary", async () => {
    const r = await runAfter(0);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^trial 40 complete: .* · at a bound: x at low$/m);
    expect(r.stdout).toMatch(/^warning: x: \d+ of the best 5 trials sit at its low bound 0; .*study\.extendSpace\(\{ x: float\(-1, 1\) \}\)$/m);
    expect(r.stdout).not.toMatch(/warning: y/);
  }, 60_000);

  it("says nothing when the best trials are inside the range", async () => {
    const r = await runAfter(0.5);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("at a bound");
    expect(r.stdout).not.toContain("warning:");
  }, 60_000);
});
