import { failureOf, ownerOf, processOf, retryOf, stopCauseOf, type SystemRecord } from "../record/system";
import { isPlainObject } from "../util/json";
import { finiteOrNull, formatDuration, formatNumber, formatValue } from "./format";
import type { PayloadTrial, StudyPayload } from "./payload";
import { paramNames } from "./summary";

/**
 * Everything the trial details pane shows about one trial, as plain text and numbers (the
 * extension only lays it out; the payload may come from anywhere, so every record is read
 * through the checked readers of src/record/system.ts and every string is capped).
 *
 * @example trialDetails(payload, 3)?.worker // "node-7 · pid 4121"
 */
export interface TrialDetails {
  readonly number: number;
  readonly state: string;
  /** name and value text, in the space's order; inactive parameters left out. */
  readonly params: readonly NameText[];
  /** Every metric the trial returned, the objective first. */
  readonly metrics: readonly NameText[];
  /** The objective by step (at most MAX_CURVE_POINTS, evenly thinned), for a small curve. */
  readonly curve: readonly (readonly [number, number])[];
  /** How many steps it reported (the curve may show fewer). */
  readonly steps: number;
  readonly started: string;
  readonly duration: string;
  readonly error: string | null;
  /** "host · pid 4121" of the worker that ran it (its owner record, else its process record). */
  readonly worker: string | null;
  /** Why the engine stopped it, or how the infrastructure lost it. */
  readonly stopped: string | null;
  /** For a copy of a trial lost to the infrastructure: the attempts before it. */
  readonly retry: { readonly attempt: number; readonly of: number; readonly history: readonly string[] } | null;
  /** The user's attributes: key and value as JSON text. */
  readonly attrs: readonly NameText[];
  /** The user's markdown note (to render sanitized), or null. */
  readonly note: string | null;
}

export interface NameText {
  readonly name: string;
  readonly text: string;
}

export const MAX_CURVE_POINTS = 400;
/** The most characters of an attribute's JSON text shown (the rest is cut with "…"). */
const MAX_ATTR_TEXT = 2000;
/** Attributes listed at most (the record keeps 64; a crafted payload may hold more). */
const MAX_ATTRS_SHOWN = 100;
const MAX_HISTORY = 20;

/** The details of trial `number`, or undefined when the payload has no such trial. */
export function trialDetails(p: StudyPayload, number: number): TrialDetails | undefined {
  const t = p.trials.find((x) => x.number === number);
  if (!t) return undefined;
  const system = t.system as SystemRecord;
  const started = finiteOrNull(t.startedAt);
  const finished = finiteOrNull(t.finishedAt);
  return {
    number: t.number,
    state: t.state,
    params: paramsOf(p, t),
    metrics: metricsOf(t, p.study.metric),
    curve: thin(t.intermediate),
    steps: t.intermediate.length,
    started: started === null ? "" : new Date(started).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC"),
    duration: started !== null && finished !== null ? formatDuration(finished - started) : "",
    error: t.error,
    worker: workerOf(system),
    stopped: stoppedOf(system),
    retry: retryInfo(system),
    attrs: attrsOf(t.attrs),
    note: typeof t.note === "string" && t.note !== "" ? t.note : null,
  };
}

function paramsOf(p: StudyPayload, t: PayloadTrial): NameText[] {
  const out: NameText[] = [];
  for (const name of paramNames(p)) {
    const v = t.params[name];
    if (v === undefined || v === null) continue;
    out.push({ name, text: formatValue(v, p.study.space[name]) });
  }
  return out;
}

function metricsOf(t: PayloadTrial, objective: string): NameText[] {
  const out: NameText[] = [];
  if (t.value !== null) out.push({ name: objective, text: formatNumber(t.value) });
  for (const [name, v] of Object.entries(t.metrics)) if (name !== objective) out.push({ name, text: formatNumber(v) });
  return out;
}

/** At most MAX_CURVE_POINTS pairs, evenly spaced, the last one kept. */
function thin(steps: PayloadTrial["intermediate"]): (readonly [number, number])[] {
  if (steps.length <= MAX_CURVE_POINTS) return steps.slice();
  const out: (readonly [number, number])[] = [];
  const every = steps.length / MAX_CURVE_POINTS;
  for (let k = 0; k < MAX_CURVE_POINTS - 1; k++) out.push(steps[Math.floor(k * every)]!);
  out.push(steps[steps.length - 1]!);
  return out;
}

function workerOf(system: SystemRecord): string | null {
  const o = ownerOf(system);
  if (o) return `${o.host} · pid ${o.pid}`;
  const p = processOf(system);
  return p ? `${p.host} · pid ${p.owner.pid} (its command: pid ${p.pid})` : null;
}

const STOP_TEXT: Readonly<Record<string, string>> = {
  rung: "stopped at a rung (hyperband/asha)",
  median: "stopped by the median rule",
  timeout: "stopped: it ran longer than limits.trialSeconds",
  interrupt: "stopped by an interrupt",
  time: "stopped: the study's time limit was reached",
};

function stoppedOf(system: SystemRecord): string | null {
  const cause = stopCauseOf(system);
  if (cause) return STOP_TEXT[cause]!;
  const f = failureOf(system);
  if (!f) return null;
  const retry = f.retry === "requested" ? "a retry was made" : f.retry === "exhausted" ? "no retries left" : "no retries asked";
  return `lost to the infrastructure (${clip(f.cause, 80)}); ${retry}`;
}

function retryInfo(system: SystemRecord): TrialDetails["retry"] {
  const r = retryOf(system);
  if (!r) return null;
  const history = r.history.slice(0, MAX_HISTORY).map((h) => {
    if (!isPlainObject(h)) return "an earlier attempt";
    const trial = typeof h["trial"] === "number" ? `trial ${h["trial"]}` : "an earlier attempt";
    const cause = typeof h["cause"] === "string" ? `: ${clip(h["cause"], 80)}` : "";
    const error = typeof h["error"] === "string" ? ` (${clip(h["error"], 200)})` : "";
    return trial + cause + error;
  });
  return { attempt: r.attempt, of: r.of, history };
}

function attrsOf(attrs: PayloadTrial["attrs"]): NameText[] {
  if (!isPlainObject(attrs)) return [];
  const out: NameText[] = [];
  for (const name of Object.keys(attrs).slice(0, MAX_ATTRS_SHOWN)) {
    let text: string;
    try {
      text = JSON.stringify(attrs[name]) ?? "null";
    } catch {
      text = "(not JSON)";
    }
    out.push({ name: clip(name, 200), text: clip(text, MAX_ATTR_TEXT) });
  }
  return out;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
