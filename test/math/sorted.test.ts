// SortedNumbers (src/math/sorted.ts): for any sequence of adds, bulk pushes and deletes, its
// answers are those of a plain array searched from scratch.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SortedNumbers } from "../../src/math/sorted";

const value = fc.oneof(fc.constantFrom(0, -0, 1, 2, -1, Infinity, -Infinity, NaN), fc.double());
const op = fc.record({ kind: fc.constantFrom("add", "push", "delete", "delete-present"), x: value, pick: fc.nat() });

describe("SortedNumbers", () => {
  it("answers as a plain array: size, how many below and above, the i-th smallest; deletes one equal value", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(value, { maxLength: 6 }), (ops, probes) => {
        const s = new SortedNumbers();
        const model: number[] = [];
        for (const o of ops) {
          if (o.kind === "add") s.add(o.x);
          else if (o.kind === "push") s.push(o.x);
          if (o.kind === "add" || o.kind === "push") {
            model.push(o.x);
            continue;
          }
          const x = o.kind === "delete-present" && model.length ? model[o.pick % model.length]! : o.x;
          const i = model.findIndex((m) => m === x || (m !== m && x !== x));
          expect(s.delete(x)).toBe(i >= 0);
          if (i >= 0) model.splice(i, 1);
          expect(s.size).toBe(model.length);
        }
        const ordered = model.filter((m) => m === m).sort((a, b) => a - b);
        expect(s.size).toBe(model.length);
        expect(s.count).toBe(ordered.length);
        // `===`: a 0 and a -0 are the same value here, in whichever order they were sorted.
        ordered.forEach((m, i) => expect(s.at(i) === m, `at(${i})`).toBe(true));
        for (const p of [...probes, ...model]) {
          expect(s.below(p)).toBe(model.filter((m) => m < p).length);
          expect(s.above(p)).toBe(model.filter((m) => m > p).length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
