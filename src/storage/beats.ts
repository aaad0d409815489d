import { writeBeat } from "./journal";
import type { HeartbeatTarget } from "./storage";

/** Writes one worker's heartbeats to one study, from a handle of its own (a heartbeat thread's). */
export interface BeatWriter {
  /** Records, in the storage's clock, that `owner` is alive and runs `trials` (none: forget the owner). */
  beat(owner: string, trials: readonly number[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a writer for a target that Storage.heartbeatTarget described (in another thread: the
 * target is plain data). The journal's beats are files beside it (journal.ts writeBeat); the
 * PostgreSQL adapter opens a pool of one connection on the same URL, which retries a lost
 * connection only for `retryMs` (a beat is sent again at the next interval anyway).
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
