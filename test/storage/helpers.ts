// What several storage tests share: a study spec, a rejected promise's TunelabError, and a
// child process run to its end.
import { spawn } from "node:child_process";
import { expect } from "vitest";
import type { StudySpec } from "../../src/model/trial";
import { TunelabError } from "../../src/util/errors";

/** A one-parameter study spec, as the journal stores it. */
export function testSpec(name: string, over: Partial<StudySpec> = {}): StudySpec {
  return {
    name,
    space: { x: { type: "float", low: 0, high: 1 } },
    direction: "minimize",
    metric: "loss",
    strategy: { name: "random", options: {} },
    seed: 1,
    createdAt: 1_700_000_000_000,
    ...over,
  };
}

/** The TunelabError `p` rejects with (fails the test if it resolves or rejects with something else). */
export async function rejected(p: Promise<unknown>): Promise<TunelabError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TunelabError);
  return e as TunelabError;
}

/** Runs a command to its end with `input` on stdin; rejects when it exits with a non-zero code. */
export function runToEnd(command: readonly string[], env: Record<string, string>, input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command.join(" ")} exited with ${code}: ${err}`))));
    child.stdin.end(input);
  });
}
