/**
 * `npm run bench -- journal`: what the on-disk journal costs per trial. A random-strategy study
 * driven by `ask()`/`tell()` (and with three `report()`s per trial) on the in-memory storage,
 * on the journal, and on the journal in durable mode (an fsync per append); plus one bare
 * 100-byte append with and without an fsync, which is what durability costs on this disk.
 *
 * Rounds alternate the storages so that a slow spell of the shared machine hits each; each cell
 * is the median over rounds of the mean ms per trial of a round.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MemoryStorage } from "../../src/storage/base";
import { JournalStorage } from "../../src/storage/journal";
import type { Storage } from "../../src/storage/storage";
import { Study } from "../../src/study/study";
import { runHeader } from "../lib/env";
import { fmtMs, median } from "../lib/stats";
import { log, tempDir, type Suite, type SuiteOptions, type SuiteResult } from "../lib/suite";

const ROUNDS = 7;
const SPACE = { x: { type: "float", low: 0, high: 1 }, n: { type: "int", low: 1, high: 20 }, c: { type: "categorical", choices: ["a", "b", "c"] } } as const;

interface Mode {
  readonly label: string;
  readonly trials: number;
  storage(dir: string): Storage;
}

const MODES: readonly Mode[] = [
  { label: "memory", trials: 2000, storage: () => new MemoryStorage() },
  { label: "journal", trials: 2000, storage: (dir) => new JournalStorage(dir, { durable: false }) },
  { label: "journal, durable", trials: 150, storage: (dir) => new JournalStorage(dir, { durable: true }) },
];

/** Mean ms per trial of `trials` trials (ask, `reports` reports, tell) on a fresh study. */
async function round(storage: Storage, name: string, trials: number, reports: number): Promise<number> {
  const study = await Study.open({ name, space: SPACE, direction: "minimize", strategy: { name: "random" }, seed: 1, storage });
  const t0 = performance.now();
  for (let i = 0; i < trials; i++) {
    const t = (await study.ask())!;
    for (let s = 0; s < reports; s++) await study.report(t.number, s, (t.params["x"] as number) + s);
    await study.tell(t.number, { value: t.params["x"] as number });
  }
  return (performance.now() - t0) / trials;
}

/** Mean ms per append of a 100-byte line, with or without an fsync (fdatasync) after it. */
function appendCost(dir: string, sync: boolean, count: number): number {
  const file = path.join(dir, `raw-${sync ? "sync" : "nosync"}.jsonl`);
  const line = JSON.stringify({ op: "report", n: 1, step: 2, v: { loss: 0.123456789 }, pad: "x".repeat(40) }) + "\n";
  const fd = fs.openSync(file, "a");
  try {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      fs.writeSync(fd, line);
      if (sync) fs.fdatasyncSync(fd);
    }
    return (performance.now() - t0) / count;
  } finally {
    fs.closeSync(fd);
  }
}

export const suite: Suite = {
  name: "journal",
  description: "ask+tell per trial on the memory storage, the journal and the durable journal; ms per append with and without fsync",
  async run(o: SuiteOptions): Promise<SuiteResult> {
    const dir = tempDir("journal");
    try {
      // Warm-up (untimed): every storage and the report path.
      for (const m of MODES) await round(m.storage(path.join(dir, "warm")), `warm-${m.label}`, 50, 1);
      const cells = new Map<string, number[]>();
      const push = (k: string, v: number) => cells.set(k, [...(cells.get(k) ?? []), v]);
      for (let r = 0; r < ROUNDS; r++) {
        log(`journal: round ${r + 1}/${ROUNDS}`);
        for (const m of MODES) {
          push(`${m.label}|0`, await round(m.storage(path.join(dir, `r${r}`)), `${m.label}-tell-${r}`, m.trials, 0));
          push(`${m.label}|3`, await round(m.storage(path.join(dir, `r${r}`)), `${m.label}-report-${r}`, Math.ceil(m.trials / 4), 3));
        }
        push("raw|0", appendCost(dir, false, 2000));
        push("raw|1", appendCost(dir, true, 100));
      }
      const L = runHeader("journal: what the on-disk journal costs per trial", o.command, {}, "");
      L.push("", `Median over ${ROUNDS} rounds of the mean ms per trial (a round: a fresh random-strategy study, 3 parameters, driven by ask/tell on one process).`, "");
      L.push("| storage | ask+tell ms/trial | ask+3 reports+tell ms/trial |", "|---|---|---|");
      for (const m of MODES) L.push(`| ${m.label} | ${fmtMs(median(cells.get(`${m.label}|0`)!))} | ${fmtMs(median(cells.get(`${m.label}|3`)!))} |`);
      L.push("", `One 100-byte append on this disk (in ${path.dirname(dir)}): ${fmtMs(median(cells.get("raw|0")!))} ms without fsync, ${fmtMs(median(cells.get("raw|1")!))} ms with fdatasync.`);
      return { markdown: L.join("\n") + "\n", complete: true };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
