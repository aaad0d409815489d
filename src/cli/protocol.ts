import type { FrozenTrial } from "../model/trial";
import { MemoryStorage } from "../storage/base";
import { locationProblem, openStorage, parseLocation } from "../storage/open";
import type { Storage } from "../storage/storage";
import { Study, type TellInput } from "../study/study";
import { resolveRetries } from "../study/retry";
import { checkHeartbeat } from "../study/heartbeat";
import { checkWarmStart, type WarmStartOptions } from "../study/warm-start";
import { resolveLimits } from "../study/limits";
import { LimitWatch } from "../study/reached";
import { createStopper } from "../strategies/registry";
import type { Stopper } from "../strategies/strategy";
import { TunelabError, errorText } from "../util/errors";
import { isPlainObject, type JsonValue } from "../util/json";
import { MAX_JSON_DEPTH, findTooDeep } from "../util/json-depth";
import { Msg } from "../util/messages";
import { ImportanceMethods, isImportanceMethod, snapshotImportance } from "../views/analysis/importance";

/**
 * Request validation and dispatch for `tunelab serve` (the framing, streams
 * and the documentation of the wire format are in serve.ts). One
 * `ProtocolSession` holds the studies a client opened; `handleLine` turns one
 * request line into one reply object, never throwing for bad input.
 */

/** The ops, in the order the protocol lists them (error messages list them so). */
export const OPS = ["create", "ask", "report", "tell", "best", "trials", "importance", "exit", "attr", "note", "extend"] as const;
export type Op = (typeof OPS)[number];

function isOp(v: unknown): v is Op {
  return (OPS as readonly unknown[]).includes(v);
}

/** The fields each op accepts; any other field is an error naming these. */
export const OP_FIELDS: { readonly [K in Op]: readonly string[] } = {
  create: ["op", "id", "study", "space", "direction", "strategy", "options", "seed", "storage", "stopping", "limits", "retries", "heartbeat", "warmStart"],
  ask: ["op", "id", "study"],
  report: ["op", "id", "study", "trial", "step", "value"],
  tell: ["op", "id", "study", "trial", "value", "state", "error"],
  best: ["op", "id", "study"],
  trials: ["op", "id", "study"],
  importance: ["op", "id", "study", "method"],
  exit: ["op", "id"],
  // ---- the user's record (additions to PROTOCOL.md, issue 16 part 4) ----
  attr: ["op", "id", "study", "trial", "key", "value"],
  note: ["op", "id", "study", "trial", "note"],
  // An addition (issue 17 part 3): widen the study's space mid-study.
  extend: ["op", "id", "study", "space"],
};

/** What the strategy field may name, for messages (createStrategy has the last word). */
const STRATEGY_RULE = 'a strategy name: "random", "grid", "bayesian", "tpe", "hyperband" or "asha"';
const STOPPING_RULE = 'an object {"rule": "median", ...its options}';

export type ReplyBody = { readonly [key: string]: JsonValue };
export type Reply = { readonly id: JsonValue; readonly ok: boolean } & ReplyBody;

/** A reply, and whether the client asked the server to end. */
export interface Handled {
  readonly reply: Reply;
  readonly exit: boolean;
}

export interface SessionOptions {
  /** Where warnings and internal errors go (never standard output). Default: standard error. */
  readonly log?: (message: string) => void;
  /** The directory relative storage paths are resolved against. Default: process.cwd(). */
  readonly cwd?: string;
}

/** A request object whose fields were checked against its op. */
type Request = Readonly<Record<string, unknown>>;

/**
 * The studies one client has open, keyed by name, and the storages they live
 * in: one MemoryStorage for the whole session (so creating a name again
 * resumes it) and one storage per location (a journal folder, a database URL).
 */
export class ProtocolSession {
  private readonly studies = new Map<string, Study>();
  /** limits.trials of the studies created with one: `ask` checks it inside its write. */
  private readonly rooms = new Map<string, LimitWatch["room"]>();
  private readonly memory = new MemoryStorage();
  private readonly storages = new Map<string, Promise<Storage>>();
  private readonly log: (message: string) => void;
  private readonly cwd: string;

  constructor(options: SessionOptions = {}) {
    this.log = options.log ?? ((m) => process.stderr.write(`tunelab: ${m}\n`));
    this.cwd = options.cwd ?? process.cwd();
  }

  /** Parses one request line (`lineNumber` counts from 1, for messages) and serves it. */
  async handleLine(text: string, lineNumber: number): Promise<Handled> {
    // Refused before parsing: its id can't be echoed safely, so the reply's id is null.
    const deep = findTooDeep(text, MAX_JSON_DEPTH);
    if (deep) return { reply: failureReply(null, Msg.requestTooDeep(lineNumber, deep.member, MAX_JSON_DEPTH)), exit: false };
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (e) {
      return { reply: failureReply(null, Msg.requestNotJson(lineNumber, e instanceof Error ? e.message : String(e))), exit: false };
    }
    return this.handle(request);
  }

  /** Serves one parsed request. Never throws: bad requests get an `ok: false` reply. */
  async handle(request: unknown): Promise<Handled> {
    const id = requestId(request);
    try {
      if (!isPlainObject(request)) throw Msg.requestNotObject(request);
      const op = request["op"];
      if (!isOp(op)) throw Msg.unknownOp(op, OPS);
      const allowed = OP_FIELDS[op];
      for (const key of Object.keys(request)) {
        if (!allowed.includes(key)) throw Msg.unknownRequestField(op, key, allowed);
      }
      const body = await this.dispatch(op, request);
      return { reply: { id, ok: true, ...body }, exit: op === "exit" };
    } catch (e) {
      return { reply: failureReply(id, this.asTunelabError(e)), exit: false };
    }
  }

  /** Releases the storages. */
  async close(): Promise<void> {
    // Trials asked and never told are this process's no longer: they go stale (and are retried) elsewhere.
    for (const s of this.studies.values()) s.releaseHeartbeat(true);
    this.studies.clear();
    await this.memory.close();
    for (const s of this.storages.values()) await s.then((x) => x.close()).catch(() => undefined);
  }

  private dispatch(op: Op, r: Request): Promise<ReplyBody> {
    switch (op) {
      case "create":
        return this.create(r);
      case "ask":
        return this.ask(r);
      case "report":
        return this.report(r);
      case "tell":
        return this.tell(r);
      case "best":
        return this.best(r);
      case "trials":
        return this.trials(r);
      case "importance":
        return this.importance(r);
      case "exit":
        return Promise.resolve({});
      case "attr":
        return this.attr(r);
      case "note":
        return this.note(r);
      case "extend":
        return this.extend(r);
    }
  }

  private async create(r: Request): Promise<ReplyBody> {
    const name = studyName(r);
    for (const [field, rule] of [
      ["space", "an object whose keys are parameter names (see the search-space JSON)"],
      ["direction", '"minimize" or "maximize"'],
      ["strategy", STRATEGY_RULE],
    ] as const) {
      if (r[field] === undefined || r[field] === null) throw Msg.missingField("create", field, rule);
    }
    if (typeof r["strategy"] !== "string") throw Msg.badField("strategy", r["strategy"], STRATEGY_RULE);
    const options = optional(r["options"]);
    if (options !== undefined && !isPlainObject(options)) throw Msg.badField("options", options, "an object of strategy options");
    const seed = seedField("seed", r["seed"]);
    const optionSeed = options ? seedField("options.seed", options["seed"]) : undefined;
    if (seed !== undefined && optionSeed !== undefined && seed !== optionSeed) throw Msg.seedConflict(seed, optionSeed);
    const stoppingField = optional(r["stopping"]);
    let stopping: Stopper | undefined;
    if (stoppingField !== undefined) {
      if (!isPlainObject(stoppingField)) throw Msg.badField("stopping", stoppingField, STOPPING_RULE);
      const { rule, ...rest } = stoppingField;
      if (rule === undefined || rule === null) throw Msg.missingField("create", "stopping.rule", '"median"');
      stopping = createStopper(rule, rest, "stopping.rule");
    }
    const room = trialsRoom(optional(r["limits"]));
    const retries = resolveRetries(optional(r["retries"]));
    const heartbeat = checkHeartbeat(optional(r["heartbeat"]));
    const storage = await this.storageFor(r["storage"]);
    // An addition (issue 17 part 2): {"parents": [...], "type": "identical" | "transfer", "storage": ...}.
    const ws = optional(r["warmStart"]);
    let warmStart: WarmStartOptions | undefined;
    if (ws !== undefined) {
      if (!isPlainObject(ws)) throw Msg.badField("warmStart", ws, 'an object {"parents": ["study-a"], "type": "identical" | "transfer"}');
      for (const k of Object.keys(ws)) if (!["parents", "type", "storage"].includes(k)) throw Msg.unknownRequestField("create", `warmStart.${k}`, ["parents", "type", "storage"]);
      const { parents, type } = checkWarmStart(ws, name);
      warmStart = { parents, type, ...(ws["storage"] !== undefined && ws["storage"] !== null ? { storage: await this.storageFor(ws["storage"]) } : {}) };
    }
    const study = await Study.open({
      ...(warmStart ? { warmStart } : {}),
      ...(retries ? { retries } : {}),
      ...(heartbeat ? { heartbeat } : {}),
      ...(stopping ? { stopping } : {}),
      name,
      space: r["space"] as never,
      direction: r["direction"] as never,
      strategy: { name: r["strategy"], ...(options !== undefined ? { options } : {}) },
      ...((seed ?? optionSeed) !== undefined ? { seed: (seed ?? optionSeed)! } : {}),
      storage,
    });
    this.studies.set(name, study);
    if (room) this.rooms.set(name, room(study));
    else this.rooms.delete(name);
    return { study: name };
  }

  private async ask(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    const room = this.rooms.get(study.name);
    const t = await study.ask(room);
    if (!t) return room && !room(study.snapshot) ? { done: true, reason: "trials" } : { done: true };
    return { trial: t.number, params: t.params as JsonValue, ...(t.budget !== undefined ? { budget: t.budget } : {}) };
  }

  private async report(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    const trial = trialField("report", r["trial"]);
    const step = r["step"];
    if (step === undefined || step === null) throw Msg.missingField("report", "step", "an integer >= 0, increasing for each trial");
    if (typeof step !== "number" || !Number.isSafeInteger(step) || step < 0) throw Msg.badReportStep(step);
    const value = r["value"];
    if (value === undefined || value === null) throw Msg.missingField("report", "value", "a finite number, in the study's direction");
    if (typeof value !== "number" || !Number.isFinite(value)) throw Msg.badValue("value", value);
    // Our snapshot may lag other processes, but a finished trial stays finished.
    const known = study.snapshot.trials[trial];
    if (known && known.state !== "running") throw Msg.trialNotRunning(trial, known.state);
    const prune = await study.report(trial, step, value);
    return { prune };
  }

  private async tell(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    const trial = trialField("tell", r["trial"]);
    const value = optional(r["value"]);
    const state = optional(r["state"]);
    const error = optional(r["error"]);
    if (value !== undefined && state !== undefined) throw Msg.tellValueOrState(true);
    if (value === undefined && state === undefined) throw Msg.tellValueOrState(false);
    let input: TellInput;
    if (value !== undefined) {
      if (typeof value !== "number" || !Number.isFinite(value)) throw Msg.badValue("value", value);
      input = { value };
    } else if (state === "failed") {
      if (error !== undefined && typeof error !== "string") throw Msg.badField("error", error, "a string (why the trial failed)");
      input = error !== undefined ? { state, error } : { state };
    } else if (state === "pruned") {
      input = { state };
    } else {
      throw Msg.badState(state);
    }
    if (error !== undefined && state !== "failed") throw Msg.badField("error", error, 'given only with "state": "failed"');
    await study.tell(trial, input);
    return {};
  }

  private async best(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    await study.refresh();
    const t = study.best;
    if (!t) return { trial: null };
    return { trial: t.number, params: t.params as JsonValue, value: t.value ?? null };
  }

  private async trials(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    await study.refresh();
    const note = study.snapshot.note;
    return note === undefined ? { trials: study.trials.map(trialJson) } : { trials: study.trials.map(trialJson), note };
  }

  // ---- the user's record (additions to PROTOCOL.md) ----

  /** `{"op": "attr", "study", "trial", "key", "value"}`: sets a trial's attribute (any JSON value, null included). */
  private async attr(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    const trial = trialField("attr", r["trial"]);
    if (r["key"] === undefined || r["key"] === null) throw Msg.missingField("attr", "key", "the attribute's name (a non-empty string)");
    if (!Object.prototype.hasOwnProperty.call(r, "value")) throw Msg.missingField("attr", "value", "a JSON value (null included)");
    await study.setAttr(trial, r["key"] as string, r["value"]);
    return {};
  }

  /** `{"op": "note", "study", "trial"?, "note"}`: replaces a trial's markdown note, or the study's without `trial`. */
  private async note(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    const trial = optional(r["trial"]) === undefined ? null : trialField("note", r["trial"]);
    if (r["note"] === undefined || r["note"] === null) throw Msg.missingField("note", "note", 'the markdown text ("" clears the note)');
    await study.note(trial, r["note"] as string);
    return {};
  }

  /** An addition to PROTOCOL.md: each parameter's share of the importance, most important first. */
  private async importance(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    const method = optional(r["method"]) ?? "ped-anova";
    if (!isImportanceMethod(method)) throw Msg.badImportanceMethod(method, ImportanceMethods);
    await study.refresh();
    return { importance: snapshotImportance(study.snapshot, method).map((x) => ({ param: x.param, importance: x.importance })) };
  }

  /** `extend`: widens the study's space (study.extendSpace's rules); replies with the space as it now is. */
  private async extend(r: Request): Promise<ReplyBody> {
    const study = this.study(r);
    if (r["space"] === undefined || r["space"] === null) throw Msg.missingField("extend", "space", "an object: parameter name → its wider definition");
    const space = await study.extendSpace(r["space"] as never);
    return { space: space.toJSON() as unknown as JsonValue };
  }

  private study(r: Request): Study {
    const name = studyName(r);
    const study = this.studies.get(name);
    if (!study) throw Msg.studyUnknown(name);
    return study;
  }

  /**
   * Omitted or null (or "memory"): the session's memory; a folder: the journal there (resolved
   * against cwd); a postgresql:// URL: that database. One storage per location for the session.
   */
  private storageFor(raw: unknown): Promise<Storage> {
    if (raw === undefined || raw === null || raw === "memory") return Promise.resolve(this.memory);
    const why = locationProblem(raw);
    if (why !== null) throw Msg.badStorage(raw, why);
    const where = parseLocation(raw, { cwd: this.cwd });
    const key = where.kind === "folder" ? where.dir : (raw as string);
    let s = this.storages.get(key);
    if (!s) {
      s = openStorage(key, { onWarning: this.log });
      this.storages.set(key, s);
    }
    return s;
  }

  private asTunelabError(e: unknown): TunelabError {
    if (e instanceof TunelabError) return e;
    const errno = (e as NodeJS.ErrnoException | undefined)?.code;
    if (e instanceof Error && typeof errno === "string") {
      return new TunelabError("storage.io", `the storage failed: ${e.message}`, "storage");
    }
    return internalFailure(e, this.log);
  }
}

/** What a bug becomes: logged with its stack, answered as code "internal". Never throws. */
export function internalFailure(e: unknown, log: (message: string) => void): TunelabError {
  let text: string;
  try {
    text = errorText(e);
  } catch {
    text = "an error that cannot be printed";
  }
  try {
    log(`internal error: ${e instanceof Error && typeof e.stack === "string" ? e.stack : text}`);
  } catch {
    // a log that fails must not stop the reply
  }
  return Msg.internalError(text);
}

/** The request's id when it has one, else null (also for requests that are not objects). */
function requestId(request: unknown): JsonValue {
  if (!isPlainObject(request)) return null;
  const id = request["id"];
  return id === undefined ? null : (id as JsonValue);
}

/**
 * `limits` of create (an addition to PROTOCOL.md): `{"trials": n}`, the most trials the study
 * may hold across every process sharing it (as `limits.trials` counts them); `ask` then
 * answers `{"done": true, "reason": "trials"}` once it holds them. The other limits belong to
 * a run loop, which serve has not.
 */
function trialsRoom(raw: unknown): ((study: Study) => LimitWatch["room"]) | undefined {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) throw Msg.badField("limits", raw, 'an object {"trials": n}');
  for (const key of Object.keys(raw)) if (key !== "trials") throw Msg.unknownRequestField("create", `limits.${key}`, ["limits.trials"]);
  const lim = resolveLimits({ trials: optional(raw["trials"]) });
  if (!Number.isFinite(lim.trials)) return undefined;
  return (study) => new LimitWatch(study, lim).room;
}

/** The reply to a bad request. */
export function failureReply(id: JsonValue, e: TunelabError): Reply {
  return { id, ok: false, error: e.message, code: e.code, ...(e.field !== undefined ? { field: e.field } : {}) };
}

/** Optional fields may be given as null (Python's None) to mean "not given". */
function optional(v: unknown): unknown {
  return v === null ? undefined : v;
}

function studyName(r: Request): string {
  const name = r["study"];
  if (name === undefined || name === null) throw Msg.missingField(String(r["op"]), "study", "the study's name");
  if (typeof name !== "string" || name.length === 0 || name.length > 200) throw Msg.badStudyName(name);
  return name;
}

function trialField(op: string, v: unknown): number {
  if (v === undefined || v === null) throw Msg.missingField(op, "trial", 'the trial number that "ask" returned');
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw Msg.badField("trial", v, 'a trial number (an integer >= 0) that "ask" returned');
  return v;
}

function seedField(field: string, v: unknown): number | undefined {
  const s = optional(v);
  if (s === undefined) return undefined;
  if (typeof s !== "number" || !Number.isSafeInteger(s)) throw Msg.badField(field, s, "an integer");
  return s;
}

/** A trial as the `trials` reply lists it. */
export function trialJson(t: FrozenTrial): ReplyBody {
  return {
    trial: t.number,
    state: t.state,
    params: t.params as JsonValue,
    value: t.value ?? null,
    intermediate: t.intermediate.map(([s, v]) => [s, v]),
    ...(t.budget !== undefined ? { budget: t.budget } : {}),
    ...(t.state === "failed" && t.error !== undefined ? { error: t.error } : {}),
    ...(t.attrs !== undefined ? { attrs: t.attrs } : {}),
    ...(t.note !== undefined ? { note: t.note } : {}),
  };
}
