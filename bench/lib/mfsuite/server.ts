/**
 * The multi-fidelity suite's problem server: every problem of MF_SUITE behind JSON lines on
 * stdin/stdout, so that the Optuna side (bench/lib/mf_suite.py) trains the very curves the
 * tunelab side runs in-process (one implementation of every problem serves both sides).
 *
 *   {"op":"describe"}                                    -> {"problems":[{name,set,source,space,maxResource,fStar}]}
 *   {"op":"open","problem":P,"x":{...},"seed":s,"trial":n} -> {"id":k}     (x is checked against P's space)
 *   {"op":"next","id":k}                                 -> {"value":v}   (one more step's loss)
 *   {"op":"next","id":k,"n":m}                           -> {"values":[...]} (the next m steps' losses: the
 *                                                           Optuna side trains ahead in chunks to save round
 *                                                           trips; the curve is the same, steps not reported
 *                                                           are not counted as spent)
 *   {"op":"close","id":k}                                -> {"ok":true}
 *   {"op":"validate","problem":P,"x":{...}}              -> {"ok":true} or {"error":...}
 *   {"op":"fingerprint","problem":P}                     -> {"hash":h}    (space, maxResource, fStar and the
 *                                                           values of a few fixed configurations: changes
 *                                                           whenever the problem's code does)
 *
 * One reply per line, in order; a bad request gets {"error": "..."} and the next is served.
 * End of input ends the process.
 *
 *   node server.js            (compiled by bench/run.js into node_modules/.cache/tunelab-bench)
 */
import { createHash } from "node:crypto";
import * as readline from "node:readline";
import { decode } from "../../../src/space/encoding";
import { SearchSpace } from "../../../src/space/space";
import type { MfProblem, MfRun } from "./problem";
import { MF_SUITE } from "./problems/index";

const spaces = new Map<string, SearchSpace>();

function problem(name: unknown): MfProblem {
  const p = MF_SUITE.find((q) => q.name === name);
  if (!p) throw new Error(`unknown problem ${JSON.stringify(name)} (problems: ${MF_SUITE.map((q) => q.name).join(", ")})`);
  return p;
}

export function spaceOf(p: MfProblem): SearchSpace {
  let s = spaces.get(p.name);
  if (!s) spaces.set(p.name, (s = SearchSpace.parse(p.space, `${p.name}.space`)));
  return s;
}

/** The problems as `describe` gives them. */
export function describeProblems(): object[] {
  return MF_SUITE.map((p) => ({ name: p.name, set: p.set, source: p.source, space: p.space, maxResource: p.maxResource, fStar: p.fStar ?? null }));
}

/** Configurations the fingerprint evaluates: fixed points of the unit cube, decoded (conditions honoured). */
const FINGERPRINT_POINTS = [0.5, 0.1, 0.9, 0.3, 0.7];

/** A hash of what the problem is and does: its description and its curves at a few fixed configurations. */
export function fingerprint(p: MfProblem): string {
  const space = spaceOf(p);
  const h = createHash("sha256");
  h.update(JSON.stringify({ name: p.name, set: p.set, space: p.space, maxResource: p.maxResource, fStar: p.fStar ?? null }));
  FINGERPRINT_POINTS.forEach((a, i) => {
    const u = Array.from({ length: space.size }, (_, j) => (a + 0.37 * j) % 1);
    const x = decode(space, u);
    const run = p.open(x, 7 + i, i);
    const vals: number[] = [];
    for (let b = 0; b < p.maxResource; b++) vals.push(run.next());
    h.update(JSON.stringify(x) + JSON.stringify(vals));
  });
  return h.digest("hex").slice(0, 16);
}

/** The most steps one `next` may ask for. */
const MAX_CHUNK = 100_000;

function finite(v: number): number {
  if (!Number.isFinite(v)) throw new Error(`the problem returned ${v}, not a finite loss`);
  return v;
}

/** The server's state: the open runs. Exported for the test of the protocol's pure part. */
export class ProblemServer {
  private readonly runs = new Map<number, MfRun>();
  private nextId = 1;

  handle(line: string): Record<string, unknown> {
    let req: Record<string, unknown>;
    try {
      req = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return { error: `not JSON: ${line.slice(0, 80)}` };
    }
    if (typeof req !== "object" || req === null || Array.isArray(req)) return { error: "a request is a JSON object with an op" };
    try {
      switch (req["op"]) {
        case "next": {
          const run = this.runs.get(req["id"] as number);
          if (!run) throw new Error(`no open run with id ${JSON.stringify(req["id"])}`);
          const n = req["n"];
          if (n === undefined) return { value: finite(run.next()) };
          if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_CHUNK) throw new Error(`n must be an integer from 1 to ${MAX_CHUNK}, not ${JSON.stringify(n)}`);
          const values: number[] = [];
          for (let i = 0; i < (n as number); i++) values.push(finite(run.next()));
          return { values };
        }
        case "open": {
          const p = problem(req["problem"]);
          const x = spaceOf(p).check(req["x"], "x");
          const seed = req["seed"];
          const trial = req["trial"];
          if (!Number.isInteger(seed) || !Number.isInteger(trial)) throw new Error(`seed and trial must be integers, not ${JSON.stringify(seed)} / ${JSON.stringify(trial)}`);
          const id = this.nextId++;
          this.runs.set(id, p.open(x, seed as number, trial as number));
          return { id };
        }
        case "close":
          if (!this.runs.delete(req["id"] as number)) throw new Error(`no open run with id ${JSON.stringify(req["id"])}`);
          return { ok: true };
        case "validate":
          spaceOf(problem(req["problem"])).check(req["x"], "x");
          return { ok: true };
        case "describe":
          return { problems: describeProblems() };
        case "fingerprint":
          return { hash: fingerprint(problem(req["problem"])) };
        default:
          throw new Error(`unknown op ${JSON.stringify(req["op"])} (ops: describe, open, next, close, validate, fingerprint)`);
      }
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  }

  get openRuns(): number {
    return this.runs.size;
  }
}

export function serveStdio(): void {
  const server = new ProblemServer();
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on("line", (line) => {
    if (line.trim() === "") return;
    process.stdout.write(JSON.stringify(server.handle(line)) + "\n");
  });
}

if (require.main === module) serveStdio();
