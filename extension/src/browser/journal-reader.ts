/**
 * Reads one study journal (`<dir>/<study>.jsonl`) incrementally in the browser, with the
 * engine's own checked reader (src/record/journal-reader.ts: the same line loop, checks and
 * damage rules as the Node journal, so the two always build the same study). This file adds
 * what the page needs: the work cut into slices with the event loop free in between, so no file
 * freezes the page; the first warnings kept for display; a version bumped on every change. No
 * fetching here, so node tests drive it directly; study-files.ts feeds it from the server.
 *
 *   const r = new JournalReader("runs/mlp.jsonl");
 *   await r.feed(bytesFrom(r.offset), true);
 *   r.replica?.trials.length; r.error?.message; r.skipped;
 */
import type { StudySpec } from "../../../src/model/trial";
import { DEFAULT_MAX_LINE_BYTES, JournalLineReader, type ReaderError } from "../../../src/record/journal-reader";
import type { StudyReplica } from "../../../src/record/replica";

export type { ReaderError };

export interface ReaderLimits {
  /** A longer line is skipped (never buffered). Default 4 MiB. */
  readonly maxLineBytes: number;
  /** Work between two yields to the event loop. Default 4000 lines or 12 ms, whichever comes first. */
  readonly linesPerSlice: number;
  readonly sliceMs: number;
}

export const DEFAULT_LIMITS: ReaderLimits = { maxLineBytes: DEFAULT_MAX_LINE_BYTES, linesPerSlice: 4000, sliceMs: 12 };

/** Warnings kept per file (the count of skipped lines goes on). */
const MAX_WARNINGS = 5;

export type Yield = () => Promise<void>;

const macrotask: Yield = () => new Promise((resolve) => setTimeout(resolve, 0));

export class JournalReader {
  readonly warnings: string[] = [];
  /** Bumped whenever the replica changed (views redraw when it does). */
  version = 0;
  private core: JournalLineReader;

  constructor(
    readonly path: string,
    private readonly limits: ReaderLimits = DEFAULT_LIMITS,
    private readonly yieldFn: Yield = macrotask,
  ) {
    this.core = this.fresh();
  }

  /** Bytes of the file consumed so far: the next read starts here. */
  get offset(): number {
    return this.core.offset;
  }
  get replica(): StudyReplica | null {
    return this.core.replica;
  }
  get error(): ReaderError | null {
    return this.core.error;
  }
  /** Lines skipped as damaged, foreign or not fitting the study. */
  get skipped(): number {
    return this.core.skipped;
  }
  get spec(): StudySpec | null {
    return this.core.replica?.spec ?? null;
  }

  /** Starts over (the file was replaced or shrank). */
  reset(): void {
    this.core = this.fresh();
    this.warnings.length = 0;
    this.version++;
  }

  /**
   * Consumes `bytes`, the file's content from `offset` on; `atEnd`: they reach the end of the
   * file as it was when read (a complete record there without its newline is applied, as the
   * engine's own reader does; a torn one waits for its newline). Resolves once every complete
   * line is applied.
   */
  async feed(bytes: Uint8Array, atEnd: boolean): Promise<void> {
    const before = this.stamp();
    let lines = 0;
    let sliceStart = performance.now();
    const pause = () => ++lines >= this.limits.linesPerSlice || performance.now() - sliceStart > this.limits.sliceMs;
    for (;;) {
      const from = this.core.offset;
      if (this.core.read(bytes, atEnd, false, pause)) break;
      bytes = bytes.subarray(this.core.offset - from);
      await this.yieldFn();
      lines = 0;
      sliceStart = performance.now();
    }
    if (this.stamp() !== before) this.version++;
  }

  private fresh(): JournalLineReader {
    return new JournalLineReader(this.path, {
      maxLineBytes: this.limits.maxLineBytes,
      onWarning: (m) => {
        if (this.warnings.length < MAX_WARNINGS) this.warnings.push(m);
      },
    });
  }

  /** Changes whenever the replica does (records applied, placeholders made or restored). */
  private stamp(): string {
    const r = this.core.replica;
    return r ? `${r.applied}/${r.trials.length}/${r.sysOps}/${r.queue.length}` : "-";
  }
}
