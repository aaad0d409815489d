/**
 * A throwaway PostgreSQL for tests, from Debian's package (scripts/setup.sh --with-postgres
 * installs it): a cluster in a temp folder, on a free loopback port, run as the `postgres` user
 * when the tests run as root (PostgreSQL refuses to run as root), removed afterwards.
 *
 * One cluster serves a whole `vitest run`: the global setup (pg-global-setup.ts) hands every
 * test file a run folder; the first file that asks for a database starts the cluster there
 * (under a lock, so two files asking at once start one), and the global teardown stops and
 * removes it. Each test file gets a database of its own (`testDatabase(name)`). A file run
 * without the global setup starts a cluster of its own and stops it in its afterAll.
 *
 *   const db = await testDatabase("contract");   // { url, cluster }
 *   openStorage(db.url)
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** The folder where this run's shared cluster is described (cluster.json) once started. */
    pgRunDir: string;
  }
}

export interface Cluster {
  readonly dir: string;
  readonly data: string;
  readonly port: number;
  readonly bin: string;
  /** postgres (as root) or the current user: the superuser name. */
  readonly user: string;
  /** The server's options (pg_ctl -o). */
  readonly opts: string;
}

/** The folder of the newest installed PostgreSQL's programs. */
export function pgBin(): string {
  const root = "/usr/lib/postgresql";
  let versions: string[] = [];
  try {
    versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "pg_ctl")));
  } catch {
    /* not Debian's layout */
  }
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions[0]) return path.join(root, versions[0], "bin");
  const found = spawnSync("sh", ["-c", "command -v pg_ctl"], { encoding: "utf8" }).stdout.trim();
  if (found) return path.dirname(fs.realpathSync(found));
  throw new Error("PostgreSQL is not installed: run `bash scripts/setup.sh --with-postgres` (Debian's postgresql package)");
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL program as the user that owns the cluster. */
function pgRun(bin: string, program: string, args: string[], timeout = 60_000): string {
  const exe = path.join(bin, program);
  const [cmd, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", exe, ...args]] : [exe, args];
  return execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout });
}

/** A port nobody listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** initdb + pg_ctl start in a fresh temp folder. */
export async function startCluster(): Promise<Cluster> {
  const bin = pgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-pg-"));
  const data = path.join(dir, "data");
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  const user = asRoot ? "postgres" : os.userInfo().username;
  pgRun(bin, "initdb", ["-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const opts = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=300", "-c shared_buffers=32MB"].join(" ");
    try {
      pgRun(bin, "pg_ctl", ["-D", data, "-o", opts, "-l", path.join(dir, "server.log"), "-w", "-t", "60", "start"]);
      return { dir, data, port, bin, user, opts };
    } catch (e) {
      // Someone took the port between our look and the server's bind: another one.
      if (attempt >= 3) throw new Error(`could not start PostgreSQL: ${(e as Error).message}\n${readLog(dir)}`);
    }
  }
}

function readLog(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, "server.log"), "utf8").slice(-4000);
  } catch {
    return "";
  }
}

/** Stops the server at once and removes its folder. */
export function stopCluster(c: Pick<Cluster, "dir" | "data" | "bin">): void {
  try {
    pgRun(c.bin, "pg_ctl", ["-D", c.data, "-m", "immediate", "-w", "stop"]);
  } catch {
    /* not running */
  }
  fs.rmSync(c.dir, { recursive: true, force: true });
}

/** `pg_ctl restart` (fast shutdown: every connection is cut), waiting until it accepts connections again. */
export function restartCluster(c: Cluster): void {
  // -l: the server must not inherit our pipes (execFileSync would wait for them to close).
  pgRun(c.bin, "pg_ctl", ["-D", c.data, "-l", path.join(c.dir, "server.log"), "-m", "fast", "-w", "-t", "60", "restart"]);
}

/** Stops the server (fast: every connection is cut), keeping its data. */
export function stopServer(c: Cluster): void {
  pgRun(c.bin, "pg_ctl", ["-D", c.data, "-m", "fast", "-w", "stop"]);
}

/** Starts a stopped server again, on its port. */
export function startServer(c: Cluster): void {
  pgRun(c.bin, "pg_ctl", ["-D", c.data, "-o", c.opts, "-l", path.join(c.dir, "server.log"), "-w", "-t", "60", "start"]);
}

/** Runs SQL as the superuser (psql, on the cluster's socket folder). */
export function psql(c: Cluster, sql: string, database = "postgres"): string {
  return pgRun(c.bin, "psql", ["-h", c.dir, "-p", String(c.port), "-U", c.user, "-d", database, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]).trim();
}

export function urlOf(c: Cluster, database: string): string {
  return `postgresql://${c.user}@127.0.0.1:${c.port}/${database}`;
}

// ---- one cluster per test run ---------------------------------------------------------------

let own: Cluster | undefined;
let shared: Promise<Cluster> | undefined;

/** The run's cluster (started by the first file that asks), or one of this file's own. */
export function testCluster(): Promise<Cluster> {
  shared ??= (async () => {
    let runDir: string | undefined;
    try {
      runDir = inject("pgRunDir");
    } catch {
      runDir = undefined;
    }
    if (!runDir) {
      own = await startCluster();
      afterAll(() => {
        if (own) stopCluster(own);
        own = undefined;
      });
      return own;
    }
    return sharedCluster(runDir);
  })();
  return shared;
}

async function sharedCluster(runDir: string): Promise<Cluster> {
  const info = path.join(runDir, "cluster.json");
  const lock = path.join(runDir, "lock");
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    if (fs.existsSync(info)) return JSON.parse(fs.readFileSync(info, "utf8")) as Cluster;
    const c = await startCluster();
    fs.writeFileSync(info, JSON.stringify(c));
    return c;
  } finally {
    fs.rmdirSync(lock);
  }
}

let databases = 0;

/** A fresh database on the run's cluster, for one test file (or one test). */
export async function testDatabase(name: string): Promise<{ url: string; cluster: Cluster; database: string }> {
  const cluster = await testCluster();
  const database = `t_${name.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${process.pid}_${++databases}`;
  psql(cluster, `CREATE DATABASE ${database}`);
  return { url: urlOf(cluster, database), cluster, database };
}
