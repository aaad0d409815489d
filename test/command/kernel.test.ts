// command() in a real tslab kernel: "interrupt kernel" while trials run stops their process
// groups (the trials are recorded as interrupted), and the study stays consistent; then a
// kernel killed outright (as a restart does when the kernel does not answer) leaves no trial
// process behind: the reaper stops them.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VENV } from "../helpers/jupyter";
import { linkFreshPackage } from "../notebook/kernel";
import { cleanup, NODE, pidsIn, running, scratch, TRIAL_JS, until } from "./helpers";

afterAll(cleanup);

/**
 * Runs cell 0 (declarations: an interrupted cell's are lost), then cell 1 in a fresh tslab kernel, interrupts the kernel once `pids` lists `n` processes,
 * then runs cell 2 and kills the kernel (SIGKILL) once `pids` lists `m` processes in total,
 * without letting cell 2 finish. Returns the text cell 1 and cell 2 printed and the kernel's pid.
 */
const DRIVER = `
import json, os, signal, sys, time
from jupyter_client.manager import start_new_kernel

cell0, cell1, cell2, pids, n, m, cwd, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8]
def count():
    return len(open(pids).read().split()) // 2 if os.path.exists(pids) else 0
def wait_for(k):
    t0 = time.time()
    while count() < k:
        if time.time() - t0 > 60: raise SystemExit("timed out waiting for %d processes" % k)
        time.sleep(0.02)
def text(msg_id, stop=None):
    s, status = "", None
    while True:
        if stop and stop():
            return s, "killed"
        try:
            msg = kc.get_iopub_msg(timeout=0.1)
        except Exception:
            continue
        if msg["parent_header"].get("msg_id") != msg_id: continue
        if msg["msg_type"] == "stream": s += msg["content"]["text"]
        if msg["msg_type"] == "error": s += "ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle": return s, "idle"
km, kc = start_new_kernel(kernel_name="tslab", cwd=cwd, startup_timeout=60)
result = {"pid": km.provisioner.process.pid}
try:
    result["cell0"], _ = text(kc.execute(cell0))
    m1 = kc.execute(cell1)
    wait_for(n)
    km.interrupt_kernel()
    result["cell1"], _ = text(m1)
    time.sleep(0.5)  # tslab aborts what arrives within 200 ms of a failed cell
    m2 = kc.execute(cell2)
    def killed():
        if count() >= m:
            os.kill(km.provisioner.process.pid, signal.SIGKILL)
            return True
        return False
    result["cell2"], result["end"] = text(m2, killed)
finally:
    kc.stop_channels()
    try: km.shutdown_kernel(now=True)
    except Exception: pass
json.dump(result, open(out, "w"))
`;

describe("command() in a tslab kernel", () => {
  it("an interrupt stops the running processes and records the trials as interrupted; a killed kernel leaves none behind", async () => {
    const dir = scratch("kernel");
    linkFreshPackage(dir);
    const pids = path.join(dir, "pids");
    const argv = JSON.stringify([NODE, TRIAL_JS, "--x", "{x}", "--epochs", "1000", "--sleep", "20", "--pids", pids]);
    const cell0 = `import { tune, command, float } from "tunelab";
const study = tune("kernel-interrupt").space({ x: float(0, 1) }).minimize("loss").seed(1).storage({ dir: ".tunelab" }).display(false)
  .limits({ trials: 10, parallel: 3 }).objective(command(${argv}, { graceSeconds: 1 }));
const box: { run?: Promise<{ reason: string }> } = {};
console.log("declared");`;
    const cell1 = `box.run = study.run();
await box.run;`;
    const cell2 = `const s = await box.run!;
console.log(JSON.stringify({ reason: s.reason, trials: study.trials.map((t) => [t.state, t.system["stopped"]]) }));
await tune("kernel-killed").space({ x: float(0, 1) }).minimize("loss").seed(2).storage({ dir: ".tunelab" }).display(false)
  .limits({ trials: 10, parallel: 2 }).objective(command(${argv})).run();`;
    const out = path.join(dir, "result.json");
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.join(VENV, "bin")}${path.delimiter}${process.env["PATH"] ?? ""}`, JUPYTER_CONFIG_DIR: path.join(dir, "jupyter-config"), JUPYTER_PREFER_ENV_PATH: "1" };
    const driver = spawn(path.join(VENV, "bin", "python"), ["-c", DRIVER, cell0, cell1, cell2, pids, "3", "5", dir, out], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    driver.stdout!.on("data", (d: Buffer) => (log += d));
    driver.stderr!.on("data", (d: Buffer) => (log += d));
    const code = await new Promise<number | null>((resolve) => driver.on("close", resolve));
    expect(code, log).toBe(0);
    const result = JSON.parse(fs.readFileSync(out, "utf8")) as { cell0: string; cell1: string; cell2: string; end: string; pid: number };
    expect(result.cell0, log).toBe("declared\n");
    expect(result.cell1).toContain("Interrupted asynchronously");
    const state = JSON.parse(result.cell2.split("\n")[0]!) as { reason: string; trials: [string, string][] };
    expect(state.reason).toBe("interrupted");
    expect(state.trials).toEqual([0, 1, 2].map(() => ["failed", "interrupt"]));
    const listed = pidsIn(pids).map((p) => p.pid);
    expect(listed).toHaveLength(5);
    // The interrupted run's three were stopped by the run; the killed kernel's two by its reaper.
    for (const p of listed.slice(0, 3)) expect(running(p)).toBe(false);
    expect(result.end).toBe("killed");
    await until(() => listed.every((p) => !running(p)), 15_000, "the killed kernel's trial processes to be stopped");
  }, 150_000);
});
