import { describe, expect, it } from "vitest";
import type { DataFrame } from "danfojs-node";
import { trialColumns, trialsDataFrame } from "../../src/notebook/dataframe";
import { tune, float } from "../../src/index";
import { snapshot } from "../views/fixtures";

describe("trialColumns", () => {
  it("has number, state, value, one column per parameter, one per metric, duration in seconds and error", () => {
    expect(trialColumns(snapshot())).toEqual({
      number: [0, 1, 2, 3, 4],
      state: ["complete", "failed", "pruned", "complete", "running"],
      value: [0.5, null, 0.9, 0.25, null],
      params_lr: [0.01, 1e-4, 1, 0.001, 0.1],
      params_layers: [2, 5, 1, 3, 4],
      params_opt: ["sgd", "adam", "rmsprop", "adam", "sgd"],
      params_momentum: [0.9, null, null, null, 0.5],
      metrics_loss: [0.5, null, null, 0.25, null],
      metrics_acc: [0.8, null, null, 0.9, null],
      duration: [1.5, 0.25, 65, 2.5, null],
      error: [null, "Error: diverged", null, null, null],
    });
  });
});

describe("trialsDataFrame", () => {
  it("is a danfojs DataFrame with one row per trial", () => {
    const df: DataFrame = trialsDataFrame(snapshot());
    expect(df.shape).toEqual([5, 11]);
    expect(df.columns.slice(0, 4)).toEqual(["number", "state", "value", "params_lr"]);
    expect(df.column("params_opt").values).toEqual(["sgd", "adam", "rmsprop", "adam", "sgd"]);
    expect(df.column("value").values).toEqual([0.5, null, 0.9, 0.25, null]);
  });

  it("has the columns and no rows for a study without trials", () => {
    const df = trialsDataFrame(snapshot([]));
    expect(df.shape).toEqual([0, 9]);
    expect(df.columns).toEqual(["number", "state", "value", "params_lr", "params_layers", "params_opt", "params_momentum", "duration", "error"]);
  });

  it("comes from study.dataframe() once the study is open", async () => {
    const study = tune("df").space({ x: float(0, 1) }).minimize().strategy("random", { seed: 1 }).storage("memory").limits({ trials: 4 }).display(false).objective((p) => p.x);
    expect(() => study.dataframe()).toThrow(expect.objectContaining({ code: "dsl.not_open" }));
    await study.run();
    const df = study.dataframe();
    expect(df.shape[0]).toBe(4);
    expect(df.column("params_x").values).toEqual(study.trials.map((t) => t.params.x));
  });
});
