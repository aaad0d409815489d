import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Study } from "../study/study";
import { OBJECTIVE_LIFECYCLE, TRIAL_STUDY, type ObjectiveLifecycle, type TrialContext } from "../study/runner";
import { InfrastructureFailure } from "../study/retry";
import { journalFileName } from "../storage/journal";
import type { Config } from "../space/types";
import { errorText } from "../util/errors";
import { isPlainObject, type JsonObject } from "../util/json";
import { Msg } from "../util/messages";
import { checkAgainstSpace, expandArgv, parseArgv, type ArgTemplate } from "./argv";
import { DEFAULT_MAX_LINE, LineSplitter } from "./lines";
import { DEFAULT_LOG_BYTES, LineTail, TrialLog } from "./log";
import { compileMetrics, FINAL_RULES, MetricReader, type CompiledMetric, type FinalRule, type MetricDefinition, type ReadReport } from "./metrics";
import { PROCESS_KEY, processRecord, registerGroup, stopGroup, unregisterGroup } from "./process";
import { recoverOrphans } from "./recover";
import { shellQuote } from "../views/command";

/** The options of `command(argv, options)`; the study file has the same fields. */
export interface CommandOptions {
  /**
   * Metrics read from the output, SageMaker-style: `{ name, regex }` with one capture group
   * (the value). A definition named "step" gives the step of the next objective value. The
   * structured form `tunelab: {"step": 3, "val_loss": 0.21}` needs no definition.
   */
  readonly metrics?: readonly MetricDefinition[];
  /** The trial's value: the objective's "last" value printed (default), or its "min" or "max". */
  readonly final?: FinalRule;
  /** Variables added to the environment (tunelab's own environment is passed on too). */
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory (default: tunelab's). */
  readonly cwd?: string;
  /** Run each trial in its own folder, `<storage>/<study>.trials/<n>/` (default false). */
  readonly trialDir?: boolean;
  /**
   * Run `argv[0]` as a `/bin/sh` script, the other elements being its arguments `$1`, `$2`,
   * ... (so values never become shell code): `["python train.py --lr \"$1\" | tee out", "{lr}"]`.
   */
  readonly shell?: boolean;
  /** Seconds between SIGTERM and SIGKILL when a trial is stopped (default 10). */
  readonly graceSeconds?: number;
  /** Cap of each trial's log file in bytes; the first and last halves are kept (default 1 MiB). */
  readonly logBytes?: number;
  /** Longest output line read whole, in characters (default 65536); longer lines are cut. */
  readonly maxLineLength?: number;
  /** Where trial folders go when the study is not stored on disk (default: a folder under the system's temp dir). */
  readonly logs?: string;
}

export const COMMAND_OPTIONS = ["metrics", "final", "env", "cwd", "trialDir", "shell", "graceSeconds", "logBytes", "maxLineLength", "logs"] as const;

/** A command, validated: what `command()` keeps and `study.toJSON()` writes. */
export interface CommandSpec {
  readonly argv: readonly string[];
  readonly template: readonly ArgTemplate[];
  readonly metrics: readonly CompiledMetric[];
  readonly final: FinalRule;
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly trialDir: boolean;
  readonly shell: boolean;
  readonly graceMs: number;
  readonly logBytes: number;
  readonly maxLine: number;
  readonly logs?: string;
}

/** What the trial record keeps about the command that ran it (the `command` key). */
export const COMMAND_KEY = "command";

/** An objective that runs a command per trial; `spec` is what it was declared with. */
export interface CommandObjective {
  (params: Config, trial: TrialContext<Config>): Promise<Record<string, number>>;
  readonly spec: CommandSpec;
  readonly [OBJECTIVE_LIFECYCLE]: ObjectiveLifecycle;
}

/** Checks `command()`'s arguments field by field (fields named as in the study file). */
export function commandSpec(argv: unknown, options: unknown = {}, fields: { readonly argv: string; readonly prefix: string } = { argv: "command", prefix: "" }): CommandSpec {
  const template = parseArgv(argv, fields.argv);
  if (!isPlainObject(options)) throw Msg.badOption("options", options, "an object");
  const f = (k: string) => fields.prefix + k;
  for (const k of Object.keys(options)) {
    if (options[k] !== undefined && !(COMMAND_OPTIONS as readonly string[]).includes(k)) throw Msg.unknownOption(fields.prefix ? fields.prefix.replace(/\.$/, "") : "options", k, COMMAND_OPTIONS);
  }
  const o = options as Record<string, unknown>;
  const metrics = compileMetrics(o["metrics"], f("metrics"));
  const final = o["final"] ?? "last";
  if (!(FINAL_RULES as readonly unknown[]).includes(final)) throw Msg.badOption(f("final"), final, '"last", "min" or "max"');
  const env = o["env"] ?? {};
  if (!isPlainObject(env)) throw Msg.badOption(f("env"), env, "an object of variable names to string values");
  for (const [k, v] of Object.entries(env)) {
    if (k.length === 0 || k.includes("=") || k.includes("\u0000")) throw Msg.badOption(`${f("env")}.${k}`, k, 'a variable name: non-empty, without "=" or NUL');
    if (typeof v !== "string") throw Msg.badOption(`${f("env")}.${k}`, v, "a string");
    if (v.includes("\u0000")) throw Msg.nulInArgument(`${f("env")}.${k}`);
  }
  const str = (k: string): string | undefined => {
    const v = o[k];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v.length === 0 || v.includes("\u0000")) throw Msg.badOption(f(k), v, "a path (a non-empty string)");
    return v;
  };
  const bool = (k: string): boolean => {
    const v = o[k] ?? false;
    if (typeof v !== "boolean") throw Msg.badOption(f(k), v, "true or false");
    return v;
  };
  const num = (k: string, dflt: number, min: number, max: number, integer: boolean): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== "number" || !(v >= min && v <= max) || (integer && !Number.isInteger(v))) throw Msg.badOption(f(k), v, `${integer ? "an integer" : "a number"} from ${min} to ${max}`);
    return v;
  };
  const shell = bool("shell");
  if (shell && template[0]!.names.length > 0) throw Msg.shellPlaceholder(`${fields.argv}[0]`, (argv as string[])[0]!);
  const cwd = str("cwd");
  const logs = str("logs");
  return {
    argv: (argv as string[]).slice(),
    template,
    metrics,
    final: final as FinalRule,
    env: { ...(env as Record<string, string>) },
    ...(cwd !== undefined ? { cwd } : {}),
    trialDir: bool("trialDir"),
    shell,
    graceMs: num("graceSeconds", 10, 0, 3600, false) * 1000,
    logBytes: num("logBytes", DEFAULT_LOG_BYTES, 1024, 2 ** 40, true),
    maxLine: num("maxLineLength", DEFAULT_MAX_LINE, 80, 16 * 1024 * 1024, true),
    ...(logs !== undefined ? { logs } : {}),
  };
}

/**
 * An objective that runs a program per trial, in any language: the parameters go in through
 * placeholders in `argv` ({name}, {trial}, {budget}, {study}) and the environment
 * (TUNELAB_PARAMS as JSON, TUNELAB_TRIAL, TUNELAB_BUDGET, TUNELAB_STUDY, TUNELAB_TRIAL_DIR),
 * the metrics come out of its output (lines `tunelab: {"val_loss": 0.21}`, or regexes).
 * Every strategy, stopping rule and limit works with it: a trial told to stop (pruned, timed
 * out, interrupted) has its process group stopped, SIGTERM then SIGKILL after the grace
 * period. No shell is involved unless `shell: true`.
 *
 * @example
 * tune("xgb")
 *   .space({ eta: float(1e-3, 0.3, { scale: "log" }), depth: int(2, 10) })
 *   .minimize("val_loss")
 *   .strategy("hyperband", { maxResource: 27 })
 *   .objective(command(["python", "train.py", "--eta", "{eta}", "--depth", "{depth}", "--epochs", "{budget}"], {
 *     metrics: [{ name: "val_loss", regex: "val_loss=([-+0-9.eE]+)" }],
 *   }));
 */
export function command(argv: readonly string[], options: CommandOptions = {}): CommandObjective {
  return commandObjective(commandSpec(argv, options));
}

/** The objective of a validated spec. */
export function commandObjective(spec: CommandSpec): CommandObjective {
  const running = new Map<Promise<unknown>, Study | undefined>();
  const fn = ((params: Config, trial: TrialContext<Config>) => {
    const p = runTrial(spec, params, trial);
    const study = (trial as unknown as { [TRIAL_STUDY]?: Study })[TRIAL_STUDY];
    const done: Promise<unknown> = p.then(
      () => running.delete(done),
      () => running.delete(done),
    );
    running.set(done, study);
    return p;
  }) as CommandObjective;
  const lifecycle: ObjectiveLifecycle = {
    async beforeRun(study: Study) {
      checkAgainstSpace(spec.template, study.space);
      await recoverOrphans(study, spec.graceMs);
    },
    async afterRun(study: Study) {
      // Trials stopped by an interrupt or the time limit are recorded at once; their
      // processes are given their grace period here, so run() ends with them gone.
      await Promise.all([...running].filter(([, s]) => s === study || s === undefined).map(([p]) => p));
    },
  };
  Object.defineProperty(fn, "spec", { value: spec, enumerable: true });
  Object.defineProperty(fn, OBJECTIVE_LIFECYCLE, { value: lifecycle });
  return fn;
}

/** Whether a value is a `command()` objective. */
export function isCommandObjective(v: unknown): v is CommandObjective {
  return typeof v === "function" && isPlainObject((v as { spec?: unknown }).spec) && Array.isArray((v as CommandObjective).spec.template);
}

/** The folder of a study's trial folders: next to its journal, else under `logs` or the temp dir. */
export function trialsFolder(study: Study | undefined, spec: Pick<CommandSpec, "logs">): string {
  const name = study?.name ?? "study";
  const stem = journalFileName(name).replace(/\.jsonl$/, "") + ".trials";
  const dir = storageDir(study) ?? (spec.logs !== undefined ? path.resolve(spec.logs) : path.join(os.tmpdir(), `tunelab-${process.pid}`));
  return path.join(dir, stem);
}

/** The folder a study's storage keeps files in, when it is on disk. */
export function storageDir(study: Study | undefined): string | undefined {
  const dir = (study?.storage as { dir?: unknown } | undefined)?.dir;
  return typeof dir === "string" ? path.resolve(dir) : undefined;
}

/** How a trial's process failed; recorded as the trial's error, the message alone (no stack: it is not tunelab's code). */
class TrialFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrialFailure";
    this.stack = message;
  }
}

/** Most reports waiting to be recorded before the process's output is paused (it then blocks writing). */
const HIGH_WATER = 256;

type Stopping = undefined | "pruned" | "aborted" | "failed";

async function runTrial(spec: CommandSpec, params: Config, trial: TrialContext<Config>): Promise<Record<string, number>> {
  const study = (trial as unknown as { [TRIAL_STUDY]?: Study })[TRIAL_STUDY];
  const studyName = study?.name ?? "";
  const expanded = expandArgv(spec.template, { params, trial: trial.number, ...(trial.budget !== undefined ? { budget: trial.budget } : {}), study: studyName });
  const argv = spec.shell ? ["/bin/sh", "-c", expanded[0]!, "tunelab-trial", ...expanded.slice(1)] : expanded;
  const folder = path.join(trialsFolder(study, spec), String(trial.number));
  fs.mkdirSync(folder, { recursive: true });
  const cwd = spec.trialDir ? folder : spec.cwd !== undefined ? path.resolve(spec.cwd) : process.cwd();
  const logFile = path.join(folder, "output.log");
  const base = storageDir(study);
  const record: JsonObject = { argv: expanded, log: base ? path.relative(base, logFile) : logFile };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...spec.env,
    TUNELAB_PARAMS: JSON.stringify(params),
    TUNELAB_TRIAL: String(trial.number),
    TUNELAB_BUDGET: trial.budget === undefined ? "" : String(trial.budget),
    TUNELAB_STUDY: studyName,
    TUNELAB_TRIAL_DIR: folder,
  };
  if (trial.signal.aborted) throw new TrialFailure("stopped before its process started");

  const log = new TrialLog(logFile, spec.logBytes);
  const where = path.relative(process.cwd(), cwd);
  log.write(`[tunelab] trial ${trial.number}${where ? ` (in ${where})` : ""}: ${shellQuote(expanded)}\n`);
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    log.close(`[tunelab] could not start: ${errorText(e)}\n`);
    throw new TrialFailure(`could not start ${JSON.stringify(argv[0])}: ${errorText(e)}`);
  }
  const spawned = await new Promise<Error | undefined>((resolve) => {
    child.once("spawn", () => resolve(undefined));
    child.once("error", (e) => resolve(e));
  });
  if (spawned) {
    log.close(`[tunelab] could not start: ${spawned.message}\n`);
    throw spawnFailure(argv[0]!, spawned as NodeJS.ErrnoException, cwd);
  }
  child.on("error", () => {}); // e.g. a signal sent after it exited: nothing to do
  const pid = child.pid!;
  const proc = processRecord(pid);
  registerGroup(proc, spec.graceMs);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let stopping: Stopping;
  let stopped: ReturnType<typeof stopGroup> | undefined;
  let failure: unknown;
  const stop = (why: Stopping): void => {
    if (stopping) return;
    stopping = why;
    stopped = stopGroup(pid, spec.graceMs, exited);
  };
  const onAbort = () => stop("aborted");
  trial.signal.addEventListener("abort", onAbort);

  // Output: both streams, line by line, into the log and the metric reader; reports go to the
  // study one at a time, in order, and the output is paused while too many wait.
  const stderrTail = new LineTail(20, 500);
  const outputTail = new LineTail(15, 200);
  const queue: ReadReport[] = [];
  let pumping = false;
  let paused = false;
  const pause = (on: boolean) => {
    if (paused === on) return;
    paused = on;
    for (const s of [child.stdout!, child.stderr!]) on ? s.pause() : s.resume();
  };
  let drained: () => void = () => {};
  const pump = async () => {
    pumping = true;
    try {
      while (queue.length > 0 && !stopping) {
        const r = queue.shift()!;
        if (queue.length < HIGH_WATER / 4) pause(false);
        let stop_: boolean;
        try {
          stop_ = await trial.report(r.step, r.values);
        } catch (e) {
          failure = e;
          stop("failed");
          break;
        }
        if (stop_) stop("pruned");
      }
    } finally {
      queue.length = 0;
      pumping = false;
      pause(false);
      drained();
    }
  };
  const reader = new MetricReader(study?.metric ?? "value", spec.metrics, (r) => {
    if (stopping) return;
    queue.push(r);
    if (queue.length >= HIGH_WATER) pause(true);
    if (!pumping) void pump();
  });
  const readStream = (stream: NodeJS.ReadableStream, isErr: boolean) => {
    const lines = new LineSplitter(
      spec.maxLine,
      (line) => {
        outputTail.push(line);
        if (isErr) stderrTail.push(line);
        reader.line(line);
      },
      (text) => log.write(text),
    );
    stream.on("data", (chunk: Buffer) => lines.push(chunk));
    stream.on("error", () => {});
    stream.on("end", () => lines.end());
  };
  readStream(child.stdout!, false);
  readStream(child.stderr!, true);

  // The process's own record, before anything can fail: a resumed study finds its group by it.
  if (study) {
    try {
      // `origin`: the strategy's bookkeeping as the trial started, what a retry starts from.
      const origin = study.snapshot.trials[trial.number]?.system ?? {};
      await study.storage.setSystem(study.name, trial.number, { [PROCESS_KEY]: { ...(proc as unknown as JsonObject), origin }, [COMMAND_KEY]: record });
    } catch (e) {
      failure ??= e;
      stop("failed");
    }
  }

  const exit = await exited;
  // The leader is gone; whatever it left in its group goes too (after its grace period).
  const { left } = await (stopped ?? stopGroup(pid, spec.graceMs));
  await closed;
  if (pumping) await new Promise<void>((r) => (drained = r));
  trial.signal.removeEventListener("abort", onAbort);
  unregisterGroup(pid);

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  log.close(`[tunelab] ${how} after ${seconds} s${stopping ? ` (stopped by tunelab: ${stopping})` : ""}${left.length ? `; processes ${left.join(", ")} of its group could not be stopped` : ""}\n`);
  if (study) {
    try {
      await study.storage.setSystem(study.name, trial.number, { [COMMAND_KEY]: { ...record, tail: outputTail.text() } });
    } catch {
      // The trial's outcome matters more than its log's tail.
    }
  }

  if (failure !== undefined) throw failure;
  if (stopping === "pruned") return reader.last;
  if (stopping === "aborted") throw new TrialFailure(`stopped: its process was ${how}`);
  const shellSignal = spec.shell && exit.code !== null && exit.code > 128 && exit.code < 160 ? signalName(exit.code - 128) : undefined;
  const signal = exit.signal ?? shellSignal;
  if (signal) {
    const oom = signal === "SIGKILL" ? " (the out-of-memory killer sends SIGKILL; so does kill -9)" : "";
    throw new InfrastructureFailure(`the process was killed by ${signal}${oom}${tailNote(stderrTail, "stderr")}`, signal === "SIGKILL" ? "oom" : "signal");
  }
  if (exit.code !== 0) throw new TrialFailure(`the process exited with code ${exit.code}${tailNote(stderrTail, "stderr")}`);
  const metric = study?.metric ?? "value";
  const value = reader.final(spec.final);
  if (value === undefined) {
    const def = spec.metrics.find((m) => m.name === metric);
    throw new TrialFailure(Msg.noObjectiveMetric(metric, def?.source).message + tailNote(outputTail, "output"));
  }
  return { ...reader.last, [metric]: value };
}

function tailNote(tail: LineTail, what: string): string {
  const t = tail.text();
  return t ? `; last lines of its ${what}:\n${t}` : `; it printed nothing to ${what}`;
}

/** A failure to start: a missing or unusable program is the user's to fix; a lack of resources is the machine's. */
function spawnFailure(program: string, e: NodeJS.ErrnoException, cwd: string): Error {
  if (e.code === "EAGAIN" || e.code === "ENOMEM" || e.code === "EMFILE" || e.code === "ENFILE") {
    return new InfrastructureFailure(`could not start ${JSON.stringify(program)}: ${e.message}`, "spawn");
  }
  const hint = e.code === "ENOENT" ? (fs.existsSync(cwd) ? "; check the program's name and PATH" : `; the working directory ${cwd} does not exist`) : "";
  return new TrialFailure(`could not start ${JSON.stringify(program)}: ${e.message}${hint}`);
}

function signalName(n: number): NodeJS.Signals | undefined {
  for (const [name, num] of Object.entries(os.constants.signals)) if (num === n) return name as NodeJS.Signals;
  return undefined;
}
