/**
 * `tunelab status NAME [--storage LOCATION] [--json]`: what a study holds, from any shell that
 * reaches its storage: trials by state, the best trial and its parameters, and whether the
 * trials still running have live workers (their heartbeats). Reads only:
 * the heartbeats are read inside a write that appends nothing (the storage's own clock, as the
 * workers' stale check uses).
 *
 * Exit status 0; 2 for bad arguments or a study the storage doesn't hold (the message lists
 * the ones it does); 1 when the storage fails.
 */
import type { Writable } from "stream";
import { bestTrial, TrialStates, type StudySnapshot } from "../model/trial";
import { ownerOf, workerKey } from "../record/system";
import { openStorage } from "../storage/open";
import type { Storage } from "../storage/storage";
import { DEFAULT_GRACE_SECONDS } from "../study/heartbeat";
import { isTunelabError } from "../util/errors";
import { Msg } from "../util/messages";
import { formatNumber, formatParams } from "../views/format";

export const STATUS_USAGE = `usage: tunelab status NAME [--storage LOCATION] [--json]

Prints what the study NAME holds: trials by state, the best trial and its
parameters, and whether trials still running have live workers (from their
heartbeats).

  --storage LOCATION   a folder, or postgresql://... (default: TUNELAB_STORAGE,
                       else .tunelab)
  --grace SECONDS      a running trial silent for longer is reported stale
                       (default ${DEFAULT_GRACE_SECONDS}, the workers' default graceSeconds)
  --json               one JSON object instead of text

Exit status: 0; 2 for bad arguments or an unknown study; 1 when the storage fails.
`;

export interface StatusIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** A running trial and its worker's last sign of life. */
export interface RunningStatus {
  readonly trial: number;
  readonly worker?: string;
  /** Seconds since its last heartbeat (or its start, without one), in the storage's clock. */
  readonly silentSeconds: number;
  readonly alive: boolean;
}

/** What `tunelab status --json` prints. */
export interface StudyStatus {
  readonly study: string;
  readonly storage: string;
  readonly strategy: string;
  readonly seed: number;
  readonly direction: string;
  readonly metric: string;
  readonly trials: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly best: { readonly number: number; readonly value: number; readonly params: Readonly<Record<string, unknown>> } | null;
  readonly running: readonly RunningStatus[];
}

/** Runs `tunelab status` with its arguments; resolves to the exit status. */
export async function statusCommand(args: readonly string[], io: StatusIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let name: string | undefined;
  let location: string | undefined;
  let json = false;
  let grace = DEFAULT_GRACE_SECONDS;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-h" || a === "--help") {
      io.stdout.write(STATUS_USAGE);
      return 0;
    }
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (flag === "--json" && inline === undefined) json = true;
    else if (flag === "--storage" || flag === "--grace") {
      const v = inline ?? args[++i];
      if (v === undefined) return usage(io, `${flag} needs a value`);
      if (flag === "--storage") location = v;
      else {
        grace = Number(v);
        if (!(grace > 0 && Number.isFinite(grace))) return usage(io, `--grace must be a number of seconds > 0, but got ${JSON.stringify(v)}`);
      }
    } else if (a.startsWith("-") || name !== undefined) return usage(io, `unexpected argument ${JSON.stringify(a)}`);
    else name = a;
  }
  if (name === undefined) return usage(io, "which study?");
  let storage: Storage | undefined;
  try {
    storage = await (location === undefined ? openStorage() : openStorage(location, { field: "--storage" }));
    const status = await readStatus(storage, name, grace * 1000);
    io.stdout.write(json ? JSON.stringify(status) + "\n" : formatStatus(status));
    return 0;
  } catch (e) {
    io.stderr.write(`tunelab status: ${isTunelabError(e) ? `${e.message} [${e.code}]` : (e as Error).stack ?? String(e)}\n`);
    return isTunelabError(e) && (!e.code.startsWith("storage.") || e.code === "storage.bad_location") ? 2 : 1;
  } finally {
    await storage?.close();
  }
}

function usage(io: StatusIo, problem: string): number {
  io.stderr.write(`tunelab status: ${problem}\n\n${STATUS_USAGE}`);
  return 2;
}

/** The status of the stored study `name` (study.not_found, listing the stored ones, when there is none). */
export async function readStatus(storage: Storage, name: string, graceMs = DEFAULT_GRACE_SECONDS * 1000): Promise<StudyStatus> {
  if (typeof name !== "string" || name.length === 0 || name.length > 200) throw Msg.badStudyName(name);
  let snapshot = await storage.openExisting(name);
  if (!snapshot) throw Msg.studyNotFound(name, storage.where(name), await storage.listStudies().catch(() => undefined));
  let running: RunningStatus[] = [];
  if (snapshot.trials.some((t) => t.state === "running")) {
    // A write that creates nothing: it reads the heartbeats and the clock the workers' stale check uses.
    const r = await storage.createTrial(name, (snap, _n, write) => {
      running = snap.trials
        .filter((t) => t.state === "running")
        .map((t) => {
          const silent = Math.max(0, write.now - (write.lastBeat(t.number) ?? t.startedAt));
          const owner = ownerOf(t.system);
          return { trial: t.number, ...(owner ? { worker: workerKey(owner) } : {}), silentSeconds: Math.round(silent / 100) / 10, alive: silent <= graceMs };
        });
      return undefined;
    });
    snapshot = r.snapshot;
  }
  return statusOf(snapshot, storage.where(name), running);
}

function statusOf(s: StudySnapshot, where: string, running: readonly RunningStatus[]): StudyStatus {
  const counts = Object.fromEntries(TrialStates.map((st) => [st, s.trials.filter((t) => t.state === st).length]));
  const best = bestTrial(s.spec.direction, s.trials);
  return {
    study: s.spec.name,
    storage: where,
    strategy: s.spec.strategy.name,
    seed: s.spec.seed,
    direction: s.spec.direction,
    metric: s.spec.metric,
    trials: s.trials.length,
    counts,
    best: best && best.value !== undefined ? { number: best.number, value: best.value, params: best.params } : null,
    running,
  };
}

/** The status as the aligned lines `tunelab status` prints. */
export function formatStatus(st: StudyStatus): string {
  const counts = Object.entries(st.counts).filter(([, c]) => c > 0).map(([k, c]) => `${c} ${k}`);
  const rows: [string, string][] = [
    ["strategy", `${st.strategy} (seed ${st.seed}), ${st.direction} ${st.metric}`],
    ["trials", `${st.trials}${counts.length ? `: ${counts.join(", ")}` : ""}`],
    ["best", st.best ? `trial ${st.best.number}: ${st.metric} ${formatNumber(st.best.value)} (${formatParams(st.best.params, Object.keys(st.best.params)) || "no parameters"})` : "none yet (no trial completed)"],
    ["workers", workers(st.running)],
  ];
  return [`study ${JSON.stringify(st.study)} in ${st.storage}`, ...rows.map(([k, v]) => `  ${k.padEnd(9)} ${v}`)].join("\n") + "\n";
}

function workers(running: readonly RunningStatus[]): string {
  if (running.length === 0) return "none running";
  const alive = running.filter((r) => r.alive).length;
  const shown = running.slice(0, 10).map((r) => `trial ${r.trial}${r.worker ? ` on ${r.worker}` : ""} ${r.alive ? "alive" : "stale"}, silent ${r.silentSeconds} s`);
  return `${running.length} running, ${alive} with a live worker: ${shown.join("; ")}${running.length > 10 ? "; ..." : ""}`;
}
