import * as fs from "fs";
import * as path from "path";
import type { Worker } from "worker_threads";
import { workerKey, type WorkerIdentity } from "../record/system";
import { ownHolder } from "../storage/lock";
import type { HeartbeatTarget, Storage } from "../storage/storage";
import { errorText, isTunelabError } from "../util/errors";
import { isPlainObject, type JsonObject } from "../util/json";
import { Msg } from "../util/messages";
import { warn } from "./events";
import { HEAD, type ThreadMessage } from "./heartbeat-shm";

/**
 * Heartbeats: each running trial names its owner (this process: host, pid, start) and the owner
 * says it is alive every `intervalSeconds`, from a thread of its own (heartbeat-thread.ts), so
 * that a busy synchronous objective cannot starve it. A trial whose last sign of life (its last
 * beat, else its start) is older than `graceSeconds`, in the storage's clock, is failed as
 * `stale` by the next worker that asks (heartbeat-sweep.ts), and retried with `.retries()`.
 *
 * Only storages that outlive a process have them (the journal, PostgreSQL): a study in memory
 * ends with the process that runs its trials.
 */
export interface HeartbeatOptions {
  /** Seconds between two beats (default 10, or graceSeconds / 6 if that is shorter). */
  readonly intervalSeconds?: number;
  /** A trial silent for longer than this is stale (default 60, or 6 × intervalSeconds if that is longer). */
  readonly graceSeconds?: number;
}

/** Checked heartbeat options, in milliseconds. */
export interface HeartbeatPolicy {
  readonly intervalMs: number;
  readonly graceMs: number;
}

export const HEARTBEAT_KEYS = ["intervalSeconds", "graceSeconds"] as const;
export const DEFAULT_INTERVAL_SECONDS = 10;
export const DEFAULT_GRACE_SECONDS = 60;
/** Bounds: a beat at most 20 times a second, at least once an hour; a grace of at most a day. */
export const MIN_INTERVAL_SECONDS = 0.05;
export const MAX_INTERVAL_SECONDS = 3600;
export const MAX_GRACE_SECONDS = 86_400;
/** The grace must cover at least this many intervals: one late beat must not fail a live trial. */
export const GRACE_INTERVALS = 2;

export const DEFAULT_HEARTBEAT: HeartbeatPolicy = { intervalMs: DEFAULT_INTERVAL_SECONDS * 1000, graceMs: DEFAULT_GRACE_SECONDS * 1000 };

/** Reads `{ intervalSeconds, graceSeconds }` (either may be left out); undefined: the defaults. */
export function resolveHeartbeat(input: unknown, field = "heartbeat"): HeartbeatPolicy {
  if (input === undefined || input === null) return DEFAULT_HEARTBEAT;
  let raw: Record<string, unknown>;
  try {
    if (!isPlainObject(input)) throw Msg.badOption(field, input, "an object { intervalSeconds, graceSeconds }: how often a running trial's worker says it is alive, and how long a silent trial is waited for");
    raw = {};
    for (const k of Object.keys(input)) {
      if (!(HEARTBEAT_KEYS as readonly string[]).includes(k)) throw Msg.unknownOption(field, k, HEARTBEAT_KEYS);
      raw[k] = input[k];
    }
  } catch (e) {
    throw isTunelabError(e) ? e : Msg.unreadableValue(field, errorText(e));
  }
  const seconds = (k: string, min: number, max: number): number | undefined => {
    const v = raw[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number" || !(v >= min && v <= max)) throw Msg.heartbeatRange(`${field}.${k}`, v, min, max);
    return v;
  };
  const interval = seconds("intervalSeconds", MIN_INTERVAL_SECONDS, MAX_INTERVAL_SECONDS);
  const grace = seconds("graceSeconds", MIN_INTERVAL_SECONDS * GRACE_INTERVALS, MAX_GRACE_SECONDS);
  const i = interval ?? Math.min(DEFAULT_INTERVAL_SECONDS, (grace ?? DEFAULT_GRACE_SECONDS) / 6);
  const g = grace ?? Math.min(MAX_GRACE_SECONDS, Math.max(DEFAULT_GRACE_SECONDS, 6 * i));
  if (g < GRACE_INTERVALS * i) throw Msg.heartbeatGrace(`${field}.graceSeconds`, g, i, GRACE_INTERVALS);
  return { intervalMs: i * 1000, graceMs: g * 1000 };
}

/** Checked options, complete (both fields), or undefined when none were given: what the DSL and study files keep. */
export function checkHeartbeat(input: unknown, field = "heartbeat"): Required<HeartbeatOptions> | undefined {
  if (input === undefined || input === null) return undefined;
  const p = resolveHeartbeat(input, field);
  return { intervalSeconds: p.intervalMs / 1000, graceSeconds: p.graceMs / 1000 };
}

// ---- who runs a trial ------------------------------------------------------------------------

/**
 * This process as a trial's `owner` (record/system.ts WorkerIdentity), plus what tells a dead
 * process on this machine from a live one (lock.ts's holder identity): the kernel's boot id,
 * the pid namespace and the start time in clock ticks. A worker on this machine (and in this
 * container) whose process is gone is known dead at once, without waiting for the grace period.
 */
export interface OwnerRecord extends WorkerIdentity {
  readonly boot: string | null;
  readonly pidns: string | null;
  readonly ticks: string | null;
}

let me: { record: JsonObject; key: string } | undefined;

export function ownOwner(): { readonly record: JsonObject; readonly key: string } {
  if (!me) {
    const h = ownHolder();
    const o: OwnerRecord = { host: h.host, pid: h.pid, start: Math.round(performance.timeOrigin), boot: h.boot, pidns: h.pidns, ticks: h.start };
    me = { record: o as unknown as JsonObject, key: workerKey(o) };
  }
  return me;
}

// ---- the thread --------------------------------------------------------------------------------

let thread: Worker | undefined;
let stopTimer: ReturnType<typeof setTimeout> | undefined;
/** How long the thread outlives its last lease (it is unref'd: it never holds the process). */
const LINGER_MS = 2000;
const readyWaiters = new Map<number, () => void>();
let openLeases = 0;
let nextLease = 0;

/**
 * The running trials of one study handle (a Study), beaten by this process's heartbeat thread
 * while the lease is open. `add` and `delete` cost a write to shared memory: no message, no
 * promise, nothing on the main thread's event loop.
 */
export class BeatLease {
  private readonly id = ++nextLease;
  private view: Int32Array;
  private readonly trials: number[] = [];
  private closed = false;

  /** Resolves once the thread has taken the lease (it then beats within a fraction of an interval of any trial's start). */
  readonly ready: Promise<void>;

  private constructor(private readonly worker: Worker, target: HeartbeatTarget, key: string, intervalMs: number) {
    const buffer = new SharedArrayBuffer(4 * (HEAD + 16));
    this.view = new Int32Array(buffer);
    this.ready = new Promise<void>((resolve) => readyWaiters.set(this.id, resolve));
    const m: ThreadMessage = { type: "lease", id: this.id, key, target, owner: ownOwner().key, intervalMs, buffer };
    worker.postMessage(m);
  }

  /** A lease on the study's storage, or undefined when the storage needs no heartbeats (memory) or no thread can run. */
  static open(storage: Storage, study: string, policy: HeartbeatPolicy): BeatLease | undefined {
    const target = storage.heartbeatTarget?.(study);
    if (!target) return undefined;
    const worker = startThread();
    if (!worker) return undefined;
    openLeases++;
    const key = target.kind === "journal" ? `journal ${target.file}` : `${storage.location} (study ${JSON.stringify(study)})`;
    return new BeatLease(worker, target, key, policy.intervalMs);
  }

  get size(): number {
    return this.trials.length;
  }

  add(trial: number): void {
    if (this.closed || this.trials.includes(trial)) return;
    this.trials.push(trial);
    this.publish();
  }

  delete(trial: number): void {
    const i = this.trials.indexOf(trial);
    if (i < 0) return;
    this.trials.splice(i, 1);
    if (!this.closed) this.publish();
  }

  /** Stops beating for this handle (its trials are then left to the grace period); the thread ends with the last lease. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.trials.length = 0;
    readyWaiters.get(this.id)?.();
    readyWaiters.delete(this.id);
    this.worker.postMessage({ type: "close", id: this.id } satisfies ThreadMessage);
    if (--openLeases === 0 && thread === this.worker) {
      // Stopped a moment later, unless another run starts meanwhile (a notebook's next cell).
      const w = thread;
      stopTimer = setTimeout(() => {
        stopTimer = undefined;
        if (openLeases > 0 || thread !== w) return;
        w.postMessage({ type: "stop" } satisfies ThreadMessage);
        thread = undefined;
      }, LINGER_MS);
      stopTimer.unref?.();
    }
  }

  private publish(): void {
    let view = this.view;
    const n = this.trials.length;
    if (n > view.length - HEAD) {
      const buffer = new SharedArrayBuffer(4 * (HEAD + 2 * n));
      view = this.view = new Int32Array(buffer);
      this.worker.postMessage({ type: "buffer", id: this.id, buffer } satisfies ThreadMessage);
    }
    Atomics.add(view, 0, 1);
    for (let i = 0; i < n; i++) view[HEAD + i] = this.trials[i]!;
    Atomics.store(view, 1, n);
    Atomics.add(view, 0, 1);
  }
}

/** The thread of this process, started with the first lease; unref'd: it never keeps the process alive. */
function startThread(): Worker | undefined {
  if (stopTimer !== undefined) {
    clearTimeout(stopTimer);
    stopTimer = undefined;
  }
  if (thread) return thread;
  try {
    const { Worker } = require("worker_threads") as typeof import("worker_threads");
    const js = path.join(__dirname, "heartbeat-thread.js");
    let w: Worker;
    if (fs.existsSync(js)) w = new Worker(js);
    else {
      // Running from the TypeScript sources (the test runner): compile them as they load.
      const source = path.join(__dirname, "heartbeat-thread.ts");
      w = new Worker(`${TS_LOADER}\nrequire(${JSON.stringify(source)});`, { eval: true, workerData: { typescript: require.resolve("typescript") } });
    }
    w.on("message", (m: { type?: unknown; message?: unknown; id?: unknown }) => {
      if (m && m.type === "warning" && typeof m.message === "string") warn(m.message);
      if (m && m.type === "ready" && typeof m.id === "number") {
        readyWaiters.get(m.id)?.();
        readyWaiters.delete(m.id);
      }
    });
    w.on("exit", () => {
      if (thread === w) thread = undefined;
      // A thread that ended (or failed to start) takes no lease: nobody waits for it.
      for (const resolve of readyWaiters.values()) resolve();
      readyWaiters.clear();
    });
    w.on("error", (e) => warn(`the heartbeat thread failed: ${errorText(e)}; running trials of this process may be failed as stale by other workers`));
    // After the listeners: adding a "message" listener refs the worker again.
    w.unref();
    thread = w;
    return w;
  } catch (e) {
    warn(`no heartbeat thread could be started (${errorText(e)}); running trials of this process may be failed as stale by other workers`);
    return undefined;
  }
}

const TS_LOADER = `
const { workerData } = require("worker_threads");
const ts = require(workerData.typescript);
const fs = require("fs");
require.extensions[".ts"] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, "utf8"), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true } }).outputText, file);
`;
