// What the panel's selection line shows of a trial run by command(): the command line and the
// last lines it printed, read from the payload's record, which may hold anything.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { commandInfo } from "../../src/views/command";

describe("commandInfo", () => {
  it("reads the record command() writes", () => {
    expect(commandInfo({ system: { command: { argv: ["python", "train.py", "--lr", "0.01", "a b"], log: "s.trials/3/output.log", tail: "epoch 1\nepoch 2" } } })).toEqual({
      line: "python train.py --lr 0.01 'a b'",
      tail: "epoch 1\nepoch 2",
      log: "s.trials/3/output.log",
    });
    expect(commandInfo({ system: { hyperband: { bracket: 0 } } })).toBeNull();
  });

  it("gives null or capped strings for any record (property)", () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (argv, tail) => {
        const info = commandInfo({ system: { command: { argv, tail, log: tail } } as never });
        if (info === null) return;
        expect(typeof info.line).toBe("string");
        expect(info.line.length).toBeLessThanOrEqual(4000);
        expect(info.tail.length).toBeLessThanOrEqual(4000);
      }),
      { numRuns: 300 },
    );
  });
});
