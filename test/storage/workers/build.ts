/**
 * Compiles src/ for the child-process workers (plain .js files next to this
 * one) and returns the output folder; a worker finds it in TUNELAB_DIST.
 *
 * The output goes to tmp/test-dist/<hash of src>/ rather than dist/: other
 * people and scripts rebuild dist/ at any moment, and a child process that
 * `require`s a half-written file fails for no reason of ours. The folder is
 * keyed by the sources' content, so a stale build is never used, and it is
 * filled under a temporary name then renamed, so two test files building at
 * once never see a partial build (the second rename loses and uses the first).
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sourceHash } from "../../helpers/source-hash";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const WORKERS = __dirname;
const OUT_ROOT = path.join(REPO_ROOT, "tmp", "test-dist");

/** Builds (if needed) and returns the folder holding index.js. */
export function ensureBuilt(): string {
  const out = path.join(OUT_ROOT, sourceHash());
  if (fs.existsSync(path.join(out, "index.js"))) return out;
  fs.mkdirSync(OUT_ROOT, { recursive: true });
  const partial = fs.mkdtempSync(path.join(OUT_ROOT, "partial-"));
  const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  try {
    // Type errors elsewhere in the tree must not stop the workers: tsc still emits.
    execFileSync(process.execPath, [tsc, "-p", path.join(REPO_ROOT, "tsconfig.json"), "--outDir", partial, "--declaration", "false", "--sourceMap", "false"], {
      cwd: REPO_ROOT,
      stdio: "pipe",
    });
  } catch (e) {
    if (!fs.existsSync(path.join(partial, "index.js"))) throw e;
  }
  try {
    fs.renameSync(partial, out);
  } catch {
    fs.rmSync(partial, { recursive: true, force: true }); // someone else finished first
  }
  cleanOld(out);
  return out;
}

/** Removes builds of older sources (best effort; an hour's grace for runs still using them). */
function cleanOld(keep: string): void {
  for (const name of fs.readdirSync(OUT_ROOT)) {
    const p = path.join(OUT_ROOT, name);
    if (p === keep) continue;
    try {
      if (Date.now() - fs.statSync(p).mtimeMs > 3_600_000) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/** A fresh temporary folder (removed by the caller). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tunelab-${prefix}-`));
}

export interface WorkerProcess {
  /** Lines the worker printed (each a JSON message). */
  readonly messages: unknown[];
  /** Resolves when a message satisfying `pred` arrives (rejects if the worker exits first). */
  waitFor(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  send(line: string): void;
  /** Closes its standard input (end of input). */
  end(): void;
  kill(signal: NodeJS.Signals): void;
  /** Exit code and signal, once it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/**
 * Starts `node <worker> <json args>` with TUNELAB_DIST set. Workers speak JSON
 * lines on stdout and read commands (one per line) on stdin.
 */
export function startWorker(script: string, dist: string, args: unknown, cwd?: string, wrap?: readonly string[]): WorkerProcess {
  return startNode([path.join(WORKERS, script), JSON.stringify(args)], { TUNELAB_DIST: dist }, cwd, wrap);
}

/**
 * Starts `node <argv>` (a worker, `tunelab serve`, ...) that speaks JSON lines on stdout; with
 * `wrap`, through that command (e.g. `unshare --pid --fork --kill-child`: a process in a pid
 * namespace of its own, as in another container).
 */
export function startNode(argv: readonly string[], env: Record<string, string> = {}, cwd?: string, wrap?: readonly string[]): WorkerProcess {
  const script = path.basename(argv[0] ?? "node");
  const [program, ...prefix] = wrap && wrap.length ? [...wrap, process.execPath] : [process.execPath];
  const child = spawn(program!, [...prefix, ...argv], {
    cwd: cwd ?? REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const messages: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  let stderr = "";
  let buf = "";
  let ended = false;
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line) as Record<string, unknown>;
      } catch {
        m = { text: line };
      }
      messages.push(m);
      for (const w of [...waiters]) {
        if (w.pred(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on("close", (code, signal) => {
      ended = true;
      for (const w of waiters.splice(0)) w.reject(new Error(`worker ${script} exited (code ${code}, signal ${signal}) before the expected message; stderr:\n${stderr}`));
      resolve({ code, signal, stderr });
    });
  });
  return {
    messages,
    waitFor(pred) {
      const seen = messages.find(pred);
      if (seen) return Promise.resolve(seen);
      if (ended) return Promise.reject(new Error(`worker ${script} already exited; stderr:\n${stderr}`));
      return new Promise((resolve, reject) => waiters.push({ pred, resolve, reject }));
    },
    send(line) {
      child.stdin.write(line + "\n");
    },
    end() {
      child.stdin.end();
    },
    kill(signal) {
      child.kill(signal);
    },
    exited,
  };
}

/** A `tunelab serve` process: each request gets a fresh id, and its reply is the line with that id. */
export interface ServeProcess {
  send(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Closes its input (it then ends) and resolves to its exit code. */
  end(): Promise<number | null>;
}

/** Starts `tunelab serve` from a fresh build of src/ (ensureBuilt). */
export function startServe(cwd?: string): ServeProcess {
  const child = startNode([path.join(ensureBuilt(), "cli", "main.js"), "serve"], {}, cwd);
  let ids = 0;
  return {
    send(request) {
      const id = `r${++ids}`;
      child.send(JSON.stringify({ ...request, id }));
      return child.waitFor((m) => m["id"] === id);
    },
    async end() {
      child.end();
      return (await child.exited).code;
    },
  };
}
