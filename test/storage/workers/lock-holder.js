// Holds a journal study's lock for real: opens the study, then creates a trial whose proposal
// (which runs inside the journal's transaction, under the lock) waits until the file
// `release` appears. Started by test/storage/locks.test.ts:
//
//   node lock-holder.js '{"dir":..., "spec":{...}, "release":...}'
//
// Prints {"holding":true,"pid":...} while it holds the lock, {"done":true} after.
"use strict";
const fs = require("fs");
const path = require("path");
const { JournalStorage } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const spec = args.spec;

async function main() {
  const storage = new JournalStorage(args.dir, { onWarning: () => undefined });
  await storage.openStudy(spec);
  await storage.createTrial(spec.name, () => {
    process.stdout.write(JSON.stringify({ holding: true, pid: process.pid }) + "\n");
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (!fs.existsSync(args.release)) Atomics.wait(nap, 0, 0, 5);
    return { params: { x: 0.5 } };
  });
  process.stdout.write(JSON.stringify({ done: true }) + "\n");
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  process.exit(1);
});
