#!/usr/bin/env node
/**
 * The `tunelab` command. The only place that reads argv or calls
 * process.exit.
 *
 * @example
 * $ node dist/cli/main.js serve < requests.jsonl > replies.jsonl
 */
import * as fs from "fs";
import * as path from "path";
import { serve } from "./serve";
import { runCommand } from "./run";
import { statusCommand } from "./status";
import { exportCommand } from "./export";

const USAGE = `usage: tunelab <command>

commands:
  serve          answer JSON-lines ask/tell requests: one request per line on
                 standard input, one reply per line on standard output
                 (the protocol: PROTOCOL.md; the README lists every op)
  run FILE.json  run the study a study file describes, each trial a run of its
                 command (tunelab run --help shows the format)
  status NAME    what a stored study holds: trials, best, what ended its last
                 run, live workers (tunelab status --help)
  export STUDY   write a stored study's trials as CSV, JSON or JSON lines
                 (tunelab export --help shows the options)

options:
  -h, --help     show this help
  -V, --version  print tunelab's version
`;

const SERVE_USAGE = `usage: tunelab serve

Reads one JSON request per line on standard input and writes one JSON reply
per line on standard output, in order; logs go to standard error. Ends with
status 0 on {"op":"exit"} or at the end of input.

  {"op":"create","study":"s","space":{"x":{"type":"float","low":0,"high":1}},"direction":"minimize","strategy":"random","seed":1}
  {"op":"ask","study":"s"}
  {"op":"tell","study":"s","trial":0,"value":0.25}
`;

/** The version in package.json (two levels up from both src/cli and dist/cli). */
export function version(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** Runs the command; resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "-h" || command === "--help" || command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === "-V" || command === "--version") {
    process.stdout.write(`tunelab ${version()}\n`);
    return 0;
  }
  if (command === "serve") {
    if (rest.length === 1 && (rest[0] === "-h" || rest[0] === "--help")) {
      process.stdout.write(SERVE_USAGE);
      return 0;
    }
    if (rest.length > 0) {
      process.stderr.write(`tunelab serve: unexpected argument ${JSON.stringify(rest[0])}\n\n${SERVE_USAGE}`);
      return 2;
    }
    return runServe();
  }
  if (command === "run") return runCommand(rest);
  if (command === "status") return statusCommand(rest);
  if (command === "export") return exportCommand(rest);
  process.stderr.write(command === undefined ? USAGE : `tunelab: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
  return 2;
}

async function runServe(): Promise<number> {
  // Standard output carries replies only: anything the engine or a library
  // prints with console.log goes to standard error instead.
  const toStderr = (...args: unknown[]): void => console.error(...args);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  try {
    await serve({ input: process.stdin, output: process.stdout });
    return 0;
  } catch (e) {
    // The output failed: the client is gone, nobody reads the replies.
    process.stderr.write(`tunelab serve: cannot write replies: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/** Exits once standard output has been flushed (pipes may be asynchronous). */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.exit(code));
  // Should the callback never come (a destroyed stream), still end.
  setTimeout(() => process.exit(code), 5000);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(exitAfterFlush, (e: unknown) => {
    process.stderr.write(`tunelab: ${e instanceof Error && e.stack ? e.stack : String(e)}\n`);
    exitAfterFlush(1);
  });
}
