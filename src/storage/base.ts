import type { FrozenTrial, StudySnapshot, StudySpec } from "../model/trial";
import type { Config, SpaceDef } from "../space/types";
import type { JsonObject, JsonValue } from "../util/json";
import { Msg } from "../util/messages";
import type { NewTrial, StudyOp, TrialOutcome } from "../record/ops";
import { EXTEND_VERSION, JOURNAL_VERSION } from "../record/ops";
import { StudyReplica, type Undo } from "../record/replica";
import type { ReportDecision, Storage, WriteContext } from "./storage";

/**
 * One write in progress: the up-to-date replica, the storage's clock, and `write`, which applies
 * an op (checked) and has it persisted with the others when the write ends. A callback given a
 * WriteContext gets this object.
 */
export abstract class Tx implements WriteContext {
  /**
   * Set while a caller's callback runs (propose, decide): ops written from then on must be
   * taken back if it throws. Storages that keep every write's undo anyway ignore it.
   */
  guarded = false;
  abstract readonly replica: StudyReplica;
  abstract readonly now: number;
  abstract write(op: StudyOp): void;
  abstract lastBeat(trial: number): number | undefined;

  finish(trial: number, outcome: TrialOutcome): FrozenTrial {
    const r = this.replica;
    const t = r.trials[trial];
    if (!t) throw Msg.trialUnknown(trial);
    if (t.state !== "running") throw Msg.trialFinished(trial, t.state);
    if (outcome.system && hasOwnKeys(outcome.system)) this.write({ op: "sys", n: trial, sys: outcome.system });
    const end: Mutable<Extract<StudyOp, { op: "end" }>> = { op: "end", n: trial, state: outcome.state, t: this.now };
    if (outcome.value !== undefined) end.value = outcome.value;
    if (outcome.metrics && hasOwnKeys(outcome.metrics)) end.metrics = outcome.metrics;
    if (outcome.error !== undefined) end.error = outcome.error;
    this.write(end);
    return r.trials[trial]!;
  }
}

/**
 * Shared logic of storages that keep a replica per study and persist
 * operations: subclasses provide `transact` (bring the replica up to date,
 * run the function, persist what it wrote — atomically with respect to other
 * writers) and `openReplica`.
 */
export abstract class ReplicaStorage implements Storage {
  abstract readonly description: string;
  abstract readonly location: string;
  abstract where(study: string): string;

  /** Creates the study or loads the existing one. */
  protected abstract openReplica(spec: StudySpec): Promise<StudyReplica>;
  /** Runs `fn` on a write holding the up-to-date replica; ops it writes are persisted before it resolves. */
  protected abstract transact<T>(study: string, fn: (tx: Tx) => T): Promise<T>;
  /** The latest snapshot, read without writing (a storage without other writers returns its replica). */
  abstract load(study: string): Promise<StudySnapshot>;
  abstract heartbeat(study: string, owner: string, trials: readonly number[]): Promise<void>;
  abstract watch(study: string, listener: () => void): () => void;
  abstract listStudies(): Promise<string[]>;
  abstract close(): Promise<void>;

  async openStudy(spec: StudySpec): Promise<StudySnapshot> {
    return this.openReplica(spec);
  }

  /** The stored study of that name, opened with its own spec; undefined when there is none. */
  abstract openExisting(study: string): Promise<StudySnapshot | undefined>;

  createTrial(study: string, propose: (s: StudySnapshot, n: number, w: WriteContext) => NewTrial | undefined): Promise<{ trial?: FrozenTrial; snapshot: StudySnapshot }> {
    return this.tx(study, (tx) => {
      const r = tx.replica;
      const n = r.trials.length;
      tx.guarded = true;
      const p = propose(r, n, tx);
      tx.guarded = false;
      if (!p) return { snapshot: r };
      // Optional keys are assigned rather than spread (same keys, same order).
      const op: Mutable<Extract<StudyOp, { op: "trial" }>> = { op: "trial", n, params: p.params, t: tx.now };
      if (p.system && hasOwnKeys(p.system)) op.sys = p.system;
      if (p.budget !== undefined) op.budget = p.budget;
      tx.write(op);
      return { trial: r.trials[n]!, snapshot: r };
    });
  }

  report<D extends ReportDecision = ReportDecision>(
    study: string,
    trial: number,
    step: number,
    values: Readonly<Record<string, number>>,
    decide?: (snapshot: StudySnapshot, trial: FrozenTrial, write: WriteContext) => D | undefined,
  ): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot; decision?: D }> {
    return this.tx(study, (tx) => {
      const r = tx.replica;
      if (!decide) {
        tx.write({ op: "report", n: trial, step, v: values });
        return { trial: r.trials[trial]!, snapshot: r };
      }
      tx.guarded = true;
      tx.write({ op: "report", n: trial, step, v: values });
      const decision = decide(r, r.trials[trial]!, tx);
      if (decision?.system && hasOwnKeys(decision.system)) tx.write({ op: "sys", n: trial, sys: decision.system });
      return decision === undefined ? { trial: r.trials[trial]!, snapshot: r } : { trial: r.trials[trial]!, snapshot: r, decision };
    });
  }

  setSystem(study: string, trial: number, system: JsonObject): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }> {
    return this.tx(study, (tx) => {
      tx.write({ op: "sys", n: trial, sys: system });
      return { trial: tx.replica.trials[trial]!, snapshot: tx.replica };
    });
  }

  finishTrial(study: string, trial: number, outcome: TrialOutcome): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }> {
    return this.tx(study, (tx) => ({ trial: tx.finish(trial, outcome), snapshot: tx.replica }));
  }

  enqueue(study: string, params: Config): Promise<StudySnapshot> {
    return this.tx(study, (tx) => {
      tx.write({ op: "enqueue", params, i: tx.replica.queue.length });
      return tx.replica;
    });
  }

  // ---- the user's record (src/record/user.ts) ----
  setAttr(study: string, trial: number, key: string, value: JsonValue): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }> {
    return this.tx(study, (tx) => {
      tx.write({ op: "attr", n: trial, k: key, v: value });
      return { trial: tx.replica.trials[trial]!, snapshot: tx.replica };
    });
  }

  setNote(study: string, trial: number | null, md: string): Promise<StudySnapshot> {
    return this.tx(study, (tx) => {
      tx.write(trial === null ? { op: "note", md } : { op: "note", n: trial, md });
      return tx.replica;
    });
  }

  /** Records a widening of the study's space (checked on the latest state: src/space/extend.ts). */
  extendSpace(study: string, patch: SpaceDef): Promise<StudySnapshot> {
    return this.tx(study, (tx) => {
      tx.write({ op: "extend", v: EXTEND_VERSION, space: patch, t: tx.now });
      return tx.replica;
    });
  }

  /**
   * `transact`, returned as is: these methods used to be `async` wrappers around it, which
   * cost every ask and tell another promise and its resolution jobs. A synchronous throw
   * still becomes a rejection, as from an async method.
   */
  private tx<T>(study: string, fn: (tx: Tx) => T): Promise<T> {
    try {
      return this.transact(study, fn);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  protected studyOp(spec: StudySpec): StudyOp {
    return { op: "study", v: JOURNAL_VERSION, spec };
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** `Object.keys(o).length > 0` without building the array. */
function hasOwnKeys(o: object): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return true;
  return false;
}

/** Applies an op to a replica after checking it fits (throws without changing anything otherwise). */
export function applyChecked(r: StudyReplica, op: StudyOp): void {
  r.check(op);
  r.apply(op);
}

/** The write of a MemoryStorage study: one object per study, reused (asks and tells are microseconds). */
class MemoryTx extends Tx {
  now = 0;
  /** Ops written (the watchers are told when there were some). */
  writes = 0;
  /** How to take back this write's guarded ops, should its callback throw after writing some. */
  readonly log: Undo[] = [];
  readonly beats = new Map<number, { readonly owner: string; readonly at: number }>();
  readonly listeners = new Set<() => void>();
  constructor(readonly replica: StudyReplica) {
    super();
  }
  write(op: StudyOp): void {
    // An undo point only while a callback runs: a plain ask or tell checks before it writes.
    const u = this.guarded ? this.replica.undoPoint(op) : undefined;
    applyChecked(this.replica, op);
    this.writes++;
    if (u) this.log.push(u);
  }
  lastBeat(trial: number): number | undefined {
    return this.beats.get(trial)?.at;
  }
}

/**
 * Keeps every study in this process's memory: fast, gone when the process
 * ends. What tests, benchmarks and `tunelab serve` use unless told otherwise.
 */
export class MemoryStorage extends ReplicaStorage {
  readonly description = "memory";
  readonly kind = "memory";
  readonly location = "memory";

  where(): string {
    return "memory";
  }
  private readonly studies = new Map<string, MemoryTx>();

  protected async openReplica(spec: StudySpec): Promise<StudyReplica> {
    let s = this.studies.get(spec.name);
    if (!s) {
      const r = new StudyReplica(spec);
      r.apply(this.studyOp(spec));
      s = new MemoryTx(r);
      this.studies.set(spec.name, s);
    }
    return s.replica;
  }

  async openExisting(study: string): Promise<StudySnapshot | undefined> {
    return this.studies.get(study)?.replica;
  }

  /**
   * A MemoryStorage holding a copy of `snapshot` (its trials and queue as they are): what a dry
   * run proposes on, so that nothing reaches the stored study.
   */
  static copyOf(snapshot: StudySnapshot): MemoryStorage {
    const m = new MemoryStorage();
    const r = new StudyReplica(snapshot.spec);
    r.apply({ op: "study", v: JOURNAL_VERSION, spec: snapshot.spec });
    r.trials.push(...snapshot.trials);
    r.queue.push(...snapshot.queue);
    r.note = snapshot.note;
    r.space = snapshot.space;
    r.spaceVersion = snapshot.spaceVersion ?? 0;
    m.studies.set(snapshot.spec.name, new MemoryTx(r));
    return m;
  }

  load(study: string): Promise<StudySnapshot> {
    const s = this.studies.get(study);
    return s ? Promise.resolve(s.replica) : Promise.reject(Msg.studyUnknown(study));
  }

  protected transact<T>(study: string, fn: (tx: Tx) => T): Promise<T> {
    // Not `async` (one promise instead of an async function's machinery); throws still reject.
    const s = this.studies.get(study);
    if (!s) return Promise.reject(Msg.studyUnknown(study));
    s.now = Date.now();
    s.writes = 0;
    s.guarded = false;
    if (s.log.length) s.log.length = 0;
    try {
      const out = fn(s);
      if (s.writes && s.listeners.size) for (const l of [...s.listeners]) queueMicrotask(l);
      return Promise.resolve(out);
    } catch (e) {
      for (let i = s.log.length - 1; i >= 0; i--) s.replica.undo(s.log[i]!);
      return Promise.reject(e);
    }
  }

  async heartbeat(study: string, owner: string, trials: readonly number[]): Promise<void> {
    const s = this.studies.get(study);
    if (!s) throw Msg.studyUnknown(study);
    const at = Date.now();
    for (const [n, b] of s.beats) if (b.owner === owner && !trials.includes(n)) s.beats.delete(n);
    for (const n of trials) s.beats.set(n, { owner, at });
  }

  watch(study: string, listener: () => void): () => void {
    const s = this.studies.get(study);
    if (!s) throw Msg.studyUnknown(study);
    s.listeners.add(listener);
    return () => s.listeners.delete(listener);
  }

  async listStudies(): Promise<string[]> {
    return [...this.studies.keys()];
  }

  async close(): Promise<void> {}
}
