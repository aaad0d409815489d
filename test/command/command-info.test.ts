// What the panel's selection line shows of a trial run by command(): the command line and the
// last lines it printed, read from the payload's record, which may hold anything; and where
// the trial's whole log is.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commandInfo, logLocation } from "../../src/views/command";

const MAX = 4000;

describe("commandInfo", () => {
  it("reads the record command() writes", () => {
    expect(commandInfo({ system: { command: { argv: ["python", "train.py", "--lr", "0.01", "a b"], log: "s.trials/3/output.log", tail: "epoch 1\nepoch 2" } } })).toEqual({
      line: "python train.py --lr 0.01 'a b'",
      tail: "epoch 1\nepoch 2",
      log: "s.trials/3/output.log",
    });
    expect(commandInfo({ system: { hyperband: { bracket: 0 } } })).toBeNull();
  });

  it("says where it cut: a long command line ends in …, a long output starts with a … line and whole lines", () => {
    const lines = Array.from({ length: 400 }, (_, i) => `epoch ${i} loss=${(1 / (i + 1)).toFixed(6)}`);
    const info = commandInfo({ system: { command: { argv: ["python", "x".repeat(5000)], tail: lines.join("\n"), log: "l" } } })!;
    expect(info.line).toHaveLength(MAX);
    expect(info.line.endsWith("x…")).toBe(true);
    expect(info.tail.length).toBeLessThanOrEqual(MAX);
    const [first, ...rest] = info.tail.split("\n");
    expect(first).toBe("…");
    expect(rest.at(-1)).toBe(lines.at(-1));
    for (const l of rest) expect(lines).toContain(l); // no line cut in the middle
    // A cut never splits a character made of two UTF-16 units.
    const emoji = commandInfo({ system: { command: { argv: ["a".repeat(MAX - 3) + "😀😀"], tail: "😀".repeat(MAX) } } })!;
    expect(emoji.line).toBe("'" + "a".repeat(MAX - 3) + "…"); // quoted (not plain ASCII), cut before the pair
    expect(emoji.tail.startsWith("…\n😀")).toBe(true);
    // A log path too long to be one command() wrote is left out, not cut into another path.
    expect(commandInfo({ system: { command: { argv: ["a"], log: "d/".repeat(3000) } } })!.log).toBe("");
  });

  it("gives null or capped strings for any record, cut only with a mark and between characters (property)", () => {
    const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (argv, tail) => {
        const info = commandInfo({ system: { command: { argv, tail, log: tail } } as never });
        if (info === null) return;
        expect(typeof info.line).toBe("string");
        expect(info.line.length).toBeLessThanOrEqual(MAX);
        expect(info.tail.length).toBeLessThanOrEqual(MAX);
        if (typeof tail === "string" && info.tail !== tail) {
          expect(info.tail.startsWith("…\n")).toBe(true);
          expect(tail.endsWith(info.tail.slice(2))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 900 }), { minLength: 1, maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 6000 }), (argv, tail) => {
        const info = commandInfo({ system: { command: { argv, tail } } })!;
        expect(lone.test(info.line)).toBe(false);
        expect(lone.test(info.tail)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe("logLocation", () => {
  it("names the log from the server's root under a known storage folder, else as the record has it", () => {
    expect(logLocation("s.trials/3/output.log", ".tunelab")).toEqual({ path: ".tunelab/s.trials/3/output.log", inRoot: true });
    expect(logLocation("s.trials/3/output.log", "")).toEqual({ path: "s.trials/3/output.log", inRoot: true });
    expect(logLocation("./s.trials//3/output.log", "nb/.tunelab/")).toEqual({ path: "nb/.tunelab/s.trials/3/output.log", inRoot: true });
    expect(logLocation("../up/output.log", "nb/.tunelab")).toEqual({ path: "nb/up/output.log", inRoot: true });
    // Out of the root, absolute, or under a folder the view doesn't know: shown, never opened.
    expect(logLocation("../../../etc/passwd", "nb/.tunelab")).toEqual({ path: "../etc/passwd", inRoot: false });
    expect(logLocation("/tmp/tunelab-1/s.trials/3/output.log", ".tunelab")).toEqual({ path: "/tmp/tunelab-1/s.trials/3/output.log", inRoot: false });
    expect(logLocation("s.trials/3/output.log")).toEqual({ path: "s.trials/3/output.log", inRoot: false });
    expect(logLocation("..", "")).toEqual({ path: "..", inRoot: false });
    expect(logLocation("", ".tunelab")).toEqual({ path: "", inRoot: false });
  });

  it("opens only plain paths under the root (property)", () => {
    const segment = fc.constantFrom("", ".", "..", "a", ".tunelab", "s.trials", "3", "output.log");
    const rel = fc.array(segment, { maxLength: 8 }).map((s) => s.join("/"));
    fc.assert(
      fc.property(rel, fc.option(rel, { nil: undefined }), (log, folder) => {
        const where = logLocation(log, folder);
        if (!where.inRoot) return;
        expect(where.path.startsWith("/")).toBe(false);
        for (const part of where.path.split("/")) expect(["", ".", ".."]).not.toContain(part);
      }),
      { numRuns: 500 },
    );
  });
});
