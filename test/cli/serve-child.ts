/**
 * A long-lived `tunelab serve` child process for the fuzz suite, and the
 * checks every reply must pass whatever the request held.
 *
 * The child is the built CLI (`<build>/cli/main.js serve`), built from the
 * current sources into a folder keyed by their hash (test/storage/workers/
 * build.ts), so test files running at once never start it from a half-written
 * dist/. Its heap is capped at 1 GiB: an input with unbounded cost (issue 11,
 * class 2) then fails fast as a crash instead of swapping the machine.
 */
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import { ensureBuilt } from "../storage/workers/build";

/**
 * How long one reply may take before the server counts as hung. A failure
 * detector, not a speed assertion: every request here is served in
 * milliseconds; only a hang (or a machine stalled for seconds) takes this long.
 */
export const REPLY_DEADLINE_MS = 5_000;

/** The line limit of `tunelab serve` (src/cli/serve.ts). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** The depth limit of `tunelab serve` (src/util/json-depth.ts), restated: the suite checks it from outside. */
export const DEPTH_LIMIT = 64;

export function builtMain(): string {
  return path.join(ensureBuilt(), "cli", "main.js");
}

/**
 * Serve processes for one property, replaced after a failed run (a dead or
 * hung server would fail every later run and spoil shrinking).
 */
export class Servers {
  private list: ServeChild[];

  constructor(
    private readonly main: string,
    private readonly cwds: readonly string[],
  ) {
    this.list = cwds.map((cwd) => new ServeChild(main, cwd));
  }

  /** Runs one property run on the servers; on failure replaces them, then rethrows. */
  async run<T>(body: (servers: readonly ServeChild[]) => Promise<T>): Promise<T> {
    try {
      return await body(this.list);
    } catch (e) {
      await this.kill();
      this.list = this.cwds.map((cwd) => new ServeChild(this.main, cwd));
      throw e;
    }
  }

  /** Sends exit to each: all must answer {"id": "bye", "ok": true}, write nothing more and end with status 0. */
  async exitAll(): Promise<Array<{ reply: unknown; rest: string[]; code: number | null }>> {
    const out = [];
    for (const s of this.list) {
      const r = await s.exit();
      out.push({ reply: JSON.parse(r.reply) as unknown, rest: r.rest, code: r.code });
    }
    return out;
  }

  async kill(): Promise<void> {
    await Promise.all(this.list.map((s) => s.kill()));
  }
}

/** A serve process fed line by line; collects its replies. */
export class ServeChild {
  private readonly child: ChildProcess;
  private pending = Buffer.alloc(0);
  private readonly replies: string[] = [];
  private wake: (() => void) | undefined;
  private ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stderrTail = "";
  private readonly closed: Promise<void>;
  /** Lines written so far (for messages). */
  sent = 0;

  constructor(main: string, readonly cwd: string) {
    this.child = spawn(process.execPath, ["--max-old-space-size=1024", main, "serve"], { cwd, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdin!.on("error", () => {}); // a dead server is reported by next(), not by the pipe
    this.child.stdout!.on("data", (d: Buffer) => {
      this.pending = Buffer.concat([this.pending, d]);
      let nl: number;
      while ((nl = this.pending.indexOf(10)) >= 0) {
        this.replies.push(this.pending.subarray(0, nl).toString("utf8"));
        this.pending = this.pending.subarray(nl + 1);
      }
      this.wake?.();
    });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString("utf8")).slice(-4000);
    });
    this.closed = new Promise((resolve) =>
      this.child.on("close", (code, signal) => {
        this.ended = { code, signal };
        this.wake?.();
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  /** What the server wrote to standard error lately. */
  get stderr(): string {
    return this.stderrTail;
  }

  write(lines: readonly Buffer[]): void {
    for (const l of lines) this.child.stdin!.write(Buffer.concat([l, Buffer.from("\n")]));
    this.sent += lines.length;
  }

  /** The next reply; throws when the server died or wrote nothing for REPLY_DEADLINE_MS. */
  async next(): Promise<string> {
    const deadline = Date.now() + REPLY_DEADLINE_MS;
    for (;;) {
      const r = this.replies.shift();
      if (r !== undefined) return r;
      if (this.ended) throw new Error(`serve died (code ${this.ended.code}, signal ${this.ended.signal}); stderr:\n${this.stderrTail}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`serve hung: no reply within ${REPLY_DEADLINE_MS} ms; stderr:\n${this.stderrTail}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * Sends lines and returns each line that gets a reply (see expectsReply)
   * with its reply, checking that none is missing or extra: a last request
   * with a known id must get the last reply.
   */
  async exchange(lines: readonly Buffer[]): Promise<Array<{ line: Buffer; reply: string }>> {
    const mark = `mark-${this.sent}`;
    this.write([...lines, Buffer.from(JSON.stringify({ op: "best", study: "", id: mark }))]);
    const isMark = (r: string): boolean => r.includes(`"${mark}"`) && r.startsWith(`{"id":"${mark}"`);
    const out: Array<{ line: Buffer; reply: string }> = [];
    for (const [k, line] of lines.entries()) {
      if (!expectsReply(line)) continue;
      const reply = await this.next();
      if (isMark(reply)) throw new Error(`a reply is missing: line ${k + 1} of ${lines.length} got none`);
      out.push({ line, reply });
    }
    const last = await this.next();
    if (!isMark(last)) throw new Error(`an extra reply: ${last.slice(0, 300)}`);
    return out;
  }

  /** Sends exit; resolves with its reply and the exit status once the process ended. */
  async exit(): Promise<{ reply: string; code: number | null; rest: string[] }> {
    this.write([Buffer.from('{"op":"exit","id":"bye"}')]);
    const reply = await this.next();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), REPLY_DEADLINE_MS);
    await this.closed;
    clearTimeout(timer);
    return { reply, code: this.ended!.code, rest: this.replies.splice(0) };
  }

  /** Ends the process (after a failure), waiting until it is gone. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    await this.closed;
  }
}

/** Lines holding only JSON whitespace are skipped without a reply; every other line gets one. */
export function expectsReply(line: Buffer): boolean {
  return !/^[ \t\r]*$/.test(line.toString("utf8"));
}

/** How deeply JSON text nests arrays and objects: the brackets left once strings are blanked out. */
export function depthOf(text: string): number {
  const bare = text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  let depth = 0;
  let max = 0;
  for (let i = 0; i < bare.length; i++) {
    const c = bare.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/**
 * The request as the server reads it: JSON.parse of the decoded, trimmed
 * line, or why it can't. Depth is a property of the text: a duplicate key
 * that JSON.parse drops still counts.
 */
export type Read = { kind: "value"; value: unknown; depth: number } | { kind: "not_json" } | { kind: "too_long" };

export function readLine(line: Buffer): Read {
  let read = reads.get(line);
  if (read) return read;
  if (line.length > MAX_LINE_BYTES) read = { kind: "too_long" };
  else {
    const text = line.toString("utf8").trim();
    try {
      read = { kind: "value", value: JSON.parse(text) as unknown, depth: depthOf(text) };
    } catch {
      read = { kind: "not_json" };
    }
  }
  reads.set(line, read);
  return read;
}

/** Lines are read once (a long one takes milliseconds): by isExit before sending, by checkReply after. */
const reads = new WeakMap<Buffer, Read>();

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** True for a line the server would take as an exit request (the suite sends exit only at the end). */
export function isExit(line: Buffer): boolean {
  // Without "exit" or an escape, no string in it can read "exit".
  if (line.indexOf("exit") < 0 && line.indexOf("\\u") < 0) return false;
  const r = readLine(line);
  return r.kind === "value" && isPlainObject(r.value) && r.value["op"] === "exit" && r.depth <= DEPTH_LIMIT;
}

export type Reply = Record<string, unknown>;

/**
 * Checks what every reply must be, whatever the request: one JSON object
 * starting with "id" and "ok"; an error has a message, a code other than
 * "internal" and a field (a string); the id is the request's (as JSON.parse reads it),
 * or null when the request could not be read, was not an object, or nested
 * too deep (then the code says so). Returns the parsed reply.
 */
export function checkReply(replyText: string, request: Buffer): Reply {
  const context = (): string => `request ${JSON.stringify(request.toString("utf8").slice(0, 300))}\nreply ${replyText.slice(0, 500)}`;
  let reply: unknown;
  try {
    reply = JSON.parse(replyText);
  } catch {
    throw new Error(`the reply is not JSON: ${context()}`);
  }
  if (!isPlainObject(reply)) throw new Error(`the reply is not an object: ${context()}`);
  const keys = Object.keys(reply);
  if (keys[0] !== "id" || keys[1] !== "ok" || typeof reply["ok"] !== "boolean") throw new Error(`the reply does not start with id and ok: ${context()}`);
  if (reply["ok"] === false) {
    if (typeof reply["error"] !== "string" || reply["error"] === "") throw new Error(`an error reply without a message: ${context()}`);
    if (typeof reply["code"] !== "string" || reply["code"] === "") throw new Error(`an error reply without a code: ${context()}`);
    if (reply["code"] === "internal") throw new Error(`an internal error: ${context()}`);
    // A field is named as the request named it: "" is the name of a member called "".
    if (typeof reply["field"] !== "string") throw new Error(`an error reply without a field: ${context()}`);
  }
  const read = readLine(request);
  const r = reply;
  const expectCode = (codes: string[]): void => {
    if (r["ok"] !== false || !codes.includes(r["code"] as string)) throw new Error(`expected an error with code ${codes.join(" or ")}: ${context()}`);
  };
  if (read.kind !== "value") {
    expectCode(read.kind === "too_long" ? ["request.too_long"] : ["request.not_json", "request.too_deep"]);
    if (reply["id"] !== null) throw new Error(`an unreadable request's reply must have id null: ${context()}`);
  } else if (read.depth > DEPTH_LIMIT) {
    expectCode(["request.too_deep"]);
    if (reply["id"] !== null) throw new Error(`a too-deep request's reply must have id null: ${context()}`);
  } else {
    const id = isPlainObject(read.value) ? (read.value["id"] ?? null) : null;
    if (JSON.stringify(reply["id"]) !== JSON.stringify(id)) throw new Error(`the reply's id is not the request's: ${context()}`);
  }
  return reply;
}
