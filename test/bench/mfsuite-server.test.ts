/**
 * The multi-fidelity suite's problem server (bench/lib/mfsuite/server.ts): a real child process
 * answering JSON lines gives the very curves the problems give in-process, validates
 * configurations against the problem's space, and answers every line, bad ones included.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode } from "../../src/space/encoding";
import { MF_SUITE } from "../../bench/lib/mfsuite/problems/index";
import { fingerprint, ProblemServer, spaceOf } from "../../bench/lib/mfsuite/server";

const ROOT = path.resolve(__dirname, "..", "..");

class Child {
  private readonly child: ChildProcess;
  private readonly waiting: ((line: string) => void)[] = [];
  constructor() {
    this.child = spawn(process.execPath, ["-r", path.join(__dirname, "fixtures", "ts-register.cjs"), path.join(ROOT, "bench", "lib", "mfsuite", "server.ts")], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    readline.createInterface({ input: this.child.stdout! }).on("line", (l) => this.waiting.shift()?.(l));
  }
  call(req: unknown): Promise<Record<string, unknown>> {
    return this.raw(JSON.stringify(req));
  }
  raw(line: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.waiting.push((l) => resolve(JSON.parse(l) as Record<string, unknown>));
      this.child.stdin!.write(line + "\n");
    });
  }
  end(): Promise<number | null> {
    return new Promise((resolve) => {
      this.child.on("exit", (code) => resolve(code));
      this.child.stdin!.end();
    });
  }
}

/** A valid configuration of the problem's space from a point of the unit cube. */
const configOf = (p: (typeof MF_SUITE)[number], a: number) => decode(spaceOf(p), Array.from({ length: spaceOf(p).size }, (_, j) => (a + 0.29 * j) % 1));

describe("the problem server, a child process", () => {
  let c: Child;
  beforeAll(async () => {
    c = new Child();
    await c.call({ op: "describe" }); // the child transpiles the sources as it loads them: seconds on a busy machine
  }, 120_000);
  afterAll(async () => {
    expect(await c.end()).toBe(0);
  });

  it("describe lists every problem with its space, maxResource and fStar", async () => {
    const r = await c.call({ op: "describe" });
    expect((r["problems"] as { name: string }[]).map((p) => p.name)).toEqual(MF_SUITE.map((p) => p.name));
    for (const [i, d] of (r["problems"] as Record<string, unknown>[]).entries()) {
      const p = MF_SUITE[i]!;
      expect(d).toMatchObject({ set: p.set, space: p.space, maxResource: p.maxResource, fStar: p.fStar ?? null });
    }
  });

  it("open / next / close: the served curve is the in-process curve, bit for bit, for every problem", async () => {
    for (const p of MF_SUITE) {
      for (const [seed, trial, a] of [[0, 0, 0.3], [5, 17, 0.8]] as const) {
        const x = configOf(p, a);
        const { id } = (await c.call({ op: "open", problem: p.name, x, seed, trial })) as { id: number };
        const run = p.open(x, seed, trial);
        const steps = Math.min(p.maxResource, 12);
        for (let b = 0; b < steps; b++) expect((await c.call({ op: "next", id }))["value"]).toBe(run.next());
        expect(await c.call({ op: "close", id })).toEqual({ ok: true });
        expect((await c.call({ op: "next", id }))["error"]).toMatch(/no open run/);
      }
    }
  });

  it("next with n: the next n steps of the same curve, as single steps would give them", async () => {
    for (const p of MF_SUITE) {
      const x = configOf(p, 0.6);
      const { id } = (await c.call({ op: "open", problem: p.name, x, seed: 2, trial: 3 })) as { id: number };
      const run = p.open(x, 2, 3);
      const want = Array.from({ length: Math.min(p.maxResource, 7) }, () => run.next());
      const got = [(await c.call({ op: "next", id }))["value"], ...((await c.call({ op: "next", id, n: 2 }))["values"] as number[]), ...((await c.call({ op: "next", id, n: want.length - 3 }))["values"] as number[])];
      expect(got).toEqual(want);
      expect((await c.call({ op: "next", id, n: 0 }))["error"]).toMatch(/n must be/);
      await c.call({ op: "close", id });
    }
  });

  it("two runs open at once keep their own state", async () => {
    const p = MF_SUITE[0]!;
    const x = configOf(p, 0.4);
    const a = (await c.call({ op: "open", problem: p.name, x, seed: 1, trial: 0 }))["id"];
    const first = (await c.call({ op: "next", id: a }))["value"];
    const b = (await c.call({ op: "open", problem: p.name, x, seed: 1, trial: 0 }))["id"];
    expect(b).not.toBe(a);
    expect((await c.call({ op: "next", id: b }))["value"]).toBe(first);
    const local = p.open(x, 1, 0);
    expect(local.next()).toBe(first);
    expect((await c.call({ op: "next", id: a }))["value"]).toBe(local.next());
  });

  it("rejects a configuration outside the space (unknown, missing or out-of-range parameter, bad problem) and keeps serving", async () => {
    const p = MF_SUITE[0]!;
    const x = configOf(p, 0.5) as Record<string, unknown>;
    const [k0] = Object.keys(x);
    const bad: Record<string, unknown>[] = [
      { ...x, nosuchparam: 1 },
      Object.fromEntries(Object.entries(x).filter(([k]) => k !== k0)),
      { ...x, [k0!]: 1e9 },
    ];
    for (const b of bad) {
      expect((await c.call({ op: "validate", problem: p.name, x: b }))["error"]).toBeTypeOf("string");
      expect((await c.call({ op: "open", problem: p.name, x: b, seed: 0, trial: 0 }))["error"]).toBeTypeOf("string");
    }
    expect((await c.call({ op: "validate", problem: "nosuch", x }))["error"]).toMatch(/unknown problem/);
    expect((await c.raw("{not json"))["error"]).toMatch(/not JSON/);
    expect(await c.call({ op: "validate", problem: p.name, x })).toEqual({ ok: true });
  });

  it("fingerprint: the same in the child and in-process, different between problems", async () => {
    const hs = new Set<string>();
    for (const p of MF_SUITE) {
      const h = (await c.call({ op: "fingerprint", problem: p.name }))["hash"] as string;
      expect(h).toBe(fingerprint(p));
      hs.add(h);
    }
    expect(hs.size).toBe(MF_SUITE.length);
  });
});

describe("ProblemServer.handle", () => {
  it("answers every line with one JSON object: a reply or an error, never a throw (property)", () => {
    const s = new ProblemServer();
    const req = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ op: fc.constantFrom("open", "next", "close", "validate", "describe", "fingerprint", "x"), problem: fc.oneof(fc.constantFrom(...MF_SUITE.map((p) => p.name)), fc.string()), id: fc.oneof(fc.integer(), fc.string()), x: fc.anything(), seed: fc.anything(), trial: fc.anything() }, { requiredKeys: ["op"] }).map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(req, (line) => {
        const r = s.handle(line);
        expect(typeof r).toBe("object");
        expect(JSON.parse(JSON.stringify(r))).toEqual(r);
        if ("value" in r) expect(Number.isFinite(r["value"])).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
