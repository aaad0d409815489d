// Runs a study on a journal with the DSL until it gets SIGINT (Ctrl-C, a
// Jupyter kernel interrupt). Started by test/study/interrupt.test.ts:
//
//   node sigint-worker.js '{"dir":..., "name":...}'
//
// Trials 0-4 finish at once; later ones run (two minutes) until their signal aborts. Prints
// {"running":[...]} when three trials are running (the parent then sends
// SIGINT), and {"summary":{...}} when run() has returned. It never calls
// process.exit: the process must end by itself once the run is stopped.
"use strict";
const path = require("path");
const { tune, float } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const running = [];

async function main() {
  const study = tune(args.name)
    .space({ x: float(0, 1) })
    .minimize("loss")
    .strategy("random", { seed: 5 })
    .storage({ dir: args.dir })
    .limits({ trials: 1000, parallel: 3 })
    .objective(async (p, trial) => {
      if (trial.number < 5) return { loss: p.x };
      running.push(trial.number);
      if (running.length === 3) process.stdout.write(JSON.stringify({ running }) + "\n");
      // Work that keeps the process busy (a bare promise would let Node exit
      // with nothing left to do) until the run stops it through the signal.
      await new Promise((resolve) => {
        const work = setTimeout(resolve, 120_000);
        trial.signal.addEventListener("abort", () => {
          clearTimeout(work);
          resolve();
        });
      });
      return { loss: -1 }; // too late: the trial was already recorded as interrupted
    });
  const summary = await study.run();
  process.stdout.write(JSON.stringify({ summary: { reason: summary.reason, started: summary.started }, sigintListeners: process.listenerCount("SIGINT") }) + "\n");
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  process.exitCode = 1;
});
