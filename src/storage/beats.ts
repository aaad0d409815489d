import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { threadId } from "worker_threads";
import type { HeartbeatTarget } from "./storage";

/**
 * Heartbeats written from a handle of their own (a heartbeat thread's), and the journal's
 * heartbeat files. Kept apart from the adapters so that the thread loads only this file (and,
 * for PostgreSQL, the adapter): it starts in a fraction of the time.
 */

/** Writes one worker's heartbeats to one study. */
export interface BeatWriter {
  /** Records, in the storage's clock, that `owner` is alive and runs `trials` (none: forget the owner). */
  beat(owner: string, trials: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a writer for a target that Storage.heartbeatTarget described (in another thread: the
 * target is plain data). The journal's beats are files beside it (writeBeat); the PostgreSQL
 * adapter opens a pool of one connection on the same URL, which retries a lost connection only
 * for `retryMs` (a beat is sent again at the next interval anyway).
 */
export function openBeatWriter(target: HeartbeatTarget, options: { readonly retryMs: number; readonly onWarning: (m: string) => void }): BeatWriter {
  switch (target.kind) {
    case "journal":
      return {
        beat: async (owner, trials) => writeBeat(target.file, owner, trials),
        close: async () => undefined,
      };
    case "postgresql": {
      // Loaded only here, as openStorage does: a journal user never loads pg.
      const { PostgresStorage } = require("./postgres") as typeof import("./postgres");
      const pg = new PostgresStorage(target.url, { poolSize: 1, retryMs: options.retryMs, onWarning: options.onWarning });
      return {
        beat: (owner, trials) => pg.heartbeat(target.study, owner, trials),
        close: () => pg.close(),
      };
    }
  }
}

// ---- the journal's heartbeat files ----------------------------------------------------------------

/** The folder of a journal's heartbeat files: `<journal>.beats/`. */
export function beatsDir(journal: string): string {
  return journal + ".beats";
}

/**
 * Records a heartbeat of `owner`'s running `trials` beside the journal `file`: one small file
 * per worker, written aside then renamed over the old one, naming its running trials; the file's
 * modification time is the beat (the file system's clock). No trials removes the owner's file.
 * Needs no open study: a heartbeat thread calls it with the journal's path.
 */
export function writeBeat(file: string, owner: string, trials: readonly number[]): void {
  const dir = beatsDir(file);
  const beat = path.join(dir, createHash("sha256").update(owner).digest("hex").slice(0, 32) + ".json");
  if (trials.length === 0) {
    fs.rmSync(beat, { force: true });
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${beat}.${process.pid}.${threadId}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ owner, trials }));
  fs.renameSync(tmp, beat);
}

/** The latest beat of each trial named by the heartbeat files in `dir` (their modification times). */
export function readBeats(dir: string): Map<number, number> {
  const out = new Map<number, number>();
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.endsWith(".json")) continue;
    try {
      const f = path.join(dir, name);
      const at = fs.statSync(f).mtimeMs;
      const trials = (JSON.parse(fs.readFileSync(f, "utf8")) as { trials?: unknown }).trials;
      if (!Array.isArray(trials)) continue;
      for (const n of trials) if (typeof n === "number" && !((out.get(n) ?? -Infinity) >= at)) out.set(n, at);
    } catch {
      /* removed or being replaced meanwhile: its worker beats again soon */
    }
  }
  return out;
}
