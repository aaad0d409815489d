import type { FrozenTrial, StepValue, StudySnapshot, StudySpec } from "../model/trial";
import type { Config } from "../space/types";
import { Msg } from "../util/messages";
import { lostTrial } from "./lost";
import { attrKeyError, attrValueError, MAX_ATTRS, noteError, withAttr } from "./user";
import type { StudyOp } from "./ops";
import { EXTEND_VERSION } from "./ops";
import { widenSpace } from "../space/extend";
import { SearchSpace } from "../space/space";
import type { SpaceDef } from "../space/types";

/** What applying one op replaced, so that a failed append can put it back (see `undoPoint`). */
export interface Undo {
  readonly n: number;
  readonly prev: FrozenTrial | undefined;
  readonly queue: number;
  readonly applied: number;
  readonly sysOps: number;
  readonly note: string | undefined;
  readonly space: SpaceDef | undefined;
  readonly spaceVersion: number;
}

/**
 * The in-memory state of one study, built by applying its operations in
 * order. Both the in-memory and the on-disk storage keep one per open study.
 * Trial records are immutable: applying an op replaces the record.
 */
export class StudyReplica implements StudySnapshot {
  readonly trials: FrozenTrial[] = [];
  /** Enqueued configurations by queue position; undefined where a damaged journal lost one. */
  readonly queue: (Readonly<Config> | undefined)[] = [];
  /** Operations applied so far (the journal's record count). */
  applied = 0;
  /**
   * "sys" operations applied so far: the only operations that change an existing trial's
   * `system` record (a reader that classified trials by it need only look at new trials
   * while this stays the same).
   */
  sysOps = 0;
  /**
   * The number of each trial whose `system` record was replaced after the trial was created, in
   * order: by a "sys" op, a lost trial's record restored, or a write taken back (`undo`, which
   * may also take the trial away). Only ever appended to, never rolled back: a reader that
   * remembers how far it read knows which trials to read again (src/strategies/multifidelity/
   * rung-index.ts keeps the rungs' values sorted that way).
   */
  readonly systemLog: number[] = [];
  /** The study's note (a "note" record without a trial). */
  note: string | undefined = undefined;
  /** The space after the recorded extensions ("extend" ops); undefined while there are none. */
  space: SpaceDef | undefined = undefined;
  /** "extend" operations applied so far. */
  spaceVersion = 0;
  /** The current space, parsed (checking an extension needs it). */
  private parsed: SearchSpace | undefined;
  /** Numbers of the trials that are lost trials' placeholders. */
  private readonly lost = new Set<number>();

  constructor(readonly spec: StudySpec) {}

  /** Throws a TunelabError when the op does not fit the current state (never partially applies). */
  check(op: StudyOp): void {
    if (op.op === "extend") {
      if (op.v > EXTEND_VERSION) throw new Error(`an "extend" record of format ${op.v}, newer than this tunelab reads (${EXTEND_VERSION}); upgrade tunelab`);
      this.widened(op.space);
      return;
    }
    if (op.op === "trial") {
      if (op.n !== this.trials.length) throw new Error(`journal: trial ${op.n} created out of order (expected ${this.trials.length})`);
      return;
    }
    if (op.op === "enqueue") {
      if (op.i !== undefined && op.i !== this.queue.length) throw new Error(`journal: queue position ${op.i} recorded out of order (expected ${this.queue.length})`);
      return;
    }
    if (op.op === "attr" || op.op === "note") return this.checkUser(op);
    if (op.op === "report" || op.op === "sys" || op.op === "end") {
      const t = this.trials[op.n];
      if (!t) throw Msg.trialUnknown(op.n);
      if (op.op !== "sys" && t.state !== "running") throw Msg.trialFinished(op.n, t.state);
      if (op.op === "report") {
        const last = lastStep(t);
        if (last !== undefined && op.step <= last) throw Msg.badReportStep(op.step, last);
      }
    }
  }

  /** The checks of the user's records (user.ts): bounds and an existing trial, in any state. */
  private checkUser(op: Extract<StudyOp, { op: "attr" | "note" }>): void {
    const t = op.n === undefined ? undefined : this.trials[op.n];
    if (op.n !== undefined && !t) throw Msg.trialUnknown(op.n);
    if (op.op === "note") {
      const e = noteError("note", op.md);
      if (e) throw e;
      return;
    }
    const e = attrKeyError("key", op.k) ?? attrValueError("value", op.v);
    if (e) throw e;
    const attrs = t!.attrs;
    if (attrs && !Object.prototype.hasOwnProperty.call(attrs, op.k) && Object.keys(attrs).length >= MAX_ATTRS) throw Msg.tooManyAttrs("key", op.n, MAX_ATTRS);
  }

  /**
   * Trials `trials.length`..`upTo` had records that are lost (a damaged journal): each becomes a
   * failed placeholder (lost.ts) so that trial numbers stay those the file holds.
   */
  addLost(upTo: number, line: number | null): void {
    for (let n = this.trials.length; n <= upTo; n++) {
      const prev = this.trials[n - 1];
      this.trials.push(lostTrial(n, line, prev ? prev.startedAt : this.spec.createdAt));
      this.lost.add(n);
    }
  }

  /** Whether trial `n` is a lost trial's placeholder (made by addLost, not restored since). */
  isLost(n: number): boolean {
    return this.lost.size > 0 && this.lost.has(n);
  }

  /** Puts the trial that `op` creates in place of its lost placeholder (its creation record came late). */
  restoreLost(op: Extract<StudyOp, { op: "trial" }>): void {
    this.lost.delete(op.n);
    this.apply(op);
    // The record replaced is not a new trial: readers that skip unchanged system records
    // while sysOps stays the same (the runner's limit count) must look again.
    this.sysOps++;
    this.systemLog.push(op.n);
  }

  /** Records an enqueued configuration at queue position `i`, past a gap or into a lost one. */
  placeQueued(i: number, params: Readonly<Config>): void {
    this.applied++;
    while (this.queue.length < i) this.queue.push(undefined);
    this.queue[i] = params;
  }

  /** What `undo` needs to take `op` back; taken before applying it. */
  undoPoint(op: StudyOp): Undo {
    const n = op.op === "trial" || op.op === "report" || op.op === "sys" || op.op === "end" || op.op === "attr" ? op.n : op.op === "note" && op.n !== undefined ? op.n : -1;
    return { n, prev: n >= 0 ? this.trials[n] : undefined, queue: this.queue.length, applied: this.applied, sysOps: this.sysOps, note: this.note, space: this.space, spaceVersion: this.spaceVersion };
  }

  /** Takes back one applied op (the last not yet taken back): a write that failed. */
  undo(u: Undo): void {
    if (u.n >= 0) {
      if (u.prev) this.trials[u.n] = u.prev;
      else this.trials.length = u.n;
      this.systemLog.push(u.n);
    }
    this.queue.length = u.queue;
    this.applied = u.applied;
    this.sysOps = u.sysOps;
    this.note = u.note;
    if (u.spaceVersion !== this.spaceVersion) {
      this.space = u.space;
      this.spaceVersion = u.spaceVersion;
      this.parsed = undefined;
    }
  }

  /** The current space widened by `patch` (throws a TunelabError when it is not a widening). */
  private widened(patch: SpaceDef): SearchSpace {
    this.parsed ??= SearchSpace.parse(this.space ?? this.spec.space);
    return widenSpace(this.parsed, patch, "extend");
  }

  apply(op: StudyOp): void {
    this.applied++;
    switch (op.op) {
      case "study":
        return;
      case "extend": {
        const s = this.widened(op.space);
        this.parsed = s;
        this.space = s.toJSON();
        this.spaceVersion++;
        return;
      }
      case "enqueue":
        this.queue.push(op.params);
        return;
      case "trial": {
        // Two literals rather than a trailing conditional spread (a runtime call per trial);
        // the keys and their order are the same.
        const t: FrozenTrial =
          op.budget === undefined
            ? { number: op.n, state: "running", params: op.params, metrics: {}, intermediate: [], curves: {}, startedAt: op.t, system: op.sys ?? {} }
            : { number: op.n, state: "running", params: op.params, metrics: {}, intermediate: [], curves: {}, startedAt: op.t, system: op.sys ?? {}, budget: op.budget };
        this.trials[op.n] = t;
        return;
      }
      case "report": {
        const t = this.trials[op.n]!;
        const metric = this.spec.metric;
        let intermediate = t.intermediate;
        let curves = t.curves;
        for (const [k, v] of Object.entries(op.v)) {
          const pair: StepValue = [op.step, v];
          if (k === metric) intermediate = [...intermediate, pair];
          else curves = { ...curves, [k]: [...(curves[k] ?? []), pair] };
        }
        this.trials[op.n] = { ...t, intermediate, curves };
        return;
      }
      case "sys": {
        this.sysOps++;
        this.systemLog.push(op.n);
        const t = this.trials[op.n]!;
        this.trials[op.n] = { ...t, system: { ...t.system, ...op.sys } };
        return;
      }
      case "end": {
        const t = this.trials[op.n]!;
        if (op.value !== undefined && op.error === undefined && isFreshRunning(t)) {
          // The common case (a trial completing with a value), built in one literal: the
          // same keys in the same order as the general form below gives, without growing
          // a spread copy property by property.
          const metrics = op.metrics ?? t.metrics;
          this.trials[op.n] =
            t.budget === undefined
              ? { number: t.number, state: op.state, params: t.params, metrics, intermediate: t.intermediate, curves: t.curves, startedAt: t.startedAt, system: t.system, finishedAt: op.t, value: op.value }
              : { number: t.number, state: op.state, params: t.params, metrics, intermediate: t.intermediate, curves: t.curves, startedAt: t.startedAt, system: t.system, budget: t.budget, finishedAt: op.t, value: op.value };
          return;
        }
        const next: Record<string, unknown> = { ...t, state: op.state, finishedAt: op.t };
        if (op.value !== undefined) next["value"] = op.value;
        if (op.metrics) next["metrics"] = op.metrics;
        if (op.error !== undefined) next["error"] = op.error;
        this.trials[op.n] = next as unknown as FrozenTrial;
        return;
      }
      case "attr": {
        const t = this.trials[op.n]!;
        this.trials[op.n] = { ...t, attrs: withAttr(t.attrs, op.k, op.v) };
        return;
      }
      case "note": {
        if (op.n === undefined) {
          this.note = op.md === "" ? undefined : op.md;
          return;
        }
        const t = this.trials[op.n]!;
        if (op.md !== "") this.trials[op.n] = { ...t, note: op.md };
        else if (t.note !== undefined) {
          const { note: _cleared, ...rest } = t;
          this.trials[op.n] = rest;
        }
        return;
      }
    }
  }
}

/**
 * Whether `t` is a running record that only "trial", "report" and "sys" ops have shaped.
 * Records are made only by `apply`: "trial" gives number, state, params, metrics,
 * intermediate, curves, startedAt, system (and budget), "report" and "sys" keep those keys
 * in place, only "end" adds finishedAt, value and error, and only "attr" and "note" add attrs
 * and note (a trial that has them takes the general form). So the fast "end" literal
 * reproduces exactly what the spread form gives.
 */
function isFreshRunning(t: FrozenTrial): boolean {
  return t.state === "running" && !("finishedAt" in t) && !("value" in t) && !("error" in t) && !("attrs" in t) && !("note" in t);
}

/** The last step reported for a trial, any metric. */
export function lastStep(t: FrozenTrial): number | undefined {
  let last: number | undefined = t.intermediate.length ? t.intermediate[t.intermediate.length - 1]![0] : undefined;
  for (const c of Object.values(t.curves)) {
    const s = c.length ? c[c.length - 1]![0] : undefined;
    if (s !== undefined && (last === undefined || s > last)) last = s;
  }
  return last;
}
