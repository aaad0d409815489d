// notebooks/tune-a-python-script.ipynb in a real tslab kernel (harness.ts: the common checks,
// the study on disk), plus its own results: Hyperband over examples/train_digits.py run as
// processes, pruned processes stopped, a failed trial's log, and the study as a study file.
import { expect, it } from "vitest";
import { parseStudyFile } from "../../src/command/study-file";
import { cellText, describeNotebook, payloadOf, studyOutputs } from "./harness";

describeNotebook("tune-a-python-script.ipynb", (get) => {
  it("runs 10 Hyperband trials of the Python script, pruned ones stopped early with their last value, the rest after 27 epochs", () => {
    const outs = studyOutputs(get(), "run");
    expect(outs).toHaveLength(1);
    const payload = payloadOf(outs[0]!);
    expect(payload.study).toMatchObject({ name: "digits-sgd", direction: "minimize", metric: "val_loss", strategy: "hyperband" });
    expect(payload.trials).toHaveLength(10);
    for (const t of payload.trials) {
      const cmd = t.system["command"] as { argv: string[]; log: string };
      expect(cmd.argv.slice(0, 2)).toEqual(["python", "train_digits.py"]);
      expect(cmd.argv.includes("--l1-ratio")).toBe(t.params["penalty"] === "elasticnet");
      expect(cmd.log).toBe(`digits-sgd.trials/${t.number}/output.log`);
      if (t.state === "complete") expect(t.intermediate.map(([s]) => s)).toEqual(Array.from({ length: 27 }, (_, i) => i + 1));
      if (t.state === "pruned") {
        expect(t.intermediate.length).toBeLessThan(27);
        expect(t.value).toBe(t.intermediate[t.intermediate.length - 1]![1]);
      }
    }
    expect(payload.trials.filter((t) => t.state === "pruned").length).toBeGreaterThan(0);
    const table = cellText(get(), "processes");
    expect(table).toMatch(/'pruned' .* 'killed by SIG(TERM|KILL) \(stopped by tunelab: pruned\)'/);
    expect(table).toMatch(/'complete' .* 'exit code 0'/);
  });

  it("shows a failed trial's error and its log: the command line, what the script printed, how it ended", () => {
    const out = cellText(get(), "failed");
    expect(out).toMatch(/^trial \d+ failed: the process exited with code 2; last lines of its stderr:\n/);
    expect(out).toMatch(/\n\[tunelab\] trial \d+ \(in \.\.(\/\.\.)?\/examples\): python train_digits\.py --alpha \S+ --eta0 \S+ --penalty \w+ /);
    expect(out).toContain("train_digits.py: error: --eta0");
    expect(out).toMatch(/\[tunelab\] exit code 2 after \d+\.\d s\n/);
  });

  it("writes the study as a study file that tunelab run reads", () => {
    const spec = parseStudyFile(cellText(get(), "file"), "/somewhere/notebooks/study.json");
    expect(spec.study).toBe("digits-sgd");
    expect(spec.strategy).toEqual({ name: "hyperband", options: { maxResource: 27, eta: 3 } });
    expect(spec.limits.trials).toBe(10);
    expect(spec.command.metrics.map((m) => m.name)).toEqual(["val_loss"]);
    expect(spec.command.cwd).toMatch(/\/examples$/);
  });
});
