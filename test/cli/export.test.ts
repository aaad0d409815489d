// `tunelab export` as a real child process on a real journal: the CSV, JSON and JSON lines of a
// study (the same bytes as the shared writer), --out, TUNELAB_STORAGE, and clear errors with
// exit status 2 for a missing study, a bad format, "memory" and bad arguments.
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JournalStorage } from "../../src/storage/journal";
import { Study } from "../../src/study/study";
import { exportData, exportText } from "../../src/views/analysis/export";
import { toPayload } from "../../src/views/payload";
import { cleanup, freshCli, scratch, startCli } from "../command/helpers";

const SPACE = { lr: { type: "float", low: 1e-4, high: 1, scale: "log" }, opt: { type: "categorical", choices: ["=cmd|' /C calc'!A0", "adam,w"] } } as const;

describe("tunelab export", () => {
  let cli: string;
  let dir: string;
  let store: string;
  let expected: (format: "csv" | "json" | "jsonl") => string;

  beforeAll(async () => {
    cli = freshCli();
    dir = scratch("export");
    store = path.join(dir, "store");
    const storage = new JournalStorage(store);
    const study = await Study.open({ name: "mlp", space: SPACE, direction: "minimize", metric: "loss", strategy: { name: "random" }, seed: 2, storage });
    for (let i = 0; i < 8; i++) {
      const t = (await study.ask())!;
      if (i === 5) await study.tell(t.number, { state: "failed", error: 'line one\nline "two", =3' });
      else await study.tell(t.number, { value: i / 10, metrics: { acc: 1 - i / 10 } });
    }
    const snap = study.snapshot;
    expected = (format) => exportText(exportData(toPayload(snap, false)), format);
    await storage.close();
  }, 120_000);

  afterAll(() => cleanup());

  it("writes CSV (the default), JSON and JSON lines: the shared writer's bytes", async () => {
    const csv = await startCli(cli, ["export", "mlp", "--storage", store]).done;
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(expected("csv"));
    expect(csv.stdout.split("\r\n")[0]).toBe("number,state,value,params_lr,params_opt,metrics_acc,datetime_start,datetime_complete,duration,error");
    expect(csv.stdout).toContain(`'=cmd|' /C calc'!A0`);
    const json = await startCli(cli, ["export", "mlp", "--storage", store, "--format", "json"]).done;
    expect(json.code).toBe(0);
    expect(json.stdout).toBe(expected("json"));
    expect(JSON.parse(json.stdout)).toHaveLength(8);
    const jsonl = await startCli(cli, ["export", "mlp", `--storage=${store}`, "--format=jsonl"]).done;
    expect(jsonl.stdout).toBe(expected("jsonl"));
    expect(jsonl.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).state)).toContain("failed");
  }, 60_000);

  it("writes to --out, and finds the storage through TUNELAB_STORAGE", async () => {
    const out = path.join(dir, "trials.csv");
    const r = await startCli(cli, ["export", "mlp", "--out", out], { cwd: dir, env: { ...process.env, TUNELAB_STORAGE: store } }).done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(fs.readFileSync(out, "utf8")).toBe(expected("csv"));
  }, 60_000);

  it("exits 2 with a catalog error for a missing study, a bad format, memory and bad arguments", async () => {
    const cases: [string[], string][] = [
      [["export", "nope", "--storage", store], "study.not_found"],
      [["export", "mlp", "--storage", store, "--format", "xlsx"], "export.bad_format"],
      [["export", "mlp", "--storage", "memory"], "export.memory_storage"],
      [["export", "--storage", store], "export.no_study"],
      [["export", "mlp", "--storage"], "export.missing_value"],
      [["export", "mlp", "other", "--storage", store], "export.bad_argument"],
      [["export", "mlp", "--storage", "mysql://x/y"], "storage.bad_location"],
    ];
    const runs = await Promise.all(cases.map(([args]) => startCli(cli, args).done));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`[${cases[i]![1]}]`);
    });
    // A study missing from an empty folder leaves no journal behind.
    expect(fs.existsSync(path.join(store, "nope.jsonl"))).toBe(false);
  }, 60_000);

  it("--help prints the usage", async () => {
    const r = await startCli(cli, ["export", "--help"]).done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: tunelab export STUDY/);
  }, 30_000);
});
