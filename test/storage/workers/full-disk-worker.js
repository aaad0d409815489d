// Drives a journal study into a write that fails for real, started by
// test/storage/write-failure.test.ts in one of two ways:
//   - under `ulimit -f` (mode "limit"): the file may not grow past a size, so an append is cut
//     short and then fails with EFBIG;
//   - in a small tmpfs of its own (mode "full", in a private mount namespace): it fills the disk
//     with another file, so appends fail with ENOSPC, then deletes that file (space is back).
//
//   node full-disk-worker.js '{"dir":..., "name":..., "mode":"limit"|"full"}'
//
// Asks and tells until an operation fails, checks after each failure that what the study
// believes is what a fresh reader finds on disk, and prints one JSON line with what it saw.
"use strict";
const fs = require("fs");
const path = require("path");
const { Study, JournalStorage } = require(path.join(process.env.TUNELAB_DIST, "index.js"));

const args = JSON.parse(process.argv[2]);
const space = { x: { type: "float", low: 0, high: 1 } };
const options = { name: args.name, space, direction: "minimize", seed: 3 };

/** What a fresh reader of the journal finds. */
async function onDisk() {
  const warnings = [];
  const study = await Study.open({ ...options, storage: new JournalStorage(args.dir, { onWarning: (m) => warnings.push(m) }) });
  return { trials: study.snapshot.trials, warnings };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function step(study) {
  const t = await study.ask();
  await study.report(t.number, 1, t.params.x);
  await study.tell(t.number, { value: t.params.x });
}

async function main() {
  const out = { failures: [], consistent: true, partialBytes: false, warnings: [] };
  const study = await Study.open({ ...options, storage: new JournalStorage(args.dir, { onWarning: (m) => out.warnings.push(m) }) });
  for (let i = 0; i < 3; i++) await step(study);
  const file = new JournalStorage(args.dir).fileFor(args.name);
  const filler = path.join(args.dir, "filler");
  if (args.mode === "full") {
    const fd = fs.openSync(filler, "w");
    const chunk = Buffer.alloc(4096, 120);
    try {
      for (;;) fs.writeSync(fd, chunk);
    } catch (e) {
      if (e.code !== "ENOSPC") throw e;
    } finally {
      fs.closeSync(fd);
    }
  }
  // Go on until operations fail; then a few more attempts, which must fail the same clean way.
  for (let attempt = 0; attempt < 400 && out.failures.length < 6; attempt++) {
    try {
      await step(study);
    } catch (e) {
      out.failures.push({ code: e.code, message: e.message });
      const disk = await onDisk();
      if (!same(disk.trials, study.snapshot.trials)) out.consistent = false;
      if (disk.warnings.length) out.partialBytes = true;
      const text = fs.readFileSync(file, "utf8");
      if (!text.endsWith("\n")) out.partialBytes = true;
    }
  }
  out.believed = study.snapshot.trials.length;
  if (args.mode === "full") {
    fs.unlinkSync(filler);
    for (let i = 0; i < 5; i++) await step(study);
    out.after = study.snapshot.trials.map((t) => [t.number, t.state]);
    const disk = await onDisk();
    out.afterConsistent = same(disk.trials, study.snapshot.trials) && disk.warnings.length === 0;
  }
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + "\n");
  process.exit(1);
});
