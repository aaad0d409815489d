// `tunelab serve` (the built CLI, a child process of a Python program, as another language
// would use it) running multi-fidelity studies: create with strategy "hyperband" and its
// `options`, `ask` answering each trial's `budget`, `report` answering `prune`, the client
// stopping that trial and telling it "pruned"; and a random study with `stopping` (the median
// rule). The Python client trains 3 trials at a time on a deterministic fake learning curve and
// logs every request it sent; replaying that log in-process through Study gives the very same
// replies, so the server decides exactly what the engine does.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MedianStopping } from "../../src/strategies/median";
import { Study, type TellInput } from "../../src/study/study";
import { ensureBuilt, tempDir } from "../storage/workers/build";

let main: string;
let tmp: string;

beforeAll(() => {
  // A private build keyed by the sources (tmp/test-dist/<hash>), never dist/, which others rebuild.
  main = path.join(ensureBuilt(), "cli", "main.js");
  tmp = tempDir("serve-hb");
}, 180_000);
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const SPACE = {
  lr: { type: "float", low: 1e-3, high: 1, scale: "log" },
  width: { type: "int", low: 1, high: 8 },
};
const HB_OPTIONS = { minResource: 1, maxResource: 9, eta: 3 };
const MEDIAN = { rule: "median", startupTrials: 3, warmupSteps: 2 };

// The client: a loop over workers, each training one trial an epoch at a time. The loss uses
// + - * / only (correctly rounded in both languages), so the TypeScript replay computes the
// same numbers bit for bit.
const CLIENT = String.raw`
import json, subprocess, sys
node, main = sys.argv[1], sys.argv[2]
p = subprocess.Popen([node, main, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
sent, replies = [], []
def call(req):
    line = json.dumps(req)
    p.stdin.write(line + "\n")
    p.stdin.flush()
    rep = json.loads(p.stdout.readline())
    sent.append(req)
    replies.append(rep)
    return rep

def loss(params, epoch):
    lr, width = params["lr"], params["width"]
    floor = 0.1 + 0.2 * (lr - 0.05) * (lr - 0.05) / (lr + 0.01) + 0.3 / width
    return floor + (2.5 - floor) / (1.0 + lr * 4.0 * epoch)

def tune(study, trials, in_flight):
    """Trains trials in_flight at a time, one epoch per worker in turn; returns what happened per trial."""
    log = {}
    workers, asked = [], 0
    while workers or asked < trials:
        while len(workers) < in_flight and asked < trials:
            a = call({"op": "ask", "study": study})
            assert a["ok"], a
            asked += 1
            workers.append({"trial": a["trial"], "params": a["params"], "budget": a.get("budget", 9), "epoch": 0})
            log[a["trial"]] = {"budget": a.get("budget"), "trained": [], "pruned_at": None}
        w = workers.pop(0)
        w["epoch"] += 1
        v = loss(w["params"], w["epoch"])
        log[w["trial"]]["trained"].append(w["epoch"])
        r = call({"op": "report", "study": study, "trial": w["trial"], "step": w["epoch"], "value": v})
        assert r["ok"], r
        if r["prune"]:
            log[w["trial"]]["pruned_at"] = w["epoch"]
            assert call({"op": "tell", "study": study, "trial": w["trial"], "state": "pruned"})["ok"]
        elif w["epoch"] == w["budget"]:
            assert call({"op": "tell", "study": study, "trial": w["trial"], "value": v})["ok"]
        else:
            workers.append(w)
    return log

out = {}
out["create_hb"] = call({"op": "create", "id": "hb", "study": "hb", "space": json.loads(sys.argv[3]), "direction": "minimize",
                         "strategy": "hyperband", "options": json.loads(sys.argv[4]), "seed": 7})
out["hb"] = tune("hb", 40, 3)
out["trials_hb"] = call({"op": "trials", "study": "hb"})
out["best_hb"] = call({"op": "best", "study": "hb"})
out["create_med"] = call({"op": "create", "id": "med", "study": "med", "space": json.loads(sys.argv[3]), "direction": "minimize",
                          "strategy": "random", "seed": 8, "stopping": json.loads(sys.argv[5])})
out["med"] = tune("med", 25, 1)
out["trials_med"] = call({"op": "trials", "study": "med"})
out["errors"] = [
    call({"op": "create", "id": "e1", "study": "x", "space": json.loads(sys.argv[3]), "direction": "minimize", "strategy": "hyperband", "options": {"minResource": 1}}),
    call({"op": "create", "id": "e2", "study": "y", "space": json.loads(sys.argv[3]), "direction": "minimize", "strategy": "hyperband", "options": {"maxResource": 9, "eta": 1}}),
    call({"op": "create", "id": "e3", "study": "z", "space": json.loads(sys.argv[3]), "direction": "minimize", "strategy": "random", "stopping": {"rule": "mean"}}),
    call({"op": "create", "id": "e4", "study": "w", "space": json.loads(sys.argv[3]), "direction": "minimize", "strategy": "random", "stopping": {"rule": "median", "warmup": 2}}),
]
out["bye"] = call({"op": "exit", "id": "bye"})
out["rest"] = p.stdout.read()
out["stderr"] = p.stderr.read()
out["code"] = p.wait()
out["sent"] = sent
out["replies"] = replies
print(json.dumps(out))
`;

interface TrialLog {
  budget: number | null;
  trained: number[];
  pruned_at: number | null;
}
interface WireTrial {
  trial: number;
  state: string;
  params: Record<string, number>;
  value: number | null;
  budget?: number;
  intermediate: [number, number][];
}
interface Out {
  create_hb: unknown;
  hb: Record<string, TrialLog>;
  trials_hb: { ok: boolean; trials: WireTrial[] };
  best_hb: { trial: number; value: number };
  create_med: unknown;
  med: Record<string, TrialLog>;
  trials_med: { ok: boolean; trials: WireTrial[] };
  errors: Record<string, unknown>[];
  bye: unknown;
  rest: string;
  stderr: string;
  code: number;
  sent: Record<string, unknown>[];
  replies: Record<string, unknown>[];
}

let out: Out;

function runClient(): Out {
  if (!out) {
    const stdout = execFileSync("python3", ["-c", CLIENT, process.execPath, main, JSON.stringify(SPACE), JSON.stringify(HB_OPTIONS), JSON.stringify(MEDIAN)], {
      cwd: tmp,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    out = JSON.parse(stdout) as Out;
  }
  return out;
}

/** The rungs at which hyperband (1, 9, eta 3) can stop a trial: 1 and 3 (bracket 0), 3 (bracket 1). */
const DECISION_STEPS = [1, 3];

describe("tunelab serve, driven from Python, runs multi-fidelity studies", () => {
  it("creates a hyperband study and a random one with the median stopping rule, and exits cleanly", () => {
    const o = runClient();
    expect(o.create_hb).toEqual({ id: "hb", ok: true, study: "hb" });
    expect(o.create_med).toEqual({ id: "med", ok: true, study: "med" });
    expect(o.bye).toEqual({ id: "bye", ok: true });
    expect(o.rest).toBe("");
    expect(o.stderr).toBe("");
    expect(o.code).toBe(0);
  });

  it("hyperband: ask gives the budget; report says prune only at a rung; pruned trials keep their last reported value; the others ran the budget", () => {
    const o = runClient();
    const trials = o.trials_hb.trials;
    expect(trials).toHaveLength(40);
    let pruned = 0;
    for (const t of trials) {
      const log = o.hb[String(t.trial)]!;
      expect(log.budget).toBe(9);
      expect(t.budget).toBe(9);
      expect(t.intermediate.map(([s]) => s)).toEqual(log.trained);
      const last = t.intermediate[t.intermediate.length - 1]!;
      if (log.pruned_at !== null) {
        pruned++;
        expect(t.state).toBe("pruned");
        expect(last[0]).toBe(log.pruned_at);
        expect(DECISION_STEPS).toContain(log.pruned_at);
        expect(t.value).toBe(last[1]);
      } else {
        expect(t.state).toBe("complete");
        expect(log.trained).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(t.value).toBe(last[1]);
      }
    }
    expect(pruned).toBeGreaterThan(10);
    const complete = trials.filter((t) => t.state === "complete");
    expect(o.best_hb.value).toBe(Math.min(...complete.map((t) => t.value!)));
    // prune: true only ever at a decision step.
    const reports = o.sent.map((req, i) => [req, o.replies[i]!] as const).filter(([req]) => req["op"] === "report" && req["study"] === "hb");
    for (const [req, rep] of reports) if (rep["prune"] === true) expect(DECISION_STEPS).toContain(req["step"]);
  });

  it("the median rule: a random study prunes only after its start-up trials and warm-up steps, and records pruned trials with their last value", () => {
    const o = runClient();
    const trials = o.trials_med.trials;
    expect(trials).toHaveLength(25);
    let pruned = 0;
    for (const t of trials) {
      const log = o.med[String(t.trial)]!;
      expect(log.budget).toBeNull(); // random search gives no budget
      expect(t.budget).toBeUndefined();
      if (log.pruned_at !== null) {
        pruned++;
        expect(t.state).toBe("pruned");
        expect(log.pruned_at).toBeGreaterThanOrEqual(MEDIAN.warmupSteps);
        expect(t.trial).toBeGreaterThanOrEqual(MEDIAN.startupTrials);
        expect(t.value).toBe(t.intermediate[t.intermediate.length - 1]![1]);
      } else {
        expect(t.state).toBe("complete");
        expect(log.trained).toHaveLength(9);
      }
    }
    expect(pruned).toBeGreaterThan(3);
  });

  it("answers bad multi-fidelity options with errors naming the field", () => {
    const [missingMax, badEta, badRule, badOption] = runClient().errors;
    expect(missingMax).toMatchObject({ id: "e1", ok: false });
    expect(String(missingMax!["error"])).toContain("maxResource");
    expect(badEta).toMatchObject({ id: "e2", ok: false });
    expect(String(badEta!["error"])).toContain("eta");
    expect(badRule).toMatchObject({ id: "e3", ok: false });
    expect(String(badRule!["error"])).toContain("median");
    expect(badOption).toMatchObject({ id: "e4", ok: false });
    expect(String(badOption!["error"])).toContain("warmupSteps");
  });

  it("decides exactly what the engine decides in-process for the same seed and requests", async () => {
    const o = runClient();
    const studies = {
      hb: await Study.open({ name: "hb", space: SPACE as never, direction: "minimize", strategy: { name: "hyperband", options: HB_OPTIONS }, seed: 7 }),
      med: await Study.open({ name: "med", space: SPACE as never, direction: "minimize", strategy: { name: "random" }, seed: 8, stopping: new MedianStopping({ startupTrials: 3, warmupSteps: 2 }) }),
    };
    let replayed = 0;
    for (let i = 0; i < o.sent.length; i++) {
      const req = o.sent[i]!;
      const rep = o.replies[i]!;
      const study = studies[req["study"] as "hb" | "med"];
      if (!study) continue;
      if (req["op"] === "ask") {
        const t = (await study.ask())!;
        expect({ trial: rep["trial"], params: rep["params"], budget: rep["budget"] }).toEqual({ trial: t.number, params: t.params, budget: t.budget });
      } else if (req["op"] === "report") {
        const prune = await study.report(req["trial"] as number, req["step"] as number, req["value"] as number);
        expect({ i, prune: rep["prune"] }).toEqual({ i, prune });
      } else if (req["op"] === "tell") {
        const input: TellInput = req["state"] === "pruned" ? { state: "pruned" } : { value: req["value"] as number };
        const t = await study.tell(req["trial"] as number, input);
        expect(t.state).toBe(req["state"] === "pruned" ? "pruned" : "complete");
      } else continue;
      replayed++;
    }
    expect(replayed).toBeGreaterThan(300);
    // And the recorded bookkeeping agrees with what the client saw: pruned hyperband trials were
    // stopped at a rung of their bracket ("rung"), median-pruned ones by the rule ("median").
    for (const t of studies.hb.trials) {
      const rec = t.system["hyperband"] as { bracket: number; rungs: number[]; values: number[] };
      expect(rec.rungs).toEqual([1, 3].slice(rec.bracket));
      if (t.state === "pruned") {
        expect(t.system["stopped"]).toBe("rung");
        expect(rec.rungs).toContain(t.intermediate[t.intermediate.length - 1]![0]);
      }
    }
    for (const t of studies.med.trials) if (t.state === "pruned") expect(t.system["stopped"]).toBe("median");
    expect(studies.hb.trials.map((t) => [t.number, t.state, t.value ?? null])).toEqual(o.trials_hb.trials.map((t) => [t.trial, t.state, t.value]));
    expect(studies.med.trials.map((t) => [t.number, t.state, t.value ?? null])).toEqual(o.trials_med.trials.map((t) => [t.trial, t.state, t.value]));
  });
});
