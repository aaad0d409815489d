/**
 * `npm run bench [-- <suite>... [options]]`: runs benchmark suites (bench/suites/<name>.ts),
 * prints their tables, and writes them into bench/README.md.
 */
import * as fs from "node:fs";
import { FUNCTION_NAMES } from "./lib/functions";
import { writeSection } from "./lib/readme";
import { log, type Suite, type SuiteOptions } from "./lib/suite";
import { suite as notebook } from "./suites/notebook";
import { suite as bayes } from "./suites/bayes";
import { suite as random } from "./suites/random";
import { HYPERBAND_METHOD_KEYS, suite as hyperband } from "./suites/hyperband";
import { DEFAULT_OPTUNA_METHODS, DEFAULT_TL_METHODS, parseTlMethod } from "./lib/mfsuite/methods";
import { suite as run } from "./suites/run";
import { suite as journal } from "./suites/journal";
import { suite as workers } from "./suites/workers";

/** Every suite, by name; the first is the default. */
const SUITES: readonly Suite[] = [random, notebook, bayes, hyperband, run, journal, workers];

const USAGE = `usage: npm run bench [-- <suite>... [options]]

suites (default: ${SUITES[0]!.name}):
${SUITES.map((s) => `  ${s.name.padEnd(10)} ${s.description}`).join("\n")}

options:
  --seeds N          seeds 0..N-1 (default 10)
  --trials N         trials per study in the per-function tables (default 100)
  --long-trials N    trials of the long study (default 1000)
  --functions a,b    functions (default: ${FUNCTION_NAMES.join(",")})
  --methods a,b      hyperband suite: only these methods (tunelab's tl_* and par_*, Optuna's
                     random_full, tpe_*); default: every par_* and
                     ${[...DEFAULT_TL_METHODS, ...DEFAULT_OPTUNA_METHODS].join(",")}
  --no-optuna        tunelab rows only (no Python)
  hyperband suite (the multi-fidelity suite, bench/lib/mfsuite/):
  --problems a,b     only these problems       --set dev|validation|all (default all)
  --jobs N           processes per side (tunelab, Optuna; default 2), both sides at once
  --tl-method 'key={"strategy":"hyperband","options":{...}}'   (repeatable) an extra tunelab
                     method; maxResource is the problem's unless given
  --optuna-cache DIR development only: reuse Optuna records (keyed by Optuna's version, the
                     problem's fingerprint, mf_suite.py, method, seed); README never written
  --quick            workers suite: fewer trials per run and a 3k-trial long study
  --cpu-prof DIR     write V8 CPU profiles of tunelab's worker processes into DIR
  --readme           write bench/README.md even for non-default options or without Optuna rows
  --no-readme        never write bench/README.md
`;

interface Parsed {
  suites: Suite[];
  options: SuiteOptions;
  readme: "auto" | "yes" | "no";
}

function parse(argv: string[]): Parsed | undefined {
  const names: string[] = [];
  let seeds = 10;
  let trials = 100;
  let longTrials = 1000;
  let functions = FUNCTION_NAMES;
  let optuna = true;
  let cpuProf: string | undefined;
  let readme: Parsed["readme"] = "auto";
  let methods: string[] | undefined;
  let quick = false;
  const mf: { problems?: string[]; set?: "dev" | "validation" | "all"; jobs?: number; optunaCache?: string; tlMethods?: string[] } = {};
  const num = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs an integer >= ${min}, not ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") return undefined;
    else if (a === "--seeds") seeds = num(a, argv[++i], 1);
    else if (a === "--trials") trials = num(a, argv[++i], 100);
    else if (a === "--long-trials") longTrials = num(a, argv[++i], 1000);
    else if (a === "--functions") {
      functions = (argv[++i] ?? "").split(",").filter(Boolean);
      for (const f of functions) if (!FUNCTION_NAMES.includes(f)) throw new Error(`unknown function ${f} (functions: ${FUNCTION_NAMES.join(", ")})`);
    } else if (a === "--methods") {
      methods = (argv[++i] ?? "").split(",").filter(Boolean);
      for (const m of methods) if (!HYPERBAND_METHOD_KEYS.includes(m)) throw new Error(`unknown method ${m} (methods: ${HYPERBAND_METHOD_KEYS.join(", ")})`);
    } else if (a === "--problems") mf.problems = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (a === "--set") {
      const v = argv[++i];
      if (v !== "dev" && v !== "validation" && v !== "all") throw new Error(`--set needs dev, validation or all, not ${v}`);
      mf.set = v;
    } else if (a === "--jobs") mf.jobs = num(a, argv[++i], 1);
    else if (a === "--optuna-cache") mf.optunaCache = argv[++i];
    else if (a === "--tl-method") {
      const v = argv[++i] ?? "";
      parseTlMethod(v);
      (mf.tlMethods ??= []).push(v);
    } else if (a === "--no-optuna") optuna = false;
    else if (a === "--quick") quick = true;
    else if (a === "--cpu-prof") cpuProf = argv[++i];
    else if (a === "--readme") readme = "yes";
    else if (a === "--no-readme") readme = "no";
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else names.push(a);
  }
  const suites = (names.length ? names : [SUITES[0]!.name]).map((n) => {
    const s = SUITES.find((x) => x.name === n);
    if (!s) throw new Error(`unknown suite ${n} (suites: ${SUITES.map((x) => x.name).join(", ")})`);
    return s;
  });
  if (cpuProf) fs.mkdirSync(cpuProf, { recursive: true });
  const isDefault =
    seeds === 10 && trials === 100 && longTrials === 1000 && functions.length === FUNCTION_NAMES.length && optuna && !cpuProf && !methods && !quick && !mf.problems && !mf.set && !mf.optunaCache && !mf.tlMethods;
  const command = process.env["npm_lifecycle_event"] === "bench" ? `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}` : `node bench/run.js ${argv.join(" ")}`.trim();
  return { suites, readme, options: { seeds, trials, longTrials, functions, optuna, ...(cpuProf ? { cpuProf } : {}), ...(methods ? { methods } : {}), ...(quick ? { quick } : {}), ...mf, isDefault, command } };
}

async function main(): Promise<void> {
  let p: Parsed | undefined;
  try {
    p = parse(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (!p) {
    process.stdout.write(USAGE);
    return;
  }
  for (const s of p.suites) {
    log(`suite ${s.name}`);
    const r = await s.run(p.options);
    process.stdout.write(`\n${r.markdown}`);
    const write = p.readme === "yes" || (p.readme === "auto" && p.options.isDefault && r.complete);
    if (write) {
      writeSection(s.name, r.markdown);
      log(`wrote the ${s.name} section of bench/README.md`);
    } else if (p.readme === "auto") {
      log(`bench/README.md not updated (${!p.options.isDefault ? "non-default options" : "a part is missing"}; --readme writes it anyway)`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
