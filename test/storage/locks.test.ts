// The journal's lock (src/storage/lock.ts) against real processes: a lock whose holder is gone
// (dead, its pid reused by another live process, before a restart) is broken at once; an
// empty or unreadable lock and one from another machine after a grace period; a live holder's
// never; and several real processes breaking the same dead lock break it once between them.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { JournalStorage, journalFileName, type JournalOptions } from "../../src/storage/journal";
import { holderText, ownHolder, processStart, type LockHolder } from "../../src/storage/lock";
import { rejected, testSpec } from "./helpers";
import { ensureBuilt, startWorker, tempDir, type WorkerProcess } from "./workers/build";

let dir: string;
let dist: string;
let warnings: string[];
const children: ChildProcess[] = [];
const workers: WorkerProcess[] = [];
const journal = (o: JournalOptions = {}) => new JournalStorage(dir, { onWarning: (m) => warnings.push(m), ...o });

beforeAll(() => {
  dist = ensureBuilt();
});
beforeEach(() => {
  dir = tempDir("locks");
  warnings = [];
});
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  for (const w of workers.splice(0)) w.kill("SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

const spec = (name = "s") => testSpec(name);
const thrown = rejected;

/** A study with one trial; its lock file's path. */
async function study(): Promise<string> {
  const s = journal();
  await s.openStudy(spec());
  await s.createTrial("s", () => ({ params: { x: 0.5 } }));
  return s.fileFor("s") + ".lock";
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  expect(r.status).toBe(0);
  return r.pid!;
}

/** A live process that has nothing to do with tunelab. */
function unrelatedProcess(): ChildProcess {
  const c = spawn("sleep", ["60"], { stdio: "ignore" });
  children.push(c);
  return c;
}

const holder = (over: Partial<LockHolder>): string => holderText({ ...ownHolder(), token: "0000-7e57", ...over });

/** Files but this process's owner file. */
const files = () => fs.readdirSync(dir).filter((f) => f !== `.tunelab-${ownHolder().token}.owner`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a lock records its holder", () => {
  it("as pid, start time, boot id, pid namespace, host and a token, taken in one step", async () => {
    const lock = await study();
    const s = journal();
    await s.openStudy(spec());
    let seen: unknown;
    await s.createTrial("s", () => {
      seen = JSON.parse(fs.readFileSync(lock, "utf8"));
      return { params: { x: 0.1 } };
    });
    const me = ownHolder();
    expect(seen).toEqual({ tunelab: "lock", v: 1, pid: process.pid, start: processStart(process.pid), boot: me.boot, pidns: me.pidns, host: me.host, token: me.token });
    expect(me.start).toMatch(/^\d+$/);
    expect(fs.existsSync(lock)).toBe(false);
    expect(files()).toEqual([journalFileName("s")]);
  });
});

describe("a lock whose holder is gone is broken at once, with a warning", () => {
  it("a dead process (the older format, pid and time)", async () => {
    const lock = await study();
    const pid = deadPid();
    fs.writeFileSync(lock, `${pid} ${Date.now()}`);
    const s = journal({ lockTimeoutMs: 60_000, lockGraceMs: 60_000 });
    expect((await s.openStudy(spec())).trials).toHaveLength(1);
    expect(files()).toEqual([journalFileName("s")]);
    expect(warnings).toEqual([expect.stringContaining(lock)]);
    expect(warnings[0]).toContain(`process ${pid}, which is no longer running`);
  });

  it("a dead process, whose owner file is removed too", async () => {
    const lock = await study();
    const pid = deadPid();
    const owner = path.join(dir, ".tunelab-0000-7e57.owner");
    fs.writeFileSync(owner, holder({ pid, start: "12345" }));
    fs.linkSync(owner, lock);
    await journal({ lockGraceMs: 60_000 }).openStudy(spec());
    expect(files()).toEqual([journalFileName("s")]);
    expect(warnings).toEqual([expect.stringContaining(`process ${pid}, which is no longer running`)]);
  });

  it("pid reuse: the pid now belongs to another live process (its start time differs)", async () => {
    const lock = await study();
    const other = unrelatedProcess();
    expect(processStart(other.pid!)).toMatch(/^\d+$/);
    fs.writeFileSync(lock, holder({ pid: other.pid!, start: String(Number(processStart(other.pid!)) - 1) }));
    // With an hour's grace and lock timeout: only recognising the holder as gone can open it.
    const s = journal({ lockTimeoutMs: 3_600_000, lockGraceMs: 3_600_000 });
    expect((await s.openStudy(spec())).trials).toHaveLength(1);
    expect(warnings).toEqual([expect.stringContaining("that pid now belongs to another process")]);
    expect(other.exitCode).toBeNull(); // nobody touched the unrelated process
  });

  it("a lock left before this machine restarted (another boot id)", async () => {
    const lock = await study();
    fs.writeFileSync(lock, holder({ pid: process.pid, boot: "00000000-0000-4000-8000-000000000000" }));
    await journal({ lockTimeoutMs: 3_600_000, lockGraceMs: 3_600_000 }).openStudy(spec());
    expect(warnings).toEqual([expect.stringContaining("before this machine restarted")]);
  });

  it("a holder killed (SIGKILL) while it held the lock for real", async () => {
    await study();
    const release = path.join(dir, "release");
    const w = startWorker("lock-holder.js", dist, { dir, spec: spec(), release });
    workers.push(w);
    await w.waitFor((m) => m["holding"] === true);
    w.kill("SIGKILL");
    await w.exited;
    const s = journal({ lockTimeoutMs: 3_600_000, lockGraceMs: 3_600_000 });
    await s.openStudy(spec());
    expect((await s.createTrial("s", () => ({ params: { x: 0.9 } }))).trial!.number).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/removed the lock .*which is no longer running/)]);
    // The killed process's owner file went with its lock.
    expect(files()).toEqual([journalFileName("s")]);
  });
});

describe("a lock that can't be checked is broken after a grace period", () => {
  it.each([
    ["empty (its taker killed between creating and writing it, or a power cut): within 2 s by default, not 10 s or never", "", undefined],
    ["unreadable: within the grace period, if shorter than 2 s", "\u0000\u0000garbage{", 200],
  ])("%s", async (_what, content, lockGraceMs) => {
    const lock = await study();
    fs.writeFileSync(lock, content);
    const s = journal({ lockTimeoutMs: 3_600_000, ...(lockGraceMs ? { lockGraceMs } : {}) });
    expect((await s.openStudy(spec())).trials).toHaveLength(1);
    expect(warnings).toEqual([expect.stringContaining(lock)]);
  });

  it("an older tunelab's lock (pid and time) naming a live pid: aged by the time it records", async () => {
    const lock = await study();
    const other = unrelatedProcess();
    fs.writeFileSync(lock, `${other.pid} ${Date.now()}`);
    const e = await thrown(journal({ lockTimeoutMs: 50, lockGraceMs: 60_000 }).openStudy(spec()));
    expect(e.code).toBe("storage.lock_timeout");
    expect(e.message).toContain(`process ${other.pid} (an older tunelab)`);
    // Taken ten minutes ago by its own account: no transaction lasts that long.
    fs.writeFileSync(lock, `${other.pid} ${Date.now() - 600_000}`);
    await journal({ lockTimeoutMs: 3_600_000, lockGraceMs: 60_000 }).openStudy(spec());
    expect(warnings).toEqual([expect.stringContaining(`left by an older tunelab as process ${other.pid}`)]);
  });

  it("a lock of a process on another machine: waited for until it is older than the grace period, then broken", async () => {
    const lock = await study();
    fs.writeFileSync(lock, holder({ pid: process.pid, host: "gpu-7", boot: "11111111-1111-4111-8111-111111111111" }));
    const e = await thrown(journal({ lockTimeoutMs: 50, lockGraceMs: 60_000 }).openStudy(spec()));
    expect(e.code).toBe("storage.lock_timeout");
    expect(e.message).toContain("process " + process.pid + " on gpu-7");
    expect(e.message).toContain("60 s old");
    expect(fs.existsSync(lock)).toBe(true);
    await sleep(300);
    await journal({ lockTimeoutMs: 3_600_000, lockGraceMs: 250 }).openStudy(spec());
    expect(warnings).toEqual([expect.stringContaining("another machine or container")]);
  });
});

describe("a live holder", () => {
  it("is waited for and never broken, however old its lock; the waiter goes on once it is released", async () => {
    await study();
    const release = path.join(dir, "release");
    const w = startWorker("lock-holder.js", dist, { dir, spec: spec(), release });
    workers.push(w);
    const { pid } = (await w.waitFor((m) => m["holding"] === true)) as { pid: number };
    const lock = journal().fileFor("s") + ".lock";
    await sleep(50);
    const e = await thrown(journal({ lockTimeoutMs: 200, lockGraceMs: 1 }).openStudy(spec()));
    expect(e.code).toBe("storage.lock_timeout");
    expect(e.message).toContain(`process ${pid} on this machine holds it and is still running`);
    expect(JSON.parse(fs.readFileSync(lock, "utf8"))).toMatchObject({ pid });
    const waiter = journal({ lockGraceMs: 1 }).openStudy(spec());
    await sleep(100);
    fs.writeFileSync(release, "");
    expect((await waiter).trials).toHaveLength(2);
    await w.waitFor((m) => m["done"] === true);
    expect(warnings).toEqual([]);
  });

  it("another live breaker's guard (<lock>.break) is waited for, not removed", async () => {
    const lock = await study();
    fs.writeFileSync(lock, `${deadPid()} ${Date.now()}`);
    const other = unrelatedProcess();
    fs.writeFileSync(lock + ".break", holder({ pid: other.pid!, start: processStart(other.pid!) }));
    const e = await thrown(journal({ lockTimeoutMs: 100, lockGraceMs: 1 }).openStudy(spec()));
    expect(e.code).toBe("storage.lock_timeout");
    expect(e.message).toMatch(/another process is breaking it/);
    expect(fs.existsSync(lock + ".break")).toBe(true);
  });

  it("a guard left by a breaker that died is removed, and the dead lock with it", async () => {
    const lock = await study();
    fs.writeFileSync(lock, `${deadPid()} ${Date.now()}`);
    fs.writeFileSync(lock + ".break", holder({ pid: deadPid() }));
    await journal({ lockTimeoutMs: 3_600_000, lockGraceMs: 3_600_000 }).openStudy(spec());
    expect(files()).toEqual([journalFileName("s")]);
  });
});

describe("owner files", () => {
  it("of processes that are gone are swept when a process first locks in the folder; live ones stay", async () => {
    fs.mkdirSync(dir, { recursive: true });
    const other = unrelatedProcess();
    const gone = path.join(dir, ".tunelab-00aa.owner");
    const live = path.join(dir, ".tunelab-00bb.owner");
    fs.writeFileSync(gone, holder({ pid: deadPid(), token: "00aa" }));
    fs.writeFileSync(live, holder({ pid: other.pid!, start: processStart(other.pid!), token: "00bb" }));
    // A new folder for this process: the sweep runs on its first lock there.
    const sub = path.join(dir, "sub");
    fs.mkdirSync(sub);
    fs.renameSync(gone, path.join(sub, path.basename(gone)));
    fs.renameSync(live, path.join(sub, path.basename(live)));
    await new JournalStorage(sub, { onWarning: (m) => warnings.push(m) }).openStudy(spec());
    expect(fs.readdirSync(sub).sort()).toEqual([`.tunelab-${ownHolder().token}.owner`, ".tunelab-00bb.owner", journalFileName("s")].sort());
  });
});

describe("several processes breaking the same dead lock", () => {
  it("break it once between them, and write a whole journal with every trial number once", async () => {
    const name = "contended";
    const lock = new JournalStorage(dir).fileFor(name) + ".lock";
    // A process died holding the lock of the study about to be created.
    fs.writeFileSync(lock, holder({ pid: deadPid() }));
    const count = 4;
    for (let i = 0; i < count; i++) workers.push(startWorker("ask-tell-worker.js", dist, { dir, name, strategy: "random", seed: 3, asks: 25, workers: count }));
    await Promise.all(workers.map((w) => w.waitFor((m) => m["ready"] === true)));
    for (const w of workers) w.send("go");
    const done = (await Promise.all(workers.map((w) => w.waitFor((m) => m["done"] === true)))) as unknown as { mine: number[]; warnings: string[] }[];
    const broke = done.flatMap((d) => d.warnings);
    expect(broke).toEqual([expect.stringMatching(/removed the lock .*no longer running/)]);
    expect(done.flatMap((d) => d.mine).sort((a, b) => a - b)).toEqual([...Array(count * 25).keys()]);
    const text = fs.readFileSync(new JournalStorage(dir).fileFor(name), "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const created = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { op: string; n?: number })
      .filter((o) => o.op === "trial")
      .map((o) => o.n);
    expect(created).toEqual([...Array(count * 25).keys()]);
    expect(fs.existsSync(lock)).toBe(false);
  });
});
