/**
 * The workers suite's integrity check (bench/lib/workers.ts): what it counts as lost and as
 * duplicate trials is what was done to the storage, for any run and any mix of faults; and it
 * reads a real journal written by two handles (two workers) as the storage holds it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { checkIntegrity, storedJournal, WORKERS_SPACE, type StoredTrial } from "../../bench/lib/workers";
import { JournalStorage, journalFileName } from "../../src/storage/journal";
import { Study } from "../../src/study/study";

type Fault = "drop" | "running" | "finishedTwice" | "storedTwice" | "givenTwice";
const FAULTS: readonly Fault[] = ["drop", "running", "finishedTwice", "storedTwice", "givenTwice"];
const LOST: ReadonlySet<Fault> = new Set(["drop", "running"]);

/** A run of `n` trials by `workers` workers with `faults` (trial number -> fault) done to it. */
function faultyRun(n: number, workers: number, faults: ReadonlyMap<number, Fault>): { stored: StoredTrial[]; given: number[][] } {
  const stored: StoredTrial[] = [];
  const given: number[][] = Array.from({ length: workers }, () => []);
  for (let k = 0; k < n; k++) {
    const f = faults.get(k);
    given[k % workers]!.push(k);
    if (f === "givenTwice") given[(k + 1) % workers]!.push(k);
    if (f === "drop") continue;
    stored.push({ number: k, state: f === "running" ? "running" : "complete", finished: f === "running" ? 0 : f === "finishedTwice" ? 2 : 1 });
    if (f === "storedTwice") stored.push({ number: k, state: "complete", finished: 1 });
  }
  return { stored: stored.reverse(), given };
}

describe("checkIntegrity", () => {
  it("counts every injected fault once, as lost or as duplicate, and nothing else", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...FAULTS)), { maxLength: 10 }),
        (n, workers, picks) => {
          const faults = new Map<number, Fault>();
          for (const [k, f] of picks) faults.set(k % n, f);
          const { stored, given } = faultyRun(n, workers, faults);
          const r = checkIntegrity(stored, given, n);
          const lost = [...faults.values()].filter((f) => LOST.has(f)).length;
          expect(r.lost).toBe(lost);
          expect(r.duplicate).toBe(faults.size - lost);
          expect(r.problems.length).toBe(faults.size);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("counts trials beyond the number asked for as duplicates", () => {
    const { stored, given } = faultyRun(5, 2, new Map());
    expect(checkIntegrity([...stored, { number: 5, state: "complete", finished: 1 }], given, 5)).toMatchObject({ lost: 0, duplicate: 1 });
  });
});

describe("storedJournal", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-bench-workers-test-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads what two handles on one journal wrote, and a second end of a trial as a duplicate", async () => {
    const open = async () => Study.open({ name: "w", space: WORKERS_SPACE, direction: "minimize", strategy: { name: "random" }, seed: 1, storage: new JournalStorage(dir) });
    const a = await open();
    const b = await open();
    const given: number[][] = [[], []];
    for (let i = 0; i < 20; i++) {
      const s = i % 3 === 0 ? b : a;
      const t = (await s.ask())!;
      given[s === a ? 0 : 1]!.push(t.number);
      await s.tell(t.number, { value: t.params["x"] as number });
    }
    const file = path.join(dir, journalFileName("w"));
    expect(checkIntegrity(storedJournal(file), given, 20)).toMatchObject({ recorded: 20, lost: 0, duplicate: 0 });
    // A trial still running is lost; an end line appended again (a whole, checksummed line) is a duplicate.
    const t = (await a.ask())!;
    given[0]!.push(t.number);
    expect(checkIntegrity(storedJournal(file), given, 21)).toMatchObject({ lost: 1, duplicate: 0 });
    const end = fs.readFileSync(file, "utf8").split("\n").find((l) => l.includes('"op":"end"'))!;
    fs.appendFileSync(file, `${end}\n`);
    expect(checkIntegrity(storedJournal(file), given, 21)).toMatchObject({ lost: 1, duplicate: 1 });
  });
});
