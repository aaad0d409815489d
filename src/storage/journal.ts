import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { StudySpec } from "../model/trial";
import { TunelabError, errorText } from "../util/errors";
import { ReplicaStorage, applyChecked } from "./base";
import { decodeOp, parseHeaderLine, parsesAsJson } from "./journal-format";
import { JOURNAL_VERSION, type StudyOp } from "./ops";
import { StudyReplica } from "./replica";

export interface JournalOptions {
  /** fsync after every append (slower; survives power cuts, not only process crashes). Default false. */
  readonly durable?: boolean;
  /** Where warnings go (damaged records skipped, stale locks broken). Default: console.warn. */
  readonly onWarning?: (message: string) => void;
  /** Give up waiting for another process's lock after this long. Default 30 s. */
  readonly lockTimeoutMs?: number;
}

/** A lock older than this whose owner can't be checked is considered abandoned. */
const STALE_LOCK_MS = 60_000;
/**
 * A lock file still empty after this long was left by a process that died
 * between creating it and writing its pid (microseconds apart).
 */
const EMPTY_LOCK_MS = 10_000;

interface OpenFile {
  readonly file: string;
  readonly lock: string;
  readonly replica: StudyReplica;
  /** Bytes of the file consumed so far (always at a line boundary). */
  offset: number;
  /** Lines consumed so far (for messages). */
  lines: number;
  /** The file ends with a torn record that the next append must terminate. */
  torn: boolean;
}

/**
 * The on-disk default: one append-only JSON-lines journal per study,
 * `<dir>/<study>.jsonl`, each line one operation (see ops.ts). Chosen over
 * SQLite because it needs no native module, reads incrementally from a byte
 * offset (the JupyterLab study browser reads it through the contents API),
 * survives a torn last line, and makes concurrent writers simple: a writer
 * takes `<file>.lock` (O_EXCL), catches up with what others appended, checks
 * its operation against that state, appends, and releases.
 *
 * Safe for several processes on one machine (and one filesystem); for many
 * machines use a database storage.
 */
export class JournalStorage extends ReplicaStorage {
  readonly description: string;
  readonly kind = "journal";
  private readonly files = new Map<string, OpenFile>();
  private readonly warn: (m: string) => void;

  constructor(readonly dir: string = ".tunelab", private readonly options: JournalOptions = {}) {
    super();
    this.description = `journal ${dir}`;
    this.warn = options.onWarning ?? ((m) => console.warn(`tunelab: ${m}`));
  }

  /** The journal file of a study name. */
  fileFor(study: string): string {
    return path.join(this.dir, journalFileName(study));
  }

  protected replica(study: string): StudyReplica | undefined {
    return this.files.get(study)?.replica;
  }

  protected async openReplica(spec: StudySpec): Promise<StudyReplica> {
    const existing = this.files.get(spec.name);
    if (existing) return existing.replica;
    fs.mkdirSync(this.dir, { recursive: true });
    // Resolved once: a later process.chdir (a notebook cell) must not move the study.
    const file = path.resolve(this.fileFor(spec.name));
    const lock = file + ".lock";
    await this.acquire(lock);
    try {
      const size = fileSize(file);
      if (size === 0) {
        const op: StudyOp = { op: "study", v: JOURNAL_VERSION, spec };
        fs.appendFileSync(file, JSON.stringify(op) + "\n");
      }
      const header = readHeader(file);
      const replica = new StudyReplica(header.spec);
      replica.apply(header.op);
      const of: OpenFile = { file, lock, replica, offset: header.bytes, lines: 1, torn: false };
      this.catchUp(of, true);
      this.files.set(spec.name, of);
      return replica;
    } finally {
      release(lock);
    }
  }

  protected async transact<T>(study: string, fn: (r: StudyReplica, write: (op: StudyOp) => void) => T): Promise<T> {
    const of = this.files.get(study);
    if (!of) throw new TunelabError("study.unknown", `no open study is named ${JSON.stringify(study)}`, "study");
    await this.acquire(of.lock);
    const lines: string[] = [];
    try {
      this.catchUp(of, true);
      return fn(of.replica, (op) => {
        applyChecked(of.replica, op);
        lines.push(JSON.stringify(op));
      });
    } finally {
      try {
        if (lines.length) this.append(of, lines);
      } finally {
        release(of.lock);
      }
    }
  }

  /** Reads what was appended since the last read (by any process) and applies it. */
  private catchUp(of: OpenFile, locked: boolean): void {
    const size = fileSize(of.file);
    if (size <= of.offset) return;
    const fd = fs.openSync(of.file, "r");
    let buf: Buffer;
    try {
      buf = Buffer.allocUnsafe(size - of.offset);
      let read = 0;
      while (read < buf.length) {
        const n = fs.readSync(fd, buf, read, buf.length - read, of.offset + read);
        if (n === 0) break;
        read += n;
      }
      buf = buf.subarray(0, read);
    } finally {
      fs.closeSync(fd);
    }
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0) break;
      // Whatever follows our torn fragment starts with the newline that ended it.
      of.torn = false;
      of.lines++;
      const text = buf.toString("utf8", start, nl);
      start = nl + 1;
      if (text.trim() === "") continue;
      this.applyLine(of, text);
    }
    if (start < buf.length && locked) {
      // Nobody else can be writing (we hold the lock): this is a torn record
      // from a process that died mid-write. The next append starts on a fresh
      // line, so the fragment becomes a line of its own, and every later
      // reader must treat it as we do now. A fragment that is complete JSON
      // lost only its newline (no proper prefix of a JSON object parses), and
      // later readers will apply it: apply it too. Anything else is skipped.
      of.lines++;
      const text = buf.toString("utf8", start);
      if (parsesAsJson(text)) {
        this.applyLine(of, text);
      } else {
        this.warn(`${of.file}: the last record (line ${of.lines}) is incomplete, probably cut off by a crash; it was skipped and every complete record was kept.`);
      }
      of.torn = true;
      start = buf.length;
    }
    of.offset += start;
  }

  private applyLine(of: OpenFile, text: string): void {
    const d = decodeOp(text);
    if (!d.ok) {
      this.warn(d.reason === "json" ? `${of.file}: line ${of.lines} is not valid JSON (a damaged record); it was skipped.` : `${of.file}: line ${of.lines} is not a tunelab operation; it was skipped.`);
      return;
    }
    if (d.op.op === "study") return;
    try {
      applyChecked(of.replica, d.op);
    } catch (e) {
      this.warn(`${of.file}: line ${of.lines} does not fit the study (${errorText(e)}); it was skipped.`);
    }
  }

  private append(of: OpenFile, lines: string[]): void {
    const text = (of.torn ? "\n" : "") + lines.join("\n") + "\n";
    const fd = fs.openSync(of.file, "a");
    try {
      fs.writeSync(fd, text);
      if (this.options.durable) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    of.torn = false;
    of.offset += Buffer.byteLength(text);
    of.lines += lines.length + (text.startsWith("\n") ? 1 : 0);
  }

  private async acquire(lock: string): Promise<void> {
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 30_000);
    let wait = 1;
    for (;;) {
      try {
        const fd = fs.openSync(lock, "wx");
        fs.writeSync(fd, `${process.pid} ${Date.now()}`);
        fs.closeSync(fd);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      if (this.breakIfStale(lock)) continue;
      if (Date.now() > deadline) {
        throw new TunelabError("storage.lock_timeout", `could not lock ${lock} within ${this.options.lockTimeoutMs ?? 30_000} ms: another process holds it; if no tunelab process is running, delete the file.`, "storage");
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 20);
    }
  }

  /**
   * Removes a lock whose owner died; true when the lock is gone. Breakers
   * take `<lock>.break` (O_EXCL) first and decide on what they read under it:
   * otherwise two waiters that both read the dead owner's lock could each
   * remove it, the second removing the fresh lock the first just took, and
   * both would then write at once.
   */
  private breakIfStale(lock: string): boolean {
    const guard = lock + ".break";
    try {
      fs.closeSync(fs.openSync(guard, "wx"));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // Another breaker is at work (for microseconds), or one died holding the guard.
      if (ageMs(guard) > EMPTY_LOCK_MS) release(guard);
      return false;
    }
    try {
      let text: string;
      let age: number;
      try {
        text = fs.readFileSync(lock, "utf8");
        age = ageMs(lock);
      } catch {
        return true; // released meanwhile
      }
      const [pidText, tText] = text.split(" ");
      const pid = Number(pidText);
      const t = Number(tText);
      let dead = false;
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid, 0);
        } catch (e) {
          dead = (e as NodeJS.ErrnoException).code === "ESRCH";
        }
      } else if (!text) {
        // Created but not yet written: give its owner a moment, not forever.
        dead = age > EMPTY_LOCK_MS;
      }
      if (!dead && Number.isFinite(t) && Date.now() - t > STALE_LOCK_MS && pid === process.pid) dead = true;
      if (!dead) return false;
      release(lock);
      this.warn(text ? `removed the lock ${lock} left by process ${pid}, which is no longer running.` : `removed the lock ${lock}, left empty by a process that died while taking it.`);
      return true;
    } finally {
      release(guard);
    }
  }

  async listStudies(): Promise<string[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const f of names.sort()) {
      if (!f.endsWith(".jsonl")) continue;
      try {
        out.push(readHeader(path.join(this.dir, f)).spec.name);
      } catch (e) {
        this.warn(`${path.join(this.dir, f)}: ${errorText(e)}`);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.files.clear();
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw e;
  }
}

/** Milliseconds since a file was last modified (0 when it is gone). */
function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function release(lock: string): void {
  try {
    fs.unlinkSync(lock);
  } catch {
    /* already gone */
  }
}

/** Reads and checks a journal's first record. */
export function readHeader(file: string): { spec: StudySpec; op: StudyOp; bytes: number } {
  const fd = fs.openSync(file, "r");
  try {
    const chunks: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(65536);
      const n = fs.readSync(fd, b, 0, b.length, pos);
      if (n === 0) break;
      const part = b.subarray(0, n);
      const nl = part.indexOf(10);
      if (nl >= 0) {
        chunks.push(part.subarray(0, nl));
        const line = Buffer.concat(chunks).toString("utf8");
        return { ...parseHeaderLine(file, line), bytes: pos + nl + 1 };
      }
      chunks.push(Buffer.from(part));
      pos += n;
    }
    throw new TunelabError("storage.bad_header", `${file} has no complete first record; it is not a tunelab journal or was cut off while being created.`, "storage");
  } finally {
    fs.closeSync(fd);
  }
}

/** Longest encoded name kept whole: with ".jsonl.lock.break" it stays under the usual 255-byte limit. */
const MAX_ENCODED_NAME = 200;

/**
 * A file name for a study name: safe characters kept, others %-encoded.
 * An encoding longer than a file name may be (non-Latin names: up to 12
 * bytes a character) is cut and followed by "~" and a hash of the whole
 * name; "~" never appears in a plain encoding, so the names stay distinct.
 */
export function journalFileName(study: string): string {
  let safe = encodeURIComponent(study).replace(/[!'()*~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  if (safe.startsWith(".")) safe = "%2E" + safe.slice(1);
  if (safe.length > MAX_ENCODED_NAME) {
    const hash = createHash("sha256").update(study, "utf8").digest("hex").slice(0, 32);
    safe = safe.slice(0, MAX_ENCODED_NAME - hash.length - 1).replace(/%[0-9A-F]?$/, "") + "~" + hash;
  }
  return safe + ".jsonl";
}
