import * as path from "path";
import type { Direction, WarmStartType } from "../model/trial";
import { isDirection } from "../model/trial";
import { SearchSpace } from "../space/space";
import type { SpaceDef } from "../space/types";
import { MedianStopping } from "../strategies/median";
import { createStopper, createStrategy } from "../strategies/registry";
import type { Stopper, Strategy } from "../strategies/strategy";
import { LIMIT_KEYS, resolveLimits, type Limits, type ResolvedLimits } from "../study/limits";
import { resolveRetries, type RetryPolicy } from "../study/retry";
import { checkHeartbeat, type HeartbeatOptions } from "../study/heartbeat";
import { checkWarmStart, MAX_PARENTS } from "../study/warm-start";
import { isPlainObject, type JsonObject, type JsonValue } from "../util/json";
import { Msg } from "../util/messages";
import { defaultLocation, parseLocation } from "../storage/open";
import { checkAgainstSpace } from "./argv";
import { COMMAND_OPTIONS, commandSpec, type CommandSpec } from "./command";

/**
 * The study file of `tunelab run FILE.json` (format version 1), which `study.toJSON()` also
 * writes: one JSON object with
 *
 * - `version` (optional, 1), `study` (name), `storage` (a folder, "memory" or a postgresql://
 *   URL; default TUNELAB_STORAGE, else ".tunelab"), `space` (the search-space JSON of PROTOCOL.md), `direction`, `metric`
 *   (default "value");
 * - `strategy` (default "random"), `options` (the strategy's), `stopping`
 *   (`{"rule": "median", ...its options}`), `seed`;
 * - `limits` (as the DSL's: trials, parallel, minutes | seconds, target, patience, convergence, trialSeconds);
 * - `command` (argv with placeholders), `metrics` (`[{name, regex}]`), `env`, `cwd`,
 *   `retries` (`{"max": n}`), and command()'s other options: `final`, `trialDir`, `shell`,
 *   `graceSeconds`, `logBytes`, `maxLineLength`, `logs`;
 * - `heartbeat` (`{"intervalSeconds": 10, "graceSeconds": 60}`: src/study/heartbeat.ts);
 * - `warmStart` (`{"parents": ["study-a"], "type": "identical" | "transfer", "storage": ...}`:
 *   src/study/warm-start.ts; `storage` relative to the file's folder like the study's).
 *
 * Relative paths (`storage`, `cwd`, `logs`) are relative to the file's folder. Every field is
 * checked, and an error names the field (`limits.trials`, `metrics[0].regex`, `space.lr.low`).
 */

export const STUDY_FILE_VERSION = 1;

export const STUDY_FILE_FIELDS = [
  "version",
  "study",
  "storage",
  "space",
  "direction",
  "metric",
  "strategy",
  "options",
  "stopping",
  "seed",
  "limits",
  "command",
  ...COMMAND_OPTIONS,
  "retries",
  "heartbeat",
  "warmStart",
] as const;

/** A checked study file, ready to run. */
export interface StudyFile {
  readonly study: string;
  /** An absolute folder, "memory", or a postgresql:// URL (openStorage reads it). */
  readonly storage: string;
  readonly space: SearchSpace;
  readonly direction: Direction;
  readonly metric: string;
  readonly strategy: { readonly name: string; readonly options?: JsonObject };
  readonly seed?: number;
  readonly stopping?: Stopper;
  readonly limits: ResolvedLimits;
  readonly command: CommandSpec;
  readonly retries?: RetryPolicy;
  readonly heartbeat?: HeartbeatOptions;
  /** Parents to warm-start from; `storage` resolved like the study's. */
  readonly warmStart?: { readonly parents: readonly string[]; readonly type: WarmStartType; readonly storage?: string };
}

/** Reads a study file's text; `file` names it in messages and its folder anchors relative paths. */
export function parseStudyFile(text: string, file: string): StudyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw Msg.studyFileNotJson(file, jsonErrorWhere(text, e));
  }
  return checkStudyFile(raw, path.dirname(path.resolve(file)), file);
}

/** Checks a study file's object, field by field. */
export function checkStudyFile(raw: unknown, baseDir: string, file = "the study file"): StudyFile {
  if (!isPlainObject(raw)) throw Msg.studyFileNotObject(file, raw);
  for (const k of Object.keys(raw)) if (!(STUDY_FILE_FIELDS as readonly string[]).includes(k)) throw Msg.studyFileUnknownField(k, STUDY_FILE_FIELDS);
  const version = raw["version"] ?? STUDY_FILE_VERSION;
  if (typeof version !== "number" || !Number.isInteger(version) || version < 1 || version > STUDY_FILE_VERSION) throw Msg.studyFileVersion(version, STUDY_FILE_VERSION);

  const study = raw["study"];
  if (study === undefined) throw Msg.studyFileMissing("study", "the study's name");
  if (typeof study !== "string" || study.length === 0 || study.length > 200) throw Msg.badStudyName(study);
  // Without a storage field: TUNELAB_STORAGE (a folder in it is relative to the working
  // directory), else ".tunelab" beside the file.
  const given = raw["storage"] ?? undefined; // null: not given, as for every optional field
  const fallback = given === undefined ? defaultLocation() : undefined;
  const fromEnv = fallback?.field === "TUNELAB_STORAGE";
  const where = parseLocation(given ?? fallback!.location, { cwd: fromEnv ? process.cwd() : baseDir, field: fallback?.field ?? "storage" });
  const storage = where.kind === "folder" ? where.dir : where.kind === "memory" ? "memory" : where.url;

  if (raw["space"] === undefined) throw Msg.studyFileMissing("space", "the search space, e.g. {\"lr\": {\"type\": \"float\", \"low\": 1e-4, \"high\": 0.1, \"scale\": \"log\"}}");
  const space = SearchSpace.parse(raw["space"], "space");
  const direction = raw["direction"];
  if (direction === undefined) throw Msg.studyFileMissing("direction", '"minimize" or "maximize"');
  if (!isDirection(direction)) throw Msg.badDirection(direction);
  const metric = raw["metric"] ?? "value";
  if (typeof metric !== "string" || metric.length === 0 || metric.length > 200) throw Msg.badMetricName(metric);

  const strategyName = raw["strategy"] ?? "random";
  if (typeof strategyName !== "string") throw Msg.badOption("strategy", strategyName, 'a strategy name, e.g. "random", "tpe" or "hyperband"');
  const options = raw["options"];
  if (options !== undefined && !isPlainObject(options)) throw Msg.badOption("options", options, "an object of the strategy's options");
  createStrategy(strategyName, space, options);
  const seedRaw = raw["seed"];
  if (seedRaw !== undefined && !(typeof seedRaw === "number" && Number.isSafeInteger(seedRaw))) throw Msg.badOption("seed", seedRaw, "an integer");
  const optionSeed = isPlainObject(options) ? options["seed"] : undefined;
  if (seedRaw !== undefined && optionSeed !== undefined && seedRaw !== optionSeed) throw Msg.seedConflict(seedRaw, optionSeed);
  const seed = (seedRaw ?? optionSeed) as number | undefined;

  const stoppingRaw = raw["stopping"];
  let stopping: Stopper | undefined;
  if (stoppingRaw !== undefined) {
    if (!isPlainObject(stoppingRaw)) throw Msg.badOption("stopping", stoppingRaw, 'an object {"rule": "median", ...its options}');
    const { rule, ...rest } = stoppingRaw;
    if (rule === undefined) throw Msg.studyFileMissing("stopping.rule", '"median"');
    stopping = createStopper(rule, rest, "stopping.rule");
  }
  const limits = resolveLimits(raw["limits"]);

  if (raw["command"] === undefined) throw Msg.studyFileMissing("command", 'the program and its arguments, e.g. ["python", "train.py", "--lr", "{lr}"]');
  const commandOptions: Record<string, unknown> = {};
  for (const k of COMMAND_OPTIONS) if (raw[k] !== undefined) commandOptions[k] = raw[k];
  const spec = commandSpec(raw["command"], commandOptions, { argv: "command", prefix: "" });
  checkAgainstSpace(spec.template, space);
  const cmd: CommandSpec = {
    ...spec,
    cwd: path.resolve(baseDir, spec.cwd ?? "."),
    ...(spec.logs !== undefined ? { logs: path.resolve(baseDir, spec.logs) } : {}),
  };
  const retries = resolveRetries(raw["retries"]);
  const heartbeat = checkHeartbeat(raw["heartbeat"]);
  const warmStart = raw["warmStart"] === undefined ? undefined : warmStartField(raw["warmStart"], study, baseDir);
  return {
    study,
    storage,
    space,
    direction,
    metric,
    strategy: { name: strategyName, ...(options !== undefined ? { options: options as JsonObject } : {}) },
    ...(seed !== undefined ? { seed } : {}),
    ...(stopping ? { stopping } : {}),
    limits,
    command: cmd,
    ...(retries ? { retries } : {}),
    ...(heartbeat ? { heartbeat } : {}),
    ...(warmStart ? { warmStart } : {}),
  };
}

/** The file's `warmStart`: parents and type checked, a folder resolved against the file's. */
function warmStartField(raw: unknown, study: string, baseDir: string): NonNullable<StudyFile["warmStart"]> {
  if (!isPlainObject(raw)) throw Msg.warmStartParents("warmStart.parents", raw, MAX_PARENTS);
  for (const k of Object.keys(raw)) if (!["parents", "type", "storage"].includes(k)) throw Msg.studyFileUnknownField(`warmStart.${k}`, ["parents", "type", "storage"]);
  const { parents, type } = checkWarmStart(raw, study);
  const s = raw["storage"];
  if (s === undefined) return { parents, type };
  const parsed = parseLocation(s, { cwd: baseDir, field: "warmStart.storage" });
  return { parents, type, storage: parsed.kind === "folder" ? parsed.dir : (s as string) };
}

/** What `study.toJSON()` is made from: the DSL's declaration. */
export interface StudyDeclaration {
  readonly study: string;
  readonly storage: string;
  readonly space: SpaceDef;
  readonly direction: Direction;
  readonly metric: string;
  readonly strategy: { readonly name: string; readonly options?: unknown } | Strategy;
  readonly seed?: number;
  readonly stopping?: Stopper;
  readonly limits: Limits;
  readonly command: CommandSpec;
  readonly retries?: RetryPolicy;
  readonly heartbeat?: HeartbeatOptions;
  readonly warmStart?: JsonObject;
}

/** The study file of a declaration (the fields in the documented order; defaults left out). */
export function studyFileJSON(d: StudyDeclaration): JsonObject {
  if (typeof (d.strategy as Strategy).propose === "function") throw Msg.notSerializable("strategy", "a Strategy object has no JSON form; give the strategy by name");
  const strategy = d.strategy as { name: string; options?: unknown };
  const out: Record<string, JsonValue> = { version: STUDY_FILE_VERSION, study: d.study };
  if (d.storage !== ".tunelab") out["storage"] = d.storage;
  out["space"] = d.space as unknown as JsonValue;
  out["direction"] = d.direction;
  out["metric"] = d.metric;
  out["strategy"] = strategy.name;
  if (strategy.options !== undefined) out["options"] = JSON.parse(JSON.stringify(strategy.options)) as JsonValue;
  if (d.stopping) out["stopping"] = stoppingJSON(d.stopping);
  if (d.seed !== undefined) out["seed"] = d.seed;
  const limits: Record<string, JsonValue> = {};
  for (const k of LIMIT_KEYS) {
    const v = d.limits[k];
    if (typeof v === "number" ? Number.isFinite(v) : v !== undefined && v !== false) limits[k] = JSON.parse(JSON.stringify(v)) as JsonValue;
  }
  if (Object.keys(limits).length) out["limits"] = limits;
  const c = d.command;
  out["command"] = [...c.argv];
  if (c.metrics.length) out["metrics"] = c.metrics.map((m) => ({ name: m.name, regex: m.source }));
  if (Object.keys(c.env).length) out["env"] = { ...c.env };
  if (c.cwd !== undefined) out["cwd"] = c.cwd;
  if (d.retries) out["retries"] = { max: d.retries.max };
  if (d.heartbeat) out["heartbeat"] = { ...d.heartbeat } as JsonObject;
  if (d.warmStart) out["warmStart"] = d.warmStart;
  if (c.final !== "last") out["final"] = c.final;
  if (c.trialDir) out["trialDir"] = true;
  if (c.shell) out["shell"] = true;
  if (c.graceMs !== 10_000) out["graceSeconds"] = c.graceMs / 1000;
  if (c.logBytes !== DEFAULTS.logBytes) out["logBytes"] = c.logBytes;
  if (c.maxLine !== DEFAULTS.maxLine) out["maxLineLength"] = c.maxLine;
  if (c.logs !== undefined) out["logs"] = c.logs;
  return out;
}

const DEFAULTS = commandSpec(["x"]);

function stoppingJSON(s: Stopper): JsonObject {
  if (s instanceof MedianStopping) return { rule: "median", startupTrials: s.startupTrials, warmupSteps: s.warmupSteps, interval: s.interval, compare: s.compare };
  throw Msg.notSerializable("stopping", "a Stopper object has no JSON form; give the rule by name, e.g. .stopping(\"median\")");
}

/** "line 3, column 7: Unexpected token ..." from a JSON.parse error. */
function jsonErrorWhere(text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(message);
  if (!m) return message;
  const pos = Number(m[1]);
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return `line ${line}, column ${column}: ${message.replace(/ in JSON at position \d+.*$/, "")}`;
}
