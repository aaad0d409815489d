import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, findTooDeep } from "../../src/util/json-depth";

/** Depth of a parsed value (1 for an empty array), walked without recursion: the oracle. */
function depthOfValue(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    max = Math.max(max, d);
    for (const c of Object.values(v as object)) stack.push([c, d + 1]);
  }
  return max;
}

/** JSON text nested to about `levels`, with strings that hold brackets, quotes and escapes. */
const nestedText = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "medium", withCrossShrink: true },
    fc.oneof(fc.constantFrom('[{"', "]}", '\\"[', "\\\\", "{", "]", ""), fc.string()),
    fc.integer(),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom("[", "{", '"', "\\")), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const wrapped = fc.tuple(nestedText, fc.integer({ min: 0, max: 80 }), fc.boolean(), fc.string()).map(([v, extra, arrays, key]) => {
  let text = JSON.stringify(v);
  for (let i = 0; i < extra; i++) text = arrays ? `[${text}]` : `{${JSON.stringify(key)}:${text}}`;
  return text;
});

describe("findTooDeep", () => {
  it("finds nesting deeper than the limit in valid JSON exactly when the parsed value is that deep, strings and escapes included", () => {
    fc.assert(
      fc.property(wrapped, fc.integer({ min: 1, max: 70 }), (text, max) => {
        const deep = findTooDeep(text, max);
        expect(deep !== undefined).toBe(depthOfValue(JSON.parse(text)) > max);
      }),
      { numRuns: 400 },
    );
  });

  it("names the member of the top-level object the nesting is in, decoded; undefined for a top-level array", () => {
    const deep = "[".repeat(70) + "]".repeat(70);
    expect(findTooDeep(`{"a":1,"b\\"[{":{"c":${deep}}}`)).toEqual({ member: 'b"[{' });
    expect(findTooDeep(`{"a":1, "\\ud800" : ${deep}}`)).toEqual({ member: "\ud800" });
    expect(findTooDeep(`{"a":"${"[".repeat(100)}","b":${deep}}`)).toEqual({ member: "b" });
    expect(findTooDeep(`[1,${deep}]`)).toEqual({ member: undefined });
    expect(findTooDeep(`{"a":[${deep}]}`, MAX_JSON_DEPTH)).toEqual({ member: "a" });
  });

  it("reads a 16 MiB line of brackets without recursion", () => {
    const text = "[".repeat(16 * 1024 * 1024);
    expect(findTooDeep(text)).toEqual({ member: undefined });
  });
});
