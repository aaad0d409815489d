import { execFileSync, spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Drives the built CLI (`node dist/cli/main.js serve`, the package's bin) as
// another program would: requests on stdin, replies on stdout.

const ROOT = path.resolve(__dirname, "..", "..");
const MAIN = path.join(ROOT, "dist", "cli", "main.js");
const children: ChildProcess[] = [];
let tmp: string;

/** Newest modification time of the .ts files under dir. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

function builtTime(): number {
  return fs.existsSync(MAIN) ? fs.statSync(MAIN).mtimeMs : -1;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-cli-"));
  if (builtTime() >= newestSource(path.join(ROOT, "src"))) return;
  try {
    execFileSync("npx", ["--no-install", "tsc", "-p", "."], { cwd: ROOT, stdio: "pipe" });
  } catch (e) {
    // tsc still emits when another file has a type error; our files must have been built.
    const out = String((e as { stdout?: Buffer }).stdout ?? "");
    if (builtTime() < newestSource(path.join(ROOT, "src", "cli"))) throw new Error(`tsc did not build ${MAIN}:\n${out}`);
    console.warn(`tsc reported errors (dist/cli was still built):\n${out}`);
  }
}, 120_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `input` on stdin; closes stdin afterwards unless `keepOpen`. */
function run(args: string[], input = "", o: { keepOpen?: boolean; cwd?: string } = {}): Promise<Ran> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: o.cwd ?? tmp, stdio: ["pipe", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.on("error", () => {}); // the server may exit before reading everything
  child.stdin.write(input);
  if (!o.keepOpen) child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const lines = (requests: ReadonlyArray<object | string>): string => requests.map((r) => (typeof r === "string" ? r : JSON.stringify(r)) + "\n").join("");

const SPACE = {
  lr: { type: "float", low: 1e-5, high: 1, scale: "log" },
  layers: { type: "int", low: 1, high: 4 },
  optimizer: { type: "categorical", choices: ["sgd", "adam"] },
  momentum: { type: "float", low: 0.5, high: 0.999, scale: "reverse-log", when: { optimizer: ["sgd"] } },
};

describe("node dist/cli/main.js serve", () => {
  it("is the package's bin and starts with a node shebang", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(path.resolve(ROOT, pkg.bin["tunelab"]!)).toBe(MAIN);
    expect(fs.readFileSync(MAIN, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  it("writes exactly one JSON reply per request, in order, and nothing else; a bad line doesn't stop it; exit gives status 0", async () => {
    const requests: Array<object | string> = [
      { op: "create", id: 0, study: "s", space: SPACE, direction: "minimize", strategy: "random", seed: 1 },
      { op: "ask", id: 1, study: "s" },
      "this is not json",
      "",
      { op: "report", id: 3, study: "s", trial: 0, step: 0, value: 0.9 },
      { op: "frobnicate", id: 4 },
      { op: "tell", id: 5, study: "s", trial: 0, value: 0.5 },
      { op: "best", id: 6, study: "s" },
      { op: "trials", id: 7, study: "s" },
      { op: "exit", id: 8 },
      { op: "ask", id: 9, study: "s" },
    ];
    const r = await run(["serve"], lines(requests));
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith("\n")).toBe(true);
    const replies = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(replies.map((x) => x["id"])).toEqual([0, 1, null, 3, 4, 5, 6, 7, 8]);
    expect(replies.map((x) => x["ok"])).toEqual([true, true, false, true, false, true, true, true, true]);
    expect(replies[2]).toMatchObject({ code: "request.not_json" });
    expect(replies[4]).toMatchObject({ code: "request.unknown_op", field: "op" });
    expect(replies[6]).toMatchObject({ trial: 0, value: 0.5, params: replies[1]!["params"] });
    expect(replies[8]).toEqual({ id: 8, ok: true });
  });

  it("ends with status 0 at end of input, after answering everything", async () => {
    const requests = [
      { op: "create", id: "c", study: "g", space: { a: { type: "int", low: 1, high: 2 } }, direction: "maximize", strategy: "grid" },
      { op: "ask", id: "a0", study: "g" },
      { op: "ask", id: "a1", study: "g" },
      { op: "ask", id: "a2", study: "g" },
    ];
    const r = await run(["serve"], lines(requests));
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: "c", ok: true, study: "g" },
      { id: "a0", ok: true, trial: 0, params: { a: 1 } },
      { id: "a1", ok: true, trial: 1, params: { a: 2 } },
      { id: "a2", ok: true, done: true },
    ]);
  });

  it("exits with status 0 on exit even while its input stays open", async () => {
    const r = await run(["serve"], lines([{ op: "exit", id: 1 }]), { keepOpen: true });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"id":1,"ok":true}\n');
  });

  it("sends storage warnings to stderr, keeping stdout for replies", async () => {
    const create = { op: "create", study: "t", space: SPACE, direction: "minimize", strategy: "random", seed: 3, storage: "runs" };
    const first = await run(["serve"], lines([create, { op: "ask", study: "t" }]));
    expect(first.code).toBe(0);
    fs.appendFileSync(path.join(tmp, "runs", "t.jsonl"), '{"op":"end","n":0,"st');
    const r = await run(["serve"], lines([{ ...create, id: 1 }, { op: "tell", study: "t", trial: 0, value: 2, id: 2 }, { op: "trials", study: "t", id: 3 }]));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("incomplete");
    const replies = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(replies.map((x) => [x["id"], x["ok"]])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(replies[2]!["trials"]).toEqual([expect.objectContaining({ trial: 0, state: "complete", value: 2 })]);
  });

  it("can be driven from Python, one request and reply at a time", async () => {
    const script = String.raw`
import json, subprocess, sys
node, main = sys.argv[1], sys.argv[2]
p = subprocess.Popen([node, main, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
def call(req):
    p.stdin.write(json.dumps(req) + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline())
space = {"x": {"type": "float", "low": -2, "high": 2}, "kind": {"type": "categorical", "choices": ["a", "b"]}}
created = call({"op": "create", "id": "c", "study": "py", "space": space, "direction": "minimize", "strategy": "random", "seed": 3})
told, steps = [], []
for i in range(8):
    a = call({"op": "ask", "study": "py", "id": i})
    assert a["ok"] and a["id"] == i and a["trial"] == i, a
    x, kind = a["params"]["x"], a["params"]["kind"]
    assert -2 <= x <= 2 and kind in ("a", "b"), a
    v = (x - 0.3) ** 2 + (0.0 if kind == "a" else 1.0)
    for step in range(3):
        steps.append(call({"op": "report", "study": "py", "trial": i, "step": step, "value": v + 1.0 / (step + 1)}))
    assert call({"op": "tell", "study": "py", "trial": i, "value": v}) == {"id": None, "ok": True}
    told.append(v)
again = call({"op": "tell", "study": "py", "trial": 0, "value": 1.0})
best = call({"op": "best", "study": "py"})
bye = call({"op": "exit", "id": "bye"})
rest = p.stdout.read()
p.stderr.read()
code = p.wait()
print(json.dumps({"created": created, "told": told, "steps": steps, "again": again, "best": best, "bye": bye, "rest": rest, "code": code}))
`;
    const out = execFileSync("python3", ["-c", script, process.execPath, MAIN], { cwd: tmp, encoding: "utf8" });
    const r = JSON.parse(out) as {
      created: unknown;
      told: number[];
      steps: unknown[];
      again: Record<string, unknown>;
      best: Record<string, unknown>;
      bye: unknown;
      rest: string;
      code: number;
    };
    expect(r.created).toEqual({ id: "c", ok: true, study: "py" });
    expect(r.steps).toHaveLength(24);
    for (const s of r.steps) expect(s).toEqual({ id: null, ok: true, prune: false });
    expect(r.again).toMatchObject({ ok: false, code: "trial.finished" });
    const min = Math.min(...r.told);
    expect(r.best).toMatchObject({ ok: true, trial: r.told.indexOf(min), value: min });
    expect(r.bye).toEqual({ id: "bye", ok: true });
    expect(r.rest).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("node dist/cli/main.js", () => {
  it("prints help and version on stdout with status 0", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("serve");
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    const v = await run(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe(`tunelab ${pkg.version}\n`);
    const serveHelp = await run(["serve", "--help"]);
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stdout).toContain('{"op":"ask"');
  });

  it.each([[["launch"]], [[]], [["serve", "--port", "80"]]])("answers %j with usage on stderr and status 2", async (args) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("usage: tunelab");
  });
});
