import { randomUUID } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { errorText } from "../util/errors";
import { Msg } from "../util/messages";

/**
 * The journal's lock files: `<journal>.lock` exists while one process appends to the journal
 * (for one transaction: microseconds, or as long as a model takes to propose). A lock names its
 * holder, so a waiter can tell a live holder (wait) from one that is gone (break the lock):
 *
 *   {"tunelab":"lock","v":1,"pid":4242,"start":"8812345","boot":"6c0f...","pidns":"pid:[4026531836]","host":"gpu-3","token":"..."}
 *
 * `start` is the process's start time (/proc/<pid>/stat, field 22) and `boot` the kernel's boot
 * id: together with the pid they name one process of one boot, so a pid that now belongs to
 * another process (pid reuse: common in containers) and a lock left before a restart are told
 * apart from the holder. `pidns` keeps pids of different containers apart; `token` is unique.
 *
 * A lock is a hard link to a file holding this process's identity, written once per folder
 * (`.tunelab-<token>.owner`, removed when the process exits): taking it is one link() call,
 * which creates it with its content in one step, so no kill leaves an empty lock, and it costs
 * a third of creating and writing a file.
 *
 * Waiting on a lock, with the holder judged afresh on every look:
 * - alive (same machine and pid namespace, the pid running, its start time the recorded one):
 *   wait; never broken. After `timeoutMs` storage.lock_timeout names the holder.
 * - dead (the pid is not running or is another process now, or the lock is from before this
 *   machine restarted): broken at once, with a warning.
 * - unknown (another machine or container, a system without /proc, a lock of an older tunelab):
 *   broken once it is older than the grace period (as Optuna's journal does with every lock).
 *   A lock holds for one transaction, so an unknown lock older than `graceMs` (default 30 s,
 *   far above any transaction) is left by a process that is gone. An empty or unreadable lock
 *   (a power cut, or an older tunelab killed while taking it) waits at most 2 s.
 *
 * Breakers decide under a guard, `<lock>.break` (itself a lock of the breaker): otherwise two
 * waiters that both judged the dead holder's lock could each remove it, the second removing
 * the fresh lock the first just took, and both would then write at once. A lock is removed
 * only if it is still the file that was judged (same inode), and a holder releases only its own.
 */

export interface LockOptions {
  /** Give up waiting after this long (storage.lock_timeout) when the lock can't be broken yet. */
  readonly timeoutMs: number;
  /** Break a lock whose holder can't be checked once it is this old. */
  readonly graceMs: number;
  readonly warn: (message: string) => void;
}

export const DEFAULT_LOCK_GRACE_MS = 30_000;
/** An empty or unreadable lock is broken after this long (less when the grace period is shorter). */
const UNREADABLE_GRACE_MS = 2_000;

/** What a lock file says about its holder. */
export interface LockHolder {
  readonly pid: number;
  readonly start: string | null;
  readonly boot: string | null;
  readonly pidns: string | null;
  readonly host: string;
  readonly token: string;
}

export type Verdict = "alive" | "dead" | "unknown";

interface Judged {
  readonly verdict: Verdict;
  /** When the lock was taken, if the lock says so (the older format's timestamp). */
  readonly since?: number;
  /** Who holds it, for messages. */
  readonly who: string;
  /** Why it may be broken (dead or unknown). */
  readonly why: string;
  /** How old an unknown lock must be to be broken. */
  readonly graceMs: number;
  readonly holder?: LockHolder;
}

interface Inspected extends Judged {
  readonly ino: number;
  readonly ageMs: number;
}

/** The start time of process `pid` (clock ticks since boot), or null when it can't be read. */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (the command) may hold spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function readOrNull(read: () => string): string | null {
  try {
    return read().trim() || null;
  } catch {
    return null;
  }
}

let me: LockHolder | undefined;

/** This process, as its locks name it. */
export function ownHolder(): LockHolder {
  me ??= {
    pid: process.pid,
    start: processStart(process.pid),
    boot: readOrNull(() => fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
    pidns: readOrNull(() => fs.readlinkSync("/proc/self/ns/pid")),
    host: os.hostname(),
    // An identity, not a draw that any result depends on (so not the seeded Rng).
    token: randomUUID(),
  };
  return me;
}

export function holderText(h: LockHolder): string {
  return JSON.stringify({ tunelab: "lock", v: 1, ...h }) + "\n";
}

/** Whether a process with this pid exists (on this machine, in this pid namespace). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseHolder(text: string): LockHolder | { legacyPid: number; since: number } | null {
  const legacy = /^(\d+) (\d+)$/.exec(text);
  if (legacy) return { legacyPid: Number(legacy[1]), since: Number(legacy[2]) };
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return null;
  }
  const h = o as Record<string, unknown>;
  if (typeof o !== "object" || o === null || h["tunelab"] !== "lock" || !Number.isSafeInteger(h["pid"]) || (h["pid"] as number) <= 0 || typeof h["host"] !== "string") return null;
  const str = (k: string) => (typeof h[k] === "string" ? (h[k] as string) : null);
  return { pid: h["pid"] as number, start: str("start"), boot: str("boot"), pidns: str("pidns"), host: h["host"] as string, token: str("token") ?? "" };
}

/** Judges a lock's holder from its content. */
export function judge(text: string, graceMs: number): Judged {
  const short = Math.min(graceMs, UNREADABLE_GRACE_MS);
  if (text.trim() === "") return { verdict: "unknown", who: "nobody (the lock is empty)", why: "it was empty (left by a process that died while taking it, or by a power cut)", graceMs: short };
  const h = parseHolder(text.trim());
  if (h === null) return { verdict: "unknown", who: "nobody (the lock is unreadable)", why: "its content was not a lock holder (damaged)", graceMs: short };
  if ("legacyPid" in h) {
    const pid = h.legacyPid;
    const who = `process ${pid} (an older tunelab)`;
    if (!running(pid)) return { verdict: "dead", who, why: `it was left by process ${pid}, which is no longer running`, graceMs };
    // Its age is the time it records: an older tunelab held a lock for one transaction.
    return { verdict: "unknown", who, since: h.since, why: `it was left by an older tunelab as process ${pid}, a pid now in use that can't be checked, and is older than the grace period`, graceMs };
  }
  return judgeHolder(h, graceMs);
}

/** Whether the process a holder record names is alive, dead, or can't be checked from here (another machine or container). */
export function holderVerdict(h: LockHolder): Verdict {
  return judgeHolder(h, 0).verdict;
}

function judgeHolder(h: LockHolder, graceMs: number): Judged {
  const self = ownHolder();
  const where = h.host === self.host ? "on this machine" : `on ${h.host}`;
  const who = `process ${h.pid} ${where}`;
  if (h.host === self.host && h.boot !== null && self.boot !== null && h.boot !== self.boot) {
    return { verdict: "dead", who, holder: h, why: `it was left by process ${h.pid} before this machine restarted`, graceMs };
  }
  const sameSystem = h.boot !== null && self.boot !== null ? h.boot === self.boot && h.pidns === self.pidns : h.host === self.host;
  if (!sameSystem) {
    return { verdict: "unknown", who, holder: h, why: `it was held by ${who} (another machine or container, which can't be checked from here) and is older than the grace period`, graceMs };
  }
  if (!running(h.pid)) return { verdict: "dead", who, holder: h, why: `it was held by process ${h.pid}, which is no longer running`, graceMs };
  const start = h.start === null ? null : processStart(h.pid);
  if (start === null) return { verdict: "unknown", who, holder: h, why: `it was held by process ${h.pid}, whose start time can't be checked here, and is older than the grace period`, graceMs };
  if (start !== h.start) return { verdict: "dead", who, holder: h, why: `it was held by process ${h.pid}, which is no longer running (that pid now belongs to another process)`, graceMs };
  return { verdict: "alive", who, holder: h, why: "", graceMs };
}

/** Codes of link() on filesystems without hard links. */
const NO_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EMLINK", "EXDEV", "EACCES"]);

const ownerFiles = new Map<string, { file: string; ino: number } | null>();
let exitHook = false;

function removeOwnerFiles(): void {
  for (const o of ownerFiles.values()) if (o) unlinkQuiet(o.file);
  ownerFiles.clear();
}

function unlinkQuiet(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}

const OWNER_FILE = /^\.tunelab-[0-9a-f-]+\.owner$/;

export class FileLocks {
  /** Locks this object holds, with the inode each was taken as. */
  private readonly held = new Map<string, number>();

  constructor(private readonly options: LockOptions) {}

  /** Takes `lock`, waiting while a live process holds it and breaking it when its holder is gone. */
  async acquire(lock: string): Promise<void> {
    const since = Date.now();
    let wait = 1;
    for (;;) {
      if (this.tryTake(lock)) return;
      const h = inspect(lock, this.options.graceMs);
      if (h !== null) {
        if (breakable(h) && this.breakLock(lock)) continue;
        if (Date.now() - since > this.options.timeoutMs) throw Msg.journalLockTimeout(lock, this.options.timeoutMs, waitingFor(h));
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 20);
    }
  }

  /** Releases a lock this object took (a lock that is no longer the one taken is left alone). */
  release(lock: string): void {
    const ino = this.held.get(lock);
    if (ino === undefined) return;
    this.held.delete(lock);
    removeIfSame(lock, ino);
  }

  private tryTake(lock: string): boolean {
    const owner = this.ownerFile(path.dirname(lock));
    if (owner) {
      try {
        fs.linkSync(owner.file, lock);
        this.held.set(lock, owner.ino);
        return true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? "";
        if (code === "EEXIST") return false;
        if (code === "ENOENT" && fs.existsSync(path.dirname(lock))) {
          // Our owner file was removed (by hand, or the folder was emptied): write it again.
          ownerFiles.delete(path.dirname(lock));
          return this.tryTake(lock);
        }
        if (!NO_LINKS.has(code)) throw Msg.journalWriteFailed(lock, errorText(e), "");
        ownerFiles.set(path.dirname(lock), null);
      }
    }
    // A filesystem without hard links: create, then write (a kill in between leaves an empty lock).
    let fd: number;
    try {
      fd = fs.openSync(lock, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw Msg.journalWriteFailed(lock, errorText(e), "");
    }
    try {
      fs.writeSync(fd, holderText(ownHolder()));
      this.held.set(lock, fs.fstatSync(fd).ino);
    } catch (e) {
      unlinkQuiet(lock);
      throw Msg.journalWriteFailed(lock, errorText(e), "");
    } finally {
      fs.closeSync(fd);
    }
    return true;
  }

  /** This process's owner file in `dir` (written on first use), or null where hard links don't work. */
  private ownerFile(dir: string): { file: string; ino: number } | null {
    const known = ownerFiles.get(dir);
    if (known !== undefined) return known;
    this.sweep(dir);
    const file = path.join(dir, `.tunelab-${ownHolder().token}.owner`);
    try {
      fs.writeFileSync(file, holderText(ownHolder()));
    } catch (e) {
      unlinkQuiet(file);
      throw Msg.journalWriteFailed(file, errorText(e), "");
    }
    const o = { file, ino: fs.statSync(file).ino };
    ownerFiles.set(dir, o);
    if (!exitHook) {
      exitHook = true;
      process.once("exit", removeOwnerFiles);
    }
    return o;
  }

  /** Removes the owner files of processes that are gone (a kill -9 leaves its file behind). */
  private sweep(dir: string): void {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (!OWNER_FILE.test(n)) continue;
      const file = path.join(dir, n);
      const h = inspect(file, this.options.graceMs);
      if (h !== null && h.verdict === "dead") removeIfSame(file, h.ino);
    }
  }

  /**
   * Removes a lock whose holder is gone; true when the lock is gone. The decision is made on
   * what is read under the guard `<lock>.break` (see the file comment).
   */
  private breakLock(lock: string): boolean {
    const guard = lock + ".break";
    if (!this.tryTake(guard)) {
      // Another breaker is at work (for microseconds), or one died holding the guard.
      const g = inspect(guard, this.options.graceMs);
      if (g !== null && breakable(g)) removeIfSame(guard, g.ino);
      return false;
    }
    try {
      const h = inspect(lock, this.options.graceMs);
      if (h === null) return true; // released meanwhile
      if (!breakable(h) || !removeIfSame(lock, h.ino)) return false;
      if (h.verdict === "dead" && h.holder && /^[0-9a-f-]+$/.test(h.holder.token)) {
        const owner = path.join(path.dirname(lock), `.tunelab-${h.holder.token}.owner`);
        const o = inspect(owner, this.options.graceMs);
        if (o !== null && o.verdict === "dead") removeIfSame(owner, o.ino);
      }
      this.options.warn(`removed the lock ${lock}: ${h.why}.`);
      return true;
    } finally {
      this.release(guard);
    }
  }
}

/** Why a waiter is still waiting, for storage.lock_timeout. */
function waitingFor(h: Inspected): string {
  if (breakable(h)) return `${h.who} left it (${h.why}), but another process is breaking it and has not finished`;
  if (h.verdict === "alive") return `${h.who} holds it and is still running`;
  return `${h.who} holds it; it can't be checked from here, so it is broken once it is ${h.graceMs / 1000} s old`;
}

function breakable(h: Inspected): boolean {
  return h.verdict === "dead" || (h.verdict === "unknown" && h.ageMs > h.graceMs);
}

/** Reads and judges a lock (content and inode from one open file), or null when there is none. */
function inspect(file: string, graceMs: number): Inspected | null {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    const buf = Buffer.alloc(Math.min(st.size, 4096));
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    // The inode's change time: when the lock was linked (or written).
    const j = judge(buf.toString("utf8", 0, n), graceMs);
    return { ...j, ino: st.ino, ageMs: Date.now() - (j.since ?? st.ctimeMs) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Unlinks `file` if it is still inode `ino`; true when it did. */
function removeIfSame(file: string, ino: number): boolean {
  try {
    if (fs.lstatSync(file).ino !== ino) return false;
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}
