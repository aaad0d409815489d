/**
 * What the serve fuzz suites share: run bounds, the helpers that turn
 * generated sequences into lines and check every reply, and the ledger of
 * what a server acknowledged (asks, reports, tells, per study) with the check
 * that a `trials` list still shows all of it.
 */
import fc from "fast-check";
import * as path from "path";
import { expect } from "vitest";
import { requestText, type Pairs } from "./fuzz-arbitraries";
import { Servers, checkReply, isExit, isPlainObject, readLine, type Reply, type ServeChild } from "./serve-child";

/** Bounded runs; a failing property stops shrinking after a minute and reports what it has. */
export const RUN = { interruptAfterTimeLimit: 60_000, markInterruptAsFailure: true } as const;
/** TUNELAB_FUZZ_SCALE=20 runs every property 20 times as long (a deeper search by hand; npm test uses 1). */
const SCALE = Number(process.env["TUNELAB_FUZZ_SCALE"] ?? 1);
export const runsOf = (n: number): number => Math.max(1, Math.round(n * SCALE));
export const PROPERTY_TIMEOUT = 150_000 * Math.max(1, SCALE);

/** Every server answers exit with {"id": "bye", "ok": true}, writes nothing more and ends with status 0. */
export async function expectCleanExit(servers: Servers): Promise<void> {
  for (const bye of await servers.exitAll()) expect(bye).toEqual({ reply: { id: "bye", ok: true }, rest: [], code: 0 });
}

/**
 * Checks a property on long-lived serve processes (one per working
 * directory, replaced after a failed run), `numRuns` times (scaled by
 * TUNELAB_FUZZ_SCALE); then each must still exit cleanly.
 */
export async function propertyOnServers<T>(main: string, cwds: readonly string[], arb: fc.Arbitrary<T>, numRuns: number, body: (servers: readonly ServeChild[], value: T) => Promise<void>): Promise<void> {
  const servers = new Servers(main, cwds);
  try {
    await fc.assert(
      fc.asyncProperty(arb, (value) => servers.run((s) => body(s, value))),
      { numRuns: runsOf(numRuns), ...RUN },
    );
    await expectCleanExit(servers);
  } finally {
    await servers.kill();
  }
}

/** Sequences name their study "@@RUN@@<suffix>"; each run replaces the mark by its own 7 characters. */
export const RUN_MARK = "@@RUN@@";
let runs = 0;
export function lines(requests: readonly Pairs[]): Buffer[] {
  const tag = `r${String(runs++).padStart(6, "0")}`;
  return requests.map((p) => Buffer.from(requestText(p).split(RUN_MARK).join(tag))).filter((l) => !isExit(l));
}

/** Checks every reply (see checkReply) and returns them parsed, with their requests. */
export async function exchange(server: ServeChild, sent: readonly Buffer[]): Promise<Array<{ line: Buffer; text: string; reply: Reply }>> {
  return (await server.exchange(sent)).map(({ line, reply }) => ({ line, text: reply, reply: checkReply(reply, line) }));
}

// ---- what was acknowledged ---------------------------------------------------

export interface Facts {
  /** Trial number -> the ask reply's params and budget (as JSON text). */
  readonly asked: Map<number, string>;
  /** [trial, step, value] of each acknowledged report. */
  readonly reports: Array<[number, number, number]>;
  /** Trial number -> the acknowledged tell. */
  readonly told: Map<number, { state: string; value?: number; error?: string }>;
}

/**
 * What one server acknowledged, per study, over its life. A study is its
 * storage (memory or a resolved directory) and its name: creating a name
 * again in another storage switches the name to that study, as the server
 * does. An op acknowledged for a name this server never created is a bug.
 */
export class Ledger {
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

/** Every acknowledged ask, report and tell shows in a `trials` list (but those of trials in `mayLose`). */
export function expectKept(f: Facts, trials: Reply[], who: string, mayLose: ReadonlySet<number> = new Set()): void {
  const byNumber = new Map(trials.map((t) => [t["trial"] as number, t]));
  for (const [n, asked] of f.asked) {
    if (mayLose.has(n)) continue;
    const t = byNumber.get(n);
    if (!t) throw new Error(`${who}: trial ${n} was handed out by ask but is not listed`);
    expect(JSON.stringify([t["params"], t["budget"]]), `${who}: trial ${n}'s params`).toBe(asked);
  }
  for (const [n, step, value] of f.reports) {
    if (mayLose.has(n)) continue;
    const shown = (byNumber.get(n)?.["intermediate"] as unknown[] | undefined)?.map((x) => JSON.stringify(x)) ?? [];
    expect(shown, `${who}: trial ${n}'s reported values`).toContain(JSON.stringify([step, value]));
  }
  for (const [n, told] of f.told) {
    if (mayLose.has(n)) continue;
    const t = byNumber.get(n);
    expect(t?.["state"], `${who}: trial ${n}'s state`).toBe(told.state);
    if (told.value !== undefined) expect(JSON.stringify(t?.["value"]), `${who}: trial ${n}'s value`).toBe(JSON.stringify(told.value));
    if (told.error !== undefined) expect(t?.["error"], `${who}: trial ${n}'s error`).toBe(told.error);
  }
}

export const trialsRequest = (name: string): Buffer => Buffer.from(JSON.stringify({ op: "trials", study: name, id: "check" }));
