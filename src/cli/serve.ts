/**
 * `tunelab serve`: the JSON-lines ask/tell protocol of /work/shared/PROTOCOL.md
 * on standard input and output. This comment documents what PROTOCOL.md
 * leaves to the implementation (the README is written from it).
 *
 * Framing
 * - One request per line (UTF-8, `\n` or `\r\n`), one reply per request, in
 *   order. Requests are served strictly one after another, even though the
 *   storage is asynchronous; a reply is written as soon as its request is
 *   served, so a client can send a request and wait for its reply.
 * - Blank lines (only spaces, tabs and `\r`, what JSON counts as
 *   whitespace) are ignored: no reply. Every other line gets exactly one
 *   reply, whatever it holds (bytes that are not UTF-8 are read as U+FFFD).
 *   A last line without a newline is served at end of input.
 * - A line longer than 16 MiB is skipped without being parsed and answered
 *   `{"id": null, "ok": false, "code": "request.too_long", ...}`.
 * - A line that nests arrays and objects more than 64 levels deep (the
 *   request object is level 1; MAX_JSON_DEPTH in src/util/json-depth.ts)
 *   is refused before it is parsed: `{"id": null, "ok": false, "code":
 *   "request.too_deep", "field": <the top-level member it is in, or
 *   "request">}`. Its id is not read (it may be the deep part), so the
 *   reply's id is null, as for a line that is not JSON. A duplicate key
 *   counts too, even though JSON.parse would keep only the last one.
 * - Only replies go to standard output; warnings (e.g. a damaged journal
 *   record) and internal errors go to standard error.
 *
 * Replies
 * - Every reply starts with `"id"` (the request's `id`, or null when it had
 *   none or could not be read) and `"ok"`. The id is echoed as JSON.parse
 *   reads it: numbers are doubles, so `1.0` comes back as `1`, `-0` as `0`
 *   and a number beyond the double range (`1e999`) as null.
 * - Errors: `{"id", "ok": false, "error": "<message>", "code": "<stable
 *   code>", "field": "<field at fault>"}`. `error` names the field and what is
 *   allowed; `code` (e.g. `request.unknown_op`, `space.low_not_below_high`,
 *   `trial.finished`) is for programs; `field` is a dotted path (a member
 *   named by the request is named as sent, "" included). A bad request never
 *   ends the process.
 * - `code: "internal"` means a bug in tunelab, never bad input: the request's
 *   outcome is unknown, the stack goes to standard error, and serving goes on.
 *   A reply that cannot be written (which would also be a bug) is replaced by
 *   such an error, so that no request can end the process or lose the studies
 *   it holds in memory.
 * - Each op accepts exactly its fields (below) plus `op` and `id`; an unknown
 *   field is an error listing the allowed ones. An optional field given as
 *   `null` counts as not given.
 *
 * Ops (fields; reply on success)
 * - `create`: `study` (name: any string of 1-200 UTF-16 units, lone
 *   surrogates and NUL included; on disk it is %-encoded into the file name,
 *   a lone surrogate as `%uD800`), `space` (search-space JSON; a parameter
 *   may not be named `__proto__` or like anything else every JavaScript
 *   object has, e.g. `constructor`, `toString`: `space.bad_name`),
 *   `direction` ("minimize" | "maximize"), `strategy` (required: "random",
 *   "grid", "bayesian", "tpe", "hyperband" or "asha"), `options` (object, the
 *   strategy's options, as in the DSL: random takes `quasi` ("none" |
 *   "sobol") and `quasiTrials`; hyperband takes `minResource`,
 *   `maxResource` (required), `eta`, `sampler` ("random" | "tpe" |
 *   "bayesian"), `samplerOptions`, `minObservations`, `modelData`, `hedge`
 *   (boolean), `brackets` ("fixed" | "adaptive"); asha takes the same but
 *   `minEarlyStoppingRate` instead of `brackets`), `seed` (integer;
 *   `options.seed` is accepted too, and the two must agree), `storage`, and
 *   `stopping` (an addition to PROTOCOL.md: an early-stopping rule for any
 *   strategy, `{"rule":
 *   "median", "startupTrials": 5, "warmupSteps": 0, "interval": 1,
 *   "compare": "running-average" | "value"}`; `report` then answers
 *   `"prune": true` when the rule stops the trial), `limits` (an addition:
 *   `{"trials": n}`, the most trials the study may hold, counted over every
 *   process that shares its storage as `limits.trials` counts them; checked
 *   inside the write that creates a trial, so many workers together never
 *   make more), `retries` (an addition: `{"max": n}`: a trial lost to the
 *   infrastructure, here a stale one, is run again up to n times) and
 *   `heartbeat` (an addition: `{"intervalSeconds": 10, "graceSeconds": 60}`;
 *   this process beats for the trials it handed out until they are told or it
 *   ends, and an `ask` fails another worker's trial that has been silent for
 *   longer than the grace period as stale; a study in memory has no heartbeats).
 *   → `{"ok": true, "study": name}`.
 *   - `storage` omitted (or null, or "memory"): in memory, for the life of the
 *     process (TUNELAB_STORAGE does not change this default: PROTOCOL.md pins it).
 *     `storage` a string: a directory (relative to the working directory,
 *     created when missing; no NUL characters) holding the on-disk journal, one
 *     `<study>.jsonl` file per study, e.g. `"storage": ".tunelab"`. Several
 *     processes may share a directory. A `postgresql://` (or `postgres://`) URL:
 *     a PostgreSQL database that processes on many machines share (an
 *     unreachable one is `storage.unreachable`, naming the URL without its
 *     password). Other URL schemes are `request.bad_storage`.
 *   - Creating a name that already exists in that storage (in this process's
 *     memory, or in the directory, e.g. from an earlier run) opens it and
 *     continues its trials (resume) when space and direction match, and is an
 *     error (`study.mismatch`) otherwise. Without `seed`, a new study gets a
 *     random seed and a resumed one keeps its stored seed.
 *   - Several studies may be open at once; requests name them by `study`.
 *     A study must be created (or re-created, to resume) by this process
 *     before other ops can name it.
 * - `ask`: `study` → `{"ok": true, "trial": n, "params": {...}}`, plus
 *   `"budget"` when the strategy gives the trial one; `{"ok": true, "done":
 *   true}` when the strategy has nothing left (a finished grid), and `{"ok":
 *   true, "done": true, "reason": "trials"}` once a study created with
 *   `limits.trials` holds that many trials.
 * - `report`: `study`, `trial`, `step` (integer >= 0, greater than the trial's
 *   last step), `value` (finite number) → `{"ok": true, "prune": bool}`. Only a
 *   running trial reports.
 * - `tell`: `study`, `trial`, and either `value` (finite number: the trial is
 *   complete) or `state`: "failed" (with an optional `error` string) or
 *   "pruned" (its value becomes the last reported one) → `{"ok": true}`.
 * - `best`: `study` → `{"ok": true, "trial": n, "params", "value"}` or
 *   `{"ok": true, "trial": null}`.
 * - `trials`: `study` → `{"ok": true, "trials": [{"trial", "state", "params",
 *   "value" (null when there is none), "intermediate": [[step, value], ...]},
 *   ...]}`; a trial also carries `"budget"` when it has one and `"error"` when
 *   it failed with a message. `best` and `trials` first read what other
 *   processes sharing the storage wrote.
 *   (Additions, issue 16:) a trial also carries `"attrs"` and `"note"` when it
 *   has them, and the reply carries the study's `"note"` when it has one.
 * - `attr` (an addition): `study`, `trial`, `key` (1-200 characters, not a
 *   name every JavaScript object has), `value` (any JSON value, null included;
 *   at most 16 KiB as JSON, 16 levels deep; at most 64 attributes a trial)
 *   → `{"ok": true}`. Sets one attribute of a trial in any state (codes
 *   `attr.bad_key`, `attr.bad_value`, `attr.too_large`, `attr.too_many`).
 * - `note` (an addition): `study`, `trial` (optional: without it, the study's
 *   note), `note` (markdown, at most 64 KiB as UTF-8; "" clears it) →
 *   `{"ok": true}`. Replaces the note (codes `note.bad_text`, `note.too_large`).
 * - `importance` (an addition): `study`, `method` ("ped-anova", the default, or
 *   "fanova") → `{"ok": true, "importance": [{"param", "importance"}, ...]}`:
 *   every parameter's share (summing to 1; all 0 with too few complete trials),
 *   most important first. An unknown method is `importance.bad_method`.
 * - `exit` → `{"ok": true}`, then the process ends with status 0 (requests
 *   after it are not read). End of input also ends it with status 0, after
 *   every earlier request has its reply.
 *
 * Determinism: the same seed and the same requests give the same replies,
 * byte for byte.
 *
 * @example
 * // In-process (tests, embedding): any readable and writable streams.
 * await serve({ input: process.stdin, output: process.stdout });
 */
import type { Readable, Writable } from "stream";
import { Msg } from "../util/messages";
import { ProtocolSession, failureReply, internalFailure, type Handled, type Reply } from "./protocol";

/** Lines longer than this are skipped, not parsed. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface ServeOptions {
  readonly input: Readable | NodeJS.ReadableStream;
  readonly output: Writable | NodeJS.WritableStream;
  /** Where warnings go (never the output). Default: standard error. */
  readonly log?: (message: string) => void;
  /** Relative storage directories resolve against this. Default: process.cwd(). */
  readonly cwd?: string;
  /** Default MAX_LINE_BYTES. */
  readonly maxLineBytes?: number;
}

export interface ServeResult {
  /** "exit": the client sent `exit`; "eof": the input ended. */
  readonly reason: "exit" | "eof";
  /** Replies written. */
  readonly replies: number;
}

/**
 * Serves requests from `input` until `exit` or end of input; resolves once
 * every reply has been handed to `output`. Rejects only when the output
 * fails (the client went away).
 */
export async function serve(o: ServeOptions): Promise<ServeResult> {
  const log = o.log ?? ((m: string) => process.stderr.write(`tunelab: ${m}\n`));
  const session = new ProtocolSession({ log, ...(o.cwd !== undefined ? { cwd: o.cwd } : {}) });
  const lines = new LineSplitter(o.maxLineBytes ?? MAX_LINE_BYTES);
  const out = new ReplyWriter(o.output);
  let replies = 0;

  const answer = async (item: LineItem): Promise<Handled> => {
    if (item.tooLong) return { reply: failureReply(null, Msg.requestTooLong(lines.max)), exit: false };
    try {
      return await session.handleLine(item.text.trim(), item.line);
    } catch (e) {
      // handleLine answers every bad request itself; whatever still escapes is a bug.
      return { reply: failureReply(null, internalFailure(e, log)), exit: false };
    }
  };

  const serveItem = async (item: LineItem): Promise<boolean> => {
    if (!item.tooLong && JSON_BLANK.test(item.text)) return false;
    const { reply, exit } = await answer(item);
    await out.write(replyLine(reply, log));
    replies++;
    return exit;
  };

  try {
    for await (const chunk of o.input as AsyncIterable<Buffer | string>) {
      for (const item of lines.push(chunk)) {
        if (await serveItem(item)) return { reason: "exit", replies };
      }
    }
    for (const item of lines.end()) {
      if (await serveItem(item)) return { reason: "exit", replies };
    }
    return { reason: "eof", replies };
  } finally {
    await session.close();
  }
}

/** A line holding only what JSON counts as whitespace gets no reply; any other line gets one. */
const JSON_BLANK = /^[ \t\r]*$/;

/**
 * The reply as one line of JSON. Never throws: a reply that can't be
 * serialised (a bug: requests are checked for depth before they are read)
 * becomes an internal-error reply, so one request can't end the process.
 */
export function replyLine(reply: Reply, log: (message: string) => void): string {
  try {
    return JSON.stringify(reply) + "\n";
  } catch (e) {
    const failure = internalFailure(e, log);
    for (const id of [reply.id, null]) {
      try {
        return JSON.stringify(failureReply(id, failure)) + "\n";
      } catch {
        // the id itself can't be written: try again without it
      }
    }
    return UNWRITABLE_REPLY;
  }
}

const UNWRITABLE_REPLY = `${JSON.stringify(failureReply(null, Msg.internalError("the reply could not be written")))}\n`;

interface LineItem {
  /** 1-based line number in the input. */
  readonly line: number;
  readonly text: string;
  readonly tooLong: boolean;
}

/** Splits a byte stream into lines, skipping (but counting) lines over a limit. */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;
  private lineNumber = 0;
  private first = true;

  constructor(readonly max: number) {}

  *push(chunk: Buffer | string): Generator<LineItem> {
    let buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0) {
        this.keep(buf);
        return;
      }
      this.keep(buf.subarray(0, nl));
      yield this.take();
      buf = buf.subarray(nl + 1);
    }
  }

  /** The last line, when the input did not end with a newline. */
  *end(): Generator<LineItem> {
    if (this.size > 0 || this.skipping) yield this.take();
  }

  private keep(part: Buffer): void {
    if (part.length === 0 || this.skipping) return;
    if (this.size + part.length > this.max) {
      this.skipping = true;
      this.parts = [];
      this.size = 0;
      return;
    }
    // Copy: the stream may reuse its buffers.
    this.parts.push(Buffer.from(part));
    this.size += part.length;
  }

  private take(): LineItem {
    this.lineNumber++;
    let item: LineItem;
    if (this.skipping) {
      item = { line: this.lineNumber, text: "", tooLong: true };
    } else {
      let text = Buffer.concat(this.parts, this.size).toString("utf8");
      if (this.first && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark
      item = { line: this.lineNumber, text, tooLong: false };
    }
    this.first = false;
    this.parts = [];
    this.size = 0;
    this.skipping = false;
    return item;
  }
}

/** Writes replies in order, waiting for the output to drain; fails once the output fails. */
class ReplyWriter {
  private failed: Error | undefined;

  constructor(private readonly output: Writable | NodeJS.WritableStream) {
    // Stays attached after serving ends, so a late EPIPE cannot crash the process.
    output.on("error", (e: Error) => {
      this.failed ??= e;
    });
  }

  async write(text: string): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.output.write(text)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (e?: Error): void => {
        this.output.off("drain", onDrain);
        this.output.off("error", onFail);
        this.output.off("close", onClose);
        if (e) reject(e);
        else resolve();
      };
      const onDrain = (): void => done();
      const onFail = (e: Error): void => done(e);
      const onClose = (): void => done(new Error("the output was closed"));
      this.output.on("drain", onDrain);
      this.output.on("error", onFail);
      this.output.on("close", onClose);
    });
  }
}
