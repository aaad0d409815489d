// One worker process of test/storage/heartbeat*.test.ts: a tuner (the DSL, as a user writes it)
// on a journal folder or a postgresql:// URL, with heartbeats and retries:
//
//   node heartbeat-worker.js '{"storage": ..., "name": ..., "mode": "hang" | "busy", "intervalSeconds": 0.25, "graceSeconds": 1.5, "busyMs": 4000}'
//
// - "hang": runs trials whose objective never ends; prints {"running": n, "system": {...}} when
//   one starts (the test then kills the process with SIGKILL).
// - "busy": runs one trial whose objective keeps the main thread busy (a synchronous loop, no
//   await) for busyMs, then returns 1; prints {"busy": n} when it starts and
//   {"done": true, "trials": [...]} at the end.
// - "quick": runs until limits.trials = `trials` with an objective that returns at once; prints
//   {"done": true, "reason": ..., "trials": [...]} (each trial's number, state, error, system).
"use strict";
const path = require("path");
const { tune, float } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const out = (m) => process.stdout.write(JSON.stringify(m) + "\n");

async function main() {
  const tuner = tune(args.name)
    .space({ x: float(0, 1) })
    .minimize()
    .storage(args.storage)
    .heartbeat({ intervalSeconds: args.intervalSeconds, graceSeconds: args.graceSeconds })
    .retries({ max: 1 })
    .display(false);
  if (args.mode === "hang") {
    tuner.limits({ trials: 1000 }).objective(async (_p, trial) => {
      out({ running: trial.number, system: tuner.study.snapshot.trials[trial.number].system });
      await new Promise(() => undefined);
    });
  } else if (args.mode === "quick") {
    tuner.limits({ trials: args.trials }).objective((p) => p.x);
  } else {
    tuner.limits({ trials: 1 }).objective((p, trial) => {
      out({ busy: trial.number });
      const t0 = Date.now();
      while (Date.now() - t0 < args.busyMs) {
        /* a synchronous training step that never yields */
      }
      return p.x;
    });
  }
  const summary = await tuner.run({ handleSigint: false });
  const trials = tuner.trials.map((t) => ({ number: t.number, state: t.state, error: t.error ?? null, ...(args.mode === "quick" ? { system: t.system } : {}) }));
  out({ done: true, reason: summary.reason, trials });
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  out({ error: String(e && e.message), code: e && e.code });
  process.exit(1);
});
