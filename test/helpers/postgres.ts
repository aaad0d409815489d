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
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, inject } from "vitest";
import { psql, startCluster, stopCluster, urlOf, type Cluster } from "./pg-cluster";

export * from "./pg-cluster";

declare module "vitest" {
  export interface ProvidedContext {
    /** The folder where this run's shared cluster is described (cluster.json) once started. */
    pgRunDir: string;
  }
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
