import { describe, expect, it } from "vitest";
import { tableData } from "../../src/views/table";
import { payload, trial } from "./fixtures";

describe("tableData", () => {
  it("has number, state, objective, each parameter, the other metrics, duration and error columns", () => {
    expect(tableData(payload()).columns).toEqual([
      { key: "number", kind: "number", label: "#", numeric: true },
      { key: "state", kind: "state", label: "state", numeric: false },
      { key: "value", kind: "value", label: "loss", numeric: true },
      { key: "param:lr", kind: "param", label: "lr", name: "lr", numeric: true },
      { key: "param:layers", kind: "param", label: "layers", name: "layers", numeric: true },
      { key: "param:opt", kind: "param", label: "opt", name: "opt", numeric: false },
      { key: "param:momentum", kind: "param", label: "momentum", name: "momentum", numeric: true },
      { key: "metric:acc", kind: "metric", label: "acc", name: "acc", numeric: true },
      { key: "duration", kind: "duration", label: "duration", numeric: true },
      { key: "error", kind: "error", label: "error", numeric: false },
    ]);
  });

  it("gives one row per trial with raw values, texts, and the best trial marked", () => {
    const t = tableData(payload());
    expect(t.bestNumber).toBe(3);
    expect(t.rows).toEqual([
      {
        number: 0,
        state: "complete",
        value: 0.5,
        valueText: "0.5",
        params: { lr: 0.01, layers: 2, opt: "sgd", momentum: 0.9 },
        paramsText: { lr: "0.01", layers: "2", opt: "sgd", momentum: "0.9" },
        metrics: { acc: 0.8 },
        metricsText: { acc: "0.8" },
        duration: 1500,
        durationText: "1.5 s",
        error: null,
        best: false,
      },
      {
        number: 1,
        state: "failed",
        value: null,
        valueText: "",
        params: { lr: 1e-4, layers: 5, opt: "adam", momentum: null },
        paramsText: { lr: "1e-4", layers: "5", opt: "adam", momentum: "" },
        metrics: { acc: null },
        metricsText: { acc: "" },
        duration: 250,
        durationText: "250 ms",
        error: "Error: diverged",
        best: false,
      },
      {
        number: 2,
        state: "pruned",
        value: 0.9,
        valueText: "0.9",
        params: { lr: 1, layers: 1, opt: "rmsprop", momentum: null },
        paramsText: { lr: "1", layers: "1", opt: "rmsprop", momentum: "" },
        metrics: { acc: null },
        metricsText: { acc: "" },
        duration: 65_000,
        durationText: "1 min 5 s",
        error: null,
        best: false,
      },
      {
        number: 3,
        state: "complete",
        value: 0.25,
        valueText: "0.25",
        params: { lr: 0.001, layers: 3, opt: "adam", momentum: null },
        paramsText: { lr: "0.001", layers: "3", opt: "adam", momentum: "" },
        metrics: { acc: 0.9 },
        metricsText: { acc: "0.9" },
        duration: 2500,
        durationText: "2.5 s",
        error: null,
        best: true,
      },
      {
        number: 4,
        state: "running",
        value: null,
        valueText: "",
        params: { lr: 0.1, layers: 4, opt: "sgd", momentum: 0.5 },
        paramsText: { lr: "0.1", layers: "4", opt: "sgd", momentum: "0.5" },
        metrics: { acc: null },
        metricsText: { acc: "" },
        duration: null,
        durationText: "",
        error: null,
        best: false,
      },
    ]);
  });

  it("marks the best in the study's direction, the first on ties, and sorts rows by number", () => {
    const trials = [trial(2, { value: 5, finishedAt: 1 }), trial(0, { value: 7, finishedAt: 1 }), trial(1, { value: 7, finishedAt: 1 })];
    const max = tableData(payload(trials, { direction: "maximize" }));
    expect(max.rows.map((r) => [r.number, r.best])).toEqual([[0, true], [1, false], [2, false]]);
    expect(tableData(payload(trials)).bestNumber).toBe(2);
  });

  it("has no best row when no trial is complete", () => {
    const t = tableData(payload([trial(0, { state: "pruned", value: 1 })]));
    expect(t.bestNumber).toBeNull();
    expect(t.rows[0]!.best).toBe(false);
  });
});
