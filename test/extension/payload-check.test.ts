// The extension's gate for hostile payloads: every payload the kernel makes passes; anything
// else is rejected whole, with a code, the field at fault and a sentence naming the value seen.
import { describe, expect, it } from "vitest";
import { checkPayload } from "../../extension/src/payload-check";
import { payload as kernelPayload, sampleTrials } from "../views/fixtures";
import { hostilePayload, syntheticPayload } from "./study-fixtures";

type Mutable = Record<string, unknown> & { study: Record<string, unknown>; trials: Record<string, unknown>[] };

/** A deep copy of a valid payload, changed by `edit`. */
function broken(edit: (p: Mutable) => void): unknown {
  const p = JSON.parse(JSON.stringify(syntheticPayload({ trials: 4, params: 3, steps: 2 }))) as Mutable;
  edit(p);
  return p;
}

describe("checkPayload", () => {
  it("accepts what the kernel sends: toPayload of a snapshot with every state, and views of one chart", () => {
    const p = kernelPayload(sampleTrials(), {}, true);
    expect(checkPayload(p)).toEqual({ ok: true, payload: p });
    expect(checkPayload({ ...p, view: "parallel" }).ok).toBe(true);
    expect(checkPayload(JSON.parse(JSON.stringify(p))).ok).toBe(true); // as it arrives, through JSON
  });

  it("accepts payloads of older tunelab, without paramOrder, metricOrder and storage", () => {
    const p = kernelPayload(sampleTrials(), {}, true);
    const { paramOrder: _p, metricOrder: _m, ...old } = p.study;
    expect(p.study.paramOrder).toEqual(["lr", "layers", "opt", "momentum"]);
    expect(checkPayload({ ...p, study: old }).ok).toBe(true);
    expect(checkPayload({ ...p, study: { ...p.study, storage: "journal" } }).ok).toBe(true);
  });

  it("accepts large synthetic studies and hostile strings (they are only ever shown as text)", () => {
    expect(checkPayload(syntheticPayload({ trials: 2000, params: 10 })).ok).toBe(true);
    expect(checkPayload(hostilePayload()).ok).toBe(true);
  });

  it.each([
    ["not an object", () => "payload", "payload.not_object", "payload"],
    ["a newer version", () => broken((p) => (p.version = 2)), "payload.version", "version"],
    ["no study", () => broken((p) => delete (p as Record<string, unknown>).study), "payload.not_object", "study"],
    ["an unknown direction", () => broken((p) => (p.study.direction = "up")), "payload.not_allowed", "study.direction"],
    ["a metric that is not a string", () => broken((p) => (p.study.metric = 3)), "payload.not_string", "study.metric"],
    ["an unknown parameter type", () => broken((p) => ((p.study.space as Record<string, { type: string }>).lr!.type = "complex")), "payload.not_allowed", 'study.space["lr"].type'],
    ["a log scale from 0", () => broken((p) => ((p.study.space as Record<string, { low: number }>).lr!.low = 0)), "payload.log_low", 'study.space["lr"].low'],
    ["choices that are objects", () => broken((p) => ((p.study.space as Record<string, { choices: unknown }>).opt!.choices = [{}])), "payload.bad_choices", 'study.space["opt"].choices'],
    ["a parameter named __proto__", () => broken((p) => (p.study.space = JSON.parse('{"__proto__": {"type": "int", "low": 0, "high": 1}}'))), "payload.bad_name", 'study.space["__proto__"]'],
    ["trials that are not an array", () => broken((p) => (p.trials = {} as never)), "payload.not_array", "trials"],
    ["an unknown state", () => broken((p) => (p.trials[1]!.state = "exploded")), "payload.not_allowed", "trials[1].state"],
    ["a negative trial number", () => broken((p) => (p.trials[0]!.number = -1)), "payload.not_index", "trials[0].number"],
    ["a parameter value that is an object", () => broken((p) => ((p.trials[2]!.params as Record<string, unknown>).lr = { x: 1 })), "payload.bad_param", 'trials[2].params["lr"]'],
    ["a value that is a string", () => broken((p) => (p.trials[0]!.value = "0.5")), "payload.not_finite", "trials[0].value"],
    ["a non-finite metric", () => broken((p) => (p.trials[0]!.metrics = { acc: Infinity })), "payload.not_finite", 'trials[0].metrics["acc"]'],
    ["an intermediate value that is not a pair", () => broken((p) => (p.trials[0]!.intermediate = [[1, 2, 3]])), "payload.bad_step", "trials[0].intermediate[0]"],
    ["an error that is not text", () => broken((p) => (p.trials[3]!.error = { html: "<b>" })), "payload.not_string", "trials[3].error"],
    ["a missing system object", () => broken((p) => delete p.trials[0]!.system), "payload.not_object", "trials[0].system"],
    ["running that is not a boolean", () => broken((p) => (p.running = "yes")), "payload.not_boolean", "running"],
    ["a paramOrder that is not a list", () => broken((p) => (p.study.paramOrder = "lr,layers")), "payload.not_array", "study.paramOrder"],
    ["a paramOrder missing a parameter", () => broken((p) => (p.study.paramOrder = ["lr", "layers"])), "payload.bad_order", "study.paramOrder"],
    ["a paramOrder naming one that isn't there", () => broken((p) => (p.study.paramOrder = ["lr", "layers", "opt", "nope"])), "payload.bad_order", "study.paramOrder"],
    ["a paramOrder naming one twice", () => broken((p) => (p.study.paramOrder = ["lr", "layers", "lr", "opt"])), "payload.bad_order", "study.paramOrder"],
    ["a paramOrder entry that is not text", () => broken((p) => (p.study.paramOrder = ["lr", 2, "opt"])), "payload.not_string", "study.paramOrder[1]"],
    ["a metricOrder entry that is not text", () => broken((p) => (p.study.metricOrder = [{}])), "payload.not_string", "study.metricOrder[0]"],
    ["an unknown storage", () => broken((p) => (p.study.storage = "cloud")), "payload.not_allowed", "study.storage"],
    ["an unknown view", () => broken((p) => (p.view = "graph")), "payload.not_allowed", "view"],
    ["too many trials", () => broken((p) => (p.trials = new Array(200_001))), "payload.too_large", "trials"],
  ])("rejects %s", (_what, make, code, field) => {
    const r = checkPayload(make());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.code).toBe(code);
    expect(r.problem.field).toBe(field);
    expect(r.problem.message.startsWith(field)).toBe(true); // names the field first ...
    expect(r.problem.message).toMatch(/but got .+\.$/); // ... and the value seen
  });

  it("says which version it reads when a newer kernel wrote the output", () => {
    const r = checkPayload(broken((p) => (p.version = 2)));
    expect(!r.ok && r.problem.message).toContain("application/vnd.tunelab.study.v1+json");
  });

  it("shortens a long value in the message", () => {
    const r = checkPayload(broken((p) => (p.trials[0]!.state = "x".repeat(500))));
    expect(!r.ok && r.problem.message.length).toBeLessThan(200);
  });
});
