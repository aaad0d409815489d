import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anyLine, mutate, mutation, requestText, validSequence, type Pairs } from "./fuzz-arbitraries";
import { Servers, builtMain, checkReply, isExit, isPlainObject, readLine, type Reply, type ServeChild } from "./serve-child";

// Property-based requests to real `tunelab serve` processes (issue 11):
// whatever a line holds, serve answers it, in order, once, and stays alive;
// no error is "internal" and each names a field; nothing acknowledged is
// lost, also for another process reading the journal; the same seed and
// requests give the same bytes. One long-lived server per role and property.

let main: string;
let tmp: string;

beforeAll(() => {
  main = builtMain();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-fuzz-"));
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Bounded runs; a failing property stops shrinking after a minute and reports what it has. */
const RUN = { interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true } as const;
/** TUNELAB_FUZZ_SCALE=20 runs every property 20 times as long (for a deeper search by hand; npm test uses 1). */
const SCALE = Number(process.env["TUNELAB_FUZZ_SCALE"] ?? 1);
const runsOf = (n: number): number => Math.max(1, Math.round(n * SCALE));
const PROPERTY_TIMEOUT = 150_000 * Math.max(1, SCALE);

function folder(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

/** Sequences name their study "@@RUN@@<suffix>"; each run replaces the mark by its own 7 characters. */
const RUN_MARK = "@@RUN@@";
let runs = 0;
function lines(requests: readonly Pairs[]): Buffer[] {
  const tag = `r${String(runs++).padStart(6, "0")}`;
  return requests.map((p) => Buffer.from(requestText(p).split(RUN_MARK).join(tag))).filter((l) => !isExit(l));
}

/** Checks every reply (see checkReply) and returns them parsed, with their requests. */
async function exchange(server: ServeChild, sent: readonly Buffer[]): Promise<Array<{ line: Buffer; text: string; reply: Reply }>> {
  return (await server.exchange(sent)).map(({ line, reply }) => ({ line, text: reply, reply: checkReply(reply, line) }));
}

async function expectCleanExit(servers: Servers): Promise<void> {
  for (const bye of await servers.exitAll()) expect(bye).toEqual({ reply: { id: "bye", ok: true }, rest: [], code: 0 });
}

// ---- what was acknowledged ---------------------------------------------------

interface Facts {
  /** Trial number -> the ask reply's params and budget (as JSON text). */
  readonly asked: Map<number, string>;
  /** [trial, step, value] of each acknowledged report. */
  readonly reports: Array<[number, number, number]>;
  /** Trial number -> the acknowledged tell. */
  readonly told: Map<number, { state: string; value?: number; error?: string }>;
}

/**
 * What one server acknowledged, per study. A study is its storage (memory or
 * a resolved directory) and its name: creating a name again in another
 * storage switches the name to that study, as the server does.
 */
class Ledger {
  private readonly facts = new Map<string, Facts>();
  private readonly current = new Map<string, string>();
  /** Study key -> its name, storage and the acknowledged create line. */
  readonly studies = new Map<string, { name: string; journal: boolean; create: Buffer }>();

  constructor(private readonly cwd: string) {}

  /** The study a name means now. */
  keyOf(name: string): string | undefined {
    return this.current.get(name);
  }

  factsOf(key: string): Facts {
    let f = this.facts.get(key);
    if (!f) this.facts.set(key, (f = { asked: new Map(), reports: [], told: new Map() }));
    return f;
  }

  /** Records an acknowledged request; returns the key of the study it touched. */
  record(line: Buffer, reply: Reply): string | undefined {
    const read = readLine(line);
    if (reply["ok"] !== true || read.kind !== "value" || !isPlainObject(read.value)) return undefined;
    const r = read.value;
    const name = r["study"] as string;
    if (r["op"] === "create") {
      const storage = r["storage"];
      const key = `${typeof storage === "string" ? path.resolve(this.cwd, storage) : "memory"}\u0000${name}`;
      this.current.set(name, key);
      this.studies.set(key, { name, journal: typeof storage === "string", create: line });
      this.factsOf(key);
      return key;
    }
    const key = this.current.get(name);
    if (key === undefined) throw new Error(`"${String(r["op"])}" was acknowledged for ${JSON.stringify(name)}, which was never created`);
    const f = this.factsOf(key);
    const optional = (v: unknown): unknown => (v === null ? undefined : v);
    if (r["op"] === "ask" && typeof reply["trial"] === "number") {
      f.asked.set(reply["trial"], JSON.stringify([reply["params"], reply["budget"]]));
    } else if (r["op"] === "report") {
      f.reports.push([r["trial"] as number, r["step"] as number, r["value"] as number]);
    } else if (r["op"] === "tell") {
      const value = optional(r["value"]);
      const error = optional(r["error"]);
      f.told.set(r["trial"] as number, value !== undefined ? { state: "complete", value: value as number } : { state: r["state"] as string, ...(error !== undefined ? { error: error as string } : {}) });
    }
    return key;
  }
}

/** Every acknowledged ask, report and tell shows in a `trials` list. */
function expectKept(f: Facts, trials: Reply[], who: string): void {
  const byNumber = new Map(trials.map((t) => [t["trial"] as number, t]));
  for (const [n, asked] of f.asked) {
    const t = byNumber.get(n);
    if (!t) throw new Error(`${who}: trial ${n} was handed out by ask but is not listed`);
    expect(JSON.stringify([t["params"], t["budget"]]), `${who}: trial ${n}'s params`).toBe(asked);
  }
  for (const [n, step, value] of f.reports) {
    const shown = (byNumber.get(n)?.["intermediate"] as unknown[] | undefined)?.map((x) => JSON.stringify(x)) ?? [];
    expect(shown, `${who}: trial ${n}'s reported values`).toContain(JSON.stringify([step, value]));
  }
  for (const [n, told] of f.told) {
    const t = byNumber.get(n);
    expect(t?.["state"], `${who}: trial ${n}'s state`).toBe(told.state);
    if (told.value !== undefined) expect(JSON.stringify(t?.["value"]), `${who}: trial ${n}'s value`).toBe(JSON.stringify(told.value));
    if (told.error !== undefined) expect(t?.["error"], `${who}: trial ${n}'s error`).toBe(told.error);
  }
}

const trialsRequest = (name: string): Buffer => Buffer.from(JSON.stringify({ op: "trials", study: name, id: "check" }));

describe("tunelab serve under hostile input (fuzz)", () => {
  it(
    "answers every line (random JSON, request-shaped objects, bytes, invalid UTF-8, cut JSON, long lines) once, in order, never with an internal error, and stays alive",
    async () => {
      const servers = new Servers(main, [folder("lines")]);
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(anyLine, { minLength: 1, maxLength: 8 }), (ls) =>
            servers.run(async ([s]) => {
              await exchange(s!, ls.filter((l) => !isExit(l)));
            }),
          ),
          { numRuns: runsOf(40), ...RUN },
        );
        await expectCleanExit(servers);
      } finally {
        await servers.kill();
      }
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "mutated request sequences (fields dropped, duplicated, retyped, swapped; memory and journal): every reply is clean and nothing acknowledged is lost, also for another process reading the journal",
    async () => {
      const cwd = folder("mutations");
      // The writer serves the sequences; the reader opens each journal study afresh from disk.
      const servers = new Servers(main, [cwd, cwd]);
      try {
        await fc.assert(
          fc.asyncProperty(validSequence(RUN_MARK), fc.array(mutation, { maxLength: 6 }), (seq, mutations) =>
            servers.run(async ([writer, reader]) => {
              const ledger = new Ledger(cwd);
              const touched = new Set<string>();
              for (const { line, reply } of await exchange(writer!, lines(mutate(seq.requests, mutations)))) {
                const key = ledger.record(line, reply);
                if (key !== undefined) touched.add(key);
              }
              for (const key of touched) {
                const study = ledger.studies.get(key)!;
                let listed: unknown;
                if (ledger.keyOf(study.name) === key) {
                  const [{ reply }] = await exchange(writer!, [trialsRequest(study.name)]);
                  expect(reply["ok"], JSON.stringify(reply)).toBe(true);
                  listed = reply["trials"];
                  expectKept(ledger.factsOf(key), listed as Reply[], "the server that served them");
                }
                if (!study.journal) continue;
                const [created, again] = await exchange(reader!, [study.create, trialsRequest(study.name)]);
                expect(created!.reply["ok"], JSON.stringify(created!.reply)).toBe(true);
                expect(again!.reply["ok"], JSON.stringify(again!.reply)).toBe(true);
                expectKept(ledger.factsOf(key), again!.reply["trials"] as Reply[], "another process reading the journal");
                if (listed !== undefined) expect(again!.reply["trials"]).toEqual(listed);
              }
            }),
          ),
          { numRuns: runsOf(40), ...RUN },
        );
        await expectCleanExit(servers);
      } finally {
        await servers.kill();
      }
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "valid sequences with a seed give byte-identical replies in two servers (memory and journal)",
    async () => {
      const servers = new Servers(main, [folder("twin-a"), folder("twin-b")]);
      try {
        await fc.assert(
          fc.asyncProperty(validSequence(RUN_MARK), (seq) =>
            servers.run(async ([a, b]) => {
              const sent = lines(seq.requests);
              const [ra, rb] = await Promise.all([exchange(a!, sent), exchange(b!, sent)]);
              expect(ra.map((x) => x.text)).toEqual(rb.map((x) => x.text));
            }),
          ),
          { numRuns: runsOf(25), ...RUN },
        );
        await expectCleanExit(servers);
      } finally {
        await servers.kill();
      }
    },
    PROPERTY_TIMEOUT,
  );
});
