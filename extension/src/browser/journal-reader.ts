/**
 * Reads one study journal (`<dir>/<study>.jsonl`, see src/storage/journal.ts) incrementally in
 * the browser: fed the bytes appended since the last read, it applies each complete line to a
 * StudyReplica with the engine's own code (src/storage/journal-format.ts, replica.ts). No
 * fetching here, so node tests drive it directly; study-files.ts feeds it from the server.
 *
 * The file may be hostile (anyone can drop a file in a folder): every line is parsed inside a
 * try and type-checked field by field before it is applied, lines longer than `maxLineBytes`
 * are skipped without being buffered, and the work is cut into slices with the event loop free
 * in between, so no file freezes the page. A torn last record (a writer mid-append, or one that
 * died) is left unread until its newline arrives.
 *
 *   const r = new JournalReader("runs/mlp.jsonl");
 *   await r.feed(bytesFrom(r.offset), true);
 *   r.replica?.trials.length; r.error?.message; r.skipped;
 */
import type { StudySpec } from "../../../src/model/trial";
import { checkOpFields, checkSpecFields, decodeOp, parseHeaderLine, parsesAsJson } from "../../../src/storage/journal-format";
import { StudyReplica } from "../../../src/storage/replica";
import { errorText } from "../../../src/util/errors";

export interface ReaderLimits {
  /** A longer line is skipped (never buffered). Default 4 MiB. */
  readonly maxLineBytes: number;
  /** Work between two yields to the event loop. Default 4000 lines or 12 ms, whichever comes first. */
  readonly linesPerSlice: number;
  readonly sliceMs: number;
}

export const DEFAULT_LIMITS: ReaderLimits = { maxLineBytes: 4 * 1024 * 1024, linesPerSlice: 4000, sliceMs: 12 };

/** A reason the file can't be shown at all (bad first record, newer format). */
export interface ReaderError {
  readonly code: string;
  readonly message: string;
}

/** Warnings kept per file (the count of skipped lines goes on). */
const MAX_WARNINGS = 5;

const NL = 10;

export type Yield = () => Promise<void>;

const macrotask: Yield = () => new Promise((resolve) => setTimeout(resolve, 0));

export class JournalReader {
  /** Bytes of the file consumed so far: the next read starts here. */
  offset = 0;
  /** Lines consumed so far (for messages). */
  lines = 0;
  replica: StudyReplica | null = null;
  error: ReaderError | null = null;
  /** Lines skipped as damaged, foreign or not fitting the study. */
  skipped = 0;
  readonly warnings: string[] = [];
  /** Bumped whenever the replica changed (views redraw when it does). */
  version = 0;
  /** Inside a line longer than maxLineBytes: discard up to the next newline. */
  private skippingLong = false;
  private readonly decoder = new TextDecoder("utf-8");

  constructor(
    readonly path: string,
    private readonly limits: ReaderLimits = DEFAULT_LIMITS,
    private readonly yieldFn: Yield = macrotask,
  ) {}

  get spec(): StudySpec | null {
    return this.replica?.spec ?? null;
  }

  /** Starts over (the file was replaced or shrank). */
  reset(): void {
    this.offset = 0;
    this.lines = 0;
    this.replica = null;
    this.error = null;
    this.skipped = 0;
    this.warnings.length = 0;
    this.skippingLong = false;
    this.version++;
  }

  /**
   * Consumes `bytes`, the file's content from `offset` on; `atEnd`: they reach the end of the
   * file as it was when read (a complete record there without its newline is applied, as the
   * engine's own reader does). Resolves once every complete line is applied.
   */
  async feed(bytes: Uint8Array, atEnd: boolean): Promise<void> {
    if (this.error) return;
    const before = this.replica?.applied ?? -1;
    let start = 0;
    let slice = 0;
    let sliceStart = performance.now();
    while (start < bytes.length && !this.error) {
      if (++slice >= this.limits.linesPerSlice || performance.now() - sliceStart > this.limits.sliceMs) {
        this.offset += start;
        bytes = bytes.subarray(start);
        start = 0;
        await this.yieldFn();
        slice = 0;
        sliceStart = performance.now();
      }
      const nl = bytes.indexOf(NL, start);
      if (nl < 0) break;
      this.lines++;
      if (this.skippingLong) {
        this.skippingLong = false;
      } else if (nl - start > this.limits.maxLineBytes) {
        this.skip(`line ${this.lines} is longer than ${mib(this.limits.maxLineBytes)}; it was skipped.`);
      } else {
        this.line(this.decoder.decode(bytes.subarray(start, nl)));
      }
      start = nl + 1;
    }
    if (!this.error && start < bytes.length) {
      const rest = bytes.length - start;
      if (this.skippingLong || rest > this.limits.maxLineBytes) {
        // Part of a huge line: drop it now rather than keep or fetch it again.
        if (!this.skippingLong) {
          this.lines++;
          this.skip(`line ${this.lines} is longer than ${mib(this.limits.maxLineBytes)}; it was skipped.`);
        }
        this.skippingLong = true;
        start = bytes.length;
      } else if (atEnd) {
        const text = this.decoder.decode(bytes.subarray(start));
        // No proper prefix of a JSON object parses: a fragment that does lost only its newline.
        if (text.trim() !== "" && parsesAsJson(text)) {
          this.lines++;
          this.line(text);
          start = bytes.length;
        }
      }
    }
    if (!this.error) this.offset += start;
    if ((this.replica?.applied ?? -1) !== before) this.version++;
  }

  private line(text: string): void {
    if (text.trim() === "") return;
    if (!this.replica) {
      this.header(text);
      return;
    }
    const d = decodeOp(text);
    if (!d.ok) {
      this.skip(d.reason === "json" ? `line ${this.lines} is not valid JSON (a damaged record); it was skipped.` : `line ${this.lines} is not a tunelab operation; it was skipped.`);
      return;
    }
    if (d.op.op === "study") return;
    const bad = checkOpFields(d.op);
    if (bad !== null) {
      this.skip(`line ${this.lines} ("${d.op.op}") has a field "${bad}" of the wrong type; it was skipped.`);
      return;
    }
    try {
      this.replica.check(d.op);
      this.replica.apply(d.op);
    } catch (e) {
      this.skip(`line ${this.lines} does not fit the study (${errorText(e)}); it was skipped.`);
    }
  }

  private header(text: string): void {
    try {
      const { spec, op } = parseHeaderLine(this.path, text);
      const bad = checkSpecFields(spec);
      if (bad !== null) {
        this.error = { code: "storage.bad_header", message: `${this.path} starts with a study record whose "spec.${bad}" is missing or of the wrong type.` };
        return;
      }
      const r = new StudyReplica(spec);
      r.apply(op);
      this.replica = r;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      this.error = { code: typeof code === "string" ? code : "storage.bad_header", message: e instanceof Error ? e.message : errorText(e) };
    }
  }

  private skip(message: string): void {
    this.skipped++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
  }
}

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(0)} MiB` : `${bytes} bytes`;
}
