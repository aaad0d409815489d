/**
 * Range warnings: a numeric parameter whose best trials crowd against a bound of its declared
 * range, where the optimum may lie outside it. Pure and browser-safe; the panel, the notebook's
 * text and `tunelab run`'s progress line all show these.
 *
 * The rule (BOUNDARY_RULE): among the complete trials where the parameter is active (at least
 * 20 of them), take the best 10% (at least 5); when the best of them and at least half of them
 * sit within 5% of the same bound (ten times what chance puts there), measured in the parameter's own scale (log parameters in log space; for ints and
 * stepped floats the range ends at the last value the step reaches), warn. Categorical
 * parameters never warn (they have no direction to widen).
 *
 * The suggested new bound is one range-width further in the parameter's scale for linear
 * parameters, and one decade further for log (and reverse-log: 1 - v a tenth or ten times) —
 * a log range's width is often many decades, and widening by all of them is rarely meant. Ints
 * round outwards, steps keep the grid of the old range, and the other options stay. Where the
 * scale allows no wider range (a log int already at 1, a reverse-log at 0) the warning has no code.
 */
import { isBetter, type Direction } from "../../model/trial";
import type { Config, FloatParam, IntParam, SpaceDef } from "../../space/types";
import type { StudyPayload } from "../payload";
import type { AnalysisTrial } from "./table";

export const BOUNDARY_RULE = {
  /** The share of complete trials counted as the best... */
  bestShare: 0.1,
  /** ...and never fewer than this many. */
  minBest: 5,
  /** No warning before this many complete trials have the parameter. */
  minTrials: 20,
  /** "At a bound": within this share of the range, in the parameter's scale. */
  edge: 0.05,
  /** The share of the best that must be at the same bound (the very best always must). */
  crowd: 0.5,
} as const;

export type Bound = "low" | "high";

export interface BoundaryWarning {
  readonly param: string;
  readonly bound: Bound;
  /** The bound's current value. */
  readonly at: number;
  /** How many of the best trials are at it, of how many best. */
  readonly near: number;
  readonly best: number;
  /** The widened range, or null when the scale allows no wider one. */
  readonly widened: { readonly low: number; readonly high: number } | null;
  /** The line of code that widens it (`study.extendSpace(...)`), or null. */
  readonly code: string | null;
  /** One line for people: the parameter, the bound, the direction to widen, the code. */
  readonly message: string;
}

type Numeric = FloatParam | IntParam;

/**
 * The warnings for a study's trials, in declared parameter order (`order`; default the
 * space's keys).
 *
 * @example boundaryWarnings(trials, { lr: float(1e-5, 1, { scale: "log" }) }, "minimize")[0].code
 * // 'study.extendSpace({ lr: float(1e-6, 1, { scale: "log" }) })'
 */
export function boundaryWarnings(trials: readonly AnalysisTrial[], space: SpaceDef, direction: Direction, order?: readonly string[]): BoundaryWarning[] {
  const done = trials.filter((t) => t.state === "complete" && typeof t.value === "number" && Number.isFinite(t.value));
  const sorted = [...done].sort((a, b) => (isBetter(direction, a.value!, b.value!) ? -1 : isBetter(direction, b.value!, a.value!) ? 1 : 0));
  const out: BoundaryWarning[] = [];
  for (const name of order ?? Object.keys(space)) {
    const def = Object.prototype.hasOwnProperty.call(space, name) ? space[name] : undefined;
    if (def === undefined || def.type === "categorical") continue;
    const w = paramWarning(name, def, sorted);
    if (w) out.push(w);
  }
  return out;
}

/** The warnings for a payload (what the panel and the notebook show). */
export function payloadBoundaryWarnings(p: StudyPayload): BoundaryWarning[] {
  return boundaryWarnings(p.trials, p.study.space, p.study.direction, p.study.paramOrder);
}

/** A short form for a progress line: "lr at low, layers at high". */
export function boundaryShort(warnings: readonly BoundaryWarning[]): string {
  return warnings.map((w) => `${w.param} at ${w.bound}`).join(", ");
}

function paramWarning(name: string, def: Numeric, sorted: readonly AnalysisTrial[]): BoundaryWarning | null {
  const pos = position(def);
  if (pos === null) return null;
  const active: number[] = [];
  for (const t of sorted) {
    const v = (t.params as Config)[name];
    if (typeof v === "number" && Number.isFinite(v)) active.push(pos(v));
  }
  if (active.length < BOUNDARY_RULE.minTrials) return null;
  const best = Math.max(BOUNDARY_RULE.minBest, Math.ceil(active.length * BOUNDARY_RULE.bestShare));
  const top = active.slice(0, best);
  for (const bound of ["low", "high"] as const) {
    const isNear = (x: number) => (bound === "low" ? x <= BOUNDARY_RULE.edge : x >= 1 - BOUNDARY_RULE.edge);
    const near = top.filter(isNear).length;
    if (!isNear(top[0]!) || near < BOUNDARY_RULE.crowd * best) continue;
    const widened = widen(def, bound);
    const code = widened && extendCode(name, def, widened);
    const at = bound === "low" ? def.low : def.high;
    const way = bound === "low" ? "lower" : "higher";
    const message =
      `${name}: ${near} of the best ${best} trials sit at its ${bound} bound ${num(at)}; the optimum may be ${way}: widen the range` + (code ? ` with ${code}` : ` (its ${def.scale ?? "linear"} scale allows no ${way} bound)`);
    return { param: name, bound, at, near, best, widened, code, message };
  }
  return null;
}

/** A value's position in [0, 1] of the reachable range in the parameter's scale, or null for a range of one value. */
function position(def: Numeric): ((v: number) => number) | null {
  const step = def.step ?? (def.type === "int" ? 1 : undefined);
  const high = step === undefined ? def.high : def.low + Math.floor((def.high - def.low) / step + 1e-9) * step;
  if (!(high > def.low)) return null;
  const f = transform(def);
  const lo = f(def.low);
  const span = f(high) - lo;
  if (!(span > 0) || !Number.isFinite(span)) return null;
  return (v) => Math.min(1, Math.max(0, (f(v) - lo) / span));
}

function transform(def: Numeric): (v: number) => number {
  if (def.scale === "log") return Math.log;
  if (def.scale === "reverse-log") return (v) => -Math.log1p(-v);
  return (v) => v;
}

/** The range with one bound moved out, or null when the scale has no room. */
function widen(def: Numeric, bound: Bound): { low: number; high: number } | null {
  const int = def.type === "int";
  let { low, high } = def;
  if (def.scale === "log") {
    if (bound === "low") low = int ? Math.floor(low / 10) : low / 10;
    else high = int ? Math.ceil(high * 10) : high * 10;
    if (int && low < 1) low = 1;
  } else if (def.scale === "reverse-log") {
    if (bound === "low") low = Math.max(0, 1 - (1 - low) * 10);
    else high = 1 - (1 - high) / 10;
  } else {
    const width = high - low;
    const step = def.step;
    const by = step === undefined ? width : Math.ceil(width / step) * step;
    if (bound === "low") low -= by;
    else high += by;
    if (int) {
      low = Math.floor(low);
      high = Math.ceil(high);
    }
  }
  low = tidy(low);
  high = tidy(high);
  if (!Number.isFinite(low) || !Number.isFinite(high)) return null;
  if (bound === "low" ? !(low < def.low) : !(high > def.high)) return null;
  return { low, high };
}

/** Rounds away the float noise of a division (1e-5 / 10 → 1e-6). */
function tidy(x: number): number {
  return Number(x.toPrecision(12));
}

/** `study.extendSpace({ lr: float(1e-6, 1, { scale: "log" }) })`: the parameter's builder with its other options kept. */
function extendCode(name: string, def: Numeric, range: { low: number; high: number }): string {
  const opts: string[] = [];
  if (def.scale !== undefined && def.scale !== "linear") opts.push(`scale: ${JSON.stringify(def.scale)}`);
  if (def.step !== undefined) opts.push(`step: ${num(def.step)}`);
  if (def.when !== undefined) opts.push(`when: ${JSON.stringify(def.when)}`);
  const args = [num(range.low), num(range.high), ...(opts.length > 0 ? [`{ ${opts.join(", ")} }`] : [])];
  const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
  return `study.extendSpace({ ${key}: ${def.type}(${args.join(", ")}) })`;
}

/** The shorter of a number's plain and exponential forms (1e-6, not 0.000001). */
function num(x: number): string {
  const plain = String(x);
  const exp = x.toExponential().replace("e+", "e");
  return exp.length < plain.length ? exp : plain;
}
