// A failed append (disk full, file too large) must not leave memory ahead of the disk
// (issue 11, class 6). Real failures, no mocks: a child process under `ulimit -f` (its appends
// are cut short, then fail with EFBIG) and a child in a 256 KiB tmpfs of its own, mounted in a
// private mount namespace, that fills the disk (ENOSPC) and then frees it. After every failure
// the study's state equals what a fresh reader finds on disk, no partial record is left, the
// error is storage.write_failed naming the file and the OS error, and the study goes on once
// there is space again.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { runToEnd } from "./helpers";
import { ensureBuilt, tempDir, WORKERS } from "./workers/build";

let dist: string;
let dir: string;
beforeAll(() => {
  dist = ensureBuilt();
});
beforeEach(() => {
  dir = tempDir("full");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  failures: { code: string; message: string }[];
  consistent: boolean;
  partialBytes: boolean;
  warnings: string[];
  believed: number;
  after?: [number, string][];
  afterConsistent?: boolean;
}

/** Runs the worker behind `command` (a shell, unshare, ...) and returns what it printed. */
async function run(command: string[], args: object): Promise<Outcome> {
  const out = await runToEnd([...command, process.execPath, path.join(WORKERS, "full-disk-worker.js"), JSON.stringify(args)], { TUNELAB_DIST: dist });
  return JSON.parse(out) as Outcome;
}

const options = (name: string) => ({ name, space: { x: { type: "float" as const, low: 0, high: 1 } }, direction: "minimize" as const, seed: 3 });

describe("a file that may not grow (ulimit -f): appends cut short, then EFBIG", () => {
  it("every failure leaves the study as the file holds it, with nothing partial; another process goes on", async () => {
    // Some trials first, so the limit falls in the middle of the worker's appends.
    const study = await Study.open({ ...options("capped"), storage: new JournalStorage(dir) });
    for (let i = 0; i < 5; i++) {
      const t = (await study.ask())!;
      await study.tell(t.number, { value: 0.5 });
    }
    const file = new JournalStorage(dir).fileFor("capped");
    const kib = Math.ceil(fs.statSync(file).size / 1024) + 2;
    const o = await run(["bash", "-c", `ulimit -f ${kib} && exec "$@"`, "bash"], { dir, name: "capped", mode: "limit" });

    expect(o.failures.length).toBeGreaterThanOrEqual(3);
    for (const f of o.failures) {
      expect(f.code).toBe("storage.write_failed");
      expect(f.message).toContain(file);
      expect(f.message).toContain("EFBIG");
    }
    expect(o.consistent).toBe(true);
    expect(o.partialBytes).toBe(false);
    // The limit fell inside an append: it was cut back to a line boundary.
    const size = fs.statSync(file).size;
    expect(size).toBeLessThanOrEqual(kib * 1024);
    expect(fs.readFileSync(file, "utf8").endsWith("\n")).toBe(true);

    // A process without the limit reads exactly what the capped one believed, and goes on.
    const warnings: string[] = [];
    const next = await Study.open({ ...options("capped"), storage: new JournalStorage(dir, { onWarning: (m) => warnings.push(m) }) });
    expect(next.snapshot.trials).toHaveLength(o.believed);
    expect(warnings).toEqual([]);
    const t = (await next.ask())!;
    expect(t.number).toBe(o.believed);
    await next.tell(t.number, { value: 0.1 });
  });
});

/** How to get a private mount namespace here: as root, or in a user namespace. */
function unshareCommand(): string[] {
  const asRoot = process.getuid?.() === 0;
  return asRoot ? ["unshare", "-m", "--propagation", "private"] : ["unshare", "-Urm", "--propagation", "private"];
}

describe("a full disk (a 256 KiB tmpfs of the worker's own): ENOSPC", () => {
  it("fails cleanly while the disk is full, and the same process goes on once space is back", async () => {
    const probe = spawnSync(unshareCommand()[0]!, [...unshareCommand().slice(1), "sh", "-c", `mount -t tmpfs -o size=256k tmpfs "${dir}" && touch "${dir}/ok"`], { encoding: "utf8" });
    expect(probe.status, `mounting a tmpfs in a private mount namespace is needed for this test: ${probe.stderr}`).toBe(0);
    const o = await run([...unshareCommand(), "sh", "-c", `mount -t tmpfs -o size=256k tmpfs "${dir}" && exec "$@"`, "sh"], { dir, name: "full", mode: "full" });

    expect(o.failures.length).toBeGreaterThanOrEqual(3);
    for (const f of o.failures) {
      expect(f.code).toBe("storage.write_failed");
      expect(f.message).toContain("ENOSPC");
      expect(f.message).toContain(path.join(dir, "full.jsonl"));
    }
    expect(o.consistent).toBe(true);
    expect(o.partialBytes).toBe(false);
    // Once the filler is gone the study goes on in the same process: five more trials.
    expect(o.after!.length).toBeGreaterThanOrEqual(o.believed + 5);
    expect(o.after!.slice(-5).every(([, state]) => state === "complete")).toBe(true);
    expect(o.afterConsistent).toBe(true);
    // Nothing leaked out of the worker's namespace.
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
