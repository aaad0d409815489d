// The declared order of parameters (and the order of the other metrics) survives a notebook's
// save: nbformat writes a notebook's JSON with sorted keys, so the space's keys come back
// alphabetical; the payload carries the order explicitly and every view follows it. Payloads of
// older tunelab (no paramOrder) keep the keys' order.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ParamDef, SpaceDef } from "../../src/space/types";
import { curvesData } from "../../src/views/curves";
import { formatNumber } from "../../src/views/format";
import { parallelData } from "../../src/views/parallel";
import type { StudyPayload } from "../../src/views/payload";
import { otherMetricNames, paramNames, summarize } from "../../src/views/summary";
import { tableData } from "../../src/views/table";
import { payload, trial } from "./fixtures";

/** What saving a notebook does to an output: JSON with every object's keys sorted (nbformat's sort_keys). */
export function savedAndReopened<T>(value: T): T {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]));
  };
  return JSON.parse(JSON.stringify(sort(value))) as T;
}

const DECLARED = ["lr", "layers", "opt", "dropout"];
const SPACE: SpaceDef = {
  lr: { type: "float", low: 1e-4, high: 1, scale: "log" },
  layers: { type: "int", low: 1, high: 6 },
  opt: { type: "categorical", choices: ["sgd", "adam"] },
  dropout: { type: "float", low: 0, high: 0.5 },
};

function study(): StudyPayload {
  const params = { lr: 0.01, layers: 2, opt: "adam", dropout: 0.1 };
  return payload(
    [
      trial(0, { params, value: 0.5, metrics: { loss: 0.5, zeta: 1, accuracy: 0.9 }, intermediate: [[1, 0.7]], finishedAt: 900 }),
      trial(1, { params, value: 0.4, metrics: { loss: 0.4, zeta: 2, accuracy: 0.8, beta: 3 }, finishedAt: 1900 }),
    ],
    { space: SPACE },
  );
}

/** Every place a view lists parameters (or metrics), as name lists. */
function orders(p: StudyPayload) {
  const table = tableData(p);
  return {
    names: paramNames(p),
    columns: table.columns.filter((c) => c.kind === "param").map((c) => c.name),
    metrics: table.columns.filter((c) => c.kind === "metric").map((c) => c.name),
    axes: parallelData(p).axes.filter((a) => !a.objective).map((a) => a.name),
    curve: curvesData(p).trials[0]?.params,
    best: summarize(p).best?.params,
  };
}

describe("the declared parameter order", () => {
  it("is carried in the payload and kept by every view after a save and reopen", () => {
    const p = study();
    expect(p.study.paramOrder).toEqual(DECLARED);
    expect(p.study.metricOrder).toEqual(["zeta", "accuracy", "beta"]);
    const reopened = savedAndReopened(p);
    expect(Object.keys(reopened.study.space)).toEqual(["dropout", "layers", "lr", "opt"]); // what nbformat does
    const text = "lr=0.01, layers=2, opt=adam, dropout=0.1";
    const want = { names: DECLARED, columns: DECLARED, metrics: ["zeta", "accuracy", "beta"], axes: DECLARED, curve: text, best: text };
    expect(orders(p)).toEqual(want);
    expect(orders(reopened)).toEqual(want);
  });

  it("falls back to the keys' order for payloads of older tunelab, which have no paramOrder", () => {
    const { paramOrder: _p, metricOrder: _m, ...old } = study().study;
    const p = { ...study(), study: old };
    expect(orders(p).axes).toEqual(DECLARED);
    expect(orders(savedAndReopened(p)).axes).toEqual(["dropout", "layers", "lr", "opt"]);
    expect(otherMetricNames(p)).toEqual(["zeta", "accuracy", "beta"]);
  });

  it("ignores names paramOrder has that the space lacks, and adds those it forgot", () => {
    const p = study();
    const odd = { ...p, study: { ...p.study, paramOrder: ["opt", "nope", "lr", "opt"] } };
    expect(paramNames(odd)).toEqual(["opt", "lr", "layers", "dropout"]);
  });

  it("holds for every space: any names, declared in any order", () => {
    const def: ParamDef = { type: "float", low: 0, high: 1 };
    const name = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== "__proto__");
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 12 }), (names) => {
        const space: Record<string, ParamDef> = {};
        for (const n of names) space[n] = def;
        const declared = Object.keys(space); // what the kernel sees (JS puts integer-like keys first)
        const params = Object.fromEntries(declared.map((n, i) => [n, i / 20]));
        const p = payload([trial(0, { params, value: 1, intermediate: [[1, 1]], finishedAt: 5 })], { space });
        const o = orders(savedAndReopened(p));
        const text = declared.map((n, i) => `${n}=${formatNumber(i / 20)}`).join(", ");
        return [o.names, o.columns, o.axes].every((list) => JSON.stringify(list) === JSON.stringify(declared)) && o.curve === text && o.best === text;
      }),
      { numRuns: 200 },
    );
  });
});
