// The process that writes a study for test/dsl/reattach.test.ts: a tuner on a shared storage
// runs until `limits.patience` ends it, then (with "hang": true) starts one more trial whose
// objective never returns, so the study has a running trial with a live worker (heartbeats)
// until this process is killed.
//
//   node reattach-writer.js '{"storage": ..., "name": ..., "hang": true}'
//
// Prints {"done":true,"reason":...,"trials":n,"best":v} after the first run, then, with hang,
// {"hanging":n} once the hanging trial is running.
"use strict";
const path = require("path");
const { tune, float, choice } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const out = (m) => process.stdout.write(JSON.stringify(m) + "\n");

const declare = () =>
  tune(args.name)
    .space({ x: float(-1, 1), kind: choice(["a", "b"]) })
    .minimize("loss")
    .strategy("tpe", { seed: 11 })
    .storage(args.storage)
    .heartbeat({ intervalSeconds: 0.1, graceSeconds: 0.5 })
    .display(false);

async function main() {
  const tuner = declare()
    .limits({ trials: 40, patience: { trials: 6, minImprovement: 0.05 } })
    .objective((p) => ({ loss: (p.x - 0.25) ** 2 + (p.kind === "b" ? 0.1 : 0) }));
  const r = await tuner.run({ handleSigint: false });
  out({ done: true, reason: r.reason, trials: tuner.trials.length, best: r.best.value, bestNumber: r.best.number });
  if (!args.hang) return;
  const hanging = declare()
    .limits({ trials: tuner.trials.length + 1 })
    .objective((p, trial) => {
      out({ hanging: trial.number });
      return new Promise(() => {});
    });
  await hanging.run({ handleSigint: false });
}

main().catch((e) => {
  out({ error: String(e && e.stack ? e.stack : e) });
  process.exit(1);
});
