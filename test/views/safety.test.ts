// The payload may come from a notebook nobody trusted: its strings must stay
// data. These tests look for a hostile parameter name, choice, metric name
// and error text everywhere in the specs, before and after vega-lite compiles
// them, and check that src/views stays browser code.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { viewSpecs } from "../../src/views/specs";
import { hostilePayload } from "./fixtures";

/** Paths (a.b.0.c) of every string containing the marker. */
function stringsWith(value: unknown, marker: string, at: string[] = [], out: string[][] = []): string[][] {
  if (typeof value === "string") {
    if (value.includes(marker)) out.push(at);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => stringsWith(v, marker, [...at, String(i)], out));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) stringsWith(v, marker, [...at, k], out);
  }
  return out;
}

/**
 * Data rows, or a title that vega draws as text. (Axis and legend titles are
 * not inert: vega-lite builds ARIA descriptions from them as expressions, so
 * the specs keep those fixed; this test caught it.)
 */
function isInert(p: string[]): boolean {
  return p.includes("values") || p[p.length - 1] === "title" || (p[p.length - 2] === "title" && p[p.length - 1] === "text");
}

describe("specs built from a hostile payload", () => {
  const specs = viewSpecs(hostilePayload());

  it("draws every chart", () => {
    expect(specs.map((s) => s.name)).toEqual(["parallel", "curves", "history", "slice", "contour"]);
  });

  it("carry the payload's strings only as data values and titles", () => {
    for (const { spec } of specs) {
      const found = stringsWith(spec, "alert(");
      expect(found.length).toBeGreaterThan(0);
      expect(found.filter((p) => !isInert(p))).toEqual([]);
    }
  });

  it("stay data after vega-lite compiles them: no expression, signal or field name holds them", async () => {
    const vl = (await import("vega-lite" as string)) as { compile(spec: unknown): { spec: unknown } };
    for (const { spec } of specs) {
      const vega = vl.compile(spec).spec;
      const found = stringsWith(vega, "alert(");
      expect(found.length).toBeGreaterThan(0);
      expect(found.filter((p) => !isInert(p)).map((p) => p.join("."))).toEqual([]);
    }
  });
});

describe("src/views", () => {
  it("imports only payload-safe, browser-safe modules (model, space, util, the record's schema and itself)", () => {
    const dir = path.resolve(__dirname, "../../src/views");
    const bad: string[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        const spec = m[1]!;
        if (!/^\.\/|^\.\.\/(model|space|util)\/|^\.\.\/record\/system$/.test(spec)) bad.push(`${file}: ${spec}`);
      }
      if (/\b(require|process|Buffer|__dirname)\b/.test(text.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, ""))) bad.push(`${file}: uses a Node global`);
    }
    expect(bad).toEqual([]);
  });
});
