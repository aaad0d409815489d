// One DSL worker of test/storage/mixed-workers.test.ts: a tuner on a shared storage (a
// postgresql:// URL or a journal folder), run to limits.trials like a script on one machine of
// many.
//
//   node mixed-dsl.js '{"storage": ..., "name": ..., "trials": 40, "parallel": 2, "seed": 5, "workMs": 20}'
//
// Prints {"ready":true} once the study is open, waits for "go" on stdin (so that every worker
// starts together), runs (with "release": each trial first waits for that file to exist; the
// first trial's number is printed as {"first":n}), and ends with {"done":true,"reason":...,"started":n,"mine":[...]}: the
// numbers of the trials its objective ran.
"use strict";
const fs = require("fs");
const path = require("path");
const { waitForGo } = require("./go");
const { tune, float } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const out = (m) => process.stdout.write(JSON.stringify(m) + "\n");

async function main() {
  const mine = [];
  const tuner = tune(args.name)
    .space({ x: float(0, 1) })
    .minimize()
    .seed(args.seed)
    .storage(args.storage)
    .limits({ trials: args.trials, parallel: args.parallel })
    .display(false)
    .objective(async (p, trial) => {
      mine.push(trial.number);
      if (mine.length === 1) out({ first: trial.number });
      // With args.release: wait until that file exists (the test's signal that every kind of
      // worker has begun a trial).
      while (args.release && !fs.existsSync(args.release)) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, args.workMs));
      return p.x;
    });
  await tuner.open();
  out({ ready: true });
  await waitForGo();
  const summary = await tuner.run();
  out({ done: true, reason: summary.reason, started: summary.started, mine });
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  out({ error: String(e && e.message), code: e && e.code });
  process.exit(1);
});
