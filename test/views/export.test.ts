// The one CSV writer and the JSON export (src/views/analysis/export.ts): every table, however
// hostile its strings, reads back cell for cell through a real CSV parser (papaparse), with
// formula-looking text defused by a leading ' and lone surrogates written as U+FFFD; the export's
// rows and columns follow the trials (and a given order); the DSL's toCSV() writes the same.
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { combineExports, csvCell, csvText, exportData, exportText, toCSV, type ExportCell } from "../../src/views/analysis/export";
import { tune } from "../../src/dsl/tuner";
import { float, choice } from "../../src/space/builders";
import { toPayload } from "../../src/views/payload";
import { HOSTILE, payload, trial } from "./fixtures";

type Papa = { parse(text: string, config?: object): { data: string[][]; errors: unknown[] } };
const Papa = createRequire(__filename)("papaparse") as Papa;

function parseCsv(text: string): string[][] {
  const out = Papa.parse(text, { delimiter: ",", newline: "\r\n", quoteChar: "\"", header: false, skipEmptyLines: false });
  expect(out.errors).toEqual([]);
  const rows = out.data;
  // The final line end leaves one empty record behind.
  if (rows.length > 0 && rows[rows.length - 1]!.length === 1 && rows[rows.length - 1]![0] === "") rows.pop();
  return rows;
}

/** What a cell reads back as: text well formed and defused, numbers as JavaScript prints them, null empty. */
function expected(v: ExportCell): string {
  if (v === null) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "boolean") return String(v);
  const s = v.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** Strings built to break a CSV: quotes, separators, line breaks, formula prefixes, lone surrogates, any code point. */
const hostileText = fc.oneof(
  fc.string({ unit: fc.constantFrom('"', ",", "\n", "\r", "\r\n", "=", "+", "-", "@", "\t", "'", " ", "a", "\uD800", "\uDC00", "\uD83D\uDE00", "é") , maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.constantFrom("=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", HOSTILE, ""),
);
const cell: fc.Arbitrary<ExportCell> = fc.oneof(hostileText, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));

describe("csvText: RFC 4180, read back by a real parser", () => {
  it("every table reads back cell for cell, and no text cell starts a formula", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }).chain((n) => fc.tuple(fc.array(hostileText, { minLength: n, maxLength: n }), fc.array(fc.array(cell, { minLength: n, maxLength: n }), { maxLength: 6 }))), ([columns, rows]) => {
        const text = csvText(columns, rows);
        expect(text.endsWith("\r\n")).toBe(true);
        const back = parseCsv(text);
        expect(back).toEqual([columns.map(expected), ...rows.map((r) => r.map(expected))]);
        // Only numbers may start with "-" (a negative number is not a formula); no text cell does.
        rows.forEach((r, i) => r.forEach((v, j) => typeof v === "string" && expect(back[i + 1]![j]!).not.toMatch(/^[=+\-@\t\r]/)));
      }),
      { numRuns: 200 },
    );
  });

  it("defuses formulas, quotes what needs it, and writes lone surrogates as U+FFFD", () => {
    expect(csvCell("=SUM(A1:A9)")).toBe("'=SUM(A1:A9)");
    expect(csvCell("+1")).toBe("'+1");
    expect(csvCell("-1")).toBe("'-1");
    expect(csvCell(-1)).toBe("-1");
    expect(csvCell("@x")).toBe("'@x");
    expect(csvCell("\t=1")).toBe("'\t=1");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("=a\nb")).toBe(`"'=a\nb"`);
    expect(csvCell("x\uD800y")).toBe("x\uFFFDy");
    expect(csvCell("\uDC00")).toBe("\uFFFD");
    expect(csvCell("\uD83D\uDE00")).toBe("\uD83D\uDE00");
    expect(csvCell(Number.NaN)).toBe("");
    expect(csvCell(null)).toBe("");
    expect(csvCell(false)).toBe("false");
  });
});

describe("exportData", () => {
  it("has a column per parameter, metric and user attribute, and a row per trial in number order", () => {
    const p = payload();
    const d = exportData(p);
    expect(d.columns).toEqual(["number", "state", "value", "params_lr", "params_layers", "params_opt", "params_momentum", "metrics_acc", "datetime_start", "datetime_complete", "duration", "error"]);
    expect(d.rows.map((r) => r[0])).toEqual([0, 1, 2, 3, 4]);
    expect(d.rows[0]).toEqual([0, "complete", 0.5, 0.01, 2, "sgd", 0.9, 0.8, new Date(0).toISOString(), new Date(1500).toISOString(), 1.5, null]);
    // Inactive parameter, failed trial's error, running trial without an end.
    expect(d.rows[1]).toEqual([1, "failed", null, 1e-4, 5, "adam", null, null, new Date(1000).toISOString(), new Date(1250).toISOString(), 0.25, "Error: diverged"]);
    expect(d.rows[4]!.slice(-3)).toEqual([null, null, null]);
    expect(d.records[3]).toMatchObject({ number: 3, value: 0.25, params: { lr: 0.001, layers: 3, opt: "adam", momentum: null }, metrics: { acc: 0.9 } });
  });

  it("writes the trials a given order names, in that order (the table's filtered, sorted rows)", () => {
    const d = exportData(payload(), [3, 0, 99, 2]);
    expect(d.rows.map((r) => r[0])).toEqual([3, 0, 2]);
    expect(parseCsv(toCSV(d)).map((r) => r[0])).toEqual(["number", "3", "0", "2"]);
  });

  it("adds user attributes as columns (objects as JSON text) when the trials carry them", () => {
    const p = payload([trial(0, { value: 1, finishedAt: 10 }), trial(1, { value: 2, finishedAt: 20 })]);
    const withAttrs = { ...p, trials: p.trials.map((t, i) => ({ ...t, attrs: i === 0 ? { seed: 7, tag: "=cmd" } : { tag: "b", extra: { a: [1] } } })) };
    const d = exportData(withAttrs);
    expect(d.columns.filter((c) => c.startsWith("user_attrs_"))).toEqual(["user_attrs_seed", "user_attrs_tag", "user_attrs_extra"]);
    const back = parseCsv(toCSV(d));
    const col = (name: string) => back[0]!.indexOf(name);
    expect(back[1]![col("user_attrs_tag")]).toBe("'=cmd");
    expect(back[2]![col("user_attrs_extra")]).toBe('{"a":[1]}');
    expect(back[2]![col("user_attrs_seed")]).toBe("");
    expect(d.records[1]!.user_attrs).toEqual({ tag: "b", extra: { a: [1] } });
  });

  it("hostile parameter names and values are defused in the header and the cells", () => {
    const p = payload([trial(0, { params: { [HOSTILE]: "=1+1" }, value: 1, finishedAt: 5 })], { space: { [HOSTILE]: { type: "categorical", choices: ["=1+1"] } } });
    const back = parseCsv(toCSV(exportData(p)));
    expect(back[0]![3]).toBe(`params_${HOSTILE}`);
    expect(back[1]![3]).toBe("'=1+1");
  });

  it("JSON is an array of the records, JSON lines one record per line", () => {
    const d = exportData(payload());
    expect(JSON.parse(exportText(d, "json"))).toEqual(JSON.parse(JSON.stringify(d.records)));
    const lines = exportText(d, "jsonl").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).number)).toEqual([0, 1, 2, 3, 4]);
    expect(exportText(exportData(payload([])), "jsonl")).toBe("");
  });

  it("combineExports: a study column, the union of the columns, rows in the given order", () => {
    const a = exportData(payload());
    const b = exportData(payload([trial(0, { params: { lr: 0.5 }, value: 3, metrics: { f1: 0.1 }, finishedAt: 9 })]));
    const c = combineExports([{ label: "a", data: a }, { label: "b", data: b }], [{ study: "b", number: 0 }, { study: "a", number: 3 }, { study: "c", number: 1 }]);
    expect(c.columns[0]).toBe("study");
    expect(c.columns).toContain("metrics_f1");
    expect(c.columns).toContain("metrics_acc");
    expect(c.rows.map((r) => [r[0], r[1]])).toEqual([["b", 0], ["a", 3]]);
    expect(c.rows[0]![c.columns.indexOf("metrics_acc")]).toBeNull();
    expect(c.records.map((r) => r.study)).toEqual(["b", "a"]);
    expect(combineExports([{ label: "a", data: a }]).rows).toHaveLength(5);
  });
});

describe("study.toCSV()", () => {
  it("writes the study's trials with the shared writer", async () => {
    const study = tune("export-dsl")
      .space({ x: float(0, 1), opt: choice(["=a", "b"]) })
      .minimize()
      .strategy("random")
      .seed(3)
      .limits({ trials: 6 })
      .storage("memory")
      .display(false)
      .objective(({ x }) => (x > 0.8 ? Promise.reject(new Error('=boom, "quoted"')) : x));
    await study.run();
    const csv = study.toCSV();
    const back = parseCsv(csv);
    expect(back[0]!.slice(0, 5)).toEqual(["number", "state", "value", "params_x", "params_opt"]);
    expect(back).toHaveLength(7);
    const opened = await study.open();
    expect(csv).toBe(toCSV(exportData(toPayload(opened.snapshot, false))));
    expect(study.toRecords().map((r) => r.number)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const row of back.slice(1)) expect(row[4]).toMatch(/^('=a|b)$/);
  });

  it("refuses before the study is open", () => {
    expect(() => tune("never-opened").toCSV()).toThrow(expect.objectContaining({ code: "dsl.not_open" }));
  });
});
