/**
 * Shared by the tests of command() and `tunelab run`: the fixture scripts, scratch folders,
 * and what /proc says about processes (live members of a group, whether a pid still runs).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { linkFreshPackage } from "../notebook/kernel";

export const FIXTURES = path.join(__dirname, "fixtures");
export const TRIAL_JS = path.join(FIXTURES, "trial.js");
export const TRIAL_PY = path.join(FIXTURES, "trial.py");
export const NODE = process.execPath;
export const PYTHON = process.env["PYTHON"] ?? "python3";

/** A fresh folder under the system's temp dir; removed by `cleanup()`. */
const made: string[] = [];
export function scratch(name = "cmd"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `tunelab-${name}-`));
  made.push(d);
  return d;
}
export function cleanup(): void {
  for (const c of clis.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

interface Stat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const t = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = t.slice(t.lastIndexOf(")") + 2).split(" ");
    return { pid, state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]) };
  } catch {
    return undefined;
  }
}

function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const n of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(n)) continue;
    const s = stat(Number(n));
    if (s) out.push(s);
  }
  return out;
}

/** Processes of the group that are not zombies (zombies of orphans wait for init, which may not reap them here). */
export function liveInGroup(pgid: number): number[] {
  return allStats()
    .filter((s) => s.pgrp === pgid && s.state !== "Z")
    .map((s) => s.pid);
}

/** Whether the pid runs (a zombie does not). */
export function running(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== "Z";
}

/** Zombies whose parent is this test process: children it never reaped. */
export function ownZombies(): number[] {
  return allStats()
    .filter((s) => s.ppid === process.pid && s.state === "Z")
    .map((s) => s.pid);
}

/** Pids listed in a file the fixture scripts append "<pid> <role>" lines to. */
export function pidsIn(file: string): { pid: number; role: string }[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [pid, role] = l.split(" ");
      return { pid: Number(pid), role: role ?? "" };
    });
}

/** Waits until `check` holds (polling), or throws after `ms`. */
export async function until(check: () => boolean, ms = 10_000, what = "the condition"): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The `tunelab` command of a private build of the current sources (the notebook tests'
 * build, never dist/, which others rebuild at any moment): node <this path> run FILE.json.
 */
export function freshCli(): string {
  const dir = scratch("cli");
  linkFreshPackage(dir);
  return path.join(dir, "node_modules", "tunelab", "dist", "cli", "main.js");
}

/** Pids of the processes whose parent is `ppid` and whose command line contains `needle`. */
export function childrenOf(ppid: number, needle: string): number[] {
  const out: number[] = [];
  for (const n of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(n)) continue;
    const s = stat(Number(n));
    if (!s || s.ppid !== ppid) continue;
    try {
      if (fs.readFileSync(`/proc/${n}/cmdline`, "utf8").includes(needle)) out.push(s.pid);
    } catch {
      // gone
    }
  }
  return out;
}

export interface CliRun {
  readonly child: ChildProcess;
  /** Resolves when it has exited, with its exit code and output. */
  readonly done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

const clis: ChildProcess[] = [];
/** Starts `node <cli> ...args` (killed by `cleanup()` if still running); `group`: in its own process group, as a shell runs a job. */
export function startCli(cli: string, args: readonly string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; group?: boolean } = {}): CliRun {
  const child = spawn(NODE, [cli, ...args], { cwd: o.cwd, env: o.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: o.group ?? false });
  clis.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d));
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  return { child, done: new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr }))) };
}
