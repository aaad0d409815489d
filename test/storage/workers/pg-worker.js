// One worker process on a PostgreSQL study, for test/storage/postgres*.test.ts:
//
//   node pg-worker.js '{"url": ..., "name": ..., "mode": "grid" | "random" | "slow", ...}'
//
// Prints {"ready":true} once the study is open, waits for "go" on stdin (so that workers start
// together), then:
// - "grid" / "random": asks and tells until the strategy is done (grid) or it made `asks`
//   trials; with `pauseMs`, waits that long between trials (so a database restart or a
//   terminated connection lands mid-study). Ends with {"done":true,"mine":[...],"params":[...]}.
// - "dsl": a tuner (tune(...).storage(url)) run to `asks` trials, its storage never closed.
// - "slow": one ask with a strategy whose proposal (a stand-in for a GP fit: `costly`) blocks,
//   synchronously, until the study holds `waitFor` trials made by others (it polls the marker
//   file `marker`, which the test writes when it sees them), or `deadlineMs` passes (then it
//   prints {"blocked":true}). Ends with {"done":true,"trial":n,"seen":k}: the number it got
//   and how many trials its proposal saw.
"use strict";
const fs = require("fs");
const path = require("path");
const { waitForGo } = require("./go");
const { Study, openStorage } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const space = {
  a: { type: "int", low: 0, high: 5 },
  b: { type: "categorical", choices: ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y"] },
};
const out = (m) => process.stdout.write(JSON.stringify(m) + "\n");

function slowStrategy() {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  return {
    name: "slow",
    costly: true,
    propose(ctx) {
      const t0 = Date.now();
      out({ proposing: true, seen: ctx.snapshot.trials.length });
      while (!fs.existsSync(args.marker)) {
        if (Date.now() - t0 > args.deadlineMs) {
          out({ blocked: true });
          break;
        }
        Atomics.wait(sleeper, 0, 0, 20);
      }
      return { params: { a: 5, b: "y" }, system: { saw: ctx.snapshot.trials.length, as: ctx.trialNumber } };
    },
  };
}

/** mode "dsl": a tuner on the URL, run to its limit; the storage is never closed, and the process must still end. */
async function dsl() {
  const { tune, float } = require(path.join(process.env.TUNELAB_DIST, "index.js"));
  const t = tune(args.name).space({ x: float(0, 1) }).minimize().storage(args.url).limits({ trials: args.asks }).display(false).objective((p) => p.x);
  const summary = await t.run();
  out({ done: true, reason: summary.reason, trials: t.trials.length });
}

async function main() {
  if (args.mode === "dsl") return dsl();
  const warnings = [];
  const storage = await openStorage(args.url, { onWarning: (m) => warnings.push(m) });
  const study = await Study.open({
    name: args.name,
    space,
    direction: "minimize",
    strategy: args.mode === "slow" ? slowStrategy() : { name: args.mode },
    seed: 3,
    storage,
  });
  out({ ready: true });
  await waitForGo();

  if (args.mode === "slow") {
    const t = await study.ask();
    out({ done: true, trial: t.number, seen: t.system.saw, as: t.system.as, warnings });
    await study.tell(t.number, { value: 0 });
    await storage.close();
    return;
  }
  const mine = [];
  const params = [];
  for (;;) {
    if (args.asks !== undefined && mine.length >= args.asks) break;
    const t = await study.ask();
    if (!t) break;
    mine.push(t.number);
    params.push(t.params);
    if (mine.length === 1) out({ first: t.number });
    if (args.pauseMs) await new Promise((r) => setTimeout(r, args.pauseMs));
    await study.tell(t.number, { value: t.params.a });
  }
  out({ done: true, mine, params, warnings });
  await storage.close();
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  out({ error: String(e && e.message), code: e && e.code });
  process.exit(1);
});
