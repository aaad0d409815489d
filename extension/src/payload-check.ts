/**
 * Schema check of a study payload before anything is drawn. The renderer is `safe: true`, so it
 * draws outputs of notebooks nobody trusted: the payload is hostile until this check says
 * otherwise. A payload that doesn't match is rejected as a whole with one readable message
 * naming the field, the rule and the value seen — never half-rendered.
 *
 *   const r = checkPayload(model.data[STUDY_MIME]);
 *   if (!r.ok) showError(r.problem.message); else draw(r.payload);
 */
import { PAYLOAD_VERSION, STUDY_MIME, StorageKinds, ViewNames, type StudyPayload } from "../../src/views";
import { HYPERBAND_KEY, MAX_BRACKET, MAX_RUNGS, STOPPED_KEY } from "../../src/record/system";

/** What is wrong with a payload: a stable code, the field at fault and a sentence for people. */
export interface PayloadProblem {
  readonly code: string;
  readonly field: string;
  readonly message: string;
}

export type PayloadCheck = { ok: true; payload: StudyPayload } | { ok: false; problem: PayloadProblem };

const STATES = ["running", "complete", "failed", "pruned"];
const DIRECTIONS = ["minimize", "maximize"];
const PARAM_TYPES = ["float", "int", "categorical"];
const SCALES = ["linear", "log", "reverse-log"];
/** Far more than any study shows; a bound keeps a crafted payload from hanging the page. */
const MAX_TRIALS = 200_000;
const MAX_PARAMS = 500;
const MAX_METRICS = 1000;
const MAX_STEPS = 100_000;

class Bad extends Error {
  constructor(
    readonly code: string,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A short, printable rendering of a value seen in a payload (never markup: it goes in as text). */
function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : v === undefined ? "nothing" : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function need(cond: boolean, code: string, field: string, rule: string, got: unknown): void {
  if (!cond) throw new Bad(code, field, `${field} ${rule}, but got ${show(got)}.`);
}

function object(v: unknown, field: string): Record<string, unknown> {
  need(isObject(v), "payload.not_object", field, "must be an object", v);
  return v as Record<string, unknown>;
}

function string(v: unknown, field: string): string {
  need(typeof v === "string", "payload.not_string", field, "must be a string", v);
  return v as string;
}

function finite(v: unknown, field: string): number {
  need(typeof v === "number" && Number.isFinite(v), "payload.not_finite", field, "must be a finite number", v);
  return v as number;
}

function numberOrNull(v: unknown, field: string): void {
  if (v !== null) finite(v, field);
}

function oneOf(v: unknown, allowed: readonly string[], field: string): void {
  need(
    typeof v === "string" && allowed.includes(v),
    "payload.not_allowed",
    field,
    `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`,
    v,
  );
}

function isChoice(v: unknown): boolean {
  return typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
}

function checkSpace(v: unknown): void {
  const space = object(v, "study.space");
  const names = Object.keys(space);
  need(names.length <= MAX_PARAMS, "payload.too_large", "study.space", `must have at most ${MAX_PARAMS} parameters`, names.length);
  for (const name of names) {
    const field = `study.space[${show(name)}]`;
    need(name !== "" && name !== "__proto__", "payload.bad_name", field, 'must be named by a non-empty string other than "__proto__"', name);
    const def = object(space[name], field);
    oneOf(def.type, PARAM_TYPES, `${field}.type`);
    if (def.type === "categorical") {
      const choices = def.choices;
      need(
        Array.isArray(choices) && choices.length > 0 && choices.every(isChoice),
        "payload.bad_choices",
        `${field}.choices`,
        "must be a non-empty array of strings, finite numbers or booleans",
        choices,
      );
    } else {
      const low = finite(def.low, `${field}.low`);
      const high = finite(def.high, `${field}.high`);
      need(low <= high, "payload.low_above_high", field, "must have low <= high", { low, high });
      if (def.scale !== undefined) oneOf(def.scale, SCALES, `${field}.scale`);
      if (def.scale === "log") need(low > 0, "payload.log_low", `${field}.low`, 'must be > 0 with scale "log"', low);
      if (def.scale === "reverse-log") {
        need(low >= 0 && high < 1, "payload.reverse_log_range", field, 'must have 0 <= low <= high < 1 with scale "reverse-log"', { low, high });
      }
      if (def.step !== undefined) finite(def.step, `${field}.step`);
    }
  }
}

/** A list of names: an array of distinct strings, at most `max` of them. */
function names(v: unknown, field: string, max: number): string[] {
  need(Array.isArray(v), "payload.not_array", field, "must be an array of names", v);
  const list = v as unknown[];
  need(list.length <= max, "payload.too_large", field, `must have at most ${max} names`, list.length);
  const seen = new Set<string>();
  list.forEach((n, i) => {
    string(n, `${field}[${i}]`);
    need(!seen.has(n as string), "payload.bad_order", field, "must name each entry once", n);
    seen.add(n as string);
  });
  return list as string[];
}

/** `paramOrder`, when present: the space's parameters, each once, in declared order. */
function checkParamOrder(v: unknown, space: Record<string, unknown>): void {
  const order = names(v, "study.paramOrder", MAX_PARAMS);
  for (const n of order) need(Object.hasOwn(space, n), "payload.bad_order", "study.paramOrder", "must name only parameters of study.space", n);
  const listed = new Set(order);
  const missing = Object.keys(space).find((k) => !listed.has(k));
  need(missing === undefined, "payload.bad_order", "study.paramOrder", "must name every parameter of study.space", missing);
}

function checkTrial(v: unknown, i: number): void {
  const field = `trials[${i}]`;
  const t = object(v, field);
  const n = finite(t.number, `${field}.number`);
  need(Number.isInteger(n) && n >= 0, "payload.not_index", `${field}.number`, "must be an integer >= 0", n);
  oneOf(t.state, STATES, `${field}.state`);
  const params = object(t.params, `${field}.params`);
  for (const [k, p] of Object.entries(params)) {
    need(isChoice(p), "payload.bad_param", `${field}.params[${show(k)}]`, "must be a string, a finite number or a boolean", p);
  }
  numberOrNull(t.value, `${field}.value`);
  const metrics = object(t.metrics, `${field}.metrics`);
  for (const [k, m] of Object.entries(metrics)) {
    need(k !== "__proto__", "payload.bad_name", `${field}.metrics`, 'must not name a metric "__proto__"', k);
    finite(m, `${field}.metrics[${show(k)}]`);
  }
  const steps = t.intermediate;
  need(Array.isArray(steps), "payload.not_array", `${field}.intermediate`, "must be an array of [step, value] pairs", steps);
  const list = steps as unknown[];
  need(list.length <= MAX_STEPS, "payload.too_large", `${field}.intermediate`, `must have at most ${MAX_STEPS} steps`, list.length);
  list.forEach((pair, j) => {
    need(
      Array.isArray(pair) && pair.length === 2 && pair.every((x) => typeof x === "number" && Number.isFinite(x)),
      "payload.bad_step",
      `${field}.intermediate[${j}]`,
      "must be a [step, value] pair of finite numbers",
      pair,
    );
  });
  finite(t.startedAt, `${field}.startedAt`);
  numberOrNull(t.finishedAt, `${field}.finishedAt`);
  if (t.error !== null) string(t.error, `${field}.error`);
  checkSystem(object(t.system, `${field}.system`), `${field}.system`);
  // The user's record: shown as text (attributes as JSON, the note as sanitized markdown, details.ts).
  if (t.attrs !== undefined) object(t.attrs, `${field}.attrs`);
  if (t.note !== undefined) string(t.note, `${field}.note`);
}

/**
 * The parts of the system record the views read (the curves' brackets, rungs and stop reasons);
 * other keys are strategy bookkeeping the views ignore. Absent is fine; present must be well formed.
 */
function checkSystem(system: Record<string, unknown>, field: string): void {
  if (system[STOPPED_KEY] !== undefined) string(system[STOPPED_KEY], `${field}.stopped`);
  if (system[HYPERBAND_KEY] === undefined) return;
  const hb = object(system[HYPERBAND_KEY], `${field}.hyperband`);
  const bracket = finite(hb.bracket, `${field}.hyperband.bracket`);
  need(Number.isInteger(bracket) && bracket >= 0 && bracket <= MAX_BRACKET, "payload.bad_bracket", `${field}.hyperband.bracket`, `must be an integer from 0 to ${MAX_BRACKET}`, bracket);
  const rungs = hb.rungs;
  need(
    Array.isArray(rungs) && rungs.length <= MAX_RUNGS && rungs.every((r, i) => typeof r === "number" && Number.isFinite(r) && (i === 0 || r > (rungs[i - 1] as number))),
    "payload.bad_rungs",
    `${field}.hyperband.rungs`,
    `must be an ascending array of at most ${MAX_RUNGS} finite numbers`,
    rungs,
  );
  const values = hb.values;
  need(
    Array.isArray(values) && values.length <= MAX_RUNGS && values.every((v) => v === null || (typeof v === "number" && Number.isFinite(v))),
    "payload.bad_rung_values",
    `${field}.hyperband.values`,
    `must be an array of at most ${MAX_RUNGS} finite numbers (or null)`,
    values,
  );
}

/**
 * Checks that `data` is a study payload of the version this renderer draws. Extra fields are
 * ignored (a newer kernel may add some); missing or mistyped ones are a problem.
 */
export function checkPayload(data: unknown): PayloadCheck {
  try {
    const p = object(data, "payload");
    need(
      p.version === PAYLOAD_VERSION,
      "payload.version",
      "version",
      `must be ${PAYLOAD_VERSION} for ${STUDY_MIME} (a newer tunelab wrote this output; update the extension)`,
      p.version,
    );
    const study = object(p.study, "study");
    string(study.name, "study.name");
    oneOf(study.direction, DIRECTIONS, "study.direction");
    string(study.metric, "study.metric");
    string(study.strategy, "study.strategy");
    checkSpace(study.space);
    if (study.paramOrder !== undefined) checkParamOrder(study.paramOrder, study.space as Record<string, unknown>);
    if (study.metricOrder !== undefined) names(study.metricOrder, "study.metricOrder", MAX_METRICS);
    if (study.storage !== undefined) oneOf(study.storage, StorageKinds, "study.storage");
    if (study.note !== undefined) string(study.note, "study.note");
    need(Array.isArray(p.trials), "payload.not_array", "trials", "must be an array", p.trials);
    const trials = p.trials as unknown[];
    need(trials.length <= MAX_TRIALS, "payload.too_large", "trials", `must have at most ${MAX_TRIALS} entries`, trials.length);
    trials.forEach(checkTrial);
    need(typeof p.running === "boolean", "payload.not_boolean", "running", "must be true or false", p.running);
    finite(p.updatedAt, "updatedAt");
    if (p.view !== undefined) oneOf(p.view, ViewNames, "view");
    return { ok: true, payload: data as StudyPayload };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, problem: { code: e.code, field: e.field, message: e.message } };
    throw e;
  }
}
