import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PassThrough } from "stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProtocolSession, OPS, OP_FIELDS } from "../../src/cli/protocol";
import { serve, type ServeResult } from "../../src/cli/serve";
import { SearchSpace } from "../../src/space/space";
import { Grid } from "../../src/space/grid";
import { strategyNames } from "../../src/strategies/registry";
import { journalFileName } from "../../src/storage/journal";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reply = Record<string, any>;

/** Feeds lines (objects are JSON-encoded) to an in-process server and collects what it wrote. */
async function transcript(
  requests: ReadonlyArray<object | string>,
  o: { cwd?: string; maxLineBytes?: number; raw?: boolean } = {},
): Promise<{ text: string; replies: Reply[]; result: ServeResult; log: string[] }> {
  const input = new PassThrough();
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (c: Buffer) => chunks.push(c));
  const log: string[] = [];
  const done = serve({ input, output, log: (m) => log.push(m), ...(o.cwd ? { cwd: o.cwd } : {}), ...(o.maxLineBytes ? { maxLineBytes: o.maxLineBytes } : {}) });
  for (const r of requests) input.write(typeof r === "string" ? (o.raw ? r : r + "\n") : JSON.stringify(r) + "\n");
  input.end();
  const result = await done;
  const text = Buffer.concat(chunks).toString("utf8");
  const replies = text === "" ? [] : text.replace(/\n$/, "").split("\n").map((l) => JSON.parse(l) as Reply);
  return { text, replies, result, log };
}

/** A session driven request by request. */
function client(cwd?: string) {
  const log: string[] = [];
  const session = new ProtocolSession({ log: (m) => log.push(m), ...(cwd ? { cwd } : {}) });
  const send = async (request: unknown): Promise<Reply> => (await session.handle(request)).reply as Reply;
  return { session, send, log };
}

const SPACE = {
  lr: { type: "float", low: 1e-5, high: 1, scale: "log" },
  layers: { type: "int", low: 1, high: 4 },
  optimizer: { type: "categorical", choices: ["sgd", "adam"] },
  momentum: { type: "float", low: 0.5, high: 0.999, scale: "reverse-log", when: { optimizer: ["sgd"] } },
};

/** Every kind of parameter: scales, steps, conditions on categorical and int parameters. */
const RICH_SPACE = {
  lr: { type: "float", low: 1e-5, high: 1, scale: "log" },
  dropout: { type: "float", low: 0, high: 0.5, step: 0.1 },
  beta: { type: "float", low: 0.9, high: 0.9999, scale: "reverse-log" },
  units: { type: "int", low: 8, high: 512, scale: "log" },
  depth: { type: "int", low: 1, high: 9, step: 2 },
  optimizer: { type: "categorical", choices: ["sgd", "adam", 3, true] },
  momentum: { type: "float", low: 0, high: 0.99, when: { optimizer: ["sgd"] } },
  nesterov: { type: "categorical", choices: [false, true], when: { optimizer: ["sgd"], depth: [1, 3] } },
};

const GRID_SPACE = {
  opt: { type: "categorical", choices: ["sgd", "adam"] },
  depth: { type: "int", low: 1, high: 3 },
  drop: { type: "float", low: 0, high: 0.2, step: 0.1 },
};

/** 2 optimizers; sgd has momentum (3 values) x nesterov (2), adam has neither: 6 + 1, times 2 widths = 14. */
const CONDITIONAL_GRID = {
  opt: { type: "categorical", choices: ["sgd", "adam"] },
  momentum: { type: "int", low: 1, high: 3, when: { opt: ["sgd"] } },
  nesterov: { type: "categorical", choices: [true, false], when: { opt: ["sgd"] } },
  width: { type: "int", low: 16, high: 32, step: 16 },
};

function create(study: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { op: "create", study, space: SPACE, direction: "minimize", strategy: "random", seed: 7, ...extra };
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-serve-"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("framing", () => {
  it("answers one line per request, in order, echoing ids, and ignores blank lines", async () => {
    const { text, replies, result } = await transcript([
      create("s", { id: "c" }),
      "",
      "   ",
      { op: "ask", study: "s", id: 1 },
      { op: "ask", study: "s", id: { any: ["json"] } },
      { op: "best", study: "s" },
    ]);
    expect(text.endsWith("\n")).toBe(true);
    expect(replies.map((r) => r["id"])).toEqual(["c", 1, { any: ["json"] }, null]);
    expect(replies.every((r) => r["ok"] === true)).toBe(true);
    expect(result).toEqual({ reason: "eof", replies: 4 });
    // id and ok come first in every reply.
    for (const line of text.trim().split("\n")) expect(line).toMatch(/^\{"id":.*?,"ok":(true|false)/);
  });

  it("keeps serving after a line that is not JSON, or not an object", async () => {
    const { replies } = await transcript([create("s", { id: 1 }), "{not json", "[1,2]", "42", '"ask"', "null", { op: "ask", study: "s", id: 2 }]);
    expect(replies).toHaveLength(7);
    expect(replies[1]).toMatchObject({ id: null, ok: false, code: "request.not_json", field: "request" });
    expect(replies[1]!["error"]).toContain("line 2");
    for (const r of replies.slice(2, 6)) expect(r).toMatchObject({ id: null, ok: false, code: "request.not_object" });
    expect(replies[6]).toMatchObject({ id: 2, ok: true, trial: 0 });
  });

  it("accepts CRLF, a byte-order mark, and a last line without a newline", async () => {
    const { replies } = await transcript(["\uFEFF" + JSON.stringify(create("s", { id: 1 })) + "\r\n", JSON.stringify({ op: "ask", study: "s", id: 2 })], { raw: true });
    expect(replies.map((r) => [r["id"], r["ok"]])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it("reassembles requests split across chunks, even inside a UTF-8 character", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const out: Buffer[] = [];
    output.on("data", (c: Buffer) => out.push(c));
    const done = serve({ input, output, log: () => {} });
    const bytes = Buffer.from(JSON.stringify(create("naïve ☃ study", { id: "é" })) + "\n" + JSON.stringify({ op: "ask", study: "naïve ☃ study", id: 2 }) + "\n");
    for (let i = 0; i < bytes.length; i += 3) input.write(bytes.subarray(i, i + 3));
    input.end();
    await done;
    const replies = Buffer.concat(out).toString("utf8").trim().split("\n").map((l) => JSON.parse(l) as Reply);
    expect(replies).toEqual([
      { id: "é", ok: true, study: "naïve ☃ study" },
      expect.objectContaining({ id: 2, ok: true, trial: 0 }),
    ]);
  });

  it("writes each reply before the next request arrives (a client can wait for it)", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const done = serve({ input, output, log: () => {} });
    const nextLine = () => new Promise<Reply>((resolve) => output.once("data", (c: Buffer) => resolve(JSON.parse(c.toString("utf8")) as Reply)));
    let reply = nextLine();
    input.write(JSON.stringify(create("s", { id: 1 })) + "\n");
    expect(await reply).toEqual({ id: 1, ok: true, study: "s" });
    reply = nextLine();
    input.write(JSON.stringify({ op: "ask", study: "s", id: 2 }) + "\n");
    expect(await reply).toMatchObject({ id: 2, ok: true, trial: 0 });
    input.end();
    expect(await done).toEqual({ reason: "eof", replies: 2 });
  });

  it("stops at exit: replies to it, and reads nothing after it", async () => {
    const { replies, result } = await transcript([create("s"), { op: "exit", id: "bye" }, { op: "ask", study: "s" }]);
    expect(replies).toEqual([{ id: null, ok: true, study: "s" }, { id: "bye", ok: true }]);
    expect(result.reason).toBe("exit");
  });

  it("skips a line over the size limit with an error, then goes on", async () => {
    const long = JSON.stringify({ op: "ask", study: "s", id: "x".repeat(5000) });
    const { replies } = await transcript([create("s"), long, { op: "ask", study: "s", id: 3 }], { maxLineBytes: 1000 });
    expect(replies).toHaveLength(3);
    expect(replies[1]).toMatchObject({ id: null, ok: false, code: "request.too_long" });
    expect(replies[2]).toMatchObject({ id: 3, ok: true, trial: 0 });
  });

  it("serves a long line under the limit (a 2 MB id)", async () => {
    const id = "y".repeat(2_000_000);
    const { replies } = await transcript([create("s"), { op: "ask", study: "s", id }, { op: "ask", study: "s", id: 2 }]);
    expect(replies[1]!["id"]).toBe(id);
    expect(replies[2]).toMatchObject({ id: 2, trial: 1 });
  });
});

describe("request validation", () => {
  it("names the allowed ops when op is missing or unknown", async () => {
    const { send } = client();
    for (const req of [{ id: 1, study: "s" }, { op: "launch", id: 1 }, { op: 3, id: 1 }, { op: null, id: 1 }]) {
      const r = await send(req);
      expect(r).toMatchObject({ id: 1, ok: false, code: "request.unknown_op", field: "op" });
      for (const op of OPS) expect(r["error"]).toContain(op);
    }
  });

  it("rejects unknown fields per op, listing the allowed ones", async () => {
    const { send } = client();
    await send(create("s"));
    const r = await send({ op: "ask", study: "s", id: 5, trial: 3 });
    expect(r).toMatchObject({ id: 5, ok: false, code: "request.unknown_field", field: "trial" });
    expect(r["error"]).toContain(OP_FIELDS.ask.join(", "));
    expect(await send({ op: "exit", study: "s" })).toMatchObject({ ok: false, code: "request.unknown_field", field: "study" });
    expect(await send(create("t", { metric: "loss" }))).toMatchObject({ ok: false, code: "request.unknown_field", field: "metric" });
  });

  it("needs a study name, and a study that was created", async () => {
    const { send } = client();
    for (const op of ["ask", "best", "trials", "report", "tell"]) {
      expect(await send({ op, id: op })).toMatchObject({ id: op, ok: false, code: "request.missing_field", field: "study" });
      expect(await send({ op, study: 12 })).toMatchObject({ ok: false, code: "study.bad_name", field: "study" });
      const unknown = await send({ op, study: "ghost" });
      expect(unknown).toMatchObject({ ok: false, code: "study.unknown", field: "study" });
      expect(unknown["error"]).toContain('"create"');
    }
    expect(await send(create(""))).toMatchObject({ ok: false, code: "study.bad_name" });
    expect(await send(create("x".repeat(201)))).toMatchObject({ ok: false, code: "study.bad_name" });
  });
});

describe("create", () => {
  it("needs space, direction and strategy, naming the missing field", async () => {
    const { send } = client();
    for (const field of ["space", "direction", "strategy"]) {
      const req = create("s");
      delete req[field];
      const r = await send(req);
      expect(r).toMatchObject({ ok: false, code: "request.missing_field", field });
      expect(r["error"]).toContain(field);
    }
  });

  it("names the field of a bad space, and what is allowed", async () => {
    const { send } = client();
    const lowHigh = await send(create("s", { space: { lr: { type: "float", low: 1, high: 0.1 } } }));
    expect(lowHigh).toMatchObject({ ok: false, code: "space.low_not_below_high" });
    expect(lowHigh["field"]).toMatch(/^space\.lr/);
    expect(lowHigh["error"]).toContain("space.lr");
    const type = await send(create("s", { space: { depth: { type: "integer", low: 1, high: 3 } } }));
    expect(type).toMatchObject({ ok: false, code: "space.unknown_type", field: "space.depth.type" });
    expect(type["error"]).toContain('"float", "int", "categorical"');
    expect(await send(create("s", { space: { x: { type: "float", low: 0, high: 1, scale: "log" } } }))).toMatchObject({ ok: false, code: "space.log_low", field: "space.x.low" });
    expect(await send(create("s", { space: [] }))).toMatchObject({ ok: false, code: "space.not_object", field: "space" });
    expect(await send(create("s", { space: { a: { type: "int", low: 1, high: 2, when: { b: [1] } }, b: { type: "int", low: 1, high: 2, when: { a: [1] } } } }))).toMatchObject({
      ok: false,
      code: "space.condition_cycle",
    });
  });

  it("rejects a bad direction, naming both allowed values", async () => {
    const { send } = client();
    const r = await send(create("s", { direction: "min" }));
    expect(r).toMatchObject({ ok: false, code: "study.bad_direction", field: "direction" });
    expect(r["error"]).toContain('"minimize" or "maximize"');
  });

  it("grid: a float without step is an error naming the parameter", async () => {
    const { send } = client();
    const r = await send(create("g", { strategy: "grid", space: { depth: { type: "int", low: 1, high: 3 }, lr: { type: "float", low: 0.1, high: 1 } } }));
    expect(r).toMatchObject({ ok: false, code: "grid.float_without_step", field: "space.lr.step" });
    expect(r["error"]).toContain('"lr"');
  });

  it("hyperband without maxResource: an error naming options.maxResource; with it, trials get the budget", async () => {
    const { send } = client();
    const bad = await send(create("s", { strategy: "hyperband", id: 9 }));
    expect(bad).toMatchObject({ id: 9, ok: false, code: "option.bad_value", field: "options.maxResource" });
    expect(await send(create("s", { strategy: "hyperband", options: { maxResource: 9 }, id: 10 }))).toEqual({ id: 10, ok: true, study: "s" });
    expect(await send({ op: "ask", study: "s" })).toMatchObject({ ok: true, trial: 0, budget: 9 });
  });

  it("rejects an unknown strategy listing the known ones, and a strategy that is not a string", async () => {
    const { send } = client();
    const r = await send(create("s", { strategy: "annealing" }));
    expect(r).toMatchObject({ ok: false, code: "strategy.unknown", field: "strategy" });
    expect(r["error"]).toContain('"random"');
    expect(r["error"]).toContain('"grid"');
    expect(await send(create("s", { strategy: { name: "random" } }))).toMatchObject({ ok: false, code: "request.bad_field", field: "strategy" });
  });

  it("validates options and seed", async () => {
    const { send } = client();
    expect(await send(create("s", { options: [1] }))).toMatchObject({ ok: false, code: "request.bad_field", field: "options" });
    expect(await send(create("s", { options: { temperature: 1 } }))).toMatchObject({ ok: false, code: "option.unknown", field: "options.temperature" });
    expect(await send(create("s", { options: { quasi: "halton" } }))).toMatchObject({ ok: false, code: "option.bad_value", field: "options.quasi" });
    expect(await send(create("s", { seed: 1.5 }))).toMatchObject({ ok: false, code: "request.bad_field", field: "seed" });
    expect(await send(create("s", { seed: "7" }))).toMatchObject({ ok: false, code: "request.bad_field", field: "seed" });
    expect(await send(create("s", { seed: undefined, options: { seed: "x" } }))).toMatchObject({ ok: false, code: "request.bad_field", field: "options.seed" });
    expect(await send(create("s", { seed: 1, options: { seed: 2 } }))).toMatchObject({ ok: false, code: "request.seed_conflict", field: "seed" });
    expect(await send(create("s", { seed: 1, options: { seed: 1, quasi: "sobol" } }))).toEqual({ id: null, ok: true, study: "s" });
  });

  it("takes options.seed when there is no top-level seed, and null as not given", async () => {
    const ask = { op: "ask", study: "s" };
    const a = await transcript([create("s", { seed: 42 }), ask, ask]);
    const b = await transcript([create("s", { seed: null, options: { seed: 42 } }), ask, ask]);
    const c = await transcript([create("s", { seed: 43 }), ask, ask]);
    expect(b.text).toBe(a.text);
    expect(c.text).not.toBe(a.text);
  });

  it("validates storage", async () => {
    const { send } = client(tmp);
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "x");
    for (const storage of [3, "", "  ", { journal: "x" }, true]) {
      const r = await send(create("s", { storage }));
      expect(r).toMatchObject({ ok: false, code: "request.bad_storage", field: "storage" });
      expect(r["error"]).toContain("directory");
    }
    // postgresql:// and postgres:// are databases (test/storage/postgres-serve.test.ts); other schemes are not storages.
    expect(await send(create("s", { storage: "mysql://localhost/db" }))).toMatchObject({ ok: false, code: "request.bad_storage" });
    const io = await send(create("s", { storage: file }));
    expect(io).toMatchObject({ ok: false, code: "storage.io", field: "storage" });
  });

  it("opens a name again in memory when space and direction match, and refuses otherwise", async () => {
    const { send } = client();
    await send(create("s"));
    await send({ op: "ask", study: "s" });
    await send({ op: "tell", study: "s", trial: 0, value: 1 });
    // Same space written in another key order of fields: still the same study.
    const reordered = Object.fromEntries(Object.entries(SPACE).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).reverse())]));
    expect(await send(create("s", { space: reordered, id: 2 }))).toEqual({ id: 2, ok: true, study: "s" });
    expect((await send({ op: "trials", study: "s" }))["trials"]).toHaveLength(1);
    expect(await send({ op: "ask", study: "s" })).toMatchObject({ ok: true, trial: 1 });

    const space = await send(create("s", { space: { x: { type: "int", low: 0, high: 3 } } }));
    expect(space).toMatchObject({ ok: false, code: "study.mismatch", field: "space" });
    const direction = await send(create("s", { direction: "maximize" }));
    expect(direction).toMatchObject({ ok: false, code: "study.mismatch", field: "direction" });
    expect(direction["error"]).toContain("minimize");
    // A refused create leaves the open study as it was.
    expect(await send({ op: "ask", study: "s" })).toMatchObject({ ok: true, trial: 2 });
  });

  it("keeps several studies open at once, each with its own trials", async () => {
    const { send } = client();
    await send(create("a"));
    await send(create("b", { strategy: "grid", space: GRID_SPACE, direction: "maximize" }));
    expect(await send({ op: "ask", study: "a" })).toMatchObject({ trial: 0 });
    expect(await send({ op: "ask", study: "b" })).toMatchObject({ trial: 0, params: { opt: "sgd", depth: 1, drop: 0 } });
    expect(await send({ op: "ask", study: "a" })).toMatchObject({ trial: 1 });
    await send({ op: "tell", study: "b", trial: 0, value: 5 });
    expect(await send({ op: "best", study: "a" })).toEqual({ id: null, ok: true, trial: null });
    expect(await send({ op: "best", study: "b" })).toMatchObject({ trial: 0, value: 5 });
  });
});

describe("ask", () => {
  it("random: every configuration is inside the space (types, bounds, steps, choices, conditions)", async () => {
    const { send } = client();
    const space = SearchSpace.parse(RICH_SPACE);
    for (const quasi of ["none", "sobol"]) {
      await send(create(quasi, { space: RICH_SPACE, options: { quasi } }));
      const seen = new Set<string>();
      for (let i = 0; i < 150; i++) {
        const r = await send({ op: "ask", study: quasi });
        expect(r).toMatchObject({ ok: true, trial: i });
        expect(r).not.toHaveProperty("budget");
        const params = r["params"] as Record<string, unknown>;
        expect(space.check(params)).toEqual(params);
        expect(Number.isInteger(params["units"])).toBe(true);
        expect([1, 3, 5, 7, 9]).toContain(params["depth"]);
        expect([0, 0.1, 0.2, 0.3, 0.4, 0.5].some((v) => Math.abs(v - (params["dropout"] as number)) < 1e-12)).toBe(true);
        expect("momentum" in params).toBe(params["optimizer"] === "sgd");
        expect("nesterov" in params).toBe(params["optimizer"] === "sgd" && [1, 3].includes(params["depth"] as number));
        seen.add(JSON.stringify(params));
      }
      expect(seen.size).toBe(150);
    }
  });

  it("several asks before their tells get distinct trial numbers", async () => {
    const { send } = client();
    await send(create("s"));
    const numbers: number[] = [];
    for (let i = 0; i < 6; i++) numbers.push((await send({ op: "ask", study: "s" }))["trial"] as number);
    expect(numbers).toEqual([0, 1, 2, 3, 4, 5]);
    await send({ op: "tell", study: "s", trial: 3, value: 1 });
    await send({ op: "tell", study: "s", trial: 0, state: "failed" });
    expect(await send({ op: "ask", study: "s" })).toMatchObject({ trial: 6 });
  });

  it.each([
    ["a product grid", GRID_SPACE, 2 * 3 * 3],
    ["a conditional grid", CONDITIONAL_GRID, (3 * 2 + 1) * 2],
  ])("grid: %s gives each configuration exactly once, then done", async (_, spaceDef, count) => {
    expect(new Grid(SearchSpace.parse(spaceDef)).size).toBe(count);
    const { send } = client();
    await send(create("g", { strategy: "grid", space: spaceDef }));
    const space = SearchSpace.parse(spaceDef);
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const r = await send({ op: "ask", study: "g", id: i });
      expect(r).toMatchObject({ id: i, ok: true, trial: i });
      expect(space.check(r["params"])).toEqual(r["params"]);
      seen.add(JSON.stringify(r["params"]));
      // Tell some, leave others running: the grid must not hand out a running one again.
      if (i % 3 === 0) await send({ op: "tell", study: "g", trial: i, value: i });
    }
    expect(seen.size).toBe(count);
    expect(await send({ op: "ask", study: "g", id: "end" })).toEqual({ id: "end", ok: true, done: true });
    expect(await send({ op: "ask", study: "g" })).toEqual({ id: null, ok: true, done: true });
    expect((await send({ op: "trials", study: "g" }))["trials"]).toHaveLength(count);
  });
});

describe("report", () => {
  it("records values and answers prune", async () => {
    const { send } = client();
    await send(create("s"));
    await send({ op: "ask", study: "s" });
    expect(await send({ op: "report", study: "s", trial: 0, step: 0, value: 3, id: "r" })).toEqual({ id: "r", ok: true, prune: false });
    expect(await send({ op: "report", study: "s", trial: 0, step: 5, value: 2.5 })).toEqual({ id: null, ok: true, prune: false });
    const trials = (await send({ op: "trials", study: "s" }))["trials"];
    expect(trials[0]["intermediate"]).toEqual([
      [0, 3],
      [5, 2.5],
    ]);
  });

  it("rejects a step that is not an integer >= 0 or does not increase", async () => {
    const { send } = client();
    await send(create("s"));
    await send({ op: "ask", study: "s" });
    for (const step of [-1, 1.5, "2", true]) {
      expect(await send({ op: "report", study: "s", trial: 0, step, value: 1 })).toMatchObject({ ok: false, code: "trial.bad_step", field: "step" });
    }
    await send({ op: "report", study: "s", trial: 0, step: 4, value: 1 });
    for (const step of [4, 3]) {
      const r = await send({ op: "report", study: "s", trial: 0, step, value: 1 });
      expect(r).toMatchObject({ ok: false, code: "trial.bad_step", field: "step" });
      expect(r["error"]).toContain("4");
    }
    expect(await send({ op: "report", study: "s", trial: 0, step: 5, value: 1 })).toMatchObject({ ok: true });
  });

  it("rejects a value that is not a finite number", async () => {
    const { replies } = await transcript([
      create("s"),
      { op: "ask", study: "s" },
      '{"op":"report","study":"s","trial":0,"step":1,"value":1e999}',
      '{"op":"report","study":"s","trial":0,"step":1,"value":-1e999}',
      { op: "report", study: "s", trial: 0, step: 1, value: "0.5" },
      { op: "report", study: "s", trial: 0, step: 1 },
      { op: "report", study: "s", trial: 0, value: 1 },
      { op: "report", study: "s", trial: 0, step: 1, value: 0.5 },
    ]);
    for (const r of replies.slice(2, 5)) expect(r).toMatchObject({ ok: false, code: "trial.bad_value", field: "value" });
    expect(replies[2]!["error"]).toContain("Infinity");
    expect(replies[5]).toMatchObject({ ok: false, code: "request.missing_field", field: "value" });
    expect(replies[6]).toMatchObject({ ok: false, code: "request.missing_field", field: "step" });
    expect(replies[7]).toEqual({ id: null, ok: true, prune: false });
  });

  it("rejects unknown and finished trials", async () => {
    const { send } = client();
    await send(create("s"));
    await send({ op: "ask", study: "s" });
    expect(await send({ op: "report", study: "s", trial: 7, step: 0, value: 1 })).toMatchObject({ ok: false, code: "trial.unknown", field: "trial" });
    for (const trial of [-1, 0.5, "0"]) {
      expect(await send({ op: "report", study: "s", trial, step: 0, value: 1 })).toMatchObject({ ok: false, code: "request.bad_field", field: "trial" });
    }
    expect(await send({ op: "report", study: "s", step: 0, value: 1 })).toMatchObject({ ok: false, code: "request.missing_field", field: "trial" });
    await send({ op: "tell", study: "s", trial: 0, value: 1 });
    const r = await send({ op: "report", study: "s", trial: 0, step: 0, value: 1 });
    expect(r).toMatchObject({ ok: false, code: "trial.not_running", field: "trial" });
    expect(r["error"]).toContain("complete");
  });
});

describe("tell", () => {
  it("ends a trial with a value, as failed (with or without error) or as pruned", async () => {
    const { send } = client();
    await send(create("s"));
    for (let i = 0; i < 4; i++) await send({ op: "ask", study: "s" });
    expect(await send({ op: "tell", study: "s", trial: 0, value: 0.25, id: "t" })).toEqual({ id: "t", ok: true });
    expect(await send({ op: "tell", study: "s", trial: 1, state: "failed", error: "CUDA out of memory" })).toEqual({ id: null, ok: true });
    await send({ op: "report", study: "s", trial: 2, step: 1, value: 9 });
    await send({ op: "report", study: "s", trial: 2, step: 2, value: 8 });
    expect(await send({ op: "tell", study: "s", trial: 2, state: "pruned" })).toEqual({ id: null, ok: true });
    expect(await send({ op: "tell", study: "s", trial: 3, state: "failed", value: null })).toEqual({ id: null, ok: true });
    const trials = (await send({ op: "trials", study: "s" }))["trials"] as Reply[];
    expect(trials.map((t) => [t["state"], t["value"], t["error"]])).toEqual([
      ["complete", 0.25, undefined],
      ["failed", null, "CUDA out of memory"],
      ["pruned", 8, undefined],
      ["failed", null, "failed"],
    ]);
  });

  it("refuses telling twice and unknown trials", async () => {
    const { send } = client();
    await send(create("s"));
    await send({ op: "ask", study: "s" });
    await send({ op: "tell", study: "s", trial: 0, value: 1 });
    for (const again of [{ value: 2 }, { state: "failed" }, { state: "pruned" }]) {
      const r = await send({ op: "tell", study: "s", trial: 0, ...again });
      expect(r).toMatchObject({ ok: false, code: "trial.finished", field: "trial" });
    }
    expect(await send({ op: "tell", study: "s", trial: 1, value: 1 })).toMatchObject({ ok: false, code: "trial.unknown", field: "trial" });
    expect(await send({ op: "tell", study: "s", trial: "0", value: 1 })).toMatchObject({ ok: false, code: "request.bad_field", field: "trial" });
    expect(await send({ op: "tell", study: "s", value: 1 })).toMatchObject({ ok: false, code: "request.missing_field", field: "trial" });
    // The refused tells changed nothing.
    expect((await send({ op: "trials", study: "s" }))["trials"]).toEqual([expect.objectContaining({ state: "complete", value: 1 })]);
  });

  it("needs either value or state, not both, and names them", async () => {
    const { send } = client();
    await send(create("s"));
    await send({ op: "ask", study: "s" });
    for (const req of [{}, { value: 1, state: "failed" }, { value: 1, state: "pruned" }]) {
      const r = await send({ op: "tell", study: "s", trial: 0, ...req });
      expect(r).toMatchObject({ ok: false, code: "request.tell_outcome" });
      expect(r["error"]).toContain("value");
      expect(r["error"]).toContain("state");
    }
    const state = await send({ op: "tell", study: "s", trial: 0, state: "complete" });
    expect(state).toMatchObject({ ok: false, code: "trial.bad_state", field: "state" });
    expect(state["error"]).toContain('"failed" or "pruned"');
    expect(await send({ op: "tell", study: "s", trial: 0, value: "1" })).toMatchObject({ ok: false, code: "trial.bad_value", field: "value" });
    expect(await send({ op: "tell", study: "s", trial: 0, value: 1, error: "x" })).toMatchObject({ ok: false, code: "request.bad_field", field: "error" });
    expect(await send({ op: "tell", study: "s", trial: 0, state: "failed", error: 3 })).toMatchObject({ ok: false, code: "request.bad_field", field: "error" });
    expect((await send({ op: "trials", study: "s" }))["trials"][0]["state"]).toBe("running");
  });

  it("refuses a value that is not finite", async () => {
    const { replies } = await transcript([create("s"), { op: "ask", study: "s" }, '{"op":"tell","study":"s","trial":0,"value":1e999}', { op: "trials", study: "s" }]);
    expect(replies[2]).toMatchObject({ ok: false, code: "trial.bad_value", field: "value" });
    expect(replies[3]!["trials"][0]["state"]).toBe("running");
  });
});

describe("best and trials", () => {
  it.each([
    ["minimize", 1, -3],
    ["maximize", 2, 10],
  ])("best follows the direction (%s)", async (direction, t, v) => {
    const { send } = client();
    await send(create("s", { direction }));
    expect(await send({ op: "best", study: "s", id: 0 })).toEqual({ id: 0, ok: true, trial: null });
    const params: unknown[] = [];
    for (let i = 0; i < 4; i++) params.push((await send({ op: "ask", study: "s" }))["params"]);
    await send({ op: "tell", study: "s", trial: 0, value: 5 });
    await send({ op: "tell", study: "s", trial: 1, value: -3 });
    await send({ op: "tell", study: "s", trial: 2, value: 10 });
    await send({ op: "tell", study: "s", trial: 3, state: "failed" });
    expect(await send({ op: "best", study: "s" })).toEqual({ id: null, ok: true, trial: t, params: params[t], value: v });
  });

  it("lists trials with state, params, value (null when none) and intermediate values", async () => {
    const { send } = client();
    await send(create("s", { strategy: "grid", space: GRID_SPACE }));
    for (let i = 0; i < 3; i++) await send({ op: "ask", study: "s" });
    await send({ op: "report", study: "s", trial: 0, step: 1, value: 0.5 });
    await send({ op: "tell", study: "s", trial: 0, value: 0.4 });
    await send({ op: "tell", study: "s", trial: 1, state: "failed" });
    expect(await send({ op: "trials", study: "s", id: "t" })).toEqual({
      id: "t",
      ok: true,
      trials: [
        { trial: 0, state: "complete", params: { opt: "sgd", depth: 1, drop: 0 }, value: 0.4, intermediate: [[1, 0.5]] },
        { trial: 1, state: "failed", params: { opt: "sgd", depth: 1, drop: 0.1 }, value: null, intermediate: [], error: "failed" },
        { trial: 2, state: "running", params: { opt: "sgd", depth: 1, drop: 0.2 }, value: null, intermediate: [] },
      ],
    });
  });
});

describe("determinism", () => {
  const script = (seed: number): object[] => {
    const out: object[] = [
      { op: "create", study: "r", space: RICH_SPACE, direction: "minimize", strategy: "random", seed, id: 0 },
      { op: "create", study: "q", space: SPACE, direction: "maximize", strategy: "random", options: { quasi: "sobol" }, seed, id: 1 },
      { op: "create", study: "g", space: CONDITIONAL_GRID, direction: "minimize", strategy: "grid", seed, id: 2 },
    ];
    // 14 grid configurations: asks 0..13, tells 0..12.
    for (let i = 0; i < 14; i++) {
      for (const s of ["r", "q", "g"]) {
        out.push({ op: "ask", study: s, id: `${s}${i}` });
        if (i > 0) out.push({ op: "report", study: s, trial: i - 1, step: 1, value: i / 7 });
        if (i > 0) out.push({ op: "tell", study: s, trial: i - 1, ...(i % 5 === 0 ? { state: "failed" } : { value: Math.sin(i) }) });
      }
    }
    for (const s of ["r", "q", "g"]) out.push({ op: "best", study: s }, { op: "trials", study: s });
    return out;
  };

  it("the same seed and requests give byte-identical replies", async () => {
    const a = await transcript(script(2024));
    const b = await transcript(script(2024));
    expect(a.replies.every((r) => r["ok"] === true)).toBe(true);
    expect(a.replies.length).toBe(script(2024).length);
    expect(b.text).toBe(a.text);
    const c = await transcript(script(2025));
    expect(c.text).not.toBe(a.text);
  });
});

describe("journal storage", () => {
  it("resumes a study across two servers, continuing its trials (grid: no repeats)", async () => {
    const dir = path.join(tmp, "resume");
    const spec = { op: "create", study: "exp/1", space: CONDITIONAL_GRID, direction: "minimize", strategy: "grid", storage: dir };
    const first = await transcript([
      spec,
      { op: "ask", study: "exp/1" },
      { op: "ask", study: "exp/1" },
      { op: "ask", study: "exp/1" },
      { op: "tell", study: "exp/1", trial: 0, value: 3 },
      { op: "report", study: "exp/1", trial: 1, step: 0, value: 2 },
      { op: "tell", study: "exp/1", trial: 2, value: 1 },
    ]);
    expect(first.replies.every((r) => r["ok"])).toBe(true);
    expect(fs.existsSync(path.join(dir, journalFileName("exp/1")))).toBe(true);

    const { send } = client();
    expect(await send({ ...spec, id: "again" })).toEqual({ id: "again", ok: true, study: "exp/1" });
    const trials = (await send({ op: "trials", study: "exp/1" }))["trials"] as Reply[];
    expect(trials.map((t) => [t["trial"], t["state"], t["value"], t["intermediate"]])).toEqual([
      [0, "complete", 3, []],
      [1, "running", null, [[0, 2]]],
      [2, "complete", 1, []],
    ]);
    expect(await send({ op: "best", study: "exp/1" })).toMatchObject({ trial: 2, value: 1 });
    // The running trial from the first server can still be finished here.
    expect(await send({ op: "report", study: "exp/1", trial: 1, step: 1, value: 1.5 })).toMatchObject({ ok: true });
    expect(await send({ op: "tell", study: "exp/1", trial: 1, value: 1.5 })).toEqual({ id: null, ok: true });
    const seen = new Set(trials.map((t) => JSON.stringify(t["params"])));
    let n = 3;
    for (;;) {
      const r = await send({ op: "ask", study: "exp/1" });
      if (r["done"]) break;
      expect(r["trial"]).toBe(n++);
      seen.add(JSON.stringify(r["params"]));
    }
    expect(n).toBe(14);
    expect(seen.size).toBe(14);

    const other = client();
    expect(await other.send({ ...spec, direction: "maximize" })).toMatchObject({ ok: false, code: "study.mismatch", field: "direction" });
    expect(await other.send({ ...spec, space: GRID_SPACE })).toMatchObject({ ok: false, code: "study.mismatch", field: "space" });
  });

  it("resolves a relative directory against the server's working directory, keeping the seed", async () => {
    const cwd = path.join(tmp, "cwd");
    fs.mkdirSync(cwd);
    const req = create("rel", { storage: ".tunelab", seed: 99 });
    const a = await transcript([req, { op: "ask", study: "rel" }], { cwd });
    expect(fs.existsSync(path.join(cwd, ".tunelab", "rel.jsonl"))).toBe(true);
    // Resumed without a seed: the stored one, so trial 1 is what an uninterrupted run would give.
    const { seed: _seed, ...noSeed } = req;
    const b = await transcript([noSeed, { op: "ask", study: "rel" }], { cwd });
    const whole = await transcript([create("rel", { seed: 99 }), { op: "ask", study: "rel" }, { op: "ask", study: "rel" }]);
    expect(a.replies[1]).toEqual(whole.replies[1]);
    expect(b.replies[1]).toEqual(whole.replies[2]);
  });

  it("sends journal warnings to the log, never to the output", async () => {
    const dir = path.join(tmp, "torn");
    await transcript([create("t", { storage: dir }), { op: "ask", study: "t" }]);
    fs.appendFileSync(path.join(dir, "t.jsonl"), '{"op":"end","n":0,"sta');
    const { replies, log } = await transcript([create("t", { storage: dir, id: 1 }), { op: "trials", study: "t", id: 2 }, { op: "tell", study: "t", trial: 0, value: 1, id: 3 }]);
    expect(replies.map((r) => [r["id"], r["ok"]])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(log.some((m) => m.includes("incomplete"))).toBe(true);
  });
});
