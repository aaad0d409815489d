// src/record is the study record's one home, shared by the Node storage and the JupyterLab
// study browser: it must stay browser code (only model, space, util and itself; no Node
// globals), and the browser's journal reader must load nothing of src/storage.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

function imports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!);
}

const code = (file: string) => fs.readFileSync(file, "utf8").replace(/\/\/.*|\/\*[\s\S]*?\*\//g, "");

describe("src/record", () => {
  it("imports only model, space, util and itself, and uses no Node global", () => {
    const dir = path.join(ROOT, "src/record");
    const bad: string[] = [];
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
      for (const spec of imports(path.join(dir, f))) if (!/^\.\/|^\.\.\/(model|space|util)\//.test(spec)) bad.push(`${f}: ${spec}`);
      if (/\b(require|process|Buffer|__dirname)\b/.test(code(path.join(dir, f)))) bad.push(`${f}: uses a Node global`);
    }
    expect(bad).toEqual([]);
  });

  it("is what the study browser's journal reader loads of the engine (nothing of src/storage)", () => {
    const specs = imports(path.join(ROOT, "extension/src/browser/journal-reader.ts"));
    expect(specs.filter((s) => s.includes("/src/")).every((s) => /\/src\/(record|model)\//.test(s))).toBe(true);
    expect(specs.some((s) => s.includes("/src/storage/"))).toBe(false);
  });
});
