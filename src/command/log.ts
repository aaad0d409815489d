import * as fs from "fs";

/** Default cap of a trial's log: its first and last halves are kept. */
export const DEFAULT_LOG_BYTES = 1024 * 1024;

/**
 * A trial's log file, capped: the first half of the cap is written as it comes, then the
 * latest output is kept in memory (at most the other half) and written after a marker when
 * the trial ends. So the file shows how the run started and how it ended, whatever the
 * process prints, and memory stays bounded. A crash of tunelab loses only the tail.
 */
export class TrialLog {
  private fd: number | undefined;
  private written = 0;
  private readonly headCap: number;
  private readonly tailCap: number;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Bytes neither in the head nor in the kept tail. */
  private dropped = 0;

  constructor(
    readonly file: string,
    maxBytes: number = DEFAULT_LOG_BYTES,
  ) {
    this.headCap = Math.floor(maxBytes / 2);
    this.tailCap = maxBytes - this.headCap;
    this.fd = fs.openSync(file, "w");
  }

  write(text: string): void {
    if (text.length === 0 || this.fd === undefined) return;
    let buf = Buffer.from(text, "utf8");
    if (this.written < this.headCap) {
      const n = Math.min(buf.length, this.headCap - this.written);
      fs.writeSync(this.fd, buf, 0, n);
      this.written += n;
      if (n === buf.length) return;
      buf = buf.subarray(n);
    }
    if (buf.length >= this.tailCap) {
      this.dropped += this.tailBytes + buf.length - this.tailCap;
      this.tail = [Buffer.from(buf.subarray(buf.length - this.tailCap))];
      this.tailBytes = this.tailCap;
      return;
    }
    this.tail.push(Buffer.from(buf));
    this.tailBytes += buf.length;
    while (this.tailBytes - this.tail[0]!.length >= this.tailCap) {
      const first = this.tail.shift()!;
      this.tailBytes -= first.length;
      this.dropped += first.length;
    }
  }

  /** What the file will hold once closed: the head, a marker if output was left out, the tail. */
  text(): string {
    const head = safeRead(this.file);
    return this.fd === undefined ? head : head + this.tailText();
  }

  private tailText(): string {
    if (this.tailBytes === 0) return "";
    let tail = Buffer.concat(this.tail);
    let dropped = this.dropped;
    if (tail.length > this.tailCap) {
      dropped += tail.length - this.tailCap;
      tail = tail.subarray(tail.length - this.tailCap);
    }
    const marker = dropped > 0 ? `\n[tunelab: ${dropped} bytes of output left out here; the log keeps the first and last ${this.tailCap} bytes]\n` : "";
    return marker + tail.toString("utf8");
  }

  /** Writes the tail and closes the file (idempotent). */
  close(footer = ""): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      const rest = this.tailText() + footer;
      if (rest) fs.writeSync(fd, rest);
    } finally {
      fs.closeSync(fd);
      this.tail = [];
      this.tailBytes = 0;
    }
  }
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/**
 * The last lines of a stream, for messages and the trial's record: at most `lines` lines of
 * at most `width` characters each.
 */
export class LineTail {
  private readonly ring: string[] = [];
  private next = 0;

  constructor(
    private readonly lines: number,
    private readonly width: number,
  ) {}

  push(line: string): void {
    if (line.trim() === "") return;
    const l = line.length > this.width ? line.slice(0, this.width) + " [...]" : line;
    if (this.ring.length < this.lines) this.ring.push(l);
    else {
      this.ring[this.next] = l;
      this.next = (this.next + 1) % this.lines;
    }
  }

  text(): string {
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)].join("\n");
  }
}
