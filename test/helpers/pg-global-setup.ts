// vitest global setup: a run folder for the run's one PostgreSQL cluster (test/helpers/postgres.ts
// starts it when a test file first asks for a database) and, at the end, the cluster stopped and
// removed. Clusters left by runs that were killed are removed too.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestProject } from "vitest/node";
import { running } from "../../src/storage/lock";
import { stopCluster, type Cluster } from "./postgres";

const PREFIX = "tunelab-pg-run-";

function stopRun(dir: string): void {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(dir, "cluster.json"), "utf8")) as Cluster;
    stopCluster(c);
  } catch {
    /* no cluster was started in this run */
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

export default function setup(project: TestProject): () => void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const m = name.startsWith(PREFIX) ? /^(\d+)-/.exec(name.slice(PREFIX.length)) : null;
    if (m && !running(Number(m[1]))) stopRun(path.join(os.tmpdir(), name));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
  project.provide("pgRunDir", dir);
  return () => stopRun(dir);
}
