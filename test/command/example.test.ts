// examples/: the Python training script (scikit-learn's digits) and its study file, run as a
// user runs them: `tunelab run digits.json` in a copy of the folder, with the repo's venv.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStudyFile } from "../../src/command/study-file";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { REPO_ROOT, VENV } from "../helpers/jupyter";
import { cleanup, freshCli, scratch, startCli } from "./helpers";

const EXAMPLES = path.join(REPO_ROOT, "examples");
let cli: string;
beforeAll(() => {
  cli = freshCli();
}, 180_000);
afterAll(cleanup);

describe("examples/digits.json", () => {
  it("runs with tunelab run: Hyperband over the script's learning curves, a refused setting failed with the script's message", async () => {
    const dir = scratch("example");
    for (const f of ["digits.json", "train_digits.py"]) fs.copyFileSync(path.join(EXAMPLES, f), path.join(dir, f));
    const file = path.join(dir, "digits.json");
    // The example as shipped, with fewer trials (each one imports scikit-learn: ~1.5 s of CPU).
    const shipped = JSON.parse(fs.readFileSync(file, "utf8")) as { limits: Record<string, number> };
    expect(shipped.limits["trials"]).toBe(12);
    fs.writeFileSync(file, JSON.stringify({ ...shipped, limits: { ...shipped.limits, trials: 8 } }));
    const spec = parseStudyFile(fs.readFileSync(file, "utf8"), file);
    const env = { ...process.env, PATH: `${path.join(VENV, "bin")}${path.delimiter}${process.env["PATH"] ?? ""}` };
    const r = await startCli(cli, ["run", "digits.json"], { cwd: dir, env }).done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const study = await Study.open({ name: spec.study, space: spec.space, direction: "minimize", metric: "val_loss", storage: new JournalStorage(path.join(dir, ".tunelab")) });
    const trials = study.trials;
    expect(trials).toHaveLength(spec.limits.trials);
    const by = (s: string) => trials.filter((t) => t.state === s);
    expect(by("complete").length).toBeGreaterThan(0);
    expect(by("pruned").length).toBeGreaterThan(0);
    for (const t of by("complete")) expect(t.intermediate.map(([s]) => s)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
    expect(study.best!.value).toBeLessThan(0.5);
    // The script refuses eta0 > 10: those trials failed with its message, not retried.
    const refused = trials.filter((t) => (t.params["eta0"] as number) > 10);
    expect(refused.length).toBeGreaterThan(0);
    for (const t of refused) {
      expect(t.state).toBe("failed");
      expect(t.error).toMatch(/^the process exited with code 2; last lines of its stderr:\nusage: train_digits\.py (.|\n)*train_digits\.py: error: --eta0 .* is above 10/);
    }
    // Conditional parameter: --l1-ratio only where the penalty is elasticnet.
    for (const t of trials) {
      const argv = (t.system["command"] as { argv: string[] }).argv;
      expect(argv.includes("--l1-ratio")).toBe(t.params["penalty"] === "elasticnet");
    }
  }, 300_000);
});
