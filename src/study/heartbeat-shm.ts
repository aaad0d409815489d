import type { HeartbeatTarget } from "../storage/storage";

/**
 * What the main thread and the heartbeat thread share (heartbeat.ts, heartbeat-thread.ts): the
 * messages, and the layout of a lease's shared memory. A file of its own, so that the thread
 * loads next to nothing.
 */

/** What the main thread tells the heartbeat thread. */
export type ThreadMessage =
  | { readonly type: "lease"; readonly id: number; readonly key: string; readonly target: HeartbeatTarget; readonly owner: string; readonly intervalMs: number; readonly buffer: SharedArrayBuffer }
  | { readonly type: "buffer"; readonly id: number; readonly buffer: SharedArrayBuffer }
  | { readonly type: "close"; readonly id: number }
  | { readonly type: "stop" };

/**
 * A lease's shared memory: [version, count, trial, trial, ...]. The main thread alone writes
 * it: the version is odd while it writes (a seqlock), so the thread reads a whole set or
 * reads again.
 */
export const HEAD = 2;

/** Adds the trial numbers a lease's shared memory holds to `out` (nothing if it can't get a stable read). */
export function readTrialSet(view: Int32Array, out: Set<number>): void {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const v = Atomics.load(view, 0);
    if (v & 1) continue;
    const n = Math.min(Atomics.load(view, 1), view.length - HEAD);
    const got: number[] = [];
    for (let i = 0; i < n; i++) got.push(Atomics.load(view, HEAD + i));
    if (Atomics.load(view, 0) !== v) continue;
    for (const t of got) out.add(t);
    return;
  }
}

