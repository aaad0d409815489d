#!/usr/bin/env node
// Entry of `npm run bench [-- <suite>... [options]]` (see bench/README.md).
// Compiles src/ and bench/ with tsc (bench/tsconfig.json, incremental) into
// node_modules/.cache/tunelab-bench, then runs the compiled bench/main.js in a child node.
"use strict";
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const fs = require("node:fs");

const root = path.resolve(__dirname, "..");
const outDir = path.join(root, "node_modules", ".cache", "tunelab-bench");
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");

process.stderr.write("bench: compiling src/ and bench/ (tsc) ...\n");
const c = spawnSync(process.execPath, [tsc, "-p", path.join(__dirname, "tsconfig.json")], { cwd: root, encoding: "utf8" });
const main = path.join(outDir, "bench", "main.js");
if (c.status !== 0) {
  process.stderr.write(c.stdout + c.stderr);
  if (!fs.existsSync(main)) process.exit(c.status ?? 1);
  process.stderr.write("bench: WARNING: tsc reported errors (above); running what it emitted anyway.\n");
}
const r = spawnSync(process.execPath, [main, ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
