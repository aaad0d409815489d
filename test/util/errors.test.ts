// errorText and show: the two functions through which the engine reads whatever an objective
// throws or returns. They must never throw and must always say something.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { errorText, MAX_ERROR_TEXT, safeString, TunelabError } from "../../src/util/errors";
import { show } from "../../src/util/json";
import { errorWithThrowingGetter, HOSTILE, HOSTILE_NAMES, revoked } from "../study/hostile";

// Hostile values are built inside the property from their names: fast-check itself would trip
// over them when it inspects the values it generated.
type Made = { readonly plain: unknown } | { readonly hostile: string } | { readonly errorMessage: string } | { readonly throwingGetter: "message" | "name" | "stack" };
const anyValue: fc.Arbitrary<Made> = fc.oneof(
  fc
    .anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true })
    .map((plain) => ({ plain })),
  fc.constantFrom(...HOSTILE_NAMES).map((hostile) => ({ hostile })),
  fc.string().map((errorMessage) => ({ errorMessage })),
  fc.constantFrom<"message" | "name" | "stack">("message", "name", "stack").map((throwingGetter) => ({ throwingGetter })),
);
function make(m: Made): unknown {
  if ("plain" in m) return m.plain;
  if ("hostile" in m) return HOSTILE[m.hostile]!();
  if ("errorMessage" in m) return new Error(m.errorMessage);
  return errorWithThrowingGetter(m.throwingGetter);
}

describe("errorText", () => {
  it("property: never throws, never returns an empty string, never exceeds the bound", () => {
    fc.assert(
      fc.property(anyValue, (m) => {
        const s = errorText(make(m));
        expect(typeof s).toBe("string");
        expect(s.length).toBeGreaterThan(0);
        expect(s.length).toBeLessThanOrEqual(MAX_ERROR_TEXT + 40);
      }),
      { numRuns: 300 },
    );
  });

  it("names an Error as it prints", () => {
    expect(errorText(new Error("boom"))).toBe("Error: boom");
    expect(errorText(new TypeError("bad type"))).toBe("TypeError: bad type");
    expect(errorText(new TunelabError("x.y", "the rule, the value, the fix.", "f"))).toContain("the rule, the value, the fix.");
    expect(errorText("plain")).toBe("plain");
    expect(errorText({ code: 3 })).toBe('{"code":3}');
  });

  // Each of these made a run hang (a trial left running) before errorText was made safe.
  it("an Error whose message getter throws: its stack's header or what reading threw", () => {
    const late = new Error("the real message");
    void late.stack; // the stack's header is written now, from the message
    Object.defineProperty(late, "message", { get: () => { throw new Error("message getter"); } });
    expect(errorText(late)).toMatch(/^Error: the real message \(reading its message now throws: Error: message getter\)$/);
    expect(errorText(errorWithThrowingGetter("message"))).toContain("message getter");
  });

  it("an Error whose name or stack getter throws keeps its message", () => {
    expect(errorText(errorWithThrowingGetter("name"))).toContain("the real message");
    expect(errorText(errorWithThrowingGetter("stack"))).toContain("the real message");
  });

  it("a revoked Proxy, a throwing toString/toJSON, an object without prototype: what converting them threw", () => {
    expect(errorText(revoked())).toMatch(/cannot be read.*revoked/);
    expect(errorText(HOSTILE["an object whose toString and toJSON throw"]!())).toContain("toString");
    expect(errorText(Object.create(null))).toMatch(/^\[object Object\]|^\{\}$/);
    expect(safeString(revoked())).toMatch(/revoked/);
  });

  it("a thrown error whose getter throws another hostile value stops looking after a few levels", () => {
    // (Not `new Error`: redefining a real error's stack makes V8 format it, which reads the message.)
    const deep = (n: number): Error =>
      Object.create(Error.prototype, {
        message: { get: () => { throw n > 0 ? deep(n - 1) : revoked(); } },
        stack: { get: () => { throw n > 0 ? deep(n - 1) : revoked(); } },
      }) as Error;
    const s = errorText(deep(50));
    expect(s.length).toBeGreaterThan(0);
    expect(s).toContain("(unreadable)");
  });

  it("empty texts say what was thrown; huge ones are clipped and say by how much", () => {
    expect(errorText("")).toMatch(/empty string/);
    expect(errorText(HOSTILE["an Error with no name and no message"]!())).toBe("Error (with no message)");
    const huge = errorText("é".repeat(1_000_000));
    expect(huge.length).toBeLessThanOrEqual(MAX_ERROR_TEXT + 40);
    expect(huge).toMatch(/\.\.\. \(996000 more characters\)$/);
    // A cut never splits a surrogate pair.
    const pairs = errorText("😀".repeat(MAX_ERROR_TEXT));
    expect(pairs.slice(0, pairs.indexOf("...")).length % 2).toBe(0);
  });
});

describe("show (error messages' rendering of a value)", () => {
  it("property: never throws, at most 80 characters", () => {
    fc.assert(
      fc.property(anyValue, (m) => {
        const s = show(make(m));
        expect(typeof s).toBe("string");
        expect(s.length).toBeLessThanOrEqual(80);
      }),
      { numRuns: 300 },
    );
  });

  it("a value whose JSON and String() both throw", () => {
    expect(show(revoked())).toMatch(/cannot be read/);
    expect(show(HOSTILE["an object whose toString and toJSON throw"]!())).toContain("[object Object]");
  });
});
