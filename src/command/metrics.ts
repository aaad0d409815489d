import { isPlainObject } from "../util/json";
import { Msg } from "../util/messages";

/**
 * Reading metrics from a process's output, line by line: SageMaker-style definitions
 * (`{ name, regex }`, one capture group: the value) and the structured form any language can
 * print without a library, `tunelab: {"step": 3, "val_loss": 0.21}`.
 *
 * Each value of the objective metric is one intermediate value (one `report`); its step is
 * the `step` of the structured line, or the last match of a definition named "step", or one
 * more than the last step. Values of other metrics seen since the last report go with the
 * next one (at its step); the last value of every metric is kept with the trial.
 */

/** A metric read from the output: `regex` has exactly one capture group, the value. */
export interface MetricDefinition {
  readonly name: string;
  readonly regex: string;
}

/** How the final value is chosen from the objective metric's values. */
export const FINAL_RULES = ["last", "min", "max"] as const;
export type FinalRule = (typeof FINAL_RULES)[number];

/** The name of a definition (or structured field) that gives the step instead of a metric. */
export const STEP_NAME = "step";
/** A line holding this, then a JSON object, is a structured report. */
export const STRUCTURED_PREFIX = "tunelab:";

/** Most distinct metric names kept per trial (the structured form lets a process invent names). */
export const MAX_METRICS = 100;
const MAX_NAME = 200;

export interface CompiledMetric {
  readonly name: string;
  readonly source: string;
  readonly re: RegExp;
}

/** Validates definitions: names distinct and non-empty, each regex valid with exactly one capture group. */
export function compileMetrics(defs: unknown, field = "metrics"): CompiledMetric[] {
  if (defs === undefined) return [];
  if (!Array.isArray(defs)) throw Msg.badOption(field, defs, 'an array of { name, regex } (e.g. [{ "name": "val_loss", "regex": "val_loss=([-+0-9.eE]+)" }])');
  const seen = new Set<string>();
  return defs.map((d, i) => {
    const f = `${field}[${i}]`;
    if (!isPlainObject(d)) throw Msg.badOption(f, d, "an object { name, regex }");
    for (const k of Object.keys(d)) if (k !== "name" && k !== "regex") throw Msg.unknownOption(f, k, ["name", "regex"]);
    const name = d["name"];
    if (typeof name !== "string" || name.length === 0 || name.length > MAX_NAME || name === "__proto__") {
      throw Msg.badOption(`${f}.name`, name, `a metric name: a non-empty string of at most ${MAX_NAME} characters`);
    }
    if (seen.has(name)) throw Msg.duplicateMetric(`${f}.name`, name);
    seen.add(name);
    const source = d["regex"];
    if (typeof source !== "string" || source.length === 0 || source.length > 1000) {
      throw Msg.badOption(`${f}.regex`, source, "a regular expression of 1 to 1000 characters with one capture group");
    }
    let re: RegExp;
    try {
      re = new RegExp(source);
    } catch (e) {
      throw Msg.badRegex(`${f}.regex`, source, e instanceof Error ? e.message : String(e));
    }
    const groups = new RegExp(`(?:${source})|`).exec("")!.length - 1;
    if (groups !== 1) throw Msg.regexGroups(`${f}.regex`, source, groups);
    return { name, source, re };
  });
}

/** A value as a process printed it: a finite number, or undefined. */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t.length === 0) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** One intermediate report read from the output. */
export interface ReadReport {
  readonly step: number;
  readonly values: Record<string, number>;
}

/**
 * Turns lines into reports and final metrics for one trial. Holds at most MAX_METRICS
 * names, whatever the process prints.
 */
export class MetricReader {
  /** Last value of each metric seen (the trial's metrics). */
  readonly last: Record<string, number> = {};
  /** Values of the objective seen (any step). */
  objectiveCount = 0;
  private min = Infinity;
  private max = -Infinity;
  private lastStep = 0;
  private stepSeen = false;
  private pendingStep: number | undefined;
  private pending: Record<string, number> = {};
  /** Metric names seen ("__proto__" is never one). */
  private readonly seen = new Set<string>();
  /** Values whose step did not increase (kept as the last value, not as a curve point). */
  skippedSteps = 0;
  private readonly objectiveRe: RegExp | undefined;
  private readonly stepRe: RegExp | undefined;
  private readonly others: readonly CompiledMetric[];

  constructor(
    readonly metric: string,
    defs: readonly CompiledMetric[],
    private readonly onReport: (r: ReadReport) => void,
  ) {
    this.objectiveRe = defs.find((d) => d.name === metric)?.re;
    this.stepRe = defs.find((d) => d.name === STEP_NAME && d.name !== metric)?.re;
    this.others = defs.filter((d) => d.name !== metric && d.name !== STEP_NAME);
  }

  /** The final value by the rule, or undefined when the objective never appeared. */
  final(rule: FinalRule): number | undefined {
    if (this.objectiveCount === 0) return undefined;
    return rule === "min" ? this.min : rule === "max" ? this.max : this.last[this.metric];
  }

  /** Reads one line (without its line break). */
  line(text: string): void {
    const at = text.indexOf(STRUCTURED_PREFIX);
    if (at >= 0 && this.structured(text, at)) return;
    const step = this.stepRe?.exec(text);
    if (step) {
      const s = parseNumber(step[1]);
      if (s !== undefined && Number.isSafeInteger(s) && s >= 0) this.pendingStep = s;
    }
    for (const d of this.others) {
      const m = d.re.exec(text);
      if (m) {
        const v = parseNumber(m[1]);
        if (v !== undefined) this.other(d.name, v);
      }
    }
    if (this.objectiveRe) {
      const m = this.objectiveRe.exec(text);
      if (m) {
        const v = parseNumber(m[1]);
        if (v !== undefined) this.objective(v, undefined);
      }
    }
  }

  /** `tunelab: {...}`; false when what follows is not a JSON object (the line is then read as text). */
  private structured(text: string, at: number): boolean {
    const open = text.indexOf("{", at + STRUCTURED_PREFIX.length);
    if (open < 0 || text.slice(at + STRUCTURED_PREFIX.length, open).trim() !== "") return false;
    let o: unknown;
    try {
      o = JSON.parse(text.slice(open));
    } catch {
      return false;
    }
    if (!isPlainObject(o)) return false;
    let objective: number | undefined;
    let step: number | undefined;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      if (k === STEP_NAME && k !== this.metric) {
        if (Number.isSafeInteger(v) && v >= 0) step = v;
      } else if (k === this.metric) {
        objective = v;
      } else {
        this.other(k, v);
      }
    }
    if (objective !== undefined) this.objective(objective, step);
    return true;
  }

  private other(name: string, v: number): void {
    if (!this.seen.has(name)) {
      if (this.seen.size >= MAX_METRICS || name.length > MAX_NAME || name === "__proto__") return;
      this.seen.add(name);
    }
    this.last[name] = v;
    this.pending[name] = v;
  }

  private objective(v: number, explicitStep: number | undefined): void {
    this.seen.add(this.metric);
    put(this.last, this.metric, v);
    this.objectiveCount++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const step = explicitStep ?? this.pendingStep ?? (this.stepSeen ? this.lastStep + 1 : 1);
    this.pendingStep = undefined;
    if (this.stepSeen && step <= this.lastStep) {
      this.skippedSteps++;
      return;
    }
    this.stepSeen = true;
    this.lastStep = step;
    const values = this.pending;
    put(values, this.metric, v);
    this.pending = {};
    this.onReport({ step, values });
  }
}

/** o[k] = v, also for k "__proto__" (a metric may be named so; the study allows it). */
function put(o: Record<string, number>, k: string, v: number): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}
