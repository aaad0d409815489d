// Warm start from parent studies (issue 17 part 2): identical and transfer, parents with other
// spaces, recorded so a resumed study warm-starts the same way; the DSL, serve (a real
// process) and the run file.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Study } from "../../src/study/study";
import { MemoryStorage } from "../../src/storage/base";
import { JournalStorage } from "../../src/storage/journal";
import { readParents } from "../../src/study/warm-start";
import { SearchSpace } from "../../src/space/space";
import { choice, float, int } from "../../src/space/builders";
import type { Storage } from "../../src/storage/storage";
import type { SpaceDef } from "../../src/space/types";
import { canonicalJson } from "../../src/util/json";
import { TunelabError } from "../../src/util/errors";
import { checkStudyFile } from "../../src/command/study-file";
import { tune } from "../../src/dsl/tuner";
import { tempDir } from "../storage/workers/build";
import { refusal } from "../helpers/refusal";
import { ServeChild, builtMain } from "../cli/serve-child";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = tempDir("warm");
  dirs.push(d);
  return d;
}

async function code(p: Promise<unknown>): Promise<string> {
  return (await refusal(p)).code;
}

const SPACE = { x: float(0, 1), y: float(0, 1) };
/** A bowl with its minimum at (0.8, 0.2); `shift` moves it (a related objective). */
const bowl = (p: Record<string, unknown>, shift = 0): number => ((p["x"] as number) - 0.8 + shift) ** 2 + ((p["y"] as number) - 0.2 - shift) ** 2;
const dist = (p: Record<string, unknown>): number => Math.hypot((p["x"] as number) - 0.8, (p["y"] as number) - 0.2);

async function parentStudy(storage: Storage, name: string, n: number, f: (p: Record<string, unknown>) => number, space: unknown = SPACE, direction: "minimize" | "maximize" = "minimize"): Promise<Study> {
  const s = await Study.open({ name, space: space as SpaceDef, direction, strategy: { name: "random" }, seed: 11, storage });
  for (let i = 0; i < n; i++) {
    const t = (await s.ask())!;
    await s.tell(t.number, { value: f(t.params) });
  }
  return s;
}

async function child(storage: Storage, name: string, strategy: string, options: Record<string, unknown>, warm?: { parents: string[]; type?: "identical" | "transfer" }, space: unknown = SPACE): Promise<Study> {
  return Study.open({ name, space: space as SpaceDef, direction: "minimize", strategy: { name: strategy, options }, seed: 5, storage, ...(warm ? { warmStart: warm } : {}) });
}

/** Mean distance to the optimum of the first `n` proposals (each told its value). */
async function firstProposals(s: Study, n: number, f: (p: Record<string, unknown>) => number = bowl): Promise<number> {
  let d = 0;
  for (let i = 0; i < n; i++) {
    const t = (await s.ask())!;
    d += dist(t.params);
    await s.tell(t.number, { value: f(t.params) });
  }
  return d / n;
}

const MODELS: [string, Record<string, unknown>][] = [
  ["tpe", { startupTrials: 10, candidates: 24 }],
  ["bayesian", { startupTrials: 10, candidates: 256, localSearches: 2 }],
];

describe("warm start: the parents inform the model", () => {
  it.each(MODELS)("%s, identical: the parents' trials are observations (no startup, proposals near their best)", async (strategy, options) => {
    const storage = new MemoryStorage();
    await parentStudy(storage, "parent", 30, bowl);
    const warm = await child(storage, "warm", strategy, options, { parents: ["parent"] });
    const cold = await child(storage, "cold", strategy, options);
    const dw = await firstProposals(warm, 5);
    const dc = await firstProposals(cold, 5);
    expect(dw).toBeLessThan(dc);
    expect(dw).toBeLessThan(0.25);
  }, 30_000);

  it.each(MODELS)("%s, transfer from a parent that maximises a shifted objective: its ranking guides the search", async (strategy, options) => {
    const storage = new MemoryStorage();
    // The parent maximises the negated, slightly shifted bowl: same good region, other scale and direction.
    await parentStudy(storage, "related", 30, (p) => -1000 * bowl(p, 0.05), SPACE, "maximize");
    const warm = await child(storage, "warm", strategy, options, { parents: ["related"], type: "transfer" });
    const cold = await child(storage, "cold", strategy, options);
    const dw = await firstProposals(warm, 5);
    const dc = await firstProposals(cold, 5);
    expect(dw).toBeLessThan(dc);
  }, 30_000);

  it("identical needs the parents' direction; transfer does not", async () => {
    const storage = new MemoryStorage();
    await parentStudy(storage, "up", 3, bowl, SPACE, "maximize");
    expect(await code(child(storage, "c1", "tpe", {}, { parents: ["up"] }))).toBe("warm_start.direction");
    await child(storage, "c2", "tpe", {}, { parents: ["up"], type: "transfer" });
  });
});

describe("warm start, identical: the same configuration is not run twice", () => {
  // 5 × 2 = 10 configurations.
  const DISCRETE = { a: int(0, 4), b: choice(["p", "q"]) };
  const all = [0, 1, 2, 3, 4].flatMap((a) => ["p", "q"].map((b) => ({ a, b })));

  it("property: whatever the parent ran, no strategy proposes one of its configurations; the grid runs exactly the others", async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(all, { minLength: 1, maxLength: 7 }),
        fc.constantFrom<[string, Record<string, unknown>]>(["random", {}], ["grid", {}], ["tpe", { startupTrials: 2 }], ["bayesian", { startupTrials: 2, candidates: 32, localSearches: 1 }], ["hyperband", { maxResource: 3 }]),
        async (ran, [strategy, options]) => {
          const storage = new MemoryStorage();
          const parent = await Study.open({ name: "parent", space: DISCRETE, direction: "minimize", storage, seed: 1 });
          for (const c of ran) await parent.enqueue(c);
          for (let i = 0; i < ran.length; i++) {
            const t = (await parent.ask())!;
            await parent.tell(t.number, { value: (t.params["a"] as number) + (t.params["b"] === "p" ? 0 : 0.5) });
          }
          const s = await child(storage, `c${k++}`, strategy, options, { parents: ["parent"] }, DISCRETE);
          const parentKeys = new Set(ran.map((c) => canonicalJson(c)));
          const proposed: string[] = [];
          for (let i = 0; i < 10 - ran.length; i++) {
            const t = await s.ask();
            if (!t) break;
            proposed.push(canonicalJson(t.params));
            await s.tell(t.number, { value: 1 });
          }
          for (const p of proposed) expect(parentKeys.has(p), p).toBe(false);
          if (strategy === "grid") {
            expect(new Set(proposed).size).toBe(10 - ran.length);
            expect(await s.ask()).toBeUndefined();
          }
        },
      ),
      { numRuns: 20 },
    );
  }, 60_000);
});

describe("parents with other spaces", () => {
  it("parameters the child lacks are dropped; trials missing a child parameter, out of range, or with an unlisted choice are skipped", async () => {
    const storage = new MemoryStorage();
    const parent = await Study.open({ name: "p", space: { x: float(-1, 2), k: choice(["a", "b", "c"]), extra: int(1, 3) }, direction: "minimize", storage, seed: 1 });
    const configs = [
      { x: 0.5, k: "a", extra: 1 }, // fits (extra dropped)
      { x: 1.5, k: "a", extra: 2 }, // x out of the child's range
      { x: 0.2, k: "c", extra: 3 }, // a choice the child doesn't list
      { x: 0.9, k: "b", extra: 1 }, // fits
    ];
    for (const c of configs) await parent.enqueue(c);
    for (let i = 0; i < configs.length; i++) {
      const t = (await parent.ask())!;
      await parent.tell(t.number, { value: i });
    }
    const failed = (await parent.ask())!;
    await parent.tell(failed.number, { state: "failed" });
    const { prior, spec } = await readParents(storage, ["p"], "identical", "minimize", undefined);
    expect(spec.parents).toEqual([{ study: "p", trials: 5 }]);
    const childSpace = SearchSpace.parse({ x: float(0, 1), k: choice(["a", "b"]) });
    expect(prior.observations(childSpace)!.trials.map((t) => t.params)).toEqual([{ x: 0.5, k: "a" }, { x: 0.9, k: "b" }]);
    // A child with a parameter the parent never had: every parent trial lacks it.
    expect(prior.observations(SearchSpace.parse({ x: float(0, 1), z: float(0, 1) }))).toBeUndefined();
    // Widened later (extendSpace), the out-of-range trial fits.
    expect(prior.observations(SearchSpace.parse({ x: float(0, 2), k: choice(["a", "b"]) }))!.trials).toHaveLength(3);
  });
});

describe("recorded with the study", () => {
  it("a resumed study reads the parents as they were at its creation: the same proposals as an uninterrupted twin", async () => {
    const d = dir();
    const storage = new JournalStorage(d);
    const parent = await parentStudy(storage, "parent", 12, bowl);
    const opts = { startupTrials: 10, candidates: 24 };
    const twin = await child(storage, "twin", "tpe", opts, { parents: ["parent"] });
    const a = await child(storage, "resumed", "tpe", opts, { parents: ["parent"] });
    expect(a.snapshot.spec.warmStart).toEqual({ type: "identical", parents: [{ study: "parent", trials: 12 }] });
    const twinParams: string[] = [];
    for (let i = 0; i < 8; i++) {
      const t = (await twin.ask())!;
      twinParams.push(canonicalJson(t.params));
      await twin.tell(t.number, { value: bowl(t.params) });
    }
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const t = (await a.ask())!;
      got.push(canonicalJson(t.params));
      await a.tell(t.number, { value: bowl(t.params) });
    }
    // The parent goes on meanwhile.
    for (let i = 0; i < 10; i++) {
      const t = (await parent.ask())!;
      await parent.tell(t.number, { value: bowl(t.params) });
    }
    await storage.close();
    // A fresh process, its cell without .warmStart: the recorded one applies.
    const again = new JournalStorage(d);
    const b = await child(again, "resumed", "tpe", opts);
    for (let i = 0; i < 4; i++) {
      const t = (await b.ask())!;
      got.push(canonicalJson(t.params));
      await b.tell(t.number, { value: bowl(t.params) });
    }
    expect(got).toEqual(twinParams);
    // Other parents given on reopening are refused: warm start is fixed at creation.
    expect(await code(child(again, "resumed", "tpe", opts, { parents: ["twin"] }))).toBe("warm_start.mismatch");
    await again.close();
  }, 30_000);

  it("refuses bad warm starts with catalog codes", async () => {
    const storage = new MemoryStorage();
    await parentStudy(storage, "p", 2, bowl);
    for (const [w, c] of [
      [{ parents: [] }, "warm_start.bad_parents"],
      [{ parents: ["a", "b", "c", "d", "e", "f"] }, "warm_start.bad_parents"],
      [{ parents: ["p", "p"] }, "warm_start.bad_parents"],
      [{ parents: ["p"], type: "same" }, "warm_start.bad_type"],
      [{ parents: ["x"] }, "warm_start.self"],
      [{ parents: ["nope"] }, "warm_start.not_found"],
    ] as const) {
      expect(await code(child(storage, "x", "random", {}, w as never)), JSON.stringify(w)).toBe(c);
    }
    // A study that exists without a warm start can't gain one.
    await child(storage, "cold", "random", {});
    expect(await code(child(storage, "cold", "random", {}, { parents: ["p"] }))).toBe("warm_start.mismatch");
  });
});

describe("through the DSL, the run file and serve", () => {
  it("the DSL's .warmStart with parents in another storage, and toJSON's study file reads back", async () => {
    const parents = dir();
    const ps = new JournalStorage(parents);
    await parentStudy(ps, "v1", 15, bowl);
    await ps.close();
    const t = tune("v2").space(SPACE).minimize().strategy("tpe", { startupTrials: 10 }).storage("memory").seed(2).warmStart(["v1"], { storage: parents });
    const study = await t.open();
    expect(study.snapshot.spec.warmStart).toEqual({ type: "identical", parents: [{ study: "v1", trials: 15 }], storage: parents });
    const first = (await t.ask())!;
    expect(dist(first.params)).toBeLessThan(0.3);
    expect(() => t.warmStart(["v1"])).toThrow(TunelabError);
    const file = checkStudyFile({ study: "f", space: SPACE, direction: "minimize", command: ["echo", "{x}", "{y}"], warmStart: { parents: ["v1"], type: "transfer", storage: "rel" } }, "/base");
    expect(file.warmStart).toEqual({ parents: ["v1"], type: "transfer", storage: "/base/rel" });
    expect(() => checkStudyFile({ study: "f", space: SPACE, direction: "minimize", command: ["echo"], warmStart: { parents: ["v1"], types: "x" } }, "/base")).toThrow(TunelabError);
  });

  it("a real tunelab serve process: create with warmStart, extend, ask in the wider space; bad requests get codes", async () => {
    const d = dir();
    const ps = new JournalStorage(d);
    await parentStudy(ps, "v1", 12, bowl);
    await ps.close();
    const serve = new ServeChild(builtMain(), d);
    const send = async (r: object): Promise<Record<string, unknown>> => {
      const [x] = await serve.exchange([Buffer.from(JSON.stringify(r) + "\n")]);
      return JSON.parse(x!.reply) as Record<string, unknown>;
    };
    try {
      expect(await send({ op: "create", study: "v2", space: SPACE, direction: "minimize", strategy: "tpe", options: { startupTrials: 10 }, storage: ".", seed: 1, warmStart: { parents: ["v1"] } })).toMatchObject({ ok: true });
      const a = await send({ op: "ask", study: "v2" });
      expect(dist(a["params"] as Record<string, unknown>)).toBeLessThan(0.3);
      expect(await send({ op: "extend", study: "v2", space: { x: { type: "float", low: 0, high: 5 } } })).toMatchObject({ ok: true, space: { x: { low: 0, high: 5 }, y: { low: 0, high: 1 } } });
      expect(await send({ op: "extend", study: "v2", space: { x: { type: "float", low: 0.5, high: 5 } } })).toMatchObject({ ok: false, code: "extend.narrowing", field: "extendSpace.x.low" });
      expect(await send({ op: "extend", study: "v2" })).toMatchObject({ ok: false, code: "request.missing_field" });
      expect(await send({ op: "create", study: "v3", space: SPACE, direction: "minimize", strategy: "tpe", warmStart: { parents: "v1" } })).toMatchObject({ ok: false, code: "warm_start.bad_parents" });
      expect(await send({ op: "create", study: "v3", space: SPACE, direction: "minimize", strategy: "tpe", warmStart: { parents: ["v1"], mode: 1 } })).toMatchObject({ ok: false, code: "request.unknown_field" });
      // The wider range is used.
      let wide = false;
      for (let i = 0; i < 15 && !wide; i++) {
        const t = await send({ op: "ask", study: "v2" });
        wide = ((t["params"] as Record<string, number>)["x"] ?? 0) > 1;
        await send({ op: "tell", study: "v2", trial: t["trial"], value: 1 });
      }
      expect(wide).toBe(true);
    } finally {
      await serve.kill();
    }
  }, 120_000);
});
