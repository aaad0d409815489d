import { spawnSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { journalFileName } from "../../src/storage/journal";
import { classCase, damage, validSequence, type Damage } from "./fuzz-arbitraries";
import { Ledger, PROPERTY_TIMEOUT, RUN_MARK, exchange, expectKept, lines, propertyOnServers, trialsRequest } from "./fuzz-harness";
import { builtMain, isPlainObject, type Reply } from "./serve-child";

// The inputs of issue 11's other classes, sent to real `tunelab serve`
// processes: spaces and options with unbounded cost or impossible arithmetic
// (classes 2 and 3), and journals damaged or locks left behind between two
// processes (classes 5 and 6). Whatever they hold, every request is answered
// in time without an internal error; what was acknowledged survives all but
// the damaged records.

let main: string;
let tmp: string;

beforeAll(() => {
  main = builtMain();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-fuzz-classes-"));
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

let studies = 0;
const line = (request: object | string): Buffer => Buffer.from(typeof request === "string" ? request : JSON.stringify(request));

type Def = { type: string; low?: number; high?: number; choices?: unknown[] };

/** A proposed value keeps to its parameter's definition: a number in range (never null), or one of the choices. */
function expectInside(params: unknown, space: Record<string, Def>, where: string): void {
  expect(isPlainObject(params), `${where}: params is an object`).toBe(true);
  for (const [name, def] of Object.entries(space)) {
    const v = (params as Record<string, unknown>)[name];
    if (def.type === "categorical") {
      expect(def.choices, `${where}: ${name}`).toContainEqual(v);
      continue;
    }
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${where}: ${name} is ${JSON.stringify(v)}, not a finite number`);
    if (def.type === "int" && !Number.isInteger(v)) throw new Error(`${where}: ${name} is ${v}, not an integer`);
    if (v < def.low! || v > def.high!) throw new Error(`${where}: ${name} is ${v}, outside [${def.low}, ${def.high}]`);
  }
}

describe("tunelab serve with the inputs of issue 11's other classes (fuzz)", () => {
  it(
    "huge grids, huge size options and ranges wider than a double: answered in time, no internal error, every proposal inside the space and spread",
    async () => {
      await propertyOnServers(main, [tmp], classCase, 30, async ([s], c) => {
        const study = `c${studies++}`;
        const sent = [
          line(`{"op":"create","id":"create","study":"${study}","space":${c.space},"direction":"minimize","strategy":"${c.strategy}","options":${c.options},"seed":1}`),
          ...Array.from({ length: c.asks }, (_, k) => [line({ op: "ask", study, id: `ask${k}` }), line({ op: "tell", study, trial: k, value: k % 3 })]).flat(),
          line({ op: "trials", study }),
        ];
        const replies = await exchange(s!, sent);
        if (replies[0]!.reply["ok"] !== true) return;
        const space = JSON.parse(c.space) as Record<string, Def>;
        const asked = replies.filter((r) => String(r.reply["id"]).startsWith("ask") && r.reply["trial"] !== undefined);
        for (const a of asked) expectInside(a.reply["params"], space, `${c.strategy} ask ${String(a.reply["id"])}`);
        // Draws over a range wider than 1e300 must not all land on one value (random, tpe's quasi-random start).
        if ((c.strategy === "random" || c.strategy === "tpe") && asked.length >= 3) {
          for (const [name, def] of Object.entries(space)) {
            if (def.type !== "float" || !(def.high! - def.low! > 1e300)) continue;
            const values = new Set(asked.map((a) => (a.reply["params"] as Record<string, unknown>)[name]));
            expect(values.size, `${c.strategy}: ${name} over [${def.low}, ${def.high}] took ${[...values].join(", ")}`).toBeGreaterThan(1);
          }
        }
      });
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "a journal damaged (garbled line, NUL block, truncation, duplicated or swapped lines) or a lock left behind between two processes: the next process opens it in time, keeps every acknowledged trial but those of the damaged records, and goes on numbering",
    async () => {
      const cwd = path.join(tmp, "damage");
      fs.mkdirSync(cwd);
      // The writer serves the sequences; the reader opens each study afresh after the damage.
      await propertyOnServers(main, [cwd, cwd], fc.tuple(validSequence(RUN_MARK, { storage: "journal" }), damage), 30, async ([writer, reader], [seq, hurt]) => {
        const ledger = new Ledger(cwd);
        let created: Buffer | undefined;
        for (const { line: sent, reply } of await exchange(writer!, lines(seq.requests))) {
          ledger.record(sent, reply);
          if (reply["ok"] === true && reply["study"] !== undefined) created = sent;
        }
        if (!created) return;
        const name = (JSON.parse(created.toString("utf8")) as { study: string }).study;
        const file = path.join(cwd, "journal", journalFileName(name));
        const mayLose = damageJournal(file, hurt);

        const [opened, listed, asked] = await exchange(reader!, [created, trialsRequest(name), line({ op: "ask", study: name })]);
        expect(opened!.reply["ok"], JSON.stringify(opened!.reply)).toBe(true);
        expect(listed!.reply["ok"], JSON.stringify(listed!.reply)).toBe(true);
        const trials = listed!.reply["trials"] as Reply[];
        expectKept(ledger.factsOf(ledger.keyOf(name)!), trials, `after ${JSON.stringify(hurt)}`, mayLose);
        expect(asked!.reply["ok"], JSON.stringify(asked!.reply)).toBe(true);
        if (asked!.reply["done"] === true) return;
        // A new trial gets a number of its own, and is kept.
        const n = asked!.reply["trial"] as number;
        expect(trials.map((t) => t["trial"])).not.toContain(n);
        const [told, after] = await exchange(reader!, [line({ op: "tell", study: name, trial: n, value: 1 }), trialsRequest(name)]);
        expect(told!.reply["ok"], JSON.stringify(told!.reply)).toBe(true);
        expect((after!.reply["trials"] as Reply[]).find((t) => t["trial"] === n)).toMatchObject({ state: "complete", value: 1 });
      });
    },
    PROPERTY_TIMEOUT,
  );
});

/**
 * Damages a journal (never its first line, the study's header) or leaves a
 * stale lock beside it; returns the trial numbers whose records were hit.
 */
function damageJournal(file: string, d: Damage): Set<number> {
  const bytes = fs.readFileSync(file);
  const records: Array<{ start: number; end: number; n: number | undefined }> = [];
  for (let start = 0; start < bytes.length; ) {
    const nl = bytes.indexOf(10, start);
    const end = nl < 0 ? bytes.length : nl + 1;
    let n: number | undefined;
    try {
      const r = JSON.parse(bytes.subarray(start, end).toString("utf8")) as { n?: unknown };
      n = typeof r.n === "number" ? r.n : undefined;
    } catch {
      n = undefined;
    }
    records.push({ start, end, n });
    start = end;
  }
  const body = records.slice(1);
  const hit = (rs: typeof records): Set<number> => new Set(rs.flatMap((r) => (r.n === undefined ? [] : [r.n])));
  const headerEnd = records[0]!.end;
  if (d.kind === "lock") {
    const lock = file + ".lock";
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    const old = Date.now() - 600_000;
    fs.writeFileSync(lock, { garbage: "\u0000\u00ff garbage", "live-pid": `${process.pid} ${old}`, "dead-pid": `${dead} ${old}`, empty: "" }[d.content]);
    fs.utimesSync(lock, old / 1000, old / 1000);
    return new Set();
  }
  if (body.length === 0) return new Set();
  const pick = (k: number) => body[k % body.length]!;
  switch (d.kind) {
    case "garble": {
      const r = pick(d.line);
      fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, r.start), d.bytes, Buffer.from("\n"), bytes.subarray(r.end)]));
      return hit([r]);
    }
    case "nul": {
      const at = headerEnd + (d.at % (bytes.length - headerEnd));
      const end = Math.min(bytes.length, at + d.length);
      const out = Buffer.from(bytes);
      out.fill(0, at, end);
      fs.writeFileSync(file, out);
      return hit(body.filter((r) => r.start < end && r.end > at));
    }
    case "truncate": {
      const at = headerEnd + (d.at % (bytes.length - headerEnd + 1));
      fs.truncateSync(file, at);
      return hit(body.filter((r) => r.end > at));
    }
    case "duplicate": {
      const r = pick(d.line);
      fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, r.end), bytes.subarray(r.start, r.end), bytes.subarray(r.end)]));
      return hit([r]);
    }
    case "swap": {
      if (body.length < 2) return new Set();
      const k = d.line % (body.length - 1);
      const [a, b] = [body[k]!, body[k + 1]!];
      fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, a.start), bytes.subarray(b.start, b.end), bytes.subarray(a.start, a.end), bytes.subarray(b.end)]));
      return hit([a, b]);
    }
  }
}
