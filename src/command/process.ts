import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import type { Socket } from "net";

/**
 * Process groups of trial commands: each command runs detached (its own session and process
 * group, pgid = its pid), and stopping a trial stops the whole group, so what the command
 * started (data loaders, a shell's children) goes with it.
 *
 * Three lines of defence keep groups from outliving the tunelab process that started them:
 * 1. a stopped trial's group gets SIGTERM, then SIGKILL after the grace period;
 * 2. while groups are live, a small watchdog process (the reaper) holds a pipe from tunelab:
 *    when tunelab dies in any way (kill -9, a crashed or restarted kernel, an uncaught
 *    error), the pipe closes and the reaper stops every group still registered;
 * 3. each trial's system record holds its process's identity (pid, start time, boot, host)
 *    and its owner's: a resumed study stops the groups whose owner is gone and fails their
 *    trials (recover.ts), in case the reaper was killed too.
 *
 * Linux reads identities from /proc; elsewhere groups are still stopped, but a pid seen
 * again after a crash cannot be told from a new process with the same pid, so resume leaves
 * such processes alone.
 */

/** The identity of a process, enough to tell it from a later one with the same pid. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks after boot (/proc/<pid>/stat field 22); "" when unknown. */
  readonly start: string;
}

/** What a trial's system record keeps about its process (the `process` key). */
export interface ProcessRecord extends ProcessIdentity {
  readonly host: string;
  /** /proc/sys/kernel/random/boot_id: a pid's start time means nothing across a reboot. */
  readonly boot: string;
  /** The tunelab process that started it. */
  readonly owner: ProcessIdentity;
}

export const PROCESS_KEY = "process";

const HAS_PROC = process.platform === "linux" && fs.existsSync("/proc/self/stat");

let bootId: string | undefined;
/** This boot's id ("" when the system has none). */
export function currentBoot(): string {
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      bootId = "";
    }
  }
  return bootId;
}

interface ProcStat {
  readonly state: string;
  readonly pgrp: number;
  readonly start: string;
}

/** /proc/<pid>/stat, read: undefined when the process is gone (or there is no /proc). */
export function procStat(pid: number): ProcStat | undefined {
  if (!HAS_PROC) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces or parentheses itself.
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: f[0] ?? "", pgrp: Number(f[2]), start: f[19] ?? "" };
}

/** The identity of a live process (start "" without /proc). */
export function identityOf(pid: number): ProcessIdentity {
  return { pid, start: procStat(pid)?.start ?? "" };
}

let self: ProcessIdentity | undefined;
export function ownIdentity(): ProcessIdentity {
  return (self ??= identityOf(process.pid));
}

/** Whether the process `id` names is alive (not a zombie): its pid exists with the same start time. */
export function isAlive(id: ProcessIdentity): boolean {
  if (HAS_PROC) {
    const s = procStat(id.pid);
    return s !== undefined && s.state !== "Z" && (id.start === "" || s.start === id.start);
  }
  try {
    process.kill(id.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Pids of the live members of a process group. Zombies are left out: an orphan's zombie
 * waits for the system's init to reap it (a container whose pid 1 does not reap keeps them;
 * run such containers with an init, e.g. `docker run --init`).
 */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) return groupExists(pgid) ? [pgid] : [];
  const out: number[] = [];
  let names: string[];
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return groupExists(pgid) ? [pgid] : [];
  }
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = procStat(Number(n));
    if (s && s.pgrp === pgid && s.state !== "Z") out.push(Number(n));
  }
  return out;
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether any live process is left in the group (cheap when none is: one kill(2)). */
export function groupAlive(pgid: number): boolean {
  if (!groupExists(pgid)) return false;
  return groupMembers(pgid).length > 0;
}

/** Sends a signal to every process of the group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true once the group has no live process, false after `ms`. Polls with a growing interval. */
export async function waitGroupGone(pgid: number, ms: number, wake?: Promise<unknown>): Promise<boolean> {
  const deadline = Date.now() + ms;
  let wait = 1;
  let woken = false;
  void wake?.then(() => (woken = true));
  for (;;) {
    if (!groupAlive(pgid)) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(wait, left));
      if (wake && !woken) void wake.then(() => (clearTimeout(timer), resolve()));
    });
    wait = Math.min(wait * 2, 50);
  }
}

/**
 * Stops a group: SIGTERM, then SIGKILL after `graceMs` if any process is left; resolves
 * when none is (`forced`: SIGKILL was needed), or with the pids still there after a further
 * 5 s (processes stuck in the kernel).
 */
export async function stopGroup(pgid: number, graceMs: number, exited?: Promise<unknown>): Promise<{ forced: boolean; left: number[] }> {
  if (!signalGroup(pgid, "SIGTERM")) return { forced: false, left: [] };
  if (await waitGroupGone(pgid, graceMs, exited)) return { forced: false, left: [] };
  signalGroup(pgid, "SIGKILL");
  if (await waitGroupGone(pgid, 5000)) return { forced: true, left: [] };
  return { forced: true, left: groupMembers(pgid) };
}

// ---- the groups this process has live, and what happens to them when it ends --------------

interface LiveGroup {
  readonly id: ProcessIdentity;
  readonly graceMs: number;
}

const live = new Map<number, LiveGroup>();
let exitHooked = false;
let reaper: { child: ChildProcess; stdin: Socket } | undefined;
let reaperFailed = false;

/** Registers a started group: stopped by the reaper if this process dies, and on exit. */
export function registerGroup(id: ProcessIdentity, graceMs: number): void {
  live.set(id.pid, { id, graceMs });
  if (!exitHooked) {
    exitHooked = true;
    process.on("exit", onExit);
  }
  tellReaper(`+${id.pid} ${id.start || "-"} ${Math.round(graceMs)}\n`);
}

/** The group is gone (or stopped by its trial). */
export function unregisterGroup(pgid: number): void {
  if (!live.delete(pgid)) return;
  tellReaper(`-${pgid}\n`);
}

/** Pids of the groups this process has live. */
export function liveGroups(): number[] {
  return [...live.keys()];
}

/**
 * On exit (normal end, process.exit, an uncaught error) there is no time to wait: the
 * groups get SIGTERM now, and the reaper, which sees the pipe close a moment later, sends
 * SIGKILL after their grace periods. Without a reaper they get SIGKILL at once.
 */
function onExit(): void {
  const hasReaper = reaper !== undefined && reaper.child.exitCode === null;
  for (const g of live.values()) signalGroup(g.id.pid, hasReaper ? "SIGTERM" : "SIGKILL");
}

function tellReaper(line: string): void {
  if (reaper && (reaper.child.exitCode !== null || reaper.child.signalCode !== null)) {
    // Someone ended the reaper: start another and tell it every group still live.
    reaper = undefined;
    startReaper();
    if (reaper) for (const g of live.values()) if (!line.startsWith(`+${g.id.pid} `)) write(`+${g.id.pid} ${g.id.start || "-"} ${Math.round(g.graceMs)}\n`);
  }
  if (!reaper && !reaperFailed) startReaper();
  write(line);
}

function write(line: string): void {
  if (!reaper) return;
  try {
    reaper.stdin.write(line);
  } catch {
    // The reaper is gone: the exit hook and a resumed study still stop the groups.
  }
}

/**
 * The reaper: reads "+pgid start graceMs" and "-pgid" lines; at end of input (its parent is
 * gone, however it died) sends SIGTERM to each group still registered, SIGKILL after the
 * grace period, and exits. A group whose leader is alive with another start time is a new
 * process that reused the pid: it is left alone. Plain JavaScript run by `node -e`, so it
 * needs no file of its own; in its own session, so a Ctrl-C meant for tunelab doesn't reach it.
 */
const REAPER_SOURCE = `
const fs = require("fs");
const groups = new Map();
let buf = "";
for (const s of ["SIGINT", "SIGHUP", "SIGPIPE"]) process.on(s, () => {});
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const l = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const f = l.slice(1).split(" ");
    if (l[0] === "+") groups.set(Number(f[0]), { start: f[1], grace: Number(f[2]) || 0 });
    else if (l[0] === "-") groups.delete(Number(f[0]));
  }
});
const same = (pid, start) => {
  if (start === "-") return true;
  try {
    const t = fs.readFileSync("/proc/" + pid + "/stat", "latin1");
    return t.slice(t.lastIndexOf(")") + 2).split(" ")[19] === start;
  } catch (e) {
    return true;
  }
};
const kill = (pid, sig) => { try { process.kill(-pid, sig); } catch (e) {} };
let reaped = false;
const reap = () => {
  if (reaped) return;
  reaped = true;
  let grace = 0;
  const mine = [];
  for (const [pid, g] of groups) if (same(pid, g.start)) { mine.push(pid); grace = Math.max(grace, g.grace); }
  for (const pid of mine) kill(pid, "SIGTERM");
  setTimeout(() => { for (const pid of mine) kill(pid, "SIGKILL"); process.exit(0); }, mine.length ? grace : 0);
};
process.stdin.on("end", reap);
process.stdin.on("error", reap);
`;

/** In the reaper's command line, so `ps` shows what it is. */
export const REAPER_NAME = "tunelab-reaper";

function startReaper(): void {
  try {
    const env = { ...process.env };
    delete env["NODE_OPTIONS"];
    // The last argument only names it in `ps`.
    const child = spawn(process.execPath, ["-e", REAPER_SOURCE, REAPER_NAME], { detached: true, stdio: ["pipe", "ignore", "ignore"], env });
    child.on("error", () => {
      reaper = undefined;
      reaperFailed = true;
    });
    const stdin = child.stdin as Socket;
    stdin.on("error", () => {});
    // Neither the reaper nor its pipe may keep this process alive.
    child.unref();
    stdin.unref();
    reaper = { child, stdin };
  } catch {
    reaperFailed = true;
  }
}

/** The reaper's pid, when one runs (for tests). */
export function reaperPid(): number | undefined {
  return reaper?.child.pid;
}

/** The identity and owner of a process started now, for the trial's record. */
export function processRecord(pid: number): ProcessRecord {
  return { ...identityOf(pid), host: os.hostname(), boot: currentBoot(), owner: ownIdentity() };
}
