import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { ROOT } from "./paths";

/** The machine and tunelab's side of the versions, for the README. */
export function nodeEnv(): Record<string, string> {
  let cpu = os.cpus()[0]?.model ?? "?";
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1]!.trim();
  } catch {
    // not Linux
  }
  const git = (args: string[]) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout?.trim() ?? "";
  const commit = git(["rev-parse", "--short", "HEAD"]);
  const dirty = git(["status", "--porcelain", "--untracked-files=no", "--", "src"]) !== "";
  const pkg = JSON.parse(fs.readFileSync(`${ROOT}/package.json`, "utf8")) as { version: string };
  return {
    tunelab: `${pkg.version} (commit ${commit || "?"}${dirty ? " + uncommitted changes in src/" : ""})`,
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu,
    cores: String(os.cpus().length),
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(" "),
  };
}

/**
 * The lines every suite's section starts with: its title, the command and date, the machine,
 * the versions on both sides (`pyExtra` adds to the Python side, e.g. torch), and why Optuna's
 * rows are missing when they are.
 */
export function runHeader(title: string, command: string, pyEnv: Record<string, unknown>, note: string, pyExtra = ""): string[] {
  const ne = nodeEnv();
  const py = pyEnv["python"] ? `; Python ${pyEnv["python"]}, Optuna ${pyEnv["optuna"]}, numpy ${pyEnv["numpy"]}, scipy ${pyEnv["scipy"]}${pyExtra}` : "";
  const L = [
    `## ${title}\n`,
    `Command: \`${command}\` (${new Date().toISOString().replace(/\.\d+Z$/, "Z")})\n`,
    `Machine: ${ne["cpu"]}, ${ne["cores"]} cores, ${ne["memory"]}; ${ne["platform"]}; load average before the run ${ne["loadavg"]}.\n`,
    `Versions: tunelab ${ne["tunelab"]}, Node ${ne["node"]} (V8 ${ne["v8"]})${py}.\n`,
  ];
  if (note) L.push(`**${note}**\n`);
  return L;
}
