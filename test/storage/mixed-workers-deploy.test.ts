// The deployment examples, checked as far as this machine can: examples/k8s-job.yaml (an indexed
// Job whose pods each run `tunelab run` on one study file, the PostgreSQL URL from a Secret),
// examples/slurm-array.sh (an array whose tasks run the same) and examples/workers-digits.json
// (the study file they share). The YAML is parsed and each pod's command is run here with
// --dry-run against a real PostgreSQL; the Slurm script passes `bash -n` and two of its array
// tasks really run the example study (fewer trials) on one PostgreSQL study. No cluster here:
// Kubernetes and Slurm themselves are not exercised.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseStudyFile } from "../../src/command/study-file";
import { openStorage } from "../../src/storage/open";
import { Study } from "../../src/study/study";
import { REPO_ROOT, VENV } from "../helpers/jupyter";
import { testDatabase } from "../helpers/postgres";
import { ensureBuilt, tempDir } from "./workers/build";

const EXAMPLES = path.join(REPO_ROOT, "examples");
const STUDY_FILE = "workers-digits.json";
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A folder whose `tunelab` runs this checkout's CLI (a fresh build): what an installed tunelab puts on PATH. */
function tunelabOnPath(): string {
  const bin = tempDir("bin");
  dirs.push(bin);
  fs.writeFileSync(path.join(bin, "tunelab"), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ensureBuilt(), "cli", "main.js")}" "$@"\n`, { mode: 0o755 });
  return bin;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The YAML's documents as JSON (PyYAML, from the venv JupyterLab brings, else the system's python3). */
function parseYaml(file: string): Record<string, any>[] {
  const python = fs.existsSync(path.join(VENV, "bin", "python")) ? path.join(VENV, "bin", "python") : "python3";
  const out = execFileSync(python, ["-c", "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))", file], { encoding: "utf8" });
  return JSON.parse(out) as Record<string, any>[];
}

describe("examples/workers-digits.json", () => {
  it("is a study file tunelab run accepts (--dry-run), its storage left to TUNELAB_STORAGE", async () => {
    const { url } = await testDatabase("deploy_json");
    const spec = parseStudyFile(fs.readFileSync(path.join(EXAMPLES, STUDY_FILE), "utf8"), path.join(EXAMPLES, STUDY_FILE));
    expect(JSON.parse(fs.readFileSync(path.join(EXAMPLES, STUDY_FILE), "utf8"))).not.toHaveProperty("storage");
    const r = await run("tunelab", ["run", path.join(EXAMPLES, STUDY_FILE), "--dry-run"], { ...process.env, PATH: `${tunelabOnPath()}:${process.env["PATH"]}`, TUNELAB_STORAGE: url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`study "${spec.study}" in ${url}`);
    expect(r.stdout.match(/^trial \d+: python3 train_digits\.py --alpha /gm)).toHaveLength(5);
  }, 60_000);
});

describe("examples/k8s-job.yaml", () => {
  const docs = parseYaml(path.join(EXAMPLES, "k8s-job.yaml"));
  const job = docs.find((d) => d["kind"] === "Job")!;

  it("is an indexed Job of N parallel pods, each running tunelab run on the study file, TUNELAB_STORAGE from a Secret", () => {
    expect(docs.map((d) => d["apiVersion"] + " " + d["kind"])).toEqual(["batch/v1 Job"]);
    const spec = job["spec"];
    expect(spec["completionMode"]).toBe("Indexed");
    expect(spec["parallelism"]).toBeGreaterThan(1);
    expect(spec["completions"]).toBe(spec["parallelism"]);
    const pod = spec["template"]["spec"];
    expect(pod["restartPolicy"]).toBe("Never");
    const [c] = pod["containers"];
    expect(c["command"]).toEqual(["tunelab", "run", `/study/${STUDY_FILE}`]);
    expect(c["env"]).toContainEqual({ name: "TUNELAB_STORAGE", valueFrom: { secretKeyRef: { name: "tunelab-db", key: "url" } } });
    // The file comes from the ConfigMap the comment says to create, mounted where the command reads it.
    const mount = c["volumeMounts"].find((m: { mountPath: string }) => m.mountPath === "/study");
    const volume = pod["volumes"].find((v: { name: string }) => v.name === mount.name);
    const text = fs.readFileSync(path.join(EXAMPLES, "k8s-job.yaml"), "utf8");
    expect(text).toContain(`kubectl create configmap ${volume["configMap"]["name"]}`);
    expect(text).toContain(`--from-file=examples/${STUDY_FILE}`);
    expect(text).toContain("--from-file=examples/train_digits.py");
    expect(text).toContain("kubectl create secret generic tunelab-db");
  });

  it("the pod's command, run here with the study file where the ConfigMap puts it and the URL in TUNELAB_STORAGE, is accepted (--dry-run)", async () => {
    const { url } = await testDatabase("deploy_k8s");
    // /study is the ConfigMap's mount: here, a folder holding the two files it is made from.
    const study = tempDir("study");
    dirs.push(study);
    for (const f of [STUDY_FILE, "train_digits.py"]) fs.copyFileSync(path.join(EXAMPLES, f), path.join(study, f));
    const [cmd, ...args] = (job["spec"]["template"]["spec"]["containers"][0]["command"] as string[]).map((a) => a.replace(/^\/study\//, `${study}/`));
    const r = await run(cmd!, [...args, "--dry-run"], { ...process.env, PATH: `${tunelabOnPath()}:${process.env["PATH"]}`, TUNELAB_STORAGE: url }, "/");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`working directory: ${study}`);
    expect(r.stdout.match(/^trial \d+: python3 train_digits\.py /gm)).toHaveLength(5);
  }, 60_000);
});

describe("examples/slurm-array.sh", () => {
  const script = path.join(EXAMPLES, "slurm-array.sh");

  it("passes bash -n, is an array of tasks, and refuses to start without TUNELAB_STORAGE", async () => {
    execFileSync("bash", ["-n", script]);
    const text = fs.readFileSync(script, "utf8");
    expect(text).toMatch(/^#SBATCH --array=0-(\d+)$/m);
    expect(Number(/^#SBATCH --array=0-(\d+)$/m.exec(text)![1])).toBeGreaterThan(0);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${tunelabOnPath()}:${process.env["PATH"]}` };
    delete env["TUNELAB_STORAGE"];
    const r = await run("bash", [script], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("TUNELAB_STORAGE");
  }, 60_000);

  it("two array tasks run the example study (2 trials of 3 epochs instead of 200 of 27) on one PostgreSQL study: 2 trials in all, each once", async () => {
    const { url } = await testDatabase("deploy_slurm");
    // The example's study file and script, with a limit this machine runs in seconds.
    const work = tempDir("slurm");
    dirs.push(work);
    fs.mkdirSync(path.join(work, "examples"));
    const shipped = JSON.parse(fs.readFileSync(path.join(EXAMPLES, STUDY_FILE), "utf8")) as Record<string, any>;
    // (3 epochs instead of 27: each trial still starts Python and imports scikit-learn.)
    const command = (shipped["command"] as string[]).map((a, i, all) => (all[i - 1] === "--epochs" ? "3" : a));
    fs.writeFileSync(path.join(work, "examples", STUDY_FILE), JSON.stringify({ ...shipped, command, limits: { ...shipped["limits"], trials: 2, parallel: 1 } }));
    fs.copyFileSync(path.join(EXAMPLES, "train_digits.py"), path.join(work, "examples", "train_digits.py"));
    const env = (task: number) => ({
      ...process.env,
      PATH: `${tunelabOnPath()}:${path.join(VENV, "bin")}:${process.env["PATH"]}`,
      TUNELAB_STORAGE: url,
      SLURM_SUBMIT_DIR: work,
      SLURM_ARRAY_JOB_ID: "4242",
      SLURM_ARRAY_TASK_ID: String(task),
    });
    const tasks = await Promise.all([0, 1].map((i) => run("bash", [script, "--quiet"], env(i), "/")));
    for (const [i, r] of tasks.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`tunelab worker ${i} (array job 4242)`);
      expect(r.stdout).toContain("the trials limit was reached");
    }
    const storage = await openStorage(url);
    try {
      const study = await Study.openStored(shipped["study"], storage);
      expect(study.trials.map((t) => t.number)).toEqual([0, 1]);
      for (const t of study.trials) expect(["complete", "pruned", "failed"]).toContain(t.state);
      expect(study.trials.some((t) => t.state === "complete")).toBe(true);
    } finally {
      await storage.close();
    }
  }, 120_000);
});
