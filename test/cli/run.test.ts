// `tunelab run FILE.json`: the study file checked field by field (errors from the catalog that
// name the field, for any file), --dry-run writing nothing, progress on a terminal and on a
// pipe, Ctrl-C and SIGTERM stopping cleanly (exit 130/143, processes gone, study consistent)
// and the resumed run reaching its limit (exit 0). The file format is what study.toJSON() writes.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { command } from "../../src/command";
import { parseStudyFile, STUDY_FILE_FIELDS } from "../../src/command/study-file";
import { tune } from "../../src/dsl/tuner";
import { choice, float, int } from "../../src/space/builders";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { isTunelabError } from "../../src/util/errors";
import { cleanup, freshCli, NODE, pidsIn, running, scratch, startCli, TRIAL_JS, until } from "../command/helpers";
import { runIn } from "./run-in";

afterAll(cleanup);

const VALID = {
  study: "digits",
  space: { x: { type: "float", low: 0, high: 1 }, opt: { type: "categorical", choices: ["a", "b"] } },
  direction: "minimize",
  metric: "loss",
  strategy: "hyperband",
  options: { maxResource: 9 },
  seed: 3,
  limits: { trials: 6, parallel: 2 },
  command: [NODE, TRIAL_JS, "--x", "{x}", "--epochs", "{budget}", "--sleep", "2"],
  metrics: [{ name: "acc", regex: "acc=([0-9.]+)" }],
  env: { OMP_NUM_THREADS: "1" },
  retries: { max: 1 },
};

function writeStudy(dir: string, o: object, name = "study.json"): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof o === "string" ? o : JSON.stringify(o));
  return file;
}

const errorOf = (raw: unknown): { code: string; field: string | undefined } | "ok" => {
  try {
    parseStudyFile(JSON.stringify(raw), "/x/study.json");
    return "ok";
  } catch (e) {
    if (!isTunelabError(e)) throw e;
    return { code: e.code, field: e.field };
  }
};

describe("the study file", () => {
  it("is checked field by field: each error names its field", () => {
    const cases: [object, string, string][] = [
      [{ ...VALID, study: "" }, "study.bad_name", "study"],
      [{ ...VALID, study: undefined }, "run.missing_field", "study"],
      [{ ...VALID, storage: 3 }, "storage.bad_location", "storage"],
      [{ ...VALID, storage: "mysql://db/x" }, "storage.bad_location", "storage"],
      [{ ...VALID, space: { x: { type: "float", low: 1, high: 0 } } }, "space.low_not_below_high", "space.x"],
      [{ ...VALID, direction: "down" }, "study.bad_direction", "direction"],
      [{ ...VALID, metric: 7 }, "study.bad_metric", "metric"],
      [{ ...VALID, strategy: "annealing" }, "strategy.unknown", "strategy"],
      [{ ...VALID, options: { maxResource: 1 } }, "option.bad_value", "options.maxResource"],
      [{ ...VALID, seed: 1.5 }, "option.bad_value", "seed"],
      [{ ...VALID, stopping: { rule: "mean" } }, "option.bad_value", "stopping.rule"],
      [{ ...VALID, stopping: { rule: "median", startupTrials: 0 } }, "option.bad_value", "stopping.startupTrials"],
      [{ ...VALID, limits: { trials: 0 } }, "option.bad_value", "limits.trials"],
      [{ ...VALID, limits: { runs: 3 } }, "option.unknown", "limits.runs"],
      [{ ...VALID, command: "python train.py" }, "command.bad_argv", "command"],
      [{ ...VALID, command: ["python", "{lrate}"] }, "command.unknown_placeholder", "command[1]"],
      [{ ...VALID, metrics: [{ name: "acc", regex: "acc=[0-9]+" }] }, "command.regex_groups", "metrics[0].regex"],
      [{ ...VALID, env: { A: 1 } }, "option.bad_value", "env.A"],
      [{ ...VALID, cwd: "" }, "option.bad_value", "cwd"],
      [{ ...VALID, retries: { max: -1 } }, "option.bad_value", "retries.max"],
      [{ ...VALID, graceSeconds: "10" }, "option.bad_value", "graceSeconds"],
      [{ ...VALID, version: 2 }, "run.version", "version"],
      [{ ...VALID, commands: [] }, "run.unknown_field", "commands"],
    ];
    for (const [raw, code, field] of cases) expect(errorOf(raw)).toEqual({ code, field });
    expect(errorOf(VALID)).toBe("ok");
  });

  it("any file gets a catalog error naming a field, or runs: never another error (property)", () => {
    const fields = [...STUDY_FILE_FIELDS, "extra"];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("drop" as const), field: fc.constantFrom(...fields) }),
      fc.record({ kind: fc.constant("set" as const), field: fc.constantFrom(...fields), value: fc.jsonValue({ maxDepth: 3 }) }),
      fc.record({ kind: fc.constant("nested" as const), field: fc.constantFrom("space", "limits", "options", "env", "metrics", "command"), key: fc.string({ maxLength: 8 }), value: fc.jsonValue({ maxDepth: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const raw: Record<string, unknown> = JSON.parse(JSON.stringify(VALID));
        for (const m of ms) {
          if (m.kind === "drop") delete raw[m.field];
          else if (m.kind === "set") raw[m.field] = m.value;
          else if (raw[m.field] !== null && typeof raw[m.field] === "object") (raw[m.field] as Record<string, unknown>)[m.key] = m.value;
        }
        const r = errorOf(raw);
        if (r !== "ok") {
          expect(r.code).not.toBe("internal");
          expect(typeof r.field).toBe("string");
        }
      }),
      { numRuns: 400 },
    );
    expect(errorOf([1])).toMatchObject({ code: "run.not_object" });
    // Found by the property: a null storage is "not given" (the default), not a crash.
    expect(errorOf({ ...VALID, storage: null, version: undefined })).toBe("ok");
    expect(parseStudyFile(JSON.stringify({ ...VALID, storage: null }), "/x/study.json").storage).toBe(path.resolve("/x", ".tunelab"));
  });

  it("names the line and column of a JSON syntax error, and exits 2 on any bad file", async () => {
    const dir = scratch("run");
    const bad = await runIn([writeStudy(dir, '{"study": "x",\n  "space": {,}}' as never)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not valid JSON \(line 2, column 13: .*\).* \[run\.not_json\]/);
    const field = await runIn([writeStudy(dir, { ...VALID, limits: { trials: -1 } })]);
    expect(field.code).toBe(2);
    expect(field.stderr).toContain("limits.trials must be an integer >= 1, but got -1. [option.bad_value]");
    expect((await runIn([path.join(dir, "missing.json")])).code).toBe(2);
    expect((await runIn([])).code).toBe(2);
    expect((await runIn(["a.json", "b.json"])).code).toBe(2);
  });

  it("is what study.toJSON() writes: the same study runs from the notebook's declaration (property over declarations)", () => {
    const dir = scratch("run");
    fc.assert(
      fc.property(
        fc.record({
          strategy: fc.constantFrom<[string, object | undefined]>(["random", undefined], ["tpe", { startupTrials: 4 }], ["hyperband", { maxResource: 9, eta: 3 }], ["grid", undefined]),
          stopping: fc.boolean(),
          trials: fc.integer({ min: 1, max: 100 }),
          parallel: fc.integer({ min: 1, max: 8 }),
          seconds: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
          retries: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
          env: fc.dictionary(fc.stringMatching(/^[A-Z_]{1,6}$/), fc.string({ maxLength: 6 }), { maxKeys: 3 }),
          final: fc.constantFrom("last" as const, "min" as const, "max" as const),
          grace: fc.integer({ min: 0, max: 60 }),
          shell: fc.boolean(),
        }),
        (d) => {
          let t = tune("from-dsl")
            .space({ x: float(0, 1, { step: 0.5 }), n: int(1, 3), c: choice(["p", "q"]) })
            .minimize("loss")
            .seed(9)
            .storage({ dir: "runs" })
            .limits({ trials: d.trials, parallel: d.parallel, ...(d.seconds ? { seconds: d.seconds } : {}) })
            .strategy(d.strategy[0] as never, d.strategy[1] as never);
          if (d.stopping) t = t.stopping("median", { startupTrials: 3 });
          if (d.retries !== undefined) t = t.retries({ max: d.retries });
          t = t.objective(command(d.shell ? ['train "$1"', "{x}"] : ["python", "train.py", "--x", "{x}", "--n={n}", "{{c}}", "{c}"], { metrics: [{ name: "loss", regex: "loss=(\\S+)" }], env: d.env, final: d.final, graceSeconds: d.grace, shell: d.shell }) as never);
          const json = t.toJSON();
          const parsed = parseStudyFile(JSON.stringify(json), path.join(dir, "study.json"));
          expect(parsed.study).toBe("from-dsl");
          expect(parsed.storage).toBe(path.join(dir, "runs"));
          expect(parsed.strategy.name).toBe(d.strategy[0]);
          expect(parsed.limits.trials).toBe(d.trials);
          expect(parsed.limits.parallel).toBe(d.parallel);
          expect(parsed.limits.ms).toBe(d.seconds ? d.seconds * 1000 : Infinity);
          expect(parsed.retries).toEqual(d.retries !== undefined ? { max: d.retries } : undefined);
          expect(parsed.command.argv).toEqual(t.toJSON()["command"]);
          expect(parsed.command.env).toEqual(d.env);
          expect(parsed.command.final).toBe(d.final);
          expect(parsed.command.graceMs).toBe(d.grace * 1000);
          expect(parsed.stopping !== undefined).toBe(d.stopping);
          // Written again from the parsed file, nothing changes.
          expect(JSON.parse(JSON.stringify(json))).toEqual(json);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("study.toJSON() refuses what a file cannot hold, naming it", () => {
    const base = () => tune("t").space({ x: float(0, 1) }).minimize("loss");
    expect(() => base().objective(async () => 1).toJSON()).toThrow(expect.objectContaining({ code: "dsl.not_serializable", field: "objective" }));
    expect(() => base().stopping({ name: "mine", shouldStop: () => ({ stop: false }) } as never).objective(command(["x"])).toJSON()).toThrow(expect.objectContaining({ code: "dsl.not_serializable", field: "stopping" }));
  });
});

describe("tunelab run --dry-run", () => {
  it("prints the first commands and writes nothing, for a new study and for a stored one (its next trials)", async () => {
    const dir = scratch("run");
    const file = writeStudy(dir, { ...VALID, strategy: "random", options: undefined, command: [NODE, TRIAL_JS, "--x", "{x}", "--opt", "{opt}"] });
    const fresh = await runIn([file, "--dry-run"]);
    expect(fresh.code).toBe(0);
    const lines = fresh.stdout.trim().split("\n");
    expect(lines[0]).toBe(`study "digits" in ${path.join(dir, ".tunelab")}: new; random, minimize loss`);
    expect(lines.slice(2).map((l) => l.replace(/--x \S+ --opt \S+$/, "--x X --opt O"))).toEqual([0, 1, 2, 3, 4].map((n) => `trial ${n}: ${NODE} ${TRIAL_JS} --x X --opt O`));
    expect(fs.existsSync(path.join(dir, ".tunelab"))).toBe(false);

    // A stored study with 2 trials: the dry run shows trials 2.. exactly as the real run makes them.
    const storage = new JournalStorage(path.join(dir, ".tunelab"));
    const study = await Study.open({ name: "digits", space: VALID.space as never, direction: "minimize", metric: "loss", seed: 3, storage });
    for (let i = 0; i < 2; i++) await study.tell((await study.ask())!.number, { value: i });
    const journal = storage.fileFor("digits");
    const bytes = fs.readFileSync(journal);
    const dry = await runIn([file, "--dry-run"]);
    expect(dry.stdout).toContain("2 trials so far, resumed");
    expect(fs.readFileSync(journal).equals(bytes)).toBe(true);
    const next = await study.ask();
    expect(dry.stdout).toContain(`trial 2: ${NODE} ${TRIAL_JS} --x ${next!.params["x"]} --opt ${next!.params["opt"]}`);
    expect(dry.stdout).not.toContain("trial 6:");
  });
});

describe("tunelab run", () => {
  it("names the completion criterion that ended the run on its final line, with why it holds", async () => {
    const dir = scratch("run-criterion");
    // Every trial prints the same loss: no improvement at all, so patience ends the run after 1 + 3 trials.
    const file = writeStudy(dir, {
      ...VALID,
      strategy: "random",
      options: undefined,
      limits: { trials: 30, patience: { trials: 3, minImprovement: 0.5 } },
      command: [NODE, "-e", "console.log('loss=0.25')"],
      metrics: [{ name: "loss", regex: "loss=([0-9.]+)" }],
    });
    const r = await runIn([file, "--quiet"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stopped after \d+\.\d s: the best value stopped improving \(patience\) \(the best moved from 0\.25 to 0\.25 over the last 3 finished trials, less than 50%\); 4 trials/);
    expect((await Study.openStored("digits", new JournalStorage(path.join(dir, ".tunelab")))).trials).toHaveLength(4);
  });

  it("runs to the limit with a line per trial on a pipe and a summary, exit 0", async () => {
    const dir = scratch("run");
    const r = await runIn([writeStudy(dir, VALID)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^study "digits": stopped after \d+\.\d s: the trials limit was reached; 6 trials \(\d complete, \d pruned, 0 failed\)\nbest: trial \d, loss [0-9.]+, params \{"x":[0-9.e-]+,"opt":"[ab]"\}\n$/);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/^trial \d (complete|pruned)( at step \d)?: loss [0-9.]+ \(\d+\.\d s\) · best loss [0-9.]+ \(trial \d\)$/);
    // Resumed with the limit already reached: nothing to run, still exit 0.
    const again = await runIn([writeStudy(dir, VALID)]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('resuming study "digits" with 6 trials');
  });

  it.each([
    ["random", {}],
    ["grid", { space: { x: { type: "float", low: 0, high: 1, step: 0.5 }, opt: VALID.space.opt } }],
    ["bayesian", { options: { startupTrials: 2 } }],
    ["tpe", { options: { startupTrials: 2 } }],
    ["hyperband", { options: { maxResource: 9 } }],
    ["asha", { options: { maxResource: 9 } }],
    ["random", { stopping: { rule: "median", startupTrials: 1 } }],
  ])("runs every strategy: %s %j", async (strategy, extra) => {
    const dir = scratch("run");
    const r = await runIn([writeStudy(dir, { ...VALID, strategy, options: undefined, retries: undefined, metrics: undefined, limits: { trials: 5, parallel: 2 }, ...extra }), "--quiet"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/: (the trials limit was reached|the strategy has nothing left to try); [56] trials \(\d complete, \d pruned, 0 failed\)/);
  });

  it("shows one line updated in place on a terminal: done, running, best, last error", async () => {
    const dir = scratch("run");
    const r = await runIn([writeStudy(dir, { ...VALID, strategy: "random", options: undefined, limits: { trials: 4, parallel: 2 }, command: [NODE, TRIAL_JS, "--mode", "{opt}", "--x", "{x}"], space: { x: VALID.space.x, opt: { type: "categorical", choices: ["fail", "curve"] } } })], true);
    expect(r.code).toBe(0);
    const frames = r.stderr.split("\r\x1b[2K").filter(Boolean);
    expect(frames.length).toBeGreaterThan(2);
    expect(frames.some((f) => /^\d\/4 done · [0-2] running · /.test(f))).toBe(true);
    expect(frames.some((f) => / · last error: trial \d: the process exited with code 3: ValueError: x must be below 0\.9/.test(f))).toBe(true);
    expect(r.stderr).not.toContain("\n");
  });
});

describe("tunelab run as a process: Ctrl-C, SIGTERM, resume", () => {
  let cli: string;
  beforeAll(() => {
    cli = freshCli();
  }, 180_000);
  /** The CLI in its own process group, as a shell runs a foreground job (Ctrl-C goes to the group). */
  const start = (file: string) => startCli(cli, ["run", file], { group: true });

  const slowStudy = (dir: string, o: object = {}) =>
    writeStudy(dir, { ...VALID, strategy: "random", options: undefined, limits: { trials: 6, parallel: 3 }, command: [NODE, TRIAL_JS, "--x", "{x}", "--epochs", "100", "--sleep", "50", "--pids", path.join(dir, "pids")], ...o });

  it("Ctrl-C stops cleanly: processes gone, trials recorded as interrupted, exit 130; a resumed run makes them up and exits 0", async () => {
    const dir = scratch("run");
    const file = slowStudy(dir);
    const { child, done } = start(file);
    await until(() => pidsIn(path.join(dir, "pids")).length >= 3, 30_000, "three trials to start");
    process.kill(-child.pid!, "SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("SIGINT: stopping the running trials");
    expect(r.stdout).toMatch(/: interrupted; 3 trials \(0 complete, 0 pruned, 3 failed\)/);
    for (const { pid } of pidsIn(path.join(dir, "pids"))) expect(running(pid)).toBe(false);
    const storage = new JournalStorage(path.join(dir, ".tunelab"));
    const study = await Study.open({ name: "digits", space: VALID.space as never, direction: "minimize", metric: "loss", storage });
    expect(study.trials.map((t) => [t.state, t.system["stopped"]])).toEqual([0, 1, 2].map(() => ["failed", "interrupt"]));

    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"100","--sleep","50"', '"3","--sleep","1"'));
    const resumed = await start(file).done;
    expect(resumed.code).toBe(0);
    await study.refresh();
    // The 3 interrupted trials don't count: 6 more make the limit.
    expect(study.trials).toHaveLength(9);
    expect(study.trials.slice(3).every((t) => t.state === "complete")).toBe(true);
  });

  it("SIGTERM stops it the same way (exit 143); a second Ctrl-C kills SIGTERM-ignoring trials at once instead of after their grace period", async () => {
    const dir = scratch("run");
    const term = start(slowStudy(dir));
    await until(() => pidsIn(path.join(dir, "pids")).length >= 3, 30_000, "three trials to start");
    term.child.kill("SIGTERM");
    expect((await term.done).code).toBe(143);

    const dir2 = scratch("run");
    // A grace period of an hour: only the second Ctrl-C can end this run within the test's time.
    const file = slowStudy(dir2, { study: "stubborn", command: [NODE, TRIAL_JS, "--mode", "ignoreterm", "--x", "{x}", "--epochs", "1000", "--sleep", "50", "--pids", path.join(dir2, "pids")], graceSeconds: 3600 });
    const { child, done } = start(file);
    await until(() => pidsIn(path.join(dir2, "pids")).length >= 3, 30_000, "three trials to start");
    process.kill(-child.pid!, "SIGINT");
    await until(() => fs.readFileSync(path.join(dir2, ".tunelab", "stubborn.jsonl"), "utf8").includes('"interrupt"'), 10_000, "the trials to be recorded as interrupted");
    process.kill(-child.pid!, "SIGINT");
    const r = await done;
    expect(r.code).toBe(130);
    for (const { pid } of pidsIn(path.join(dir2, "pids"))) expect(running(pid)).toBe(false);
  }, 60_000);
});
