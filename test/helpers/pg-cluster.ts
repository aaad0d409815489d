/**
 * A throwaway PostgreSQL cluster from Debian's package (scripts/setup.sh --with-postgres
 * installs it): initdb in a temp folder, a server on a free loopback port, run as the
 * `postgres` user when we run as root (PostgreSQL refuses to run as root), removed afterwards.
 * No test framework here: the tests (test/helpers/postgres.ts, one cluster per vitest run) and
 * the workers benchmark (bench/suites/workers.ts) both start their clusters with it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

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

/**
 * The server settings tests run with: nothing is flushed to disk (fsync, synchronous_commit
 * and full_page_writes off: a test's cluster is thrown away), room for many workers.
 */
export const TEST_SETTINGS: Readonly<Record<string, string>> = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  max_connections: "300",
  shared_buffers: "32MB",
};

/** initdb + pg_ctl start in a fresh temp folder, with `settings` (postgres -c name=value). */
export async function startCluster(settings: Readonly<Record<string, string>> = TEST_SETTINGS): Promise<Cluster> {
  const bin = pgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-pg-"));
  const data = path.join(dir, "data");
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  const user = asRoot ? "postgres" : os.userInfo().username;
  pgRun(bin, "initdb", ["-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const opts = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses=127.0.0.1", ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(" ");
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
