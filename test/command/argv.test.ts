// Command templates: placeholders, literal braces, conditional parameters, and values passed to
// a real process exactly as they are, whatever they hold (no shell in between).
import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkAgainstSpace, expandArgv, parseArgv } from "../../src/command/argv";
import { SearchSpace } from "../../src/space/space";
import { choice, float, int } from "../../src/space/builders";
import { isTunelabError } from "../../src/util/errors";
import { NODE } from "./helpers";

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!isTunelabError(e)) throw e;
    return e.code;
  }
};

const space = SearchSpace.parse({
  lr: float(1e-4, 1, { scale: "log" }),
  opt: choice(["sgd", "adam"]),
  momentum: { ...float(0, 1), when: { opt: ["sgd"] } },
  layers: int(1, 4),
});

describe("placeholders", () => {
  it("fill {name}, {trial}, {budget} and {study}, inside or as whole arguments; other braces are text, {{name}} is {name}", () => {
    const t = parseArgv(["train", "--lr={lr}", "{opt}", "--run", "{study}-{trial}", "--epochs", "{budget}", '{"a": {lr}}', "{{lr}}", "if(a){ b }", "{}"]);
    checkAgainstSpace(t, space);
    expect(expandArgv(t, { params: { lr: 0.01, opt: "adam", layers: 3 }, trial: 7, budget: 27, study: "s" })).toEqual(["train", "--lr=0.01", "adam", "--run", "s-7", "--epochs", "27", '{"a": 0.01}', "{lr}", "if(a){ b }", "{}"]);
    // No budget: the argument is empty (as documented), never left out.
    expect(expandArgv(t, { params: { lr: 1e-7, opt: "adam", layers: 1 }, trial: 0, study: "s" }).slice(0, 7)).toEqual(["train", "--lr=1e-7", "adam", "--run", "s-0", "--epochs", ""]);
  });

  it("leave out an absent conditional parameter with its flag (--flag {p}) or alone (--flag={p})", () => {
    const t = parseArgv(["train", "--momentum", "{momentum}", "--m2={momentum}", "--opt", "{opt}"]);
    checkAgainstSpace(t, space);
    expect(expandArgv(t, { params: { lr: 0.1, opt: "adam", layers: 1 }, trial: 0, study: "s" })).toEqual(["train", "--opt", "adam"]);
    expect(expandArgv(t, { params: { lr: 0.1, opt: "sgd", momentum: 0.9, layers: 1 }, trial: 0, study: "s" })).toEqual(["train", "--momentum", "0.9", "--m2=0.9", "--opt", "sgd"]);
  });

  it("refuse what cannot be run, with the field at fault", () => {
    expect(codeOf(() => parseArgv([]))).toBe("command.bad_argv");
    expect(codeOf(() => parseArgv("python train.py"))).toBe("command.bad_argv");
    expect(codeOf(() => parseArgv(["python", 3]))).toBe("command.bad_argv");
    expect(codeOf(() => parseArgv(["train", "x\u0000y"]))).toBe("command.nul_byte");
    expect(codeOf(() => checkAgainstSpace(parseArgv(["train", "{lrr}"]), space))).toBe("command.unknown_placeholder");
    // A conditional parameter as a positional argument would shift the others when absent.
    expect(codeOf(() => checkAgainstSpace(parseArgv(["train", "{momentum}"]), space))).toBe("command.conditional_alone");
    const withTrial = SearchSpace.parse({ trial: int(0, 3) });
    expect(codeOf(() => checkAgainstSpace(parseArgv(["train", "{trial}"]), withTrial))).toBe("command.ambiguous_placeholder");
    try {
      checkAgainstSpace(parseArgv(["train", "--x", "{lrr}"]), space);
    } catch (e) {
      expect((e as { field?: string }).field).toBe("command[2]");
    }
  });

  it("put any value into an argument exactly: shell characters, quotes, spaces, unicode, braces (property)", () => {
    const value = fc.oneof(
      fc.string({ unit: "binary" }).filter((s) => !s.includes("\u0000")),
      fc.constantFrom("$(touch /tmp/pwned)", "`id`", "a b", "'\"", "; rm -rf /", "{lr}", "-", "--", "*", "\n"),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
    );
    fc.assert(
      fc.property(value, value, (a, b) => {
        const s = SearchSpace.parse({ a: choice([a === "" ? "z" : a].filter((x) => typeof x !== "number" || Number.isFinite(x)) as never), b: choice([b] as never) });
        const t = parseArgv(["prog", "{a}", "--b={b}"]);
        checkAgainstSpace(t, s);
        const argv = expandArgv(t, { params: { a: a === "" ? "z" : a, b }, trial: 1, study: "s" } as never, "command");
        expect(argv[1]).toBe(typeof a === "string" ? (a === "" ? "z" : a) : String(a));
        expect(argv[2]).toBe(`--b=${String(b)}`);
      }),
      { numRuns: 200 },
    );
  });

  it("reach a real process byte for byte, with no shell in between (property)", () => {
    const arg = fc.string({ unit: "grapheme", maxLength: 30 }).filter((s) => !s.includes("\u0000"));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 4 }), (values) => {
        const params: Record<string, string> = {};
        values.forEach((v, i) => (params[`p${i}`] = v));
        const t = parseArgv([NODE, "-e", "process.stdout.write(JSON.stringify(process.argv.slice(1)))", "--", ...values.map((_, i) => `{p${i}}`)]);
        const argv = expandArgv(t, { params, trial: 0, study: "s" });
        const got = JSON.parse(execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8" })) as string[];
        expect(got).toEqual(values);
      }),
      { numRuns: 8 },
    );
  });

  it("refuse a value with a NUL character when the trial starts (no program argument can hold one)", () => {
    const t = parseArgv(["prog", "{a}"]);
    expect(codeOf(() => expandArgv(t, { params: { a: "x\u0000y" }, trial: 0, study: "s" }))).toBe("command.nul_byte");
  });
});
