// One of several processes driving the same journal study with ask/tell as
// fast as it can. Started by test/storage/multiprocess.test.ts:
//
//   node ask-tell-worker.js '{"dir":..., "name":..., "strategy":"grid"|"random", "seed":7, "asks":40}'
//
// Prints {"ready":true} once the study is open, waits for "go" on stdin (so
// every worker starts together), then asks and tells until the grid is done
// (grid) or it made `asks` trials (random). After its first trial it waits
// until every worker (`workers` of them) has made its first, so the runs
// really overlap and none finds the work already done.
// Ends with {"done":true, "mine":[...], "others":N, "warnings":[...]}: others
// is how many trials of other processes its final snapshot holds.
"use strict";
const path = require("path");
const { waitForGo } = require("./go");
const { Study, JournalStorage } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const space = {
  a: { type: "int", low: 0, high: 5 },
  b: { type: "categorical", choices: ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y"] },
  c: { type: "float", low: 0, high: 1 },
};
const gridSpace = { a: space.a, b: space.b };

async function main() {
  const warnings = [];
  const storage = new JournalStorage(args.dir, { onWarning: (m) => warnings.push(m) });
  const study = await Study.open({
    name: args.name,
    space: args.strategy === "grid" ? gridSpace : space,
    direction: "minimize",
    strategy: { name: args.strategy },
    seed: args.seed,
    storage,
  });
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
  await waitForGo();

  const mine = [];
  let waited = false;
  for (;;) {
    if (args.strategy === "random" && mine.length >= args.asks) break;
    const t = await study.ask();
    if (!t) break;
    mine.push(t.number);
    if (!waited) {
      // Don't run ahead alone: each worker makes one trial, then waits for the rest.
      waited = true;
      while ((await study.refresh()).trials.length < args.workers) {
        await new Promise((r) => setImmediate(r));
      }
    }
    await new Promise((r) => setImmediate(r));
    const value = typeof t.params.a === "number" ? t.params.a + (t.params.c ?? 0) : 0;
    if (t.number % 7 === 3) await study.tell(t.number, { state: "failed", error: "boom" });
    else await study.tell(t.number, { value });
  }
  const own = new Set(mine);
  const others = (await study.refresh()).trials.filter((t) => !own.has(t.number)).length;
  process.stdout.write(JSON.stringify({ done: true, mine, others, warnings }) + "\n");
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  process.exit(1);
});
