// src/record is the study record's one home, shared by the Node storage and the JupyterLab
// study browser: it must stay browser code (only model, space, util and itself; no Node
// globals), and the extension must load nothing of src/storage (nor anything else Node-only),
// whatever it imports through whatever it imports.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");

function imports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]!);
}

/** The file's code without comments and string literals (a record key may be named "process"). */
const code = (file: string) =>
  fs
    .readFileSync(file, "utf8")
    .replace(/\/\/.*|\/\*[\s\S]*?\*\//g, "")
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""');

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

/** Resolves a relative import of `from` to its .ts file (or undefined for a package). */
function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  for (const f of [base + ".ts", base + ".tsx", path.join(base, "index.ts")]) if (fs.existsSync(f)) return f;
  return undefined;
}

describe("the JupyterLab extension", () => {
  it("loads, through every import it makes, only browser-safe parts of src/ (views, record, model, space, util): never src/storage", () => {
    const ext = path.join(ROOT, "extension/src");
    const todo: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(e.name)) todo.push(p);
      }
    };
    walk(ext);
    expect(todo.length).toBeGreaterThan(10);
    const seen = new Set<string>();
    const bad: string[] = [];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      for (const spec of imports(f)) {
        const target = resolve(f, spec);
        if (target === undefined) {
          if (/^(node:|fs$|path$|os$|child_process$|crypto$|pg$)/.test(spec)) bad.push(`${path.relative(ROOT, f)}: ${spec}`);
          continue;
        }
        const rel = path.relative(ROOT, target);
        if (rel.startsWith("src/") && !/^src\/(views|record|model|space|util)\//.test(rel)) bad.push(`${path.relative(ROOT, f)} -> ${rel}`);
        todo.push(target);
      }
    }
    // It does reach the record (the study browser's reader), so the walk follows imports into src/.
    expect([...seen].some((f) => f.includes(`${path.sep}src${path.sep}record${path.sep}`))).toBe(true);
    expect(bad).toEqual([]);
  });
});
