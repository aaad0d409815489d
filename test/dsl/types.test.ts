/**
 * The DSL's inferred types. The `expectTypeOf` assertions and `@ts-expect-error` lines below do
 * nothing at run time: they are checked by the TypeScript compiler, which the last describe block
 * runs on this very file (so `npm test` fails on a type regression). It also compiles the emitted
 * declarations and a notebook-style snippet with tslab's own TypeScript 5.0.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import { choice, float, int, tune, when } from "../../src/index";
import type { Params, TrialOf } from "../../src/index";

/** Holds assertions about values that exist only once a study has run: type-checked, never called. */
function typeOnly(_check: () => void): void {}

const space = {
  lr: float(1e-5, 1, { scale: "log" }),
  layers: int(1, 4),
  opt: choice(["sgd", "adam"]),
  m: float(0.5, 0.99, { when: { opt: ["sgd"] } }),
  nesterov: when({ opt: ["sgd"] }, choice([true, false])),
  batch: choice([16, 32, 64]),
  amsgrad: choice([true, false], { when: { opt: ["adam"] } }),
  mixed: choice(["auto", 0.5, false]),
};

// One variant per value of the parameter the conditions name: a conditional parameter exists
// only where its condition holds (here, under strictNullChecks, an optional undefined elsewhere).
type Expected =
  | { lr: number; layers: number; batch: 16 | 32 | 64; mixed: "auto" | 0.5 | false; opt: "sgd"; m: number; nesterov: boolean; amsgrad?: undefined }
  | { lr: number; layers: number; batch: 16 | 32 | 64; mixed: "auto" | 0.5 | false; opt: "adam"; m?: undefined; nesterov?: undefined; amsgrad: boolean };

describe("Params<typeof space>", () => {
  it("types each parameter; a conditional one exists only in the variants where its condition holds", () => {
    expectTypeOf<Params<typeof space>>().toEqualTypeOf<Expected>();
    type P = Params<typeof space>;
    expectTypeOf<P["opt"]>().toEqualTypeOf<"sgd" | "adam">();
    expectTypeOf<P["batch"]>().toEqualTypeOf<16 | 32 | 64>();
    expectTypeOf<P["m"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<P>().toHaveProperty("m");
    // Required parameters are required; a conditional one is there exactly where its condition holds.
    const adam: P = { lr: 0.1, layers: 1, opt: "adam", batch: 16, mixed: false, amsgrad: true };
    // @ts-expect-error lr is required
    const missing: P = { layers: 1, opt: "adam", batch: 16, mixed: false, amsgrad: true };
    // @ts-expect-error amsgrad is active when opt is "adam"
    const noAmsgrad: P = { lr: 0.1, layers: 1, opt: "adam", batch: 16, mixed: false };
    // @ts-expect-error m is inactive when opt is "adam"
    const extra: P = { lr: 0.1, layers: 1, opt: "adam", batch: 16, mixed: false, amsgrad: true, m: 0.9 };
    void [adam, missing, noAmsgrad, extra];
  });

  it("when() makes any parameter conditional", () => {
    const s = { opt: choice(["a", "b"]), x: when({ opt: ["a"] }, int(1, 3)), y: when({ opt: ["b"] }, float(0, 1, { step: 0.5 })) };
    expectTypeOf<Params<typeof s>>().toEqualTypeOf<{ opt: "a"; x: number; y?: undefined } | { opt: "b"; x?: undefined; y: number }>();
  });

  it("types numeric, boolean and mixed choices as their literals", () => {
    expectTypeOf<Params<{ n: ReturnType<typeof choice<[1, 2, 3]>> }>>().toEqualTypeOf<{ n: 1 | 2 | 3 }>();
    const s = { b: choice([true, false]), one: choice([true]), n: choice([0.1, 0.01]), s: choice(["x"]) };
    expectTypeOf<Params<typeof s>>().toEqualTypeOf<{ b: boolean; one: true; n: 0.1 | 0.01; s: "x" }>();
  });

  it("types a space written as the protocol's JSON the same way", () => {
    const t = tune("json").space({
      opt: { type: "categorical", choices: ["sgd", "adam"] },
      lr: { type: "float", low: 1e-4, high: 1, scale: "log" },
      m: { type: "float", low: 0.5, high: 0.99, when: { opt: ["sgd"] } },
    });
    typeOnly(() => expectTypeOf(t.best!.params).toEqualTypeOf<{ opt: "sgd"; lr: number; m: number } | { opt: "adam"; lr: number; m?: undefined }>());
  });

  it("rejects options a parameter does not have (at compile time, and the builders at run time)", () => {
    const refused = (code: string) => expect.objectContaining({ code });
    // @ts-expect-error reverse-log is for floats only
    expect(() => int(1, 4, { scale: "reverse-log" })).toThrow(refused("space.bad_scale"));
    // @ts-expect-error not a scale
    expect(() => float(0, 1, { scale: "exp" })).toThrow(refused("space.bad_scale"));
    // @ts-expect-error not an option
    expect(() => float(0, 1, { bogus: 1 })).toThrow(refused("space.unknown_field"));
    // @ts-expect-error choices are strings, numbers or booleans
    expect(() => choice([{ a: 1 }])).toThrow(refused("space.bad_choice"));
  });
});

describe("tune(...) infers the objective's parameters", () => {
  it("types params in objective(), and best, trials, ask, enqueue", () => {
    const t = tune("x")
      .space({
        lr: float(1e-5, 1, { scale: "log" }),
        layers: int(1, 4),
        opt: choice(["sgd", "adam"]),
        m: float(0.5, 0.99, { when: { opt: ["sgd"] } }),
      })
      .minimize("loss")
      .objective((p, trial) => {
        expectTypeOf(p.opt).toEqualTypeOf<"sgd" | "adam">();
        expectTypeOf(p.lr).toEqualTypeOf<number>();
        expectTypeOf(p.layers).toEqualTypeOf<number>();
        expectTypeOf(p.m).toEqualTypeOf<number | undefined>();
        expectTypeOf(trial.params).toEqualTypeOf(p);
        // @ts-expect-error not a parameter of the space
        void p.momentum;
        // @ts-expect-error m may be absent
        const m: number = p.m;
        void m;
        if (p.opt === "sgd") expectTypeOf(p.opt).toEqualTypeOf<"sgd">();
        // Checking the parameter the condition names makes it present.
        if (p.opt === "sgd") expectTypeOf(p.m).toEqualTypeOf<number>();
        return { loss: p.lr * p.layers };
      });
    type P = { lr: number; layers: number; opt: "sgd"; m: number } | { lr: number; layers: number; opt: "adam"; m?: undefined };
    expectTypeOf(t.best?.params).toEqualTypeOf<P | undefined>();
    expectTypeOf(t.best).toEqualTypeOf<TrialOf<P> | undefined>();
    expectTypeOf(t.ask).returns.resolves.toEqualTypeOf<TrialOf<P> | undefined>();
    expectTypeOf(t.enqueue).parameter(0).toEqualTypeOf<P>();
    typeOnly(() => {
      expectTypeOf(t.trials[0]!.params).toEqualTypeOf<P>();
      // @ts-expect-error "rmsprop" is not a choice
      void t.enqueue({ lr: 0.1, layers: 2, opt: "rmsprop" });
      // @ts-expect-error layers is missing
      void t.enqueue({ lr: 0.1, opt: "adam" });
    });
  });

  it("types strategy names and options", () => {
    const t = tune("s").space({ x: float(0, 1, { step: 0.1 }) });
    t.strategy("random", { quasi: "sobol" });
    t.strategy("random", { seed: 3, quasi: "none", quasiTrials: 16 });
    t.strategy("random");
    t.strategy("grid");
    t.strategy("grid", { seed: 1 });
    expectTypeOf(t.strategy("random")).toEqualTypeOf(t);
    typeOnly(() => {
      // @ts-expect-error unknown option
      t.strategy("random", { bogus: 1 });
      // @ts-expect-error bad option value
      t.strategy("random", { quasi: "halton" });
      // @ts-expect-error a random option is not a grid option
      t.strategy("grid", { quasi: "sobol" });
      // @ts-expect-error unknown strategy
      t.strategy("nope");
    });
  });

  it("builds at run time what the types describe", () => {
    // The builder checks at once: the space above is valid and the strategy options are accepted.
    expect(() => tune("rt").space(space).minimize("loss").strategy("random", { quasi: "sobol" })).not.toThrow();
    expect(() => tune("rt").space(space).strategy("random", { bogus: 1 } as never)).toThrow(expect.objectContaining({ code: "option.unknown" }));
  });
});

// ---------------------------------------------------------------------------------------------
// The compiler checks behind the assertions above.

const ROOT = path.resolve(__dirname, "../..");
const THIS_FILE = path.join(ROOT, "test/dsl/types.test.ts");

function format(tsApi: typeof ts, diagnostics: readonly ts.Diagnostic[]): string[] {
  return diagnostics.map((d) => {
    const text = tsApi.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file || d.start === undefined) return text;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path.relative(ROOT, d.file.fileName)}:${line + 1}:${character + 1} ${text}`;
  });
}

function readConfig(file: string): ts.ParsedCommandLine {
  const read = ts.readConfigFile(file, ts.sys.readFile);
  if (read.error) throw new Error(format(ts, [read.error]).join("\n"));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(file));
}

describe("the compiler", () => {
  it("accepts this file's type assertions under test/tsconfig.json, and rejects a wrong one", { timeout: 180_000 }, () => {
    const { options } = readConfig(path.join(ROOT, "test/tsconfig.json"));
    const host = ts.createCompilerHost(options);
    const probe = path.join(ROOT, "test/dsl/__types_probe__.ts");
    const probeText = [
      'import { expectTypeOf } from "vitest";',
      'import { choice, type Params } from "../../src/index";',
      "const s = { opt: choice([\"sgd\", \"adam\"]) };",
      'expectTypeOf<Params<typeof s>["opt"]>().toEqualTypeOf<string>();',
    ].join("\n");
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.fileExists = ((f: string) => f === probe || ts.sys.fileExists(f)) as typeof host.fileExists;
    host.readFile = (f) => (f === probe ? probeText : readFile(f));
    host.getSourceFile = (f, lang, onError, create) => (f === probe ? ts.createSourceFile(f, probeText, lang) : getSourceFile(f, lang, onError, create));

    const program = ts.createProgram([THIS_FILE], options, host);
    expect(format(ts, ts.getPreEmitDiagnostics(program))).toEqual([]);
    // The check is not vacuous: a wrong expectation is a compile error.
    const wrong = ts.createProgram([probe], options, host, program);
    const errors = format(ts, ts.getPreEmitDiagnostics(wrong));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join("\n")).toContain("__types_probe__.ts:4");
  });

  it("the emitted declarations and a notebook snippet compile with tslab's TypeScript 5.0", { timeout: 180_000 }, () => {
    // tslab compiles cells with its own TypeScript (@tslab/typescript-for-tslab), resolved from tslab.
    const tslabTs = require(require.resolve("@tslab/typescript-for-tslab", { paths: [path.dirname(require.resolve("tslab/package.json"))] })) as typeof ts;
    expect(tslabTs.version).toMatch(/^5\.0\./);

    // Emit the declarations as `npm run build` does, into a package laid out as installed: under the
    // project's (git-ignored) tmp/, so that tunelab's own dependencies resolve as they would.
    fs.mkdirSync(path.join(ROOT, "tmp"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, "tmp", "tunelab-dts-"));
    try {
      const pkg = path.join(dir, "node_modules/tunelab");
      const project = readConfig(path.join(ROOT, "tsconfig.json"));
      const emitOptions: ts.CompilerOptions = { ...project.options, outDir: path.join(pkg, "dist"), emitDeclarationOnly: true, declaration: true, sourceMap: false, declarationMap: false, noEmit: false };
      const built = ts.createProgram(project.fileNames, emitOptions);
      const emitted = built.emit();
      expect(format(ts, [...ts.getPreEmitDiagnostics(built), ...emitted.diagnostics])).toEqual([]);
      const rootPkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { main: string; types: string };
      fs.writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "tunelab", main: rootPkg.main, types: rootPkg.types }));
      expect(fs.existsSync(path.join(pkg, rootPkg.types))).toBe(true);

      const snippet = path.join(dir, "cell.ts");
      fs.writeFileSync(
        snippet,
        [
          'import { tune, float, int, choice, when, SearchSpace, type Params } from "tunelab";',
          "const space = {",
          '  lr: float(1e-5, 1, { scale: "log" }),',
          "  layers: int(1, 4),",
          '  opt: choice(["sgd", "adam"]),',
          '  m: float(0.5, 0.99, { scale: "reverse-log", when: { opt: ["sgd"] } }),',
          '  nesterov: when({ opt: ["sgd"] }, choice([true, false])),',
          "};",
          "type P = Params<typeof space>;",
          'const p0: P = { lr: 0.1, layers: 2, opt: "adam" };',
          "const study = tune(\"cell\")",
          "  .space(space)",
          '  .minimize("loss")',
          '  .strategy("random", { seed: 7, quasi: "sobol" })',
          '  .storage("memory")',
          "  .limits({ trials: 3 })",
          "  .objective(async (p, trial) => {",
          '    const o: "sgd" | "adam" = p.opt;',
          "    const lr: number = p.lr;",
          "    await trial.report(0, lr);",
          "    // @ts-expect-error m exists only where opt is \"sgd\" (non-strict: no such property; strict: possibly undefined)",
          "    const unchecked: number = p.m;",
          "    return { loss: lr * p.layers + unchecked + (p.opt === \"sgd\" ? p.m : 0) + (\"m\" in p ? 1 : 0) };",
          "  });",
          "const best: P | undefined = study.best?.params;",
          "const json = SearchSpace.parse(space).toJSON();",
          "// @ts-expect-error not a choice",
          'const bad: P = { lr: 0.1, layers: 2, opt: "rmsprop" };',
          "// @ts-expect-error unknown strategy",
          'study.strategy("nope");',
          "export { p0, best, json, bad };",
        ].join("\n"),
      );
      // tslab's options (tslab/dist/converter.js), on Node >= 18.
      const tslabOptions: ts.CompilerOptions = {
        module: tslabTs.ModuleKind.ESNext,
        moduleResolution: tslabTs.ModuleResolutionKind.Node10,
        esModuleInterop: true,
        target: tslabTs.ScriptTarget.ES2022,
        lib: ["lib.es2022.d.ts"],
        declaration: true,
        noEmit: true,
        resolveJsonModule: true,
        typeRoots: [path.join(ROOT, "node_modules/@types")],
        skipLibCheck: true,
      };
      // Errors in other packages' declarations (under TS 5.0) are not ours to judge here.
      const ours = (d: ts.Diagnostic) => !d.file || path.resolve(d.file.fileName).startsWith(dir + path.sep);
      let previous: ts.Program | undefined;
      for (const variant of [tslabOptions, { ...tslabOptions, strict: true }, { ...tslabOptions, strict: true, skipLibCheck: false }]) {
        const program = tslabTs.createProgram([snippet], variant, undefined, previous);
        previous = program;
        const diagnostics = tslabTs.getPreEmitDiagnostics(program).filter(ours);
        expect(format(tslabTs, diagnostics), JSON.stringify({ strict: variant.strict, skipLibCheck: variant.skipLibCheck })).toEqual([]);
        expect(program.getSourceFiles().some((f) => f.fileName === path.join(pkg, "dist/index.d.ts"))).toBe(true);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
