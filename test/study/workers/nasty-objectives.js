// A plain Node script (no test framework, no process-level error handlers) that runs studies
// with the nastiest objectives tunelab knows of. Started by test/study/nasty-script.test.ts:
//
//   node nasty-objectives.js '{"dir": <journal folder>, "mode": "nasty" | "never"}'
//
// "nasty": every trial misbehaves differently (hostile results and throws, thenables that
// throw or never settle, late results, blocking work, hostile reports) with hostile listeners;
// prints {"summary":...,"states":...} when run() returns. Node's default for an unhandled
// rejection is to end the process with an error, so exit code 0 means there was none.
// "never": one objective that never settles and no limit; prints {"running":true} once it
// started, and {"summary":...} once the parent's SIGINT has stopped the run.
"use strict";
const path = require("path");
const { tune, float } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const revoked = () => {
  const p = Proxy.revocable({}, {});
  p.revoke();
  return p.proxy;
};
const throwingGetter = (key) => {
  const e = new Error("the real message");
  Object.defineProperty(e, key, {
    get() {
      throw new Error(`${key} getter`);
    },
  });
  return e;
};

const NASTY = [
  () => ({ get value() { throw new Error("getter"); } }),
  () => new Proxy({ value: 1 }, { ownKeys() { throw new Error("ownKeys"); } }),
  () => { throw revoked(); },
  async () => { await sleep(1); throw revoked(); },
  () => { throw { toString() { throw new Error("toString"); }, toJSON() { throw new Error("toJSON"); } }; },
  () => { throw throwingGetter("message"); },
  async () => { throw throwingGetter("name"); },
  () => { throw throwingGetter("stack"); },
  () => ({ get then() { throw new Error("then getter"); } }),
  () => ({ then() {} }), // never settles: trialSeconds ends it
  async () => { await sleep(80); throw revoked(); }, // rejects after its timeout
  async () => { await sleep(80); return 1; }, // resolves after its timeout
  (p) => { const end = Date.now() + 60; while (Date.now() < end); return p.x; }, // blocks past its limit
  (p, t) => { void t.report(0, revoked()); return sleep(2).then(() => p.x); }, // a report nobody awaits
  async (p, t) => { await t.report(0, NaN); return p.x; },
  async (p, t) => { await t.report(3, 1); await t.report(2, 1); return p.x; },
  (p, t) => { setTimeout(() => t.report(0, p.x), 1); return p.x; }, // reports after returning
  () => Symbol("s"),
  () => 10n,
  () => { throw ""; },
  (p) => p.x, // and some that behave
  async (p) => ({ value: p.x, other: 2 }),
];

async function nasty() {
  const study = tune("nasty")
    .space({ x: float(0, 1) })
    .minimize()
    .strategy("random", { seed: 1 })
    .storage({ dir: args.dir })
    .display(false)
    .limits({ trials: NASTY.length * 2, parallel: 3, trialSeconds: 0.04 })
    .objective((p, t) => NASTY[t.number % NASTY.length](p, t))
    .on("trialStarted", () => { throw revoked(); })
    .on("trialFinished", async () => { throw new Error("async listener"); })
    .on("trialReported", () => ({ get then() { throw new Error("listener then"); } }))
    .on("studyFinished", () => study.run()); // run() again while running: refused
  study.on("trialFinished", () => void study.run());
  const summary = await study.run();
  await sleep(120); // the late results arrive
  process.stdout.write(JSON.stringify({ summary: { reason: summary.reason, started: summary.started }, states: study.trials.map((t) => [t.state, t.error ?? null]) }) + "\n");
}

async function never() {
  let said = false;
  const study = tune("never")
    .space({ x: float(0, 1) })
    .minimize()
    .storage({ dir: args.dir })
    .display(false)
    .objective(() => {
      if (!said) process.stdout.write(JSON.stringify({ running: true }) + "\n");
      said = true;
      return new Promise(() => {});
    });
  const summary = await study.run();
  process.stdout.write(JSON.stringify({ summary: { reason: summary.reason, started: summary.started }, states: study.trials.map((t) => t.state) }) + "\n");
}

(args.mode === "never" ? never : nasty)();
