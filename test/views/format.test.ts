import { describe, expect, it } from "vitest";
import { formatDuration, formatNumber, formatParams, formatValue } from "../../src/views/format";
import { SPACE } from "./fixtures";

describe("formatNumber", () => {
  it.each([
    [0, "0"],
    [3, "3"],
    [-42, "-42"],
    [12.5, "12.5"],
    [0.1 + 0.2, "0.3"],
    [0.000123456, "1.235e-4"],
    [0.001, "0.001"],
    [1234.56, "1235"],
    [123456.7, "123457"],
    [2_000_000, "2e6"],
    [Math.PI, "3.142"],
    [-0.5, "-0.5"],
    [Infinity, "∞"],
    [-Infinity, "-∞"],
    [NaN, "NaN"],
  ])("%s -> %s", (v, text) => {
    expect(formatNumber(v)).toBe(text);
  });

  it("gives an empty text for missing values", () => {
    expect(formatNumber(null)).toBe("");
    expect(formatNumber(undefined)).toBe("");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0 ms"],
    [850.4, "850 ms"],
    [1234, "1.23 s"],
    [12_340, "12.3 s"],
    [60_000, "1 min"],
    [125_000, "2 min 5 s"],
    [3_600_000 + 180_000, "1 h 3 min"],
  ])("%s ms -> %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("gives an empty text for running trials and nonsense", () => {
    expect(formatDuration(null)).toBe("");
    expect(formatDuration(-1)).toBe("");
    expect(formatDuration(NaN)).toBe("");
  });
});

describe("formatValue and formatParams", () => {
  it("formats numbers of numeric parameters and keeps choices as declared", () => {
    expect(formatValue(0.000123456, SPACE.lr)).toBe("1.235e-4");
    expect(formatValue(0.000123456, { type: "categorical", choices: [0.000123456] })).toBe("0.000123456");
    expect(formatValue(true)).toBe("true");
    expect(formatValue(null)).toBe("");
  });

  it("lists present parameters in the given order", () => {
    expect(formatParams({ opt: "sgd", lr: 0.01, junk: { a: 1 } as never }, ["lr", "momentum", "opt", "junk"], SPACE)).toBe("lr=0.01, opt=sgd");
  });
});
