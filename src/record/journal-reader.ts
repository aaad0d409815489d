import { decodeRecord, parseHeaderLine, parsesAsJson, type JournalHeader, type LineFault } from "./journal-format";
import type { StudyOp } from "./ops";
import { StudyReplica } from "./replica";

/**
 * The one checked reader of a study journal, shared by the Node journal storage (which feeds it
 * the bytes it reads from disk) and the JupyterLab study browser (which feeds it what it fetches
 * through the contents API), so the two can't disagree about a file. Browser-safe.
 *
 *   const r = new JournalLineReader("runs/mlp.jsonl", { onWarning: console.warn });
 *   r.read(bytesFrom(r.offset), true, false);   // the file as it is now
 *   r.replica?.trials; r.error; r.skipped;
 *
 * The rules, line by line:
 * - The first line is the study record (parseHeaderLine); if it is damaged nothing is read and
 *   `error` says why (storage.bad_header or storage.newer_format).
 * - Each later line is checked before it is applied: JSON, a known operation, its checksum
 *   (format 2), the type of every field, then whether it fits the study (a trial ends once,
 *   steps increase, ...). A line that fails is skipped: it costs that record and nothing else.
 * - Trial numbers are the file's: a record that names trial n when trials below n have no
 *   creation record (it was in a damaged line) makes those trials failed placeholders
 *   (lost.ts), so later records keep their trials and new trials get numbers after every
 *   number the file holds. Records of a lost trial are set aside; a creation record that
 *   comes late (two lines swapped) puts the trial back. Enqueued configurations keep their
 *   queue positions the same way. A record may only name a trial or position that the bytes
 *   before it could have created (MIN_RECORD_BYTES each), so a crafted line can't make a
 *   billion placeholders.
 * - Consecutive skipped lines are one damaged region and get one warning, naming the file, the
 *   lines, why, and the trials lost there.
 * - A line longer than `maxLineBytes` is skipped without being kept, even across reads.
 * - The last line may lack its newline. If it is a complete record it is applied (its writer
 *   died after writing it; no proper prefix of a JSON object parses). Otherwise it is torn:
 *   while a writer may still be adding to it, it is left for the next read; when none can be
 *   (`final`: the caller holds the journal's lock) it is skipped for good, and `torn` tells the
 *   next writer to start on a fresh line, so every later reader sees the same fragment line.
 */

export interface JournalReadOptions {
  /** A longer line is skipped, never kept. Default 4 MiB. */
  readonly maxLineBytes?: number;
  /** Where warnings go: one per damaged region. */
  readonly onWarning?: (message: string) => void;
  /** Decodes bytes [start, end) as UTF-8 (Node passes Buffer's own, which is faster). Default: TextDecoder. */
  readonly decode?: (bytes: Uint8Array, start: number, end: number) => string;
}

/** Why the file can't be read at all. */
export interface ReaderError {
  readonly code: string;
  readonly message: string;
}

export const DEFAULT_MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * The fewest bytes of file an earlier trial (or queue position) takes: its creation record,
 * `{"op":"trial","n":0,"params":{},"t":0}` and a newline, is longer. A record naming trial n
 * after fewer than n * MIN_RECORD_BYTES bytes can't be genuine.
 */
const MIN_RECORD_BYTES = 32;

/** Reasons listed in one warning (the count says how many lines). */
const MAX_REASONS = 3;

const FAULTS: Readonly<Record<LineFault, (detail?: string) => string>> = {
  json: () => "not valid JSON (a damaged record)",
  not_op: () => "not a tunelab operation",
  checksum: () => "its checksum does not match (a damaged record)",
  fields: (d) => `a field "${d ?? "?"}" of the wrong type`,
};

/** A set-aside record of a lost trial: not applied, not a damaged line of its own. */
const SET_ASIDE = 1;

/** Damage read since the last warning: a region of skipped lines and the trials lost with it. */
interface Pending {
  first: number | null;
  last: number;
  count: number;
  readonly reasons: string[];
  /** Trials from..to became placeholders when line `line` named a later number. */
  readonly lost: { from: number; to: number; line: number }[];
  aside: number;
  asideLine: number;
}

export class JournalLineReader {
  /** Bytes of the file consumed so far: the next read starts here. */
  offset = 0;
  /** Lines consumed so far (line numbers in messages count from 1). */
  lines = 0;
  replica: StudyReplica | null = null;
  header: JournalHeader | null = null;
  error: ReaderError | null = null;
  /** Lines not applied: damaged, foreign, not fitting the study, or records of lost trials. */
  skipped = 0;
  /** The bytes consumed end inside a line (a torn record): the next append must start a new line. */
  torn = false;
  private skippingLong = false;
  private pending: Pending | null = null;
  /** Inside a region of skipped lines (no record applied since its first). */
  private inRegion = false;
  /** The first line of the latest damaged region: where a lost creation record was. */
  private lastDamage: number | null = null;
  private readonly maxLineBytes: number;
  private readonly warn: (message: string) => void;
  private readonly decode: (bytes: Uint8Array, start: number, end: number) => string;

  constructor(
    readonly where: string,
    options: JournalReadOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.warn = options.onWarning ?? (() => undefined);
    if (options.decode) {
      this.decode = options.decode;
    } else {
      const decoder = new TextDecoder("utf-8");
      this.decode = (b, start, end) => decoder.decode(b.subarray(start, end));
    }
  }

  /**
   * Reads `bytes`, the file's content from `offset` on. `atEnd`: they reach the end of the file
   * as it was when read. `final`: nobody can be appending (the caller holds the lock). `pause`
   * is asked after each line; when it says so the read stops there and returns false (read
   * again from the new offset). Returns true once everything readable was read; the warning of
   * the damage read is given then, if the bytes reached the end of the file.
   */
  read(bytes: Uint8Array, atEnd: boolean, final: boolean, pause?: () => boolean): boolean {
    if (this.error) return true;
    let start = 0;
    try {
      while (start < bytes.length && !this.error) {
        const nl = bytes.indexOf(10, start);
        if (nl < 0) break;
        this.lines++;
        if (this.skippingLong) this.skippingLong = false;
        else if (nl - start > this.maxLineBytes) this.tooLong();
        else this.line(this.decode(bytes, start, nl), this.offset + start);
        start = nl + 1;
        this.torn = false;
        if (pause?.() && start < bytes.length) return false;
      }
      if (!this.error && start < bytes.length) {
        if (this.skippingLong || bytes.length - start > this.maxLineBytes) {
          // Part of a huge line: drop it now rather than keep it or read it again.
          if (!this.skippingLong) {
            this.lines++;
            this.tooLong();
          }
          this.skippingLong = true;
          this.torn = true;
          start = bytes.length;
        } else if (atEnd) {
          const text = this.decode(bytes, start, bytes.length);
          const complete = text.trim() !== "" && parsesAsJson(text);
          if (complete || final) {
            this.lines++;
            if (complete) this.line(text, this.offset + start);
            else if (text.trim() !== "") this.damaged("incomplete: cut off while it was being written", this.lines);
            this.torn = true;
            start = bytes.length;
          }
        }
      }
    } finally {
      this.offset += start;
    }
    if (atEnd) this.flush();
    return true;
  }

  /** The caller appended `bytes` bytes, `lines` lines whose operations it has already applied. */
  appended(bytes: number, lines: number): void {
    this.offset += bytes;
    this.lines += lines;
    this.torn = false;
    this.inRegion = false;
  }

  private tooLong(): void {
    if (!this.replica) {
      this.error = { code: "storage.bad_header", message: `${this.where}: the first record is longer than ${size(this.maxLineBytes)}; this is not a tunelab journal.` };
      return;
    }
    this.damaged(`longer than ${size(this.maxLineBytes)}`, this.lines);
  }

  private line(text: string, at: number): void {
    if (text.trim() === "") return;
    if (!this.replica) {
      this.readHeader(text);
      return;
    }
    const d = decodeRecord(text, this.header!.checked);
    if (!d.ok) return this.damaged(FAULTS[d.reason](d.detail), this.lines);
    const why = this.applyOp(d.op, Math.floor(at / MIN_RECORD_BYTES));
    if (why === null) {
      this.inRegion = false;
    } else if (why === SET_ASIDE) {
      this.skipped++;
      const p = this.note();
      if (p.aside++ === 0) p.asideLine = this.lines;
    } else {
      this.damaged(why, this.lines);
    }
  }

  private readHeader(text: string): void {
    try {
      const h = parseHeaderLine(this.where, text);
      const r = new StudyReplica(h.spec);
      r.apply(h.op);
      this.header = h;
      this.replica = r;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      this.error = { code: typeof code === "string" ? code : "storage.bad_header", message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Applies `op`; null when applied, else why it was skipped (or SET_ASIDE). `most`: the highest trial number or queue position a record here may name. */
  private applyOp(op: StudyOp, most: number): string | typeof SET_ASIDE | null {
    const r = this.replica!;
    switch (op.op) {
      case "study":
        return "a second study record";
      case "extend":
        return applyIfFits(r, op);
      case "enqueue": {
        const i = op.i;
        if (i === undefined || i === r.queue.length) {
          r.apply(op);
          return null;
        }
        if (i < r.queue.length && r.queue[i] !== undefined) return `queue position ${i} is already recorded (a repeated record)`;
        if (i > most) return `queue position ${i} is more than the file before it can hold`;
        r.placeQueued(i, op.params);
        return null;
      }
      case "trial": {
        const n = op.n;
        if (n === r.trials.length) {
          r.apply(op);
          return null;
        }
        if (n < r.trials.length) {
          if (!r.isLost(n)) return `trial ${n} is already recorded (a repeated record)`;
          r.restoreLost(op);
          return null;
        }
        if (n > most) return `trial ${n} is more than the file before it can hold`;
        this.lose(n - 1);
        r.apply(op);
        return null;
      }
      default: {
        const n = op.n;
        // The study's own note: no trial to find.
        if (n === undefined) return applyIfFits(r, op);
        if (n >= r.trials.length) {
          if (n > most) return `trial ${n} is more than the file before it can hold`;
          this.lose(n);
          return SET_ASIDE;
        }
        if (r.isLost(n)) return SET_ASIDE;
        return applyIfFits(r, op);
      }
    }
  }

  /** Trials from the current count to `upTo` become lost placeholders. */
  private lose(upTo: number): void {
    const r = this.replica!;
    const from = r.trials.length;
    if (upTo < from) return;
    // A placeholder names the damaged line its record was probably in: the last one before
    // (from the file alone, so every reader makes the same placeholder however it reads).
    r.addLost(upTo, this.lastDamage);
    this.note().lost.push({ from, to: upTo, line: this.lines });
  }

  private damaged(reason: string, line: number): void {
    this.skipped++;
    if (!this.inRegion) {
      this.inRegion = true;
      this.lastDamage = line;
      this.flush();
      this.note().first = line;
    }
    const p = this.pending!;
    p.last = line;
    p.count++;
    if (!p.reasons.includes(reason)) p.reasons.push(reason);
  }

  private note(): Pending {
    this.pending ??= { first: null, last: 0, count: 0, reasons: [], lost: [], aside: 0, asideLine: 0 };
    return this.pending;
  }

  /** Gives the warning for the damage read since the last one. */
  private flush(): void {
    const p = this.pending;
    this.pending = null;
    if (!p) return;
    const parts: string[] = [];
    if (p.first !== null) {
      const reasons = p.reasons.slice(0, MAX_REASONS).join("; ") + (p.reasons.length > MAX_REASONS ? "; and others" : "");
      parts.push(p.first === p.last ? `line ${p.first} was skipped: ${reasons}.` : `lines ${p.first}-${p.last} were skipped (${p.count} lines): ${reasons}.`);
    }
    // Trials still lost (a late creation record may have put some back).
    const lost: string[] = [];
    let count = 0;
    let line = 0;
    for (const l of p.lost) {
      for (let n = l.from; n <= l.to; n++) {
        if (!this.replica!.isLost(n)) continue;
        let m = n;
        while (m < l.to && this.replica!.isLost(m + 1)) m++;
        lost.push(n === m ? `${n}` : `${n}-${m}`);
        count += m - n + 1;
        line ||= l.line;
        n = m;
      }
    }
    if (count) {
      const them = count === 1 ? "it" : "them";
      const what = `${count === 1 ? "Trial" : "Trials"} ${lost.join(", ")}`;
      const kept = `kept as ${count === 1 ? "a failed placeholder" : "failed placeholders"} (system.lost)`;
      parts.push(p.first !== null ? `${what} lost the record that created ${them} there: ${kept}.` : `Line ${line} names ${what.toLowerCase()}, but the record that created ${them} is missing or out of place: ${kept}.`);
    }
    if (p.aside) parts.push(`${p.aside} ${p.aside === 1 ? "record" : "records"} of lost or not yet created trials ${p.aside === 1 ? "was" : "were"} set aside (the first at line ${p.asideLine}).`);
    if (parts.length) this.warn(`${this.where}: ${parts.join(" ")}`);
  }
}

/** Applies `op` when the replica's check accepts it: null, else why it doesn't fit. */
function applyIfFits(r: StudyReplica, op: StudyOp): string | null {
  try {
    r.check(op);
  } catch (e) {
    return `does not fit the study: ${e instanceof Error ? e.message : String(e)}`;
  }
  r.apply(op);
  return null;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(0)} MiB` : `${bytes} bytes`;
}
