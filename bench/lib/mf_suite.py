#!/usr/bin/env python3
"""The Optuna side of the multi-fidelity suite (bench/lib/mfsuite/): Optuna's samplers and pruners
on the suite's problems, which it trains through the problem server (bench/lib/mfsuite/server.ts,
a node child process), so that both sides train the very same curves.

    python mf_suite.py worker --server <node server.js>    one JSON job per stdin line
                                                           ({"problem","method","seed","budgetMult"[,"workers"]}),
                                                           one JSON record per stdout line
    python mf_suite.py check --server <server.js> [--problems a,b]   only the space translation check

For each (problem, method, seed): the study (in memory, sampler seed = run seed, study_name fixed per
run so that HyperbandPruner's bracket assignment is reproducible) asks a trial, builds the
configuration define-by-run from the problem's space spec (only suggesting a conditional parameter
when its condition holds), opens the problem's run for (x, seed, trial number), trains step
b = 1..R, reports after every step and stops when trial.should_prune(); a study stops at the end of
the first trial after which budgetMult x R steps were spent (cap 20000 trials), as mf_bench.py.
Methods (TPESampler as mf_bench.py: TPESampler(seed=s), Optuna's defaults otherwise):
  random_full      RandomSampler, NopPruner            tpe_full   TPESampler, NopPruner
  tpe_hb           TPESampler + HyperbandPruner(min_resource=1, max_resource=R, reduction_factor=3)
  tpe_sha          TPESampler + SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, min_early_stopping_rate=0)
  tpe_sha_default  TPESampler + SuccessiveHalvingPruner() (Optuna's defaults)
With "workers" > 1 (the 4-worker check), run_parallel keeps that many trials in flight, stepped in turn.
Overhead = wall time minus time inside the server calls (pipes included). Proposal time = study.ask()
plus the suggest calls. A trial's losses are fetched in chunks of 1, 2, 4, ... steps (the server trains
ahead: the same curve, fewer round trips); only the steps reported count as spent.

Before the first job, the worker checks its space translation against the server: it suggests
configurations of every problem with a RandomSampler and a TPESampler and asks the server to
validate each (every active parameter present and in its domain, no inactive one); a mismatch ends
the process with a message naming the problem and configuration.
"""
import argparse
import json
import math
import subprocess
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

MAX_TRIALS = 20000


class Server:
    def __init__(self, server_js):
        self.p = subprocess.Popen(["node", server_js], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.seconds = 0.0

    def call(self, req):
        t0 = time.perf_counter()
        self.p.stdin.write(json.dumps(req) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        self.seconds += time.perf_counter() - t0
        if not line:
            raise RuntimeError(f"the problem server ended (request {req})")
        r = json.loads(line)
        if "error" in r:
            raise RuntimeError(f"problem server: {r['error']} (request {json.dumps(req)[:300]})")
        return r

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def eval_order(space):
    """Parameters dependencies-first (a condition's named parameters before it), declaration order otherwise."""
    order, seen = [], set()

    def visit(name, stack):
        if name in seen:
            return
        if name in stack:
            raise ValueError(f"condition cycle through {name}")
        for dep in (space[name].get("when") or {}):
            visit(dep, stack | {name})
        seen.add(name)
        order.append(name)

    for k in space:
        visit(k, frozenset())
    return order


def suggest(trial, space, order):
    """The configuration, define-by-run: a conditional parameter only when its condition holds."""
    x = {}
    for name in order:
        d = space[name]
        when = d.get("when")
        if when and not all(k in x and x[k] in allowed for k, allowed in when.items()):
            continue
        t = d["type"]
        scale = d.get("scale", "linear")
        if t == "float":
            lo, hi, step = d["low"], d["high"], d.get("step")
            if scale == "log":
                x[name] = trial.suggest_float(name, lo, hi, log=True)
            elif scale == "reverse-log":
                # dense near 1: 1 - v is log-uniform on [1 - high, 1 - low]
                x[name] = min(hi, max(lo, 1.0 - trial.suggest_float(name, 1.0 - hi, 1.0 - lo, log=True)))
            else:
                x[name] = trial.suggest_float(name, lo, hi, step=step)
        elif t == "int":
            x[name] = trial.suggest_int(name, d["low"], d["high"], step=d.get("step", 1), log=scale == "log")
        elif t == "categorical":
            x[name] = trial.suggest_categorical(name, d["choices"])
        else:
            raise ValueError(f"parameter {name}: unknown type {t}")
    return x


def _hb(R):
    return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=R, reduction_factor=3)


METHODS = {
    "random_full": (lambda s: optuna.samplers.RandomSampler(seed=s), lambda R: optuna.pruners.NopPruner()),
    "tpe_full": (lambda s: optuna.samplers.TPESampler(seed=s), lambda R: optuna.pruners.NopPruner()),
    "tpe_hb": (lambda s: optuna.samplers.TPESampler(seed=s), _hb),
    "tpe_sha": (lambda s: optuna.samplers.TPESampler(seed=s),
                lambda R: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, min_early_stopping_rate=0)),
    "tpe_sha_default": (lambda s: optuna.samplers.TPESampler(seed=s), lambda R: optuna.pruners.SuccessiveHalvingPruner()),
}


class _Run:
    """One (problem, method, seed) study of a run_one / run_parallel job and what its record counts."""

    def __init__(self, server, prob, method, seed, budget_mult):
        self.server, self.prob, self.method, self.seed, self.budget_mult = server, prob, method, seed, budget_mult
        self.R = prob["maxResource"]
        self.order = eval_order(prob["space"])
        mk_sampler, mk_pruner = METHODS[method]
        self.study = optuna.create_study(direction="minimize", sampler=mk_sampler(seed), pruner=mk_pruner(self.R),
                                         study_name=f"{prob['name']}-{method}-seed{seed}")
        self.budget = budget_mult * self.R
        self.spent = 0
        self.n_trials = 0
        self.complete = []
        self.ask_ms = []
        server.seconds = 0.0
        self.cpu0 = time.process_time()
        self.t_start = time.perf_counter()

    def ask(self):
        """A new trial (its proposal timed) and the id of its run on the problem server."""
        ta = time.perf_counter()
        trial = self.study.ask()
        x = suggest(trial, self.prob["space"], self.order)
        self.ask_ms.append((time.perf_counter() - ta) * 1e3)
        self.n_trials += 1
        rid = self.server.call({"op": "open", "problem": self.prob["name"], "x": x, "seed": self.seed, "trial": trial.number})["id"]
        return trial, rid

    def record(self, workers):
        wall = time.perf_counter() - self.t_start
        ovh_ms = (wall - self.server.seconds) * 1e3
        ask_sorted = sorted(self.ask_ms)
        h = len(ask_sorted) // 2
        med = ask_sorted[h] if len(ask_sorted) % 2 else (ask_sorted[h - 1] + ask_sorted[h]) / 2
        return dict(side="optuna", problem=self.prob["name"], set=self.prob["set"], method=self.method, seed=self.seed,
                    max_resource=self.R, budget_mult=self.budget_mult, n_trials=self.n_trials, n_complete=len(self.complete),
                    total_steps=self.spent, complete=self.complete, wall_s=wall, eval_s=self.server.seconds,
                    overhead_ms_per_trial=ovh_ms / self.n_trials, overhead_ms_per_step=ovh_ms / self.spent,
                    ask_ms_median=med, ask_ms_max=ask_sorted[-1], workers=workers, optuna=optuna.__version__,
                    cpu_s=time.process_time() - self.cpu0)


def run_one(server, prob, method, seed, budget_mult):
    run = _Run(server, prob, method, seed, budget_mult)
    R = run.R
    while run.spent < run.budget and run.n_trials < MAX_TRIALS:
        trial, rid = run.ask()
        v = None
        stopped = 0
        ahead = []  # losses trained ahead (chunks of 1, 2, 4, ... steps: fewer round trips; the curve is the same)
        chunk = 1
        for b in range(1, R + 1):
            if not ahead:
                ahead = server.call({"op": "next", "id": rid, "n": min(chunk, R - b + 1)})["values"]
                ahead.reverse()
                chunk *= 2
            v = ahead.pop()
            trial.report(v, b)
            if trial.should_prune():
                stopped = b
                break
        server.call({"op": "close", "id": rid})
        if stopped:
            run.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            run.spent += stopped
        else:
            run.study.tell(trial, v)
            run.spent += R
            run.complete.append([run.spent, v])
    return run.record(1)


def run_parallel(server, prob, method, seed, budget_mult, workers):
    """The method with `workers` trials in flight (ask/tell): every round steps each trial in flight by one
    step, in the order they started (what tunelab's DSL runner does with `parallel: workers` when steps
    are pure computation: its trials' objectives take turns at every await of report()), and fills a
    freed slot with a new trial at the start of the next round. Every step counts as spent when it is
    reported; a complete trial counts at the steps the whole study had spent when its last step ran,
    and only if that is within budget_mult x R; the run stops once budget_mult x R steps were spent
    (the trials still in flight then did not end within the budget). The tunelab side's 4-worker check
    (bench/lib/mfsuite/run.ts, runParallelOne) counts the same way."""
    run = _Run(server, prob, method, seed, budget_mult)
    R = run.R
    flight = []  # [trial, server run id, steps reported]
    while run.spent < run.budget:
        while len(flight) < workers and run.n_trials < MAX_TRIALS:
            flight.append([*run.ask(), 0])
        if not flight:
            break
        for slot in list(flight):
            trial, rid, b = slot
            v = server.call({"op": "next", "id": rid, "n": 1})["values"][0]
            b += 1
            slot[2] = b
            run.spent += 1
            trial.report(v, b)
            if b == R:
                if run.spent <= run.budget:
                    run.complete.append([run.spent, v])
                run.study.tell(trial, v)
            elif trial.should_prune():
                run.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            else:
                if run.spent >= run.budget:
                    break
                continue
            server.call({"op": "close", "id": rid})
            flight.remove(slot)
            if run.spent >= run.budget:
                break
    for _, rid, _ in flight:
        server.call({"op": "close", "id": rid})
    return run.record(workers)


def check_translation(server, problems, n=40):
    """Configurations Optuna suggests through suggest() must be valid configurations for the server."""
    for prob in problems:
        order = eval_order(prob["space"])
        conditional = [k for k, d in prob["space"].items() if d.get("when")]
        seen_active = {k: 0 for k in conditional}
        for sampler in (optuna.samplers.RandomSampler(seed=1), optuna.samplers.TPESampler(seed=1, n_startup_trials=5)):
            study = optuna.create_study(sampler=sampler)
            for i in range(n):
                trial = study.ask()
                x = suggest(trial, prob["space"], order)
                try:
                    server.call({"op": "validate", "problem": prob["name"], "x": x})
                except RuntimeError as e:
                    sys.exit(f"mf_suite.py: space translation MISMATCH on {prob['name']}: Optuna suggested {json.dumps(x)}, "
                             f"which the problem's space rejects: {e}")
                for k in conditional:
                    seen_active[k] += k in x
                study.tell(trial, float(i % 7))
        for k, c in seen_active.items():
            if c == 0 or c == 2 * n:
                sys.exit(f"mf_suite.py: space translation MISMATCH on {prob['name']}: conditional parameter {k} was "
                         f"{'never' if c == 0 else 'always'} suggested in {2 * n} configurations")


def cmd_worker(args):
    server = Server(args.server)
    problems = {p["name"]: p for p in server.call({"op": "describe"})["problems"]}
    checked = set()
    warmed = set()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            job = json.loads(line)
            prob = problems[job["problem"]]
            if prob["name"] not in checked:
                check_translation(server, [prob])
                checked.add(prob["name"])
            if job["method"] not in warmed:  # untimed warm-up, as mf_bench.py
                warmed.add(job["method"])
                run_one(server, prob, job["method"], 12345, 12)
            w = job.get("workers", 1)
            if w > 1:
                r = run_parallel(server, prob, job["method"], job["seed"], job["budgetMult"], w)
            else:
                r = run_one(server, prob, job["method"], job["seed"], job["budgetMult"])
        except SystemExit:
            raise
        except Exception as e:  # noqa: BLE001 - reported to the parent, which stops the run
            import traceback
            r = {"error": f"{e!r}\n{traceback.format_exc()}"}
        sys.stdout.write(json.dumps(r) + "\n")
        sys.stdout.flush()
    server.close()


def cmd_check(args):
    server = Server(args.server)
    problems = server.call({"op": "describe"})["problems"]
    if args.problems:
        want = args.problems.split(",")
        problems = [p for p in problems if p["name"] in want]
    check_translation(server, problems)
    print(f"space translation checked on {', '.join(p['name'] for p in problems)}")
    server.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--server", required=True)
    c = sub.add_parser("check")
    c.add_argument("--server", required=True)
    c.add_argument("--problems", default="")
    args = ap.parse_args()
    {"worker": cmd_worker, "check": cmd_check}[args.cmd](args)


if __name__ == "__main__":
    main()
