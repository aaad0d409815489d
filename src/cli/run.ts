/**
 * `tunelab run FILE.json`: runs the study a study file describes (src/command/study-file.ts
 * documents the format), each trial an external command, until a limit is reached; resumes
 * the study when its storage already holds it.
 *
 * - Progress on standard error: on a terminal one line updated in place (trials done and
 *   running, the best so far, the last error); otherwise one line per finished trial.
 * - The summary (why it stopped, the best trial) on standard output.
 * - Ctrl-C (SIGINT) or SIGTERM stops cleanly: running trials are recorded as interrupted
 *   (they don't count toward limits.trials, so a resumed run makes them up) and their
 *   processes are stopped (SIGTERM, SIGKILL after the grace period); a second Ctrl-C sends
 *   SIGKILL at once. Exit status 130 (SIGINT) or 143 (SIGTERM).
 * - Exit status 0 when a limit is reached (or the strategy has nothing left), 2 for a bad
 *   file or arguments (the message names the field), 1 when the storage fails.
 * - `--dry-run` prints the first command lines it would run, without running or recording
 *   anything.
 */
import * as fs from "fs";
import { boundaryShort, boundaryWarnings } from "../views/analysis/boundary";
import type { Writable } from "stream";
import { commandObjective } from "../command/command";
import { shellQuote } from "../views/command";
import { expandArgv } from "../command/argv";
import { liveGroups, signalGroup } from "../command/process";
import { parseStudyFile, type StudyFile } from "../command/study-file";
import type { FrozenTrial } from "../model/trial";
import { MemoryStorage } from "../storage/base";
import { openStorage, showLocation } from "../storage/open";
import type { Storage } from "../storage/storage";
import type { StopReason } from "../study/events";
import { runStudy } from "../study/runner";
import { Study } from "../study/study";
import { isTunelabError } from "../util/errors";

export const RUN_USAGE = `usage: tunelab run FILE.json [--dry-run] [--quiet]

Runs the study that FILE.json describes, each trial one run of its command, until
a limit is reached; resumes the study if its storage already holds it.

  --dry-run   print the first command lines it would run; run and record nothing
  --quiet     no progress lines (the summary is still printed)

The file (relative paths are relative to its folder):
  {"study": "digits", "storage": ".tunelab",
   "space": {"alpha": {"type": "float", "low": 1e-6, "high": 0.1, "scale": "log"}},
   "direction": "minimize", "metric": "val_loss",
   "strategy": "hyperband", "options": {"maxResource": 27}, "seed": 1,
   "limits": {"trials": 60, "parallel": 4},
   "command": ["python", "train.py", "--alpha", "{alpha}", "--epochs", "{budget}"],
   "metrics": [{"name": "val_loss", "regex": "val_loss=([-+0-9.eE]+)"}],
   "env": {"OMP_NUM_THREADS": "1"}, "retries": {"max": 2},
   "heartbeat": {"intervalSeconds": 10, "graceSeconds": 60}}

Exit status: 0 when a limit is reached, 130 after Ctrl-C, 2 for a bad file.
`;

export interface RunIo {
  readonly stdout: Writable;
  readonly stderr: Writable & { isTTY?: boolean; columns?: number };
  /** Where SIGINT and SIGTERM come from (default: this process). */
  readonly signals?: NodeJS.EventEmitter;
}

/** Runs `tunelab run` with its arguments; resolves to the exit status. */
export async function runCommand(args: readonly string[], io: RunIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const say = (w: Writable, text: string) => w.write(text);
  let file: string | undefined;
  let dryRun = false;
  let quiet = false;
  for (const a of args) {
    if (a === "-h" || a === "--help") {
      say(io.stdout, RUN_USAGE);
      return 0;
    } else if (a === "--dry-run") dryRun = true;
    else if (a === "--quiet") quiet = true;
    else if (a.startsWith("-") || file !== undefined) {
      say(io.stderr, `tunelab run: unexpected argument ${JSON.stringify(a)}\n\n${RUN_USAGE}`);
      return 2;
    } else file = a;
  }
  if (file === undefined) {
    say(io.stderr, `tunelab run: which study file? \n\n${RUN_USAGE}`);
    return 2;
  }
  let spec: StudyFile;
  try {
    spec = parseStudyFile(fs.readFileSync(file, "utf8"), file);
  } catch (e) {
    const detail = isTunelabError(e) ? `${e.message} [${e.code}]` : `cannot read it: ${(e as Error).message}`;
    say(io.stderr, `tunelab run: ${file}: ${detail}\n`);
    return 2;
  }
  try {
    return dryRun ? await dryRunStudy(spec, io) : await runStudyFile(spec, io, quiet);
  } catch (e) {
    say(io.stderr, `tunelab run: ${file}: ${isTunelabError(e) ? `${e.message} [${e.code}]` : (e as Error).stack ?? String(e)}\n`);
    return isTunelabError(e) && (!e.code.startsWith("storage.") || e.code === "storage.bad_location") ? 2 : 1;
  }
}

function openStudy(spec: StudyFile, storage: Storage): Promise<Study> {
  return Study.open({
    name: spec.study,
    space: spec.space,
    direction: spec.direction,
    metric: spec.metric,
    strategy: spec.strategy,
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(spec.stopping ? { stopping: spec.stopping } : {}),
    ...(spec.retries ? { retries: spec.retries } : {}),
    ...(spec.heartbeat ? { heartbeat: spec.heartbeat } : {}),
    ...(spec.warmStart ? { warmStart: spec.warmStart } : {}),
    storage,
  });
}

/** Proposes the first trials on a copy of the study (its stored state, copied into memory): nothing is written. */
async function dryRunStudy(spec: StudyFile, io: RunIo): Promise<number> {
  let storage: Storage = new MemoryStorage();
  let existing = 0;
  const source = spec.storage === "memory" ? undefined : await openStorage(spec.storage, { onWarning: () => {} });
  try {
    if (source && (await source.listStudies()).includes(spec.study)) storage = MemoryStorage.copyOf((await openStudy(spec, source)).snapshot);
    const study = await openStudy(spec, storage);
    existing = study.snapshot.trials.length;
    const counted = existing;
    const n = Math.max(0, Math.min(5, spec.limits.trials - counted));
    const out: string[] = [];
    out.push(`study ${JSON.stringify(spec.study)} in ${showLocation(spec.storage)}: ${existing ? `${existing} trials so far, resumed` : "new"}; ${spec.strategy.name}, ${spec.direction} ${spec.metric}`);
    out.push(`working directory: ${spec.command.trialDir ? "a folder per trial" : spec.command.cwd}`);
    for (let i = 0; i < n; i++) {
      const t = await study.ask();
      if (!t) break;
      const argv = expandArgv(spec.command.template, { params: t.params, trial: t.number, ...(t.budget !== undefined ? { budget: t.budget } : {}), study: spec.study });
      out.push(`trial ${t.number}: ${spec.command.shell ? `/bin/sh -c ${shellQuote(argv)}` : shellQuote(argv)}`);
    }
    if (n === 0) out.push("no trial to run: limits.trials is already reached");
    io.stdout.write(out.join("\n") + "\n");
    return 0;
  } finally {
    await source?.close();
  }
}

const REASONS: Record<StopReason, string> = {
  trials: "the trials limit was reached",
  time: "the time limit was reached",
  target: "the target was reached",
  patience: "the best value stopped improving (patience)",
  convergence: "further trials are unlikely to improve the best (convergence)",
  done: "the strategy has nothing left to try",
  interrupted: "interrupted",
};

async function runStudyFile(spec: StudyFile, io: RunIo, quiet: boolean): Promise<number> {
  const progress = new Progress(io.stderr, quiet, spec);
  const storage = await openStorage(spec.storage, { onWarning: (m) => progress.note(`tunelab: ${m}`) });
  const study = await openStudy(spec, storage).catch(async (e: unknown) => {
    await storage.close();
    throw e;
  });
  if (study.snapshot.trials.length > 0) progress.note(`resuming study ${JSON.stringify(spec.study)} with ${study.snapshot.trials.length} trials from ${storage.where(spec.study)}`);
  const controller = new AbortController();
  const signals = io.signals ?? process;
  let signal: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signal === undefined) {
      signal = sig;
      progress.note(`${sig}: stopping the running trials (SIGTERM, then SIGKILL after ${spec.command.graceMs / 1000} s; Ctrl-C again to kill them now)`);
      controller.abort();
    } else {
      for (const pgid of liveGroups()) signalGroup(pgid, "SIGKILL");
    }
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  signals.on("SIGINT", onInt);
  signals.on("SIGTERM", onTerm);
  const off = progress.follow(study);
  let reason: StopReason;
  let seconds: number;
  let detail: string | undefined;
  try {
    ({ reason, seconds, detail } = await runStudy(study, commandObjective(spec.command), spec.limits, { signal: controller.signal, handleSigint: false }));
  } finally {
    off();
    signals.off("SIGINT", onInt);
    signals.off("SIGTERM", onTerm);
    await storage.close();
  }
  io.stdout.write(summary(study, reason, seconds, detail));
  if (reason !== "interrupted") return 0;
  return signal === "SIGTERM" ? 143 : 130;
}

function summary(study: Study, reason: StopReason, seconds: number, detail?: string): string {
  const trials = study.snapshot.trials;
  const count = (s: string) => trials.filter((t) => t.state === s).length;
  const lines = [`study ${JSON.stringify(study.name)}: stopped after ${seconds.toFixed(1)} s: ${REASONS[reason]}${detail ? ` (${detail})` : ""}; ${trials.length} trials (${count("complete")} complete, ${count("pruned")} pruned, ${count("failed")} failed)`];
  const best = study.best;
  lines.push(best ? `best: trial ${best.number}, ${study.metric} ${fmt(best.value!)}, params ${JSON.stringify(best.params)}` : "best: none yet (no trial completed)");
  for (const w of rangeWarnings(study)) lines.push(`warning: ${w.message}`);
  return lines.join("\n") + "\n";
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+(e|$)/, "$1");
}

function rangeWarnings(study: Study): ReturnType<typeof boundaryWarnings> {
  const s = study.snapshot;
  return boundaryWarnings(s.trials, s.spec.space, s.spec.direction);
}

/** How often the progress line looks at the range warnings again (they sort every trial). */
const EDGE_EVERY_MS = 2000;

/** Progress on standard error: one line updated in place on a terminal, a line per finished trial otherwise. */
class Progress {
  private readonly tty: boolean;
  private running = 0;
  private done = 0;
  private lastError = "";
  private timer: ReturnType<typeof setInterval> | undefined;
  private shown = false;
  private t0 = Date.now();
  private study: Study | undefined;
  private edge = "";
  private edgeAt = -Infinity;

  constructor(
    private readonly out: Writable & { isTTY?: boolean; columns?: number },
    private readonly quiet: boolean,
    private readonly spec: StudyFile,
  ) {
    this.tty = out.isTTY === true;
  }

  /** A message of its own (not a progress line). */
  note(text: string): void {
    this.clear();
    this.out.write(text + "\n");
    this.draw();
  }

  follow(study: Study): () => void {
    this.study = study;
    this.t0 = Date.now();
    this.done = study.snapshot.trials.filter((t) => t.state !== "running").length;
    if (this.quiet) return () => {};
    const offs = [
      study.events.on("trialStarted", () => {
        this.running++;
        this.draw();
      }),
      study.events.on("trialFinished", ({ trial }) => {
        this.running = Math.max(0, this.running - 1);
        this.done++;
        if (trial.state === "failed") this.lastError = `trial ${trial.number}: ${firstLine(trial.error ?? "failed")}`;
        if (!this.tty) this.out.write(this.trialLine(trial) + "\n");
        this.draw();
      }),
    ];
    if (this.tty) this.timer = setInterval(() => this.draw(), 200);
    return () => {
      for (const o of offs) o();
      if (this.timer) clearInterval(this.timer);
      this.clear();
    };
  }

  private trialLine(t: FrozenTrial): string {
    const secs = t.finishedAt !== undefined ? ` (${((t.finishedAt - t.startedAt) / 1000).toFixed(1)} s)` : "";
    const head = `trial ${t.number} ${t.state}`;
    const value = t.value !== undefined ? `: ${this.spec.metric} ${fmt(t.value)}` : "";
    const at = t.state === "pruned" && t.intermediate.length ? ` at step ${t.intermediate[t.intermediate.length - 1]![0]}` : "";
    const err = t.state === "failed" ? `: ${firstLine(t.error ?? "")}` : "";
    return `${head}${at}${value}${err}${secs} · ${this.bestText()}${this.edgeText()}`;
  }

  /** The range warnings in short (" · at a bound: lr at low"), looked at again at most every EDGE_EVERY_MS. */
  private edgeText(): string {
    const now = Date.now();
    if (this.study && now - this.edgeAt >= EDGE_EVERY_MS) {
      this.edgeAt = now;
      const w = rangeWarnings(this.study);
      this.edge = w.length > 0 ? ` · at a bound: ${boundaryShort(w)}` : "";
    }
    return this.edge;
  }

  private bestText(): string {
    const b = this.study?.best;
    return b ? `best ${this.spec.metric} ${fmt(b.value!)} (trial ${b.number})` : "no best yet";
  }

  private draw(): void {
    if (!this.tty || this.quiet || !this.study) return;
    const total = Number.isFinite(this.spec.limits.trials) ? `/${this.spec.limits.trials}` : "";
    const secs = Math.round((Date.now() - this.t0) / 1000);
    let line = `${this.done}${total} done · ${this.running} running · ${this.bestText()}${this.edgeText()} · ${secs} s${this.lastError ? ` · last error: ${this.lastError}` : ""}`;
    const width = (this.out.columns ?? 100) - 1;
    if (line.length > width) line = line.slice(0, Math.max(0, width - 1)) + "…";
    this.out.write(`\r\x1b[2K${line}`);
    this.shown = true;
  }

  private clear(): void {
    if (this.tty && this.shown) this.out.write("\r\x1b[2K");
    this.shown = false;
  }
}

/** An error in one line: its first line, and for a failed process the last line it printed (the exception, usually). */
function firstLine(s: string): string {
  const lines = s.split("\n");
  let l = lines[0] ?? "";
  const tail = /; (last lines of its \w+:|it printed nothing to \w+)$/.exec(l);
  if (tail) {
    l = l.slice(0, tail.index);
    const last = lines.slice(1).filter((x) => x.trim()).pop();
    if (last) l += `: ${last.trim()}`;
  }
  return l.length > 160 ? l.slice(0, 157) + "..." : l;
}
