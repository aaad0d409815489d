import { Msg } from "../util/messages";
import { canonicalJson, isPlainObject } from "../util/json";
import { gridSize } from "./encoding";
import { FloatScales, IntScales } from "./types";
import type { Choice, Condition, Config, FloatScale, IntScale, ParamDef, SpaceDef } from "./types";

/** A validated parameter, with defaults filled in and its position in the space. */
export type ParamSpec = FloatSpec | IntSpec | CategoricalSpec;

interface SpecBase {
  readonly name: string;
  /** Position in declaration order (the order of the space's keys). */
  readonly index: number;
  readonly when?: Condition;
}
export interface FloatSpec extends SpecBase {
  readonly type: "float";
  readonly low: number;
  readonly high: number;
  readonly scale: FloatScale;
  readonly step?: number;
}
export interface IntSpec extends SpecBase {
  readonly type: "int";
  readonly low: number;
  readonly high: number;
  readonly scale: IntScale;
  /** Always set for ints (1 unless declared). */
  readonly step: number;
}
export interface CategoricalSpec extends SpecBase {
  readonly type: "categorical";
  readonly choices: readonly Choice[];
}

/** Most parameters a space may declare. */
export const MAX_PARAMS = 10_000;
/** Most choices of a categorical parameter, and most values one condition may list. */
export const MAX_CHOICES = 10_000;
/**
 * A stepped float's step must be at least this fraction of its larger bound: below it the
 * grid values low + k*step are not distinct doubles (near 1e15 doubles are 0.125 apart).
 */
export const MIN_RELATIVE_STEP = 1e-12;

const FLOAT_FIELDS = ["type", "low", "high", "scale", "step", "when"] as const;
const INT_FIELDS = ["type", "low", "high", "scale", "step", "when"] as const;
const CAT_FIELDS = ["type", "choices", "when"] as const;

/**
 * A validated search space. Built from the protocol's JSON (or the DSL's
 * builders, which produce that JSON), it answers which parameters are active
 * in a configuration, checks configurations, and serialises back losslessly.
 *
 * @example
 * const space = SearchSpace.parse({ lr: { type: "float", low: 1e-5, high: 1, scale: "log" } });
 */
export class SearchSpace {
  /** Parameters in declaration order. */
  readonly params: readonly ParamSpec[];
  /** Parameters ordered so that every condition's parameters come first (stable). */
  readonly evalOrder: readonly ParamSpec[];
  private readonly byName: ReadonlyMap<string, ParamSpec>;
  private readonly json: SpaceDef;
  private canonical?: string;

  /** Each conditional parameter's condition, as lookups (by parameter). */
  private readonly tests: ReadonlyMap<ParamSpec, readonly ConditionTest[]>;

  private constructor(params: ParamSpec[], json: SpaceDef) {
    this.params = params;
    this.byName = new Map(params.map((p) => [p.name, p]));
    this.json = json;
    this.evalOrder = topologicalOrder(params, this.byName);
    this.tests = new Map(params.flatMap((p) => (p.when ? [[p, conditionTests(p.when)]] : [])));
  }

  /** Validates a space given as JSON (or as the DSL's builders made it); throws one clear error. */
  static parse(input: unknown, field = "space"): SearchSpace {
    if (input instanceof SearchSpace) return input;
    if (!isPlainObject(input)) throw Msg.notAnObject(field, input);
    const names = Object.keys(input);
    if (names.length === 0) throw Msg.emptySpace(field);
    if (names.length > MAX_PARAMS) throw Msg.tooManyParams(field, names.length, MAX_PARAMS);
    const params: ParamSpec[] = [];
    const json: Record<string, ParamDef> = {};
    names.forEach((name, index) => {
      // "__proto__" would be swallowed by every object a configuration passes through, and a
      // name every object inherits ("toString", "constructor") reads as present when inactive.
      if (name.length === 0 || name in Object.prototype) throw Msg.badParamName(field, name);
      const spec = parseParam(name, index, input[name], `${field}.${name}`);
      params.push(spec);
      json[name] = toDef(spec);
    });
    const byName = new Map(params.map((p) => [p.name, p]));
    const choiceSets = new Map<ParamSpec, Set<Choice>>();
    for (const p of params) if (p.when) checkCondition(byName, p, `${field}.${p.name}`, choiceSets);
    findCycle(params, byName);
    return new SearchSpace(params, json);
  }

  get size(): number {
    return this.params.length;
  }

  get names(): string[] {
    return this.params.map((p) => p.name);
  }

  get hasConditions(): boolean {
    return this.params.some((p) => p.when !== undefined);
  }

  param(name: string): ParamSpec | undefined {
    return this.byName.get(name);
  }

  /** The protocol's JSON form (a fresh copy). */
  toJSON(): SpaceDef {
    return JSON.parse(JSON.stringify(this.json)) as SpaceDef;
  }

  /** Text that is equal for spaces that mean the same thing. */
  canonicalKey(): string {
    if (this.canonical === undefined) {
      const norm: Record<string, unknown> = {};
      for (const p of this.params) {
        const d: Record<string, unknown> = { ...toDef(p) };
        if (d["scale"] === "linear") delete d["scale"];
        if (p.type === "int" && d["step"] === 1) delete d["step"];
        norm[p.name] = d;
      }
      // Parameter order matters (grid order, typed tuples), so keep it as a list.
      this.canonical = canonicalJson(this.params.map((p) => [p.name, norm[p.name]]));
    }
    return this.canonical;
  }

  equals(other: SearchSpace): boolean {
    return this.canonicalKey() === other.canonicalKey();
  }

  /** Whether `param`'s condition holds for the (partial) configuration. */
  isActive(param: ParamSpec, config: Readonly<Record<string, unknown>>): boolean {
    if (!param.when) return true;
    const tests = this.tests.get(param) ?? conditionTests(param.when);
    for (let i = 0; i < tests.length; i++) {
      const t = tests[i]!;
      if (!(t.name in config)) return false;
      if (!t.allows(config[t.name])) return false;
    }
    return true;
  }

  /**
   * Checks that `config` is a complete, valid configuration of this space:
   * every active parameter present and inside its domain, no inactive or
   * unknown parameter. Returns a copy holding only the space's keys, in order.
   */
  check(config: unknown, field = "params"): Config {
    if (!isPlainObject(config)) throw Msg.configNotObject(field, config);
    for (const k of Object.keys(config)) {
      if (!this.byName.has(k)) throw Msg.configExtra(field, k, `which is not a parameter of the space (parameters: ${this.names.join(", ")})`);
    }
    const out: Config = {};
    for (const p of this.evalOrder) {
      const active = this.isActive(p, out);
      const has = Object.prototype.hasOwnProperty.call(config, p.name) && config[p.name] !== undefined;
      if (!active) {
        if (has) throw Msg.configExtra(field, p.name, `whose condition ${JSON.stringify(p.when)} does not hold`);
        continue;
      }
      if (!has) throw Msg.configMissing(field, p.name);
      out[p.name] = checkValue(p, config[p.name], field);
    }
    return this.ordered(out);
  }

  /** The same configuration with keys in declaration order. */
  ordered(config: Config): Config {
    const out: Config = {};
    for (const p of this.params) if (p.name in config) out[p.name] = config[p.name]!;
    return out;
  }
}

/**
 * Checks one parameter definition on its own (the DSL's builders: `float`, `int`, `choice`,
 * `when`), with the rules and error codes of `SearchSpace.parse`; `field` names the builder.
 * What needs the whole space (the parameters a condition names) is checked by parse.
 */
export function checkParamDef(raw: unknown, field: string): void {
  parseParam("param", 0, raw, field);
}

function parseParam(name: string, index: number, raw: unknown, field: string): ParamSpec {
  if (!isPlainObject(raw)) throw Msg.notAnObject(field, raw);
  const type = raw["type"];
  const allowed = type === "float" ? FLOAT_FIELDS : type === "int" ? INT_FIELDS : type === "categorical" ? CAT_FIELDS : undefined;
  if (!allowed) throw Msg.unknownParamType(field, type);
  for (const k of Object.keys(raw)) {
    if (raw[k] !== undefined && !(allowed as readonly string[]).includes(k)) throw Msg.unknownField(field, k, allowed);
  }
  const when = raw["when"] === undefined ? undefined : parseWhen(raw["when"], field);
  const base = when ? { name, index, when } : { name, index };
  if (type === "categorical") {
    const choices = raw["choices"];
    if (!Array.isArray(choices) || choices.length === 0) throw Msg.emptyChoices(field);
    if (choices.length > MAX_CHOICES) throw Msg.tooManyChoices(field, choices.length, MAX_CHOICES);
    const seen = new Set<string>();
    choices.forEach((c, i) => {
      if (!(typeof c === "string" || typeof c === "boolean" || (typeof c === "number" && Number.isFinite(c)))) throw Msg.badChoice(field, i, c);
      const key = typeof c + ":" + String(c);
      if (seen.has(key)) throw Msg.duplicateChoice(field, c);
      seen.add(key);
    });
    // -0 is 0 to every comparison and in JSON: keep it as 0, so proposals never carry -0.
    return { ...base, type, choices: (choices as Choice[]).map((c) => (c === 0 ? 0 : c)) };
  }
  const low = raw["low"];
  const high = raw["high"];
  if (typeof low !== "number" || !Number.isFinite(low)) throw Msg.notFinite(`${field}.low`, low);
  if (typeof high !== "number" || !Number.isFinite(high)) throw Msg.notFinite(`${field}.high`, high);
  const step = raw["step"];
  if (type === "int") {
    if (!Number.isInteger(low)) throw Msg.notInteger(`${field}.low`, low);
    if (!Number.isInteger(high)) throw Msg.notInteger(`${field}.high`, high);
    if (!Number.isSafeInteger(low)) throw Msg.intNotSafe(`${field}.low`, low);
    if (!Number.isSafeInteger(high)) throw Msg.intNotSafe(`${field}.high`, high);
    if (low > high) throw Msg.lowAboveHigh(field, low, high);
    // Beyond 2^53 - 1 integers apart, low + k*step is no longer exact.
    if (high - low > Number.MAX_SAFE_INTEGER) throw Msg.rangeTooWide(field, low, high, `${Number.MAX_SAFE_INTEGER} (2^53 - 1) for an int`);
    const scale = raw["scale"] ?? "linear";
    if (!(IntScales as readonly unknown[]).includes(scale)) throw Msg.badScale(field, scale, IntScales);
    if (scale === "log" && low < 1) throw Msg.logNeedsPositive(field, low, 1);
    if (step !== undefined && !(typeof step === "number" && Number.isSafeInteger(step) && step >= 1)) throw Msg.badStep(field, step, true);
    return { ...base, type, low, high, scale: scale as IntScale, step: (step as number | undefined) ?? 1 };
  }
  if (!(low < high)) throw Msg.lowNotBelowHigh(field, low, high);
  // Every strategy measures positions in the range by high - low: it must be a number.
  if (!Number.isFinite(high - low)) throw Msg.rangeTooWide(field, low, high, `the largest double, ${Number.MAX_VALUE}`);
  const scale = raw["scale"] ?? "linear";
  if (!(FloatScales as readonly unknown[]).includes(scale)) throw Msg.badScale(field, scale, FloatScales);
  if (scale === "log" && !(low > 0)) throw Msg.logNeedsPositive(field, low, 0);
  if (scale === "reverse-log" && !(low >= 0 && high < 1)) throw Msg.reverseLogRange(field, low, high);
  if (step !== undefined && !(typeof step === "number" && Number.isFinite(step) && step > 0)) throw Msg.badStep(field, step, false);
  if (step !== undefined) {
    const min = MIN_RELATIVE_STEP * Math.max(Math.abs(low), Math.abs(high));
    if ((step as number) < min) throw Msg.stepTooFine(field, step as number, low, high, min);
  }
  const spec: FloatSpec = { ...base, type: "float", low, high, scale: scale as FloatScale };
  if (step === undefined) return spec;
  const stepped: FloatSpec = { ...spec, step: step as number };
  // The same count the grid and the encoding use (a relative tolerance also right for negative bounds).
  if (gridSize(stepped) < 2) throw Msg.stepTooLarge(field, step as number, low, high);
  return stepped;
}

function parseWhen(raw: unknown, field: string): Condition {
  if (!isPlainObject(raw) || Object.keys(raw).length === 0) throw Msg.badCondition(field, raw);
  const entries: [string, Choice[]][] = [];
  for (const [k, v] of Object.entries(raw)) {
    if (!Array.isArray(v) || v.length === 0) throw Msg.badCondition(field, raw);
    if (v.length > MAX_CHOICES) throw Msg.conditionTooLong(field, k, v.length, MAX_CHOICES);
    for (const c of v) {
      if (!(typeof c === "string" || typeof c === "boolean" || (typeof c === "number" && Number.isFinite(c)))) throw Msg.badCondition(field, raw);
    }
    entries.push([k, [...(v as Choice[])]]);
  }
  // fromEntries keeps a "__proto__" key as a key (so it is reported as unknown, not silently dropped).
  return Object.fromEntries(entries);
}

function checkCondition(byName: ReadonlyMap<string, ParamSpec>, p: ParamSpec, field: string, choiceSets: Map<ParamSpec, Set<Choice>>): void {
  for (const [other, values] of Object.entries(p.when!)) {
    if (other === p.name) throw Msg.conditionSelf(field);
    const o = byName.get(other);
    if (!o) throw Msg.conditionUnknownParam(field, other, [...byName.keys()]);
    if (o.type === "float") throw Msg.conditionNotDiscrete(field, other, "a float");
    let set = o.type === "categorical" ? choiceSets.get(o) : undefined;
    if (o.type === "categorical" && !set) choiceSets.set(o, (set = new Set(o.choices)));
    for (const v of values) {
      // A Set compares as === does for these values (-0 finds 0; NaN is never a choice).
      const possible = o.type === "categorical" ? set!.has(v) : isIntValue(o, v);
      if (!possible) throw Msg.conditionValue(field, other, v);
    }
  }
}

function isIntValue(p: IntSpec, v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= p.low && v <= p.high && (v - p.low) % p.step === 0;
}

/** One entry of a condition: the parameter it names and whether a value of it lets the condition hold. */
interface ConditionTest {
  readonly name: string;
  readonly allows: (v: unknown) => boolean;
}

function conditionTests(when: Condition): ConditionTest[] {
  return Object.keys(when).map((name) => {
    const list = when[name]!;
    // Short lists (the usual one or two values) are scanned; long ones looked up.
    if (list.length <= 8) return { name, allows: (v: unknown) => list.some((a) => a === v) };
    const set = new Set<unknown>(list);
    return { name, allows: (v: unknown) => set.has(v) };
  });
}

/** Throws on a cycle of conditions, naming it. Iterative: a chain of conditions may be as long as the space. */
function findCycle(params: readonly ParamSpec[], byName: ReadonlyMap<string, ParamSpec>): void {
  const state = new Map<string, 1 | 2>();
  for (const root of params) {
    if (state.has(root.name)) continue;
    // Depth-first, with an explicit stack of (name, its dependencies, next dependency to visit).
    const stack: { name: string; deps: string[]; next: number }[] = [];
    const enter = (name: string): void => {
      state.set(name, 1);
      stack.push({ name, deps: Object.keys(byName.get(name)?.when ?? {}), next: 0 });
    };
    enter(root.name);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (top.next === top.deps.length) {
        state.set(top.name, 2);
        stack.pop();
        continue;
      }
      const dep = top.deps[top.next++]!;
      const s = state.get(dep);
      if (s === 2) continue;
      if (s === 1) {
        const names = stack.map((f) => f.name);
        throw Msg.conditionCycle([...names.slice(names.indexOf(dep)), dep]);
      }
      enter(dep);
    }
  }
}

/**
 * Dependencies first; otherwise declaration order: Kahn's algorithm, always taking the ready
 * parameter declared first (a heap of indices keeps it O((P + E) log P) for long chains).
 */
function topologicalOrder(params: readonly ParamSpec[], byName: ReadonlyMap<string, ParamSpec>): ParamSpec[] {
  if (!params.some((p) => p.when)) return [...params];
  const waiting = new Int32Array(params.length);
  const dependents: number[][] = params.map(() => []);
  for (const p of params) {
    for (const dep of Object.keys(p.when ?? {})) {
      const d = byName.get(dep);
      if (!d) continue;
      waiting[p.index]++;
      dependents[d.index]!.push(p.index);
    }
  }
  const ready = new MinHeap();
  for (const p of params) if (waiting[p.index] === 0) ready.push(p.index);
  const out: ParamSpec[] = [];
  while (ready.size) {
    const i = ready.pop();
    out.push(params[i]!);
    for (const j of dependents[i]!) if (--waiting[j] === 0) ready.push(j);
  }
  return out; // cycles were rejected before
}

/** A binary min-heap of integers. */
class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (a[up]! <= x) break;
      a[i] = a[up]!;
      i = up;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

function toDef(p: ParamSpec): ParamDef {
  const when = p.when ? { when: p.when } : {};
  if (p.type === "categorical") return { type: "categorical", choices: [...p.choices], ...when };
  const scale = p.scale !== "linear" ? { scale: p.scale } : {};
  if (p.type === "int") return { type: "int", low: p.low, high: p.high, ...scale, ...(p.step !== 1 ? { step: p.step } : {}), ...when } as ParamDef;
  return { type: "float", low: p.low, high: p.high, ...scale, ...(p.step !== undefined ? { step: p.step } : {}), ...when } as ParamDef;
}

/** Checks one value against its parameter; returns it (normalised: -0 → 0). */
export function checkValue(p: ParamSpec, v: unknown, field: string): Choice {
  if (p.type === "categorical") {
    const hit = p.choices.find((c) => c === v);
    if (hit === undefined) throw Msg.configBadValue(field, p.name, v, `one of ${JSON.stringify(p.choices)}`);
    return hit;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw Msg.configBadValue(field, p.name, v, `a finite number in [${p.low}, ${p.high}]`);
  if (v < p.low || v > p.high) throw Msg.configBadValue(field, p.name, v, `in [${p.low}, ${p.high}]`);
  if (p.type === "int") {
    if (!Number.isInteger(v)) throw Msg.configBadValue(field, p.name, v, "an integer");
    if ((v - p.low) % p.step !== 0) throw Msg.configBadValue(field, p.name, v, `low + k*step (low=${p.low}, step=${p.step})`);
  } else if (p.step !== undefined) {
    // v and low each carry rounding error of a few ulps of their magnitude, which can be many
    // step-units when |low| is large and step small (low=1e6, step=0.001): allow for it.
    const k = Math.round((v - p.low) / p.step);
    const off = Math.abs(v - (p.low + k * p.step));
    const tol = 1e-9 * p.step * Math.max(1, Math.abs(k)) + 4 * Number.EPSILON * Math.max(Math.abs(v), Math.abs(p.low));
    if (!(off <= tol)) throw Msg.configBadValue(field, p.name, v, `low + k*step (low=${p.low}, step=${p.step})`);
  }
  return v === 0 ? 0 : v;
}
