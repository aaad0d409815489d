"""Optuna's side of the workers benchmark (bench/suites/workers.ts), in the bench venv.

    python optuna_worker.py '{"storage": "rdb" | "journal", "target": url | file, "study": name,
                              "workers": w, "trials": n, "seconds": s, "out": file}'

Makes the study (RDBStorage creates its tables then), then forks `workers` worker processes (after the imports, so that 16 workers don't each pay Python's and Optuna's start-up
on a 2-core machine; each opens its own storage after the fork); each loads the study with a
RandomSampler (seed: its index); once all are, prints {"ready": true}, waits for "go" on stdin
and starts them together. Each runs trials of the
trivial objective with ask() and tell() (the suggest_* calls, which write each parameter to
the storage, count as part of the ask), timing each ask + tell, until it made `trials` or
`seconds` have passed, and writes {"numbers", "latency", "start", "end"} to `out`.<index>
(epoch ms; ms per trial). When all have ended well, the parent reads back, from the storage
itself, every trial's number and state and how many times it was finished (RDB: the trials and
trial_values tables; journal: the log's operations), writes them to `out`.stored, and prints
{"done": true}. One Python start-up per run: the imports take seconds on a loaded machine.
"""

import json
import os
import sys
import time

import optuna


def storage_of(a):
    if a["storage"] == "rdb":
        # The defaults a user gets (no heartbeat); the engine's pool is SQLAlchemy's default.
        return optuna.storages.RDBStorage(a["target"])
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(a["target"]))


def work(a):
    """The parent: makes the study, forks the workers, tells the driver when all are ready, starts them on its go."""
    storage = storage_of(a)
    optuna.create_study(study_name=a["study"], storage=storage, direction="minimize")
    if a["storage"] == "rdb":
        storage.engine.dispose()  # no connection of the parent's is shared with the children
    del storage
    children = []
    for i in range(a["workers"]):
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            os.close(go_w)
            code = 0
            try:
                work_one(a, i, ready_w, go_r)
            except BaseException as e:  # noqa: BLE001 (reported, then the exit code says it)
                sys.stderr.write(f"bench: worker {i}: {e!r}\n")
                code = 1
            sys.stderr.flush()
            os._exit(code)
        os.close(ready_w)
        os.close(go_r)
        children.append((pid, ready_r, go_w))
    for pid, ready_r, _ in children:
        if os.read(ready_r, 1) != b"r":
            raise SystemExit("bench: a worker ended before it was ready")
    print(json.dumps({"ready": True}), flush=True)
    buf = ""
    while "go\n" not in buf:
        line = sys.stdin.readline()
        if not line:
            raise SystemExit("bench: stdin closed before go")
        buf += line
    for _, _, go_w in children:
        os.write(go_w, b"g")
    failed = 0
    for pid, _, _ in children:
        _, status = os.waitpid(pid, 0)
        failed += status != 0
    if failed:
        raise SystemExit(f"bench: {failed} worker(s) failed")
    rows = verify_rdb(a) if a["storage"] == "rdb" else verify_journal(a)
    with open(f"{a['out']}.stored", "w") as f:
        json.dump(rows, f)
    print(json.dumps({"done": True}), flush=True)


def work_one(a, index, ready_w, go_r):
    study = optuna.load_study(study_name=a["study"], storage=storage_of(a), sampler=optuna.samplers.RandomSampler(seed=index))
    os.write(ready_w, b"r")
    if os.read(go_r, 1) != b"g":
        raise SystemExit("bench: no go")
    numbers, latency = [], []
    perf = time.perf_counter
    start = time.time() * 1000
    deadline = perf() + a["seconds"]
    for _ in range(a["trials"]):
        if perf() >= deadline:
            break
        t0 = perf()
        trial = study.ask()
        x = trial.suggest_float("x", -10, 10)
        y = trial.suggest_int("y", 1, 100)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        t1 = perf()
        value = x * x + y / 100 + (0 if c == "a" else 1)
        t2 = perf()
        study.tell(trial, value)
        latency.append((t1 - t0 + perf() - t2) * 1000)
        numbers.append(trial.number)
    end = time.time() * 1000
    with open(f"{a['out']}.{index}", "w") as f:
        json.dump({"numbers": numbers, "latency": latency, "start": start, "end": end, "warnings": []}, f)


def verify_rdb(a):
    import sqlalchemy

    engine = sqlalchemy.create_engine(a["target"])
    with engine.connect() as c:
        study_id = c.execute(sqlalchemy.text("SELECT study_id FROM studies WHERE study_name = :n"), {"n": a["study"]}).scalar_one()
        rows = c.execute(
            sqlalchemy.text(
                "SELECT t.number, t.state::text, (SELECT count(*) FROM trial_values v WHERE v.trial_id = t.trial_id) "
                "FROM trials t WHERE t.study_id = :s ORDER BY t.trial_id"
            ),
            {"s": study_id},
        ).all()
    return [{"number": r[0], "state": r[1].lower(), "finished": r[2]} for r in rows]


def verify_journal(a):
    # Optuna numbers trials in the order of their CREATE_TRIAL operations in the log.
    from optuna.storages.journal._storage import JournalOperation

    trials, finished = [], {}
    with open(a["target"], "rb") as f:
        for line in f:
            log = json.loads(line)
            op = log["op_code"]
            if op == JournalOperation.CREATE_TRIAL:
                trials.append(len(trials))
            elif op == JournalOperation.SET_TRIAL_STATE_VALUES and log.get("state") == optuna.trial.TrialState.COMPLETE:
                finished[log["trial_id"]] = finished.get(log["trial_id"], 0) + 1
    # trial_id in a single-study journal is the creation index; states come from Optuna's own replay.
    study = optuna.load_study(study_name=a["study"], storage=storage_of(a))
    states = {t._trial_id: t.state.name.lower() for t in study.get_trials(deepcopy=False)}
    return [{"number": n, "state": states.get(n, "missing"), "finished": finished.get(n, 0)} for n in trials]


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    work(json.loads(sys.argv[1]))


if __name__ == "__main__":
    main()
