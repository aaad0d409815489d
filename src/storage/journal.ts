import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { StudySnapshot, StudySpec } from "../model/trial";
import { encodeRecord, parseHeaderLine, type JournalHeader } from "../record/journal-format";
import { JournalLineReader } from "../record/journal-reader";
import type { StudyOp } from "../record/ops";
import type { StudyReplica, Undo } from "../record/replica";
import { TunelabError, errorText } from "../util/errors";
import { Msg } from "../util/messages";
import { ReplicaStorage, Tx, applyChecked } from "./base";
import { DEFAULT_LOCK_GRACE_MS, FileLocks } from "./lock";
import type { HeartbeatTarget } from "./storage";
import { beatsDir, readBeats, writeBeat } from "./beats";

export interface JournalOptions {
  /**
   * fdatasync every append before the operation returns, so what was acknowledged also survives
   * a power cut or an OS crash (without it, a process crash or kill loses nothing acknowledged:
   * the kernel has the bytes). Costs an fsync per ask, report and tell. Default: the
   * TUNELAB_DURABLE environment variable (1, true, yes, on), else false.
   */
  readonly durable?: boolean;
  /** Where warnings go (damaged records skipped, stale locks broken). Default: console.warn. */
  readonly onWarning?: (message: string) => void;
  /** Give up waiting for a lock that can't be broken yet after this long. Default 60 s. */
  readonly lockTimeoutMs?: number;
  /**
   * A lock whose holder can't be checked from here (another machine or container, an empty
   * or unreadable lock: 2 s at most) is broken once it is this old. Default 30 s. A lock of a
   * live process on this machine is never broken; one of a process that is gone is broken at once.
   */
  readonly lockGraceMs?: number;
}

const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

interface OpenFile {
  readonly file: string;
  readonly lock: string;
  readonly reader: JournalLineReader;
  readonly replica: StudyReplica;
  /** The journal's inode: a file put in its place is noticed, not appended to. */
  readonly ino: number;
}

/**
 * The on-disk default: one append-only JSON-lines journal per study,
 * `<dir>/<study>.jsonl`, each line one operation (see src/record/ops.ts) with its checksum.
 * Chosen over SQLite because it needs no native module, reads incrementally from a byte
 * offset (the JupyterLab study browser reads it through the contents API), survives a torn
 * or damaged line (src/record/journal-reader.ts), and makes concurrent writers simple: a writer
 * takes `<file>.lock` (lock.ts), catches up with what others appended, checks its operation
 * against that state, appends, and releases. An append that fails (a full disk) is cut back
 * off the file and taken back from memory, so memory never runs ahead of the disk.
 *
 * Safe for several processes on one machine (and one filesystem); for many
 * machines use a database storage.
 */
export class JournalStorage extends ReplicaStorage {
  readonly description: string;
  readonly kind = "journal";
  /** The folder, absolute. */
  readonly location: string;
  /** Whether appends are fsynced (the `durable` option or TUNELAB_DURABLE). */
  readonly durable: boolean;
  private readonly files = new Map<string, OpenFile>();
  private readonly warn: (m: string) => void;
  private readonly locks: FileLocks;

  constructor(
    readonly dir: string = ".tunelab",
    options: JournalOptions = {},
  ) {
    super();
    this.description = `journal ${dir}`;
    this.location = path.resolve(dir);
    this.warn = options.onWarning ?? ((m) => console.warn(`tunelab: ${m}`));
    if (options.durable !== undefined && typeof options.durable !== "boolean") throw Msg.badDurable("durable", options.durable);
    this.durable = options.durable ?? durableFromEnv();
    this.locks = new FileLocks({ timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, graceMs: options.lockGraceMs ?? DEFAULT_LOCK_GRACE_MS, warn: this.warn });
  }

  /** The journal file of a study name. */
  fileFor(study: string): string {
    return path.join(this.dir, journalFileName(study));
  }

  /** The journal's file for messages: relative to the working directory when it is under it. */
  where(study: string): string {
    const file = this.fileFor(study);
    const rel = path.relative(process.cwd(), file);
    return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
  }

  load(study: string): Promise<StudySnapshot> {
    return this.transact(study, (tx) => tx.replica);
  }

  /**
   * Opens the study whose journal is there, with the spec of its first record (so even a
   * journal deleted meanwhile would be made again as it was); undefined when there is none.
   */
  async openExisting(study: string): Promise<StudySnapshot | undefined> {
    const open = this.files.get(study);
    if (open) return open.replica;
    const file = path.resolve(this.fileFor(study));
    if (sizeOf(file) === 0) return undefined;
    return this.openReplica(readHeader(file).spec);
  }

  protected async openReplica(spec: StudySpec): Promise<StudyReplica> {
    const existing = this.files.get(spec.name);
    if (existing) return existing.replica;
    fs.mkdirSync(this.dir, { recursive: true });
    // Resolved once: a later process.chdir (a notebook cell) must not move the study.
    const file = path.resolve(this.fileFor(spec.name));
    const lock = file + ".lock";
    const fresh = () => new JournalLineReader(file, { onWarning: this.warn, decode: utf8 });
    let reader = fresh();
    // A long journal is read before taking the lock (other writers go on meanwhile); what
    // they append by then is read under it.
    if (sizeOf(file) > 0) readInto(file, reader, false);
    await this.locks.acquire(lock);
    try {
      // A writer's failed append, cut back off the file, may have been read meanwhile: read again.
      if (sizeOf(file) < reader.offset) reader = fresh();
      if (sizeOf(file) === 0) {
        const failed = appendBytes(file, Buffer.from(encodeRecord(this.studyOp(spec)) + "\n"), 0, this.durable);
        if (failed) throw Msg.journalWriteFailed(file, failed.os, failed.left);
        if (this.durable) syncDir(path.dirname(file));
      }
      readInto(file, reader, true);
      if (!reader.replica) throw Msg.journalBadHeader(file, "has no complete first record (it was cut off while being created)");
      const of: OpenFile = { file, lock, reader, replica: reader.replica, ino: fs.statSync(file).ino };
      this.files.set(spec.name, of);
      return of.replica;
    } finally {
      this.locks.release(lock);
    }
  }

  protected async transact<T>(study: string, fn: (tx: Tx) => T): Promise<T> {
    const of = this.files.get(study);
    if (!of) throw Msg.studyUnknown(study);
    await this.locks.acquire(of.lock);
    try {
      this.catchUp(of);
      const tx = new JournalTx(of.replica, Date.now(), of.file);
      let out: T;
      try {
        out = fn(tx);
      } catch (e) {
        // The callback threw after writing: its ops are taken back, nothing is appended.
        for (let i = tx.undo.length - 1; i >= 0; i--) of.replica.undo(tx.undo[i]!);
        throw e;
      }
      if (tx.lines.length) this.append(of, tx.lines, tx.undo);
      return out;
    } finally {
      this.locks.release(of.lock);
    }
  }

  /**
   * Heartbeats live beside the journal, in `<journal>.beats/`: one small file per worker,
   * rewritten at each beat (written aside, then renamed over the old one), naming its running
   * trials; the file's modification time is the beat. So a beat never grows the journal, and
   * its time is the file system's clock.
   */
  async heartbeat(study: string, owner: string, trials: readonly number[]): Promise<void> {
    const of = this.files.get(study);
    if (!of) throw Msg.studyUnknown(study);
    writeBeat(of.file, owner, trials);
  }

  /** Where another handle (a heartbeat thread) beats for a study of this journal: its file. */
  heartbeatTarget(study: string): HeartbeatTarget | undefined {
    const of = this.files.get(study);
    return of ? { kind: "journal", file: of.file, study } : undefined;
  }

  /** Calls `listener` when the journal grows (the file's size is checked four times a second). */
  watch(study: string, listener: () => void): () => void {
    const of = this.files.get(study);
    if (!of) throw Msg.studyUnknown(study);
    const onStat = (cur: fs.Stats, prev: fs.Stats) => {
      if (cur.size !== prev.size || cur.ino !== prev.ino) listener();
    };
    fs.watchFile(of.file, { interval: 250, persistent: false }, onStat);
    return () => fs.unwatchFile(of.file, onStat);
  }

  /** Reads what was appended since the last read (by any process) and applies it; under the lock. */
  private catchUp(of: OpenFile): void {
    let st: fs.Stats;
    try {
      st = fs.statSync(of.file);
    } catch {
      throw Msg.journalReplaced(of.file, "was deleted");
    }
    if (of.ino !== 0 && st.ino !== of.ino) throw Msg.journalReplaced(of.file, "was replaced by another file");
    if (st.size < of.reader.offset) throw Msg.journalReplaced(of.file, "shrank");
    if (st.size > of.reader.offset) of.reader.read(readRange(of.file, of.reader.offset, st.size), true, true);
  }

  /**
   * Appends the lines of one transaction, whose ops `fn` already applied. If the write fails,
   * whatever part of it reached the file is cut off again (every reader then sees the file as
   * it was), the ops are taken back from the replica, and storage.write_failed says why.
   */
  private append(of: OpenFile, lines: string[], undo: Undo[]): void {
    const r = of.reader;
    const bytes = Buffer.from((r.torn ? "\n" : "") + lines.join("\n") + "\n");
    const failed = appendBytes(of.file, bytes, r.offset, this.durable);
    if (!failed) {
      r.appended(bytes.length, lines.length);
      return;
    }
    for (let i = undo.length - 1; i >= 0; i--) of.replica.undo(undo[i]!);
    try {
      // Normally nothing: the file is as it was. If cutting it back failed too, this reads
      // what is left as every other reader will.
      this.catchUp(of);
    } catch {
      /* the error below says what failed */
    }
    throw Msg.journalWriteFailed(of.file, failed.os, failed.left);
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

/** A write to a journal: the lines to append and how to take their ops back if that fails. */
class JournalTx extends Tx {
  readonly lines: string[] = [];
  readonly undo: Undo[] = [];
  private beats: Map<number, number> | undefined;

  constructor(
    readonly replica: StudyReplica,
    readonly now: number,
    private readonly file: string,
  ) {
    super();
  }

  write(op: StudyOp): void {
    const u = this.replica.undoPoint(op);
    applyChecked(this.replica, op);
    this.undo.push(u);
    this.lines.push(encodeRecord(op));
  }

  lastBeat(trial: number): number | undefined {
    this.beats ??= readBeats(beatsDir(this.file));
    return this.beats.get(trial);
  }
}

/** Bytes [start, end) of a Buffer as UTF-8 (the reader is only given Buffers here). */
const utf8 = (b: Uint8Array, start: number, end: number): string => (b as Buffer).toString("utf8", start, end);

/** TUNELAB_DURABLE as a boolean (unset: false). */
function durableFromEnv(): boolean {
  const raw = process.env["TUNELAB_DURABLE"];
  if (raw === undefined) return false;
  const v = raw.trim().toLowerCase();
  if (v === "1" || v === "true" || v === "yes" || v === "on") return true;
  if (v === "" || v === "0" || v === "false" || v === "no" || v === "off") return false;
  throw Msg.badDurable("TUNELAB_DURABLE", raw);
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw e;
  }
}

/** Feeds `reader` the file from its offset to the end; throws when the file can't be a journal. */
function readInto(file: string, reader: JournalLineReader, final: boolean): void {
  const size = sizeOf(file);
  if (size > reader.offset) reader.read(readRange(file, reader.offset, size), true, final);
  if (reader.error) throw new TunelabError(reader.error.code, reader.error.message, "storage");
}

/** Bytes [from, to) of a file (fewer if it is shorter). */
function readRange(file: string, from: number, to: number): Buffer {
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(to - from);
    let read = 0;
    while (read < buf.length) {
      const n = fs.readSync(fd, buf, read, buf.length - read, from + read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Appends `bytes` to a file that is `size` bytes long (the caller holds its lock); null when
 * all of it was written (and, if `durable`, synced), else the OS error, with the file cut
 * back to `size` if that was possible.
 */
function appendBytes(file: string, bytes: Buffer, size: number, durable: boolean): { os: string; left: string } | null {
  let fd: number;
  try {
    fd = fs.openSync(file, "a");
  } catch (e) {
    return { os: osError(e), left: "" };
  }
  try {
    for (let done = 0; done < bytes.length; ) {
      const n = fs.writeSync(fd, bytes, done, bytes.length - done);
      if (n <= 0) throw new Error("the write made no progress");
      done += n;
    }
    if (durable) fs.fdatasyncSync(fd);
    return null;
  } catch (e) {
    try {
      fs.ftruncateSync(fd, size);
      if (durable) fs.fdatasyncSync(fd);
      return { os: osError(e), left: "" };
    } catch {
      return { os: osError(e), left: "; part of the record may be left at its end, which every reader skips" };
    }
  } finally {
    try {
      fs.closeSync(fd);
    } catch {
      /* the outcome is decided */
    }
  }
}

function osError(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  return x && typeof x.code === "string" ? `${x.code}: ${x.message.replace(/^[A-Z0-9]+: /, "")}` : errorText(e);
}

/** fsyncs a folder, so a file created in it survives a power cut (where the OS allows it). */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    /* not supported here (Windows): the file's own fsync is what there is */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Reads and checks a journal's first record. */
export function readHeader(file: string): JournalHeader & { bytes: number } {
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
        return { ...parseHeaderLine(file, Buffer.concat(chunks).toString("utf8")), bytes: pos + nl + 1 };
      }
      chunks.push(Buffer.from(part));
      pos += n;
    }
    throw Msg.journalBadHeader(file, "has no complete first record (it was cut off while being created)");
  } finally {
    fs.closeSync(fd);
  }
}

/** A UTF-16 surrogate without its other half (captured, so that split() keeps each at an odd index). */
const LONE_SURROGATE = /([\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF])/;

/** Longest encoded name kept whole: with ".jsonl.lock.break" it stays under the usual 255-byte limit. */
const MAX_ENCODED_NAME = 200;

/**
 * A file name for a study name: safe characters kept, others %-encoded.
 * Any string is a name, lone UTF-16 surrogates included (JSON carries them,
 * e.g. from Python's surrogateescape): those have no UTF-8 form, so each is
 * written "%u" and four hex digits, which the %XX encoding never produces.
 * An encoding longer than a file name may be (non-Latin names: up to 12
 * bytes a character) is cut and followed by "~" and a hash of the whole
 * name; "~" never appears in a plain encoding, so the names stay distinct.
 */
export function journalFileName(study: string): string {
  const wellFormed = !LONE_SURROGATE.test(study);
  let safe = (wellFormed ? [study] : study.split(LONE_SURROGATE))
    .map((part, i) => (i % 2 === 1 ? "%u" + part.charCodeAt(0).toString(16).toUpperCase() : encodeURIComponent(part)))
    .join("")
    .replace(/[!'()*~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
  if (safe.startsWith(".")) safe = "%2E" + safe.slice(1);
  if (safe.length > MAX_ENCODED_NAME) {
    // UTF-8 would turn every lone surrogate into U+FFFD, so such a name hashes its
    // encoding instead, after a 0xFF byte (never in UTF-8) that keeps it apart from
    // the well-formed name spelled like that encoding.
    const hasher = createHash("sha256");
    if (wellFormed) hasher.update(study, "utf8");
    else hasher.update(Buffer.from([0xff])).update(safe, "utf8");
    const hash = hasher.digest("hex").slice(0, 32);
    safe = safe.slice(0, MAX_ENCODED_NAME - hash.length - 1).replace(/%(?:u[0-9A-F]{0,3}|[0-9A-F])?$/, "") + "~" + hash;
  }
  return safe + ".jsonl";
}
