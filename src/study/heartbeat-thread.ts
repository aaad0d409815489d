/**
 * The heartbeat thread (a worker_threads Worker that heartbeat.ts starts): beats, every interval,
 * for the trials this process runs, through a storage handle of its own. It runs beside the
 * main thread, so an objective that keeps the main thread busy (a synchronous training loop)
 * cannot starve it. Which trials run is read from shared memory that the main thread rewrites
 * when a trial starts or ends (no message per trial); a lease's target and its shared memory
 * come by message.
 */
import { parentPort } from "worker_threads";
import { openBeatWriter, type BeatWriter } from "../storage/beats";
import type { HeartbeatTarget } from "../storage/storage";
import { readTrialSet, type ThreadMessage } from "./heartbeat-shm";

interface Lease {
  view: Int32Array;
  readonly group: Group;
}

/** Leases on one study of one storage: one writer, one beat per interval for all of them. */
interface Group {
  readonly key: string;
  readonly owner: string;
  readonly writer: BeatWriter;
  readonly leases: Set<Lease>;
  readonly timer: ReturnType<typeof setInterval>;
  /** The beat in progress (a tick waits for none: it skips). */
  busy: Promise<void> | undefined;
  /** Whether the last beat written named any trial (then an empty set is written once, to clear it). */
  named: boolean;
  /** The trials the last beat named, and when it was sent (performance.now()). */
  beaten: Set<number>;
  beatAt: number;
  readonly intervalMs: number;
  failing: boolean;
}

const leases = new Map<number, Lease>();
const groups = new Map<string, Group>();
const port = parentPort!;

function warn(message: string): void {
  port.postMessage({ type: "warning", message });
}

/**
 * Looks at the running trials a few times per interval: beats once an interval has passed since
 * the last beat, and at once when a trial appeared that the last beat did not name (its first
 * beat then comes within a fraction of an interval of its start, however loaded the machine).
 */
function tick(g: Group): void {
  if (g.busy) return;
  const trials = new Set<number>();
  for (const l of g.leases) readTrialSet(l.view, trials);
  if (trials.size === 0 && !g.named) return;
  let fresh = false;
  for (const t of trials) if (!g.beaten.has(t)) fresh = true;
  if (!fresh && performance.now() - g.beatAt < g.intervalMs) return;
  const list = [...trials].sort((a, b) => a - b);
  g.beatAt = performance.now();
  g.busy = g.writer
    .beat(g.owner, list)
    .then(
      () => {
        g.named = list.length > 0;
        g.beaten = trials;
        if (g.failing) warn(`heartbeats of ${g.key} are recorded again`);
        g.failing = false;
      },
      (e: unknown) => {
        if (!g.failing) warn(`a heartbeat of ${g.key} could not be recorded (${e instanceof Error ? e.message : String(e)}); trying again every interval`);
        g.failing = true;
      },
    )
    .finally(() => (g.busy = undefined));
}

function open(m: Extract<ThreadMessage, { type: "lease" }>): void {
  let g = groups.get(m.key);
  if (!g) {
    const writer = openBeatWriter(m.target as HeartbeatTarget, { retryMs: m.intervalMs, onWarning: () => undefined });
    const poll = Math.max(25, Math.min(m.intervalMs / 4, 1000));
    const made: Group = { key: m.key, owner: m.owner, writer, leases: new Set(), timer: setInterval(() => tick(made), poll), busy: undefined, named: false, failing: false, beaten: new Set(), beatAt: -Infinity, intervalMs: m.intervalMs };
    g = made;
    groups.set(m.key, g);
  }
  const lease: Lease = { view: new Int32Array(m.buffer), group: g };
  leases.set(m.id, lease);
  g.leases.add(lease);
  port.postMessage({ type: "ready", id: m.id });
}

async function close(id: number): Promise<void> {
  const lease = leases.get(id);
  if (!lease) return;
  leases.delete(id);
  const g = lease.group;
  g.leases.delete(lease);
  if (g.leases.size > 0) return;
  groups.delete(g.key);
  clearInterval(g.timer);
  await g.busy;
  // The worker ran nothing more here: its beat goes, so no reader mistakes it for a live one.
  if (g.named) await g.writer.beat(g.owner, []).catch(() => undefined);
  await g.writer.close().catch(() => undefined);
}

let closing: Promise<unknown> = Promise.resolve();

port.on("message", (m: ThreadMessage) => {
  switch (m.type) {
    case "lease":
      open(m);
      return;
    case "buffer": {
      const l = leases.get(m.id);
      if (l) l.view = new Int32Array(m.buffer);
      return;
    }
    case "close":
      closing = closing.then(() => close(m.id));
      return;
    case "stop":
      // Every lease is closed by then: once their last beats are written, nothing is left to run.
      void closing.then(() => {
        port.postMessage({ type: "stopped" });
        port.close();
      });
      return;
  }
});
