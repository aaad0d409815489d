// `tunelab run` in this process (runCommand), its output captured.
import { PassThrough } from "node:stream";
import { runCommand } from "../../src/cli/run";

/** runCommand in this process, its output captured; `tty` makes standard error a terminal. */
export async function runIn(args: string[], tty = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = Object.assign(new PassThrough(), tty ? { isTTY: true, columns: 220 } : {});
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d));
  err.on("data", (d: Buffer) => (stderr += d));
  const code = await runCommand(args, { stdout: out, stderr: err, signals: new PassThrough() });
  return { code, stdout, stderr };
}
