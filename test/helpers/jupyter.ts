/**
 * Test harness for the Jupyter side: runs notebooks in a real tslab kernel through the
 * project's venv (.venv, made by scripts/setup.sh) and starts JupyterLab servers.
 *
 *   const nb = await executeNotebook(file, { timeoutMs: 120_000 });  // throws if a cell failed
 *   expect(streamText(nb, "stdout")).toContain("hi");
 *
 *   const lab = await startJupyterLab({ root: dir });
 *   const specs = await (await lab.api("/api/kernelspecs")).json();
 *   await lab.stop();
 *
 * Only Node built-ins. Each child gets an empty JUPYTER_CONFIG_DIR of its own so a user's
 * ~/.jupyter (settings, workspaces, server config) never leaks into a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const VENV = path.join(REPO_ROOT, ".venv");
export const JUPYTER = path.join(VENV, "bin", "jupyter");

// ---------------------------------------------------------------------------------------------
// Notebook JSON (nbformat 4)

export type MultilineString = string | string[];

export interface NotebookOutput {
  output_type: "stream" | "execute_result" | "display_data" | "update_display_data" | "error";
  name?: "stdout" | "stderr";
  text?: MultilineString;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NotebookCell {
  id?: string;
  cell_type: "code" | "markdown" | "raw";
  source: MultilineString;
  metadata: Record<string, unknown>;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** An output together with the index of the cell that produced it. */
export interface LocatedOutput {
  cellIndex: number;
  output: NotebookOutput;
}

export function joinText(text: MultilineString | undefined): string {
  if (text === undefined) return "";
  return Array.isArray(text) ? text.join("") : text;
}

/** Splits a source string the way Jupyter stores it: lines, each keeping its "\n". */
export function toSourceLines(source: string): string[] {
  return source.split(/(?<=\n)/);
}

/** A tslab notebook with one code cell per source (markdown cells: prefix the source with "md:"). */
export function tslabNotebook(sources: string[]): Notebook {
  return {
    cells: sources.map((src) => {
      const isMarkdown = src.startsWith("md:");
      const source = toSourceLines(isMarkdown ? src.slice(3) : src);
      const id = randomUUID().slice(0, 8);
      return isMarkdown
        ? { id, cell_type: "markdown", metadata: {}, source }
        : { id, cell_type: "code", metadata: {}, source, outputs: [], execution_count: null };
    }),
    metadata: {
      kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
      language_info: {
        name: "typescript",
        file_extension: ".ts",
        mimetype: "text/typescript",
        codemirror_mode: { name: "javascript", typescript: true },
      },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

export function writeNotebook(file: string, nb: Notebook): void {
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

/** Every output of every code cell, in order. */
export function allOutputs(nb: Notebook): LocatedOutput[] {
  const found: LocatedOutput[] = [];
  nb.cells.forEach((cell, cellIndex) => {
    for (const output of cell.outputs ?? []) found.push({ cellIndex, output });
  });
  return found;
}

/** Outputs (execute_result / display_data) whose bundle carries `mime`. */
export function outputsByMime(nb: Notebook, mime: string): (LocatedOutput & { value: unknown })[] {
  return allOutputs(nb)
    .filter(({ output }) => output.data !== undefined && mime in output.data)
    .map((o) => ({ ...o, value: mimeValue(o.output, mime) }));
}

/** The value for `mime` in an output's bundle; text MIME types are joined into one string. */
export function mimeValue(output: NotebookOutput, mime: string): unknown {
  const value = output.data?.[mime];
  if (typeof value === "string" || (Array.isArray(value) && value.every((v) => typeof v === "string"))) {
    return joinText(value as MultilineString);
  }
  return value;
}

export function errorOutputs(nb: Notebook): LocatedOutput[] {
  return allOutputs(nb).filter(({ output }) => output.output_type === "error");
}

/** Concatenated stream text (stdout and stderr unless `name` is given). */
export function streamText(nb: Notebook, name?: "stdout" | "stderr"): string {
  return allOutputs(nb)
    .filter(({ output }) => output.output_type === "stream" && (name === undefined || output.name === name))
    .map(({ output }) => joinText(output.text))
    .join("");
}

/** Stream text printed by one cell (stdout and stderr unless `name` is given). */
export function cellStreamText(nb: Notebook, cellIndex: number, name?: "stdout" | "stderr"): string {
  return (nb.cells[cellIndex]?.outputs ?? [])
    .filter((o) => o.output_type === "stream" && (name === undefined || o.name === name))
    .map((o) => joinText(o.text))
    .join("");
}

/** A readable text for any output: stream text, text/plain, or "ename: evalue" + traceback. */
export function outputText(output: NotebookOutput): string {
  switch (output.output_type) {
    case "stream":
      return joinText(output.text);
    case "error":
      return stripAnsi([`${output.ename}: ${output.evalue}`, ...(output.traceback ?? [])].join("\n"));
    default:
      return String(mimeValue(output, "text/plain") ?? "");
  }
}

/** Outputs whose readable text contains `needle`. */
export function findOutputs(nb: Notebook, needle: string | RegExp): LocatedOutput[] {
  return allOutputs(nb).filter(({ output }) => {
    const text = outputText(output);
    return typeof needle === "string" ? text.includes(needle) : needle.test(text);
  });
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");
}

// ---------------------------------------------------------------------------------------------
// Temporary folders

/**
 * A fresh folder under <repo>/tmp/ (git-ignored). Notebooks run there resolve
 * `import ... from "tunelab"` and @types/node through the repo's node_modules, which a folder
 * under /tmp would not.
 */
export function makeRepoTempDir(prefix = "nb"): string {
  const base = path.join(REPO_ROOT, "tmp");
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, `${prefix}-`));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Child processes

function assertVenv(): void {
  if (!fs.existsSync(JUPYTER)) {
    throw new Error(`${JUPYTER} is missing: run \`bash scripts/setup.sh\` first (npm test does).`);
  }
}

/** Environment for a Jupyter child: this venv first, nothing from the user's ~/.jupyter. */
function jupyterEnv(configDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(VENV, "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    VIRTUAL_ENV: VENV,
    JUPYTER_CONFIG_DIR: configDir,
    JUPYTER_PREFER_ENV_PATH: "1",
    PYTHONUNBUFFERED: "1",
    ...extra,
  };
  delete env.NODE_OPTIONS; // vitest's loader flags must not reach the kernel's node
  return env;
}

/** Keeps the last `limit` characters written to it. */
class TailBuffer {
  private text = "";
  constructor(private readonly limit = 64 * 1024) {}
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.limit) this.text = this.text.slice(-this.limit);
  }
  toString(): string {
    return this.text;
  }
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Children run in their own process group so a kernel they started dies with them. */
function track(child: ChildProcess): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  liveGroups.add(pid);
  child.once("exit", () => liveGroups.delete(pid));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const group of liveGroups) killGroup(group, "SIGKILL");
    });
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Executing notebooks

export interface ExecuteOptions {
  /** Whole run, kernel start included (default 120 s); also each cell's limit. */
  timeoutMs?: number;
  /** Kernel to run (default "tslab"), whatever the notebook's metadata says. */
  kernelName?: string;
  /** When false (default), a failed cell makes executeNotebook throw with its message. */
  allowErrors?: boolean;
  /** Extra environment for the driver and the kernel. */
  env?: NodeJS.ProcessEnv;
}

/**
 * nbclient driver: runs every cell (on errors too) and records each code cell's execute_reply
 * status in `metadata.harness.status`, and waits out tslab's 200 ms abort window after a
 * failure so the following cells still run. tslab reports a failing cell (type error, exception)
 * only as stderr text plus an "error" reply status, never as an `error` output, so the status
 * is the only reliable signal.
 */
const DRIVER = `
import asyncio, json, os, sys
import nbformat
from nbclient import NotebookClient

path, kernel, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
nb = nbformat.read(path, as_version=4)

async def on_cell_executed(cell, cell_index, execute_reply):
    status = execute_reply["content"]["status"]
    cell.metadata["harness"] = {"status": status}
    if status != "ok":
        # tslab aborts requests that arrive within 200 ms of a failure; wait that out.
        await asyncio.sleep(0.3)

NotebookClient(
    nb, kernel_name=kernel, timeout=timeout, startup_timeout=60, allow_errors=True,
    resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    on_cell_executed=on_cell_executed,
).execute()
sys.stdout.write(json.dumps(nb))
`;

/** A code cell whose execution failed, with what it printed about it. */
export interface FailedCell {
  cellIndex: number;
  source: string;
  /** stderr text and error outputs of the cell (tslab prints compile and runtime errors to stderr). */
  message: string;
}

/** Cells whose execute_reply status was not "ok" (needs a notebook from executeNotebook). */
export function failedCells(nb: Notebook): FailedCell[] {
  const failed: FailedCell[] = [];
  nb.cells.forEach((cell, cellIndex) => {
    const run = cell.metadata["harness"] as { status?: string } | undefined;
    const hasErrorOutput = (cell.outputs ?? []).some((o) => o.output_type === "error");
    if ((run?.status !== undefined && run.status !== "ok") || hasErrorOutput) {
      const message = (cell.outputs ?? [])
        .filter((o) => o.output_type === "error" || (o.output_type === "stream" && o.name === "stderr"))
        .map(outputText)
        .join("");
      failed.push({ cellIndex, source: joinText(cell.source), message });
    }
  });
  return failed;
}

/**
 * Runs the notebook at `file` in a real kernel (nbclient through the venv's Python, cwd = the
 * notebook's folder, so relative paths and .tunelab/ land beside it) and returns the executed
 * notebook; each code cell carries `metadata.harness.status` ("ok" / "error" / "abort").
 * The file itself is not modified. tslab prints a cell's last expression to stdout (it sends no
 * execute_result), so look for values with streamText().
 */
export async function executeNotebook(file: string, options: ExecuteOptions = {}): Promise<Notebook> {
  assertVenv();
  const { timeoutMs = 120_000, kernelName = "tslab", allowErrors = false } = options;
  const abs = path.resolve(file);
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-jupyter-config-"));
  const python = path.join(VENV, "bin", "python");
  const args = ["-c", DRIVER, abs, kernelName, String(Math.ceil(timeoutMs / 1000))];
  const child = spawn(python, args, {
    cwd: path.dirname(abs),
    env: jupyterEnv(configDir, options.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  track(child);
  const stdout: Buffer[] = [];
  const stderr = new TailBuffer();
  child.stdout!.on("data", (c: Buffer) => stdout.push(c));
  child.stderr!.on("data", (c: Buffer) => stderr.push(c));

  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid!, "SIGKILL");
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (c) => resolve(c));
  }).finally(() => {
    clearTimeout(timer);
    killGroup(child.pid!, "SIGKILL"); // a kernel the client failed to stop
    removeDir(configDir);
  });

  if (timedOut) {
    throw new Error(`executing ${file} took longer than ${timeoutMs} ms; the driver said:\n${stderr}`);
  }
  if (code !== 0) {
    throw new Error(`executing ${file} failed (exit ${code}):\n${stderr}`);
  }
  const nb = JSON.parse(Buffer.concat(stdout).toString("utf8")) as Notebook;
  if (!allowErrors) {
    const failed = failedCells(nb);
    if (failed.length > 0) {
      const report = failed
        .map((f) => `cell ${f.cellIndex}:\n${indent(f.source)}\nfailed with:\n${indent(f.message)}`)
        .join("\n\n");
      throw new Error(`${file}: ${failed.length} cell(s) failed:\n${report}`);
    }
  }
  return nb;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// JupyterLab

export interface JupyterLabOptions {
  /** Folder the server shows (its root_dir). */
  root: string;
  /** How long to wait for /api/status (default 60 s). */
  timeoutMs?: number;
  /** Extra command-line arguments for `jupyter lab`. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface JupyterLab {
  /** Base URL with a trailing slash, e.g. http://127.0.0.1:41234/ */
  url: string;
  /** The lab page with the token in the query string (what a browser opens). */
  labUrl: string;
  token: string;
  port: number;
  process: ChildProcess;
  /** fetch() against the server with the token header: api("/api/kernelspecs"). */
  api(pathname: string, init?: RequestInit): Promise<Response>;
  /** The server's recent log (stderr). */
  logs(): string;
  /** Stops the server and its kernels; resolves once the process has exited. */
  stop(): Promise<void>;
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a TCP server could listen on 127.0.0.1:port right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the venv's JupyterLab on 127.0.0.1 (free port, random token, no browser) and waits
 * until /api/status answers. Always `await lab.stop()` (e.g. in afterAll).
 */
export async function startJupyterLab(options: JupyterLabOptions): Promise<JupyterLab> {
  assertVenv();
  let lastError: unknown;
  // The port is picked before the server binds it; on the rare race, try another.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options, await freePort());
    } catch (err) {
      lastError = err;
      if (!(err instanceof PortInUseError)) throw err;
    }
  }
  throw lastError;
}

class PortInUseError extends Error {}

async function startOnce(options: JupyterLabOptions, port: number): Promise<JupyterLab> {
  const { root, timeoutMs = 60_000, args = [] } = options;
  const token = randomBytes(24).toString("hex");
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-jupyter-config-"));
  const isRoot = process.getuid?.() === 0;
  const child = spawn(
    JUPYTER,
    [
      "lab",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${path.resolve(root)}`,
      ...(isRoot ? ["--allow-root"] : []),
      ...args,
    ],
    {
      cwd: path.resolve(root),
      env: jupyterEnv(configDir, options.env),
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  track(child);
  const log = new TailBuffer();
  child.stdout!.on("data", (c: Buffer) => log.push(c));
  child.stderr!.on("data", (c: Buffer) => log.push(c));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const url = `http://127.0.0.1:${port}/`;
  const headers = { Authorization: `token ${token}` };
  const api = (pathname: string, init: RequestInit = {}) =>
    fetch(new URL(pathname.replace(/^\//, ""), url), {
      ...init,
      headers: { ...headers, ...(init.headers as Record<string, string> | undefined) },
    });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM"); // jupyter shuts its kernels down on SIGTERM
        if (!(await waitForExit(child, 10_000))) killGroup(child.pid!, "SIGKILL");
        await waitForExit(child, 5_000);
      }
      killGroup(child.pid!, "SIGKILL"); // any kernel left behind
      removeDir(configDir);
    })());

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      const text = log.toString();
      if (/address already in use/i.test(text)) throw new PortInUseError(`port ${port} in use`);
      throw new Error(`jupyter lab exited (${child.exitCode ?? child.signalCode}) before it answered:\n${text}`);
    }
    try {
      const res = await api("/api/status", { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`jupyter lab did not answer /api/status within ${timeoutMs} ms:\n${log}`);
    }
    await Promise.race([sleep(100), exited]);
  }

  return {
    url,
    labUrl: `${url}lab?token=${token}`,
    token,
    port,
    process: child,
    api,
    logs: () => log.toString(),
    stop,
  };
}

/** Width and height in pixels of a base64 PNG (its IHDR chunk); throws when it is no PNG. */
export function pngSize(base64: string): { width: number; height: number } {
  const b = Buffer.from(base64, "base64");
  if (!b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error("not a PNG");
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}
