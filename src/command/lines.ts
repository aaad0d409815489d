import { StringDecoder } from "string_decoder";

/** Longest line read whole (characters); the rest of a longer line is dropped, and marked in the log. */
export const DEFAULT_MAX_LINE = 64 * 1024;

/**
 * Splits a byte stream into lines, as it arrives, in bounded memory: at most one line's worth
 * (`maxLine` characters) is held between chunks, however long a line runs, and bytes that are
 * not UTF-8 become U+FFFD (binary output is read as garbage text, never stops the reader).
 * A line ends at "\n" or at "\r" (progress bars redraw with "\r").
 *
 * `onLine` gets each line without its break; `onText` gets the text to log: the input as it
 * came, cut to whole lines, with a marker where an overlong line was cut.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  /** The start of the line not yet ended (at most maxLine characters). */
  private carry = "";
  /** The current line passed maxLine: the rest of it is skipped until its break. */
  private dropping = 0;

  constructor(
    private readonly maxLine: number,
    private readonly onLine: (line: string) => void,
    private readonly onText: (text: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.text(this.decoder.write(chunk));
  }

  /** The stream ended: the last line without a break is a line too. */
  end(): void {
    this.text(this.decoder.end());
    if (this.carry.length > 0 || this.dropping > 0) {
      const line = this.carry;
      this.carry = "";
      this.emit(line, "\n");
    }
  }

  private text(s: string): void {
    if (s.length === 0) return;
    let from = 0;
    if (this.dropping > 0) {
      const b = nextBreak(s, 0);
      if (b < 0) {
        this.dropping += s.length;
        return;
      }
      this.dropping += b;
      const line = this.carry;
      this.carry = "";
      this.emit(line, s[b]!);
      from = b + 1;
    } else if (this.carry.length > 0) {
      const b = nextBreak(s, 0);
      if (b < 0) {
        this.hold(this.carry + s);
        return;
      }
      const line = this.carry + s.slice(0, b);
      this.carry = "";
      if (line.length > this.maxLine) {
        this.dropping = line.length - this.maxLine;
        this.emit(line.slice(0, this.maxLine), s[b]!);
      } else {
        this.onLine(line);
        this.onText(line + s[b]!);
      }
      from = b + 1;
    }
    // Whole lines of this chunk: read one by one, logged as one slice.
    let logFrom = from;
    let nl = s.indexOf("\n", from);
    let cr = s.indexOf("\r", from);
    for (;;) {
      if (nl >= 0 && nl < from) nl = s.indexOf("\n", from);
      if (cr >= 0 && cr < from) cr = s.indexOf("\r", from);
      const b = nl < 0 ? cr : cr < 0 ? nl : Math.min(nl, cr);
      if (b < 0) break;
      if (b - from > this.maxLine) {
        if (from > logFrom) this.onText(s.slice(logFrom, from));
        this.dropping = b - from - this.maxLine;
        this.emit(s.slice(from, from + this.maxLine), s[b]!);
        logFrom = b + 1;
      } else {
        this.onLine(s.slice(from, b));
      }
      from = b + 1;
    }
    if (from > logFrom) this.onText(s.slice(logFrom, from));
    if (from < s.length) this.hold(s.slice(from));
  }

  /** Keeps the unfinished line, or its first maxLine characters. */
  private hold(rest: string): void {
    if (rest.length <= this.maxLine) {
      this.carry = rest;
      return;
    }
    this.carry = rest.slice(0, this.maxLine);
    this.dropping = rest.length - this.maxLine;
  }

  /** A line that may have been cut: read it, and log it with a marker when it was. */
  private emit(line: string, brk: string): void {
    const cut = this.dropping;
    this.dropping = 0;
    this.onLine(line);
    this.onText(cut > 0 ? `${line} [tunelab: line cut here, ${cut} more characters not kept]${brk}` : line + brk);
  }
}

function nextBreak(s: string, from: number): number {
  const nl = s.indexOf("\n", from);
  const cr = s.indexOf("\r", from);
  return nl < 0 ? cr : cr < 0 ? nl : Math.min(nl, cr);
}
