import { describe, expect, it } from "vitest";
import { show } from "../../src/util/json";

describe("show", () => {
  it("never throws, whatever the value (messages are built from request values and objective results)", () => {
    const deep: unknown[] = [];
    let cur = deep;
    for (let i = 0; i < 100_000; i++) {
      const next: unknown[] = [];
      cur.push(next);
      cur = next;
    }
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const hostile = {
      toJSON() {
        throw new Error("no JSON");
      },
      toString() {
        throw new Error("no text");
      },
    };
    for (const v of [deep, cyclic, proxy, hostile, 10n, Symbol("s"), () => 1]) {
      expect(typeof show(v)).toBe("string");
      expect(show(v).length).toBeLessThanOrEqual(80);
    }
  });

  it("shows the start of a long string, without cutting a surrogate pair in half", () => {
    expect(show("x".repeat(1_000_000))).toBe(`"${"x".repeat(76)}...`);
    const s = show("x".repeat(75) + "😀".repeat(10));
    expect(s.endsWith("...")).toBe(true);
    expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(s)).toBe(false);
    expect(show(1e999)).toBe("Infinity");
    expect(show({ a: [1, "b"] })).toBe('{"a":[1,"b"]}');
  });
});
