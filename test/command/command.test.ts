// command() with real processes (the Node and Python scripts in fixtures/): metrics read from
// their output, how a trial ends (complete, failed, infrastructure failure), retries, the
// environment and working directory, logs, and shell mode.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { command } from "../../src/command";
import { tune } from "../../src/dsl/tuner";
import { choice, float, int } from "../../src/space/builders";
import { JournalStorage } from "../../src/storage/journal";
import { runStudy } from "../../src/study/runner";
import { Study, type StudyOptions } from "../../src/study/study";
import { Msg } from "../../src/util/messages";
import { cleanup, NODE, PYTHON, scratch, TRIAL_JS, TRIAL_PY } from "./helpers";

afterAll(cleanup);

const open = (o: Partial<StudyOptions> = {}) =>
  Study.open({ name: "s", space: { x: float(0, 0.8) }, direction: "minimize", metric: "loss", seed: 1, storage: new JournalStorage(scratch()), ...o });
const node = (...args: string[]) => [NODE, TRIAL_JS, "--x", "{x}", ...args];

describe("command(): metrics", () => {
  it("reads structured lines: one report per line, other metrics kept, the last value is the trial's", async () => {
    const study = await open();
    await runStudy(study, command(node("--epochs", "4")) as never, { trials: 2 });
    for (const t of study.trials) {
      const x = t.params["x"] as number;
      expect(t.state).toBe("complete");
      expect(t.value).toBeCloseTo(x + 1 / 4, 12);
      expect(t.intermediate.map(([s]) => s)).toEqual([1, 2, 3, 4]);
      expect(t.curves["acc"]!.map(([s]) => s)).toEqual([1, 2, 3, 4]);
      expect(t.metrics["acc"]).toBeCloseTo(1 - (x + 0.25) / 2, 12);
    }
  });

  it("reads SageMaker-style regexes from a Python script, the final value by the chosen rule", async () => {
    const study = await open({ metric: "val_loss" });
    const cmd = command([PYTHON, TRIAL_PY, "--mode", "regex", "--x", "{x}", "--epochs", "5", "--sleep", "0"], {
      metrics: [
        { name: "val_loss", regex: "val_loss=([-+0-9.eE]+)" },
        { name: "step", regex: "epoch (\\d+)" },
      ],
      final: "min",
    });
    await runStudy(study, cmd as never, { trials: 2 });
    for (const t of study.trials) {
      expect(t.state).toBe("complete");
      expect(t.value).toBeCloseTo((t.params["x"] as number) + 1 / 5, 5);
      expect(t.intermediate.map(([s]) => s)).toEqual([1, 2, 3, 4, 5]);
    }
  });
});

describe("command(): how a trial ends", () => {
  it("a non-zero exit fails the trial with the exit code and the tail of stderr; never retried", async () => {
    const study = await open({ retries: { max: 3 } });
    await runStudy(study, command(node("--mode", "fail")) as never, { trials: 2 });
    expect(study.trials).toHaveLength(2);
    for (const t of study.trials) {
      expect(t.state).toBe("failed");
      expect(t.error).toMatch(/^the process exited with code 3; last lines of its stderr:\n/);
      expect(t.error).toContain("ValueError: x must be below 0.9");
      expect(t.system["failure"]).toBeUndefined();
    }
  });

  it("exit code 0 without the objective metric fails with the rule and the regex (SageMaker's rule)", async () => {
    const study = await open();
    const regex = "loss=([0-9.]+)";
    await runStudy(study, command(node("--mode", "nometric"), { metrics: [{ name: "loss", regex }] }) as never, { trials: 1 });
    const t = study.trials[0]!;
    expect(t.state).toBe("failed");
    expect(t.error!.startsWith(Msg.noObjectiveMetric("loss", regex).message)).toBe(true);
    expect(t.error).toContain("I forgot to print the metric");
  });

  it("a program that cannot be started fails the trial (the user's to fix, not retried)", async () => {
    const study = await open({ retries: { max: 2 } });
    await runStudy(study, command(["/no/such/program", "{x}"]) as never, { trials: 1 });
    expect(study.trials).toHaveLength(1);
    expect(study.trials[0]!.error).toMatch(/could not start "\/no\/such\/program": .*ENOENT/);
  });

  it("a process killed by a signal is an infrastructure failure: failed, marked, and not retried unless asked", async () => {
    const study = await open();
    await runStudy(study, command(node("--mode", "killself")) as never, { trials: 1 });
    const t = study.trials[0]!;
    expect(t.state).toBe("failed");
    expect(t.error).toMatch(/^the process was killed by SIGKILL/);
    expect(t.system["failure"]).toEqual({ kind: "infrastructure", cause: "oom", retry: "off" });
    expect(t.intermediate).toHaveLength(1);
  });

  it("retries infrastructure failures up to max, each copy carrying the history; the chain counts as one trial", async () => {
    const study = await open({ retries: { max: 2 } });
    await runStudy(study, command(node("--mode", "killself")) as never, { trials: 1 });
    const ts = study.trials;
    expect(ts.map((t) => (t.system["failure"] as { retry: string }).retry)).toEqual(["requested", "requested", "exhausted"]);
    expect(ts.every((t) => t.params["x"] === ts[0]!.params["x"])).toBe(true);
    expect(ts[2]!.system["retry"]).toEqual({
      of: 0,
      from: 1,
      attempt: 2,
      history: [
        { trial: 0, cause: "oom", error: ts[0]!.error!.slice(0, 300) },
        { trial: 1, cause: "oom", error: ts[1]!.error!.slice(0, 300) },
      ],
    });
  });

  it("a retried copy of a Hyperband trial keeps its budget and bracket, and starts its rungs afresh", async () => {
    const dir = scratch();
    const marker = path.join(dir, "killed-once");
    // Killed the first time it runs, fine after: the retry completes.
    const script = `const fs=require("fs");if(!fs.existsSync(${JSON.stringify(marker)})){fs.writeFileSync(${JSON.stringify(marker)},"");for(let k=1;k<=3;k++)console.log("tunelab: "+JSON.stringify({loss:100/k}));setTimeout(()=>process.kill(process.pid,"SIGKILL"),50)}else for(let k=1;k<=9;k++)console.log("tunelab: "+JSON.stringify({loss:Number(process.argv[1])+1/k}))`;
    const study = await open({ strategy: { name: "hyperband", options: { maxResource: 9 } }, retries: { max: 1 } });
    await runStudy(study, command([NODE, "-e", script, "{x}"]) as never, { trials: 1 });
    const [first, copy] = study.trials;
    expect(first!.state).toBe("failed");
    expect(copy!.state).toBe("complete");
    expect(copy!.budget).toBe(first!.budget);
    const hb = (t: typeof first) => t!.system["hyperband"] as { bracket: number; rungs: number[]; values: number[] };
    expect(hb(copy).bracket).toBe(hb(first).bracket);
    expect(hb(copy).values.length).toBe(hb(copy).rungs.length);
    expect(copy!.intermediate.map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe("command(): environment, folders, logs, shell", () => {
  it("passes the parameters, trial, budget and study in the environment with the user's variables, in the chosen folder", async () => {
    const dir = scratch();
    const script = `const fs=require("fs");fs.writeFileSync("env.json",JSON.stringify({cwd:process.cwd(),env:process.env}));console.log("tunelab: "+JSON.stringify({loss:1}))`;
    const study = await open({ name: "env study", space: { x: float(0, 1), k: choice(["a b", "c"]) }, storage: new JournalStorage(dir) });
    await runStudy(study, command([NODE, "-e", script], { env: { MY_VAR: "yes" }, trialDir: true }) as never, { trials: 1 });
    const t = study.trials[0]!;
    const folder = path.join(dir, "env%20study.trials", "0");
    const got = JSON.parse(fs.readFileSync(path.join(folder, "env.json"), "utf8")) as { cwd: string; env: Record<string, string> };
    expect(got.cwd).toBe(folder);
    expect(JSON.parse(got.env["TUNELAB_PARAMS"]!)).toEqual(t.params);
    expect(got.env).toMatchObject({ TUNELAB_TRIAL: "0", TUNELAB_BUDGET: "", TUNELAB_STUDY: "env study", TUNELAB_TRIAL_DIR: folder, MY_VAR: "yes" });
    expect(got.env["PATH"]).toBe(process.env["PATH"]);
  });

  it("keeps each trial's log (command line, output in order, how it ended) and its tail and command in the record; study.log(n) reads it", async () => {
    const dir = scratch();
    const study = tune("logged")
      .space({ x: float(0, 1) })
      .minimize("loss")
      .seed(2)
      .storage({ dir })
      .display(false)
      .limits({ trials: 2 })
      .objective(command(node("--epochs", "3")));
    await study.run();
    const log = await study.log(1);
    const lines = log.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^\\[tunelab\\] trial 1: .*trial\\.js --x ${study.trials[1]!.params["x"]} --epochs 3$`));
    expect(lines.slice(1, 4).map((l) => JSON.parse(l.replace("tunelab: ", "")).step)).toEqual([1, 2, 3]);
    expect(lines[4]).toMatch(/^\[tunelab\] exit code 0 after \d+\.\d s$/);
    const rec = study.trials[1]!.system["command"] as { argv: string[]; log: string; tail: string };
    expect(rec.argv.slice(2)).toEqual(["--x", String(study.trials[1]!.params["x"]), "--epochs", "3"]);
    expect(rec.log).toBe(path.join("logged.trials", "1", "output.log"));
    expect(rec.tail.split("\n")).toEqual(lines.slice(1, 4));
    await expect(study.log(5)).rejects.toMatchObject({ code: "trial.unknown" });
  });

  it("runs a shell script with the values as its arguments ($1, ...), never as shell code", async () => {
    const study = await open({ space: { x: float(0, 1), s: choice(["$(exit 7)", "a;b"]) } });
    const cmd = command(["printf 'tunelab: {\"loss\": %s}\\n' \"$1\"; echo \"s=$2\"", "{x}", "{s}"], { shell: true });
    await runStudy(study, cmd as never, { trials: 2 });
    for (const t of study.trials) {
      expect(t.state).toBe("complete");
      expect(t.value).toBe(t.params["x"]);
      expect((t.system["command"] as { tail: string }).tail).toContain(`s=${t.params["s"]}`);
    }
    expect(() => command(["echo {x}"], { shell: true })).toThrow(expect.objectContaining({ code: "command.shell_placeholder" }));
  });

  it("checks the placeholders against the space before the first trial", async () => {
    const study = await open({ space: { x: float(0, 1), n: int(1, 3) } });
    await expect(runStudy(study, command([NODE, "{y}"]) as never, { trials: 1 })).rejects.toMatchObject({ code: "command.unknown_placeholder", field: "command[1]" });
    expect(study.trials).toHaveLength(0);
  });
});
