// The system-record fields the learning curves read (issue 6: bracket, rungs, rung values, why
// a trial stopped) pass the extension's payload gate when the kernel wrote them, and a payload
// whose records are malformed is rejected whole with the field named.
import { describe, expect, it } from "vitest";
import { checkPayload } from "../../extension/src/payload-check";
import { hyperbandPayload } from "./study-fixtures";

type Trial = { system: Record<string, unknown> };

function broken(edit: (system: Record<string, unknown>) => void): unknown {
  const p = JSON.parse(JSON.stringify(hyperbandPayload({ trials: 6, median: [5] }))) as { trials: Trial[] };
  edit(p.trials[1]!.system);
  return p;
}

describe("checkPayload on multi-fidelity system records", () => {
  it("accepts a Hyperband study (brackets, rungs, rung values, stopped rung/median), also through JSON", () => {
    const p = hyperbandPayload({ trials: 60, median: [9, 14], failed: [4], running: 2 });
    expect(checkPayload(p).ok).toBe(true);
    expect(checkPayload(JSON.parse(JSON.stringify(p))).ok).toBe(true);
    // A NaN rung value arrives as null; other strategies' keys are not looked at.
    expect(checkPayload(broken((s) => Object.assign(s, { hyperband: { bracket: 1, rungs: [3, 9], values: [null] }, model: { any: ["thing"] } }))).ok).toBe(true);
  });

  it.each([
    ["a hyperband record that is not an object", (s: Record<string, unknown>) => (s.hyperband = [1]), "payload.not_object", "trials[1].system.hyperband"],
    ["a bracket that is not a number", (s: Record<string, unknown>) => (s.hyperband = { bracket: "<b>1</b>", rungs: [], values: [] }), "payload.not_finite", "trials[1].system.hyperband.bracket"],
    ["a fractional bracket", (s: Record<string, unknown>) => (s.hyperband = { bracket: 0.5, rungs: [], values: [] }), "payload.bad_bracket", "trials[1].system.hyperband.bracket"],
    ["a huge bracket", (s: Record<string, unknown>) => (s.hyperband = { bracket: 1e6, rungs: [], values: [] }), "payload.bad_bracket", "trials[1].system.hyperband.bracket"],
    ["rungs out of order", (s: Record<string, unknown>) => (s.hyperband = { bracket: 0, rungs: [9, 3], values: [] }), "payload.bad_rungs", "trials[1].system.hyperband.rungs"],
    ["rungs that are strings", (s: Record<string, unknown>) => (s.hyperband = { bracket: 0, rungs: ["x"], values: [] }), "payload.bad_rungs", "trials[1].system.hyperband.rungs"],
    ["too many rungs", (s: Record<string, unknown>) => (s.hyperband = { bracket: 0, rungs: Array.from({ length: 1000 }, (_, i) => i), values: [] }), "payload.bad_rungs", "trials[1].system.hyperband.rungs"],
    ["rung values that are objects", (s: Record<string, unknown>) => (s.hyperband = { bracket: 0, rungs: [1], values: [{}] }), "payload.bad_rung_values", "trials[1].system.hyperband.values"],
    ["no rung values", (s: Record<string, unknown>) => (s.hyperband = { bracket: 0, rungs: [1] }), "payload.bad_rung_values", "trials[1].system.hyperband.values"],
    ["a stop reason that is not text", (s: Record<string, unknown>) => (s.stopped = { rule: "rung" }), "payload.not_string", "trials[1].system.stopped"],
  ])("rejects %s", (_what, edit, code, field) => {
    const r = checkPayload(broken(edit));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problem.code).toBe(code);
    expect(r.problem.field).toBe(field);
    expect(r.problem.message).toMatch(/but got .+\.$/);
  });
});
