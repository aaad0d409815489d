/**
 * Runs code cells in a real tslab kernel through jupyter_client and returns
 * every IOPub message each cell produced, in order. nbclient/nbconvert fold
 * `update_display_data` into the display it updates, so an executed notebook
 * can't show whether a display was updated live; the raw messages can.
 *
 *   const runs = await runCellsInKernel(['console.log(1)'], dir);
 *   runs[0].messages // [{ msg_type: "stream", content: { name: "stdout", text: "1\n" } }]
 *
 * Also: linkFreshPackage(dir), which lets notebooks in `dir` import a private
 * build of the current sources as "tunelab".
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT, VENV } from "../helpers/jupyter";
import { sourceHash } from "../helpers/source-hash";

export interface KernelMessage {
  readonly msg_type: string;
  readonly content: Record<string, any>;
}

export interface CellRun {
  /** The execute_reply status: "ok", "error" or "abort". */
  readonly status: string;
  /** IOPub messages whose parent is this cell's request (status messages left out). */
  readonly messages: KernelMessage[];
}

const DRIVER = `
import json, sys, time
from jupyter_client.manager import start_new_kernel

cells_file, out_file, cwd, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
keep_going = sys.argv[5] == "1"
cells = json.load(open(cells_file))
km, kc = start_new_kernel(kernel_name="tslab", cwd=cwd, startup_timeout=60)
runs = []
try:
    for code in cells:
        msg_id = kc.execute(code)
        messages = []
        while True:
            m = kc.get_iopub_msg(timeout=timeout)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            if m["msg_type"] == "status":
                if m["content"]["execution_state"] == "idle":
                    break
                continue
            messages.append({"msg_type": m["msg_type"], "content": m["content"]})
        while True:
            reply = kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        runs.append({"status": reply["content"]["status"], "messages": messages})
        if reply["content"]["status"] != "ok":
            if not keep_going:
                break
            # tslab cancels what arrives within 200 ms of a failed cell
            time.sleep(0.4)
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=True)
with open(out_file, "w") as f:
    json.dump(runs, f)
`;

/**
 * Runs `cells` one after another in a fresh tslab kernel started in `cwd`; stops after a
 * failing cell, unless `keepGoing` (then every cell runs, as a person running them one by one).
 */
export async function runCellsInKernel(cells: readonly string[], cwd: string, timeoutMs = 120_000, keepGoing = false): Promise<CellRun[]> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-kernel-"));
  const cellsFile = path.join(scratch, "cells.json");
  // The results go to a file: the kernel (node) shares the driver's stdout and makes it
  // non-blocking, which cuts a large write to stdout short.
  const outFile = path.join(scratch, "runs.json");
  fs.writeFileSync(cellsFile, JSON.stringify(cells));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(VENV, "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    VIRTUAL_ENV: VENV,
    JUPYTER_CONFIG_DIR: path.join(scratch, "config"),
    JUPYTER_PREFER_ENV_PATH: "1",
    PYTHONUNBUFFERED: "1",
  };
  delete env.NODE_OPTIONS; // vitest's loader flags must not reach the kernel's node
  const child = spawn(path.join(VENV, "bin", "python"), ["-c", DRIVER, cellsFile, outFile, cwd, String(timeoutMs / 1000), keepGoing ? "1" : "0"], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-20_000)));
  child.stderr!.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-20_000)));
  const kill = () => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // gone
    }
  };
  const timer = setTimeout(kill, timeoutMs);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    if (code !== 0) throw new Error(`the kernel driver failed (exit ${code}):\n${err}`);
    return JSON.parse(fs.readFileSync(outFile, "utf8")) as CellRun[];
  } finally {
    clearTimeout(timer);
    kill(); // a kernel left behind
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Makes `import ... from "tunelab"` in notebooks under `dir` load a private
 * build of the current src/ (declarations included, for tslab's type checks):
 * `<dir>/node_modules/tunelab` links to tmp/notebook-pkg/<hash of src>/.
 * Not dist/: other people and scripts rebuild or delete dist/ at any moment,
 * and a kernel that imports it meanwhile fails for no reason of ours. The
 * build is keyed by the sources, filled under a temporary name and renamed,
 * so concurrent test files never see half of one. Its dependencies (vega,
 * danfojs-node, @types/node) resolve from the repo's node_modules.
 */
export function linkFreshPackage(dir: string): void {
  const root = path.join(REPO_ROOT, "tmp", "notebook-pkg");
  const pkg = path.join(root, sourceHash());
  if (!fs.existsSync(path.join(pkg, "dist", "index.d.ts"))) {
    fs.mkdirSync(root, { recursive: true });
    const partial = fs.mkdtempSync(path.join(root, "partial-"));
    const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", path.join(REPO_ROOT, "tsconfig.json"), "--outDir", path.join(partial, "dist"), "--sourceMap", "false"], { cwd: REPO_ROOT, encoding: "utf8" });
    if (r.status !== 0) {
      fs.rmSync(partial, { recursive: true, force: true });
      throw new Error(`tsc failed, so the notebook tests have no tunelab to import:\n${r.stdout}${r.stderr}`);
    }
    fs.writeFileSync(path.join(partial, "package.json"), JSON.stringify({ name: "tunelab", version: "0.0.0-test", main: "dist/index.js", types: "dist/index.d.ts" }));
    try {
      fs.renameSync(partial, pkg);
    } catch {
      fs.rmSync(partial, { recursive: true, force: true }); // another test file finished first
    }
    for (const name of fs.readdirSync(root)) {
      const p = path.join(root, name);
      try {
        if (p !== pkg && Date.now() - fs.statSync(p).mtimeMs > 3_600_000) fs.rmSync(p, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
    }
  }
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true });
  fs.symlinkSync(pkg, path.join(dir, "node_modules", "tunelab"), "dir");
}
