import type { FrozenTrial, StudySnapshot, StudySpec } from "../model/trial";
import type { Config } from "../space/types";
import type { JsonObject } from "../util/json";
import { Msg } from "../util/messages";
import type { NewTrial, StudyOp, TrialOutcome } from "../record/ops";
import { JOURNAL_VERSION } from "../record/ops";
import { StudyReplica } from "../record/replica";
import type { Storage } from "./storage";

/**
 * Shared logic of storages that keep a replica per study and persist
 * operations: subclasses provide `transact` (bring the replica up to date,
 * run the function, persist what it wrote — atomically with respect to other
 * writers) and `openReplica`.
 */
export abstract class ReplicaStorage implements Storage {
  abstract readonly description: string;

  /** Creates the study or loads the existing one. */
  protected abstract openReplica(spec: StudySpec): Promise<StudyReplica>;
  /** Runs `fn` on the up-to-date replica; ops passed to `write` are persisted before it resolves. */
  protected abstract transact<T>(study: string, fn: (r: StudyReplica, write: (op: StudyOp) => void) => T): Promise<T>;
  protected abstract replica(study: string): StudyReplica | undefined;
  abstract listStudies(): Promise<string[]>;
  abstract close(): Promise<void>;

  async openStudy(spec: StudySpec): Promise<StudySnapshot> {
    return this.openReplica(spec);
  }

  load(study: string): Promise<StudySnapshot> {
    return this.tx(study, (r) => r);
  }

  createTrial(study: string, propose: (s: StudySnapshot, n: number) => NewTrial | undefined): Promise<{ trial?: FrozenTrial; snapshot: StudySnapshot }> {
    return this.tx(study, (r, write) => {
      const n = r.trials.length;
      const p = propose(r, n);
      if (!p) return { snapshot: r };
      // Optional keys are assigned rather than spread (same keys, same order).
      const op: Mutable<Extract<StudyOp, { op: "trial" }>> = { op: "trial", n, params: p.params, t: Date.now() };
      if (p.system && hasOwnKeys(p.system)) op.sys = p.system;
      if (p.budget !== undefined) op.budget = p.budget;
      write(op);
      return { trial: r.trials[n]!, snapshot: r };
    });
  }

  report(study: string, trial: number, step: number, values: Readonly<Record<string, number>>): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }> {
    return this.tx(study, (r, write) => {
      write({ op: "report", n: trial, step, v: values });
      return { trial: r.trials[trial]!, snapshot: r };
    });
  }

  setSystem(study: string, trial: number, system: JsonObject): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }> {
    return this.tx(study, (r, write) => {
      write({ op: "sys", n: trial, sys: system });
      return { trial: r.trials[trial]!, snapshot: r };
    });
  }

  finishTrial(study: string, trial: number, outcome: TrialOutcome): Promise<{ trial: FrozenTrial; snapshot: StudySnapshot }> {
    return this.tx(study, (r, write) => {
      const t = r.trials[trial];
      if (!t) throw Msg.trialUnknown(trial);
      if (t.state !== "running") throw Msg.trialFinished(trial, t.state);
      if (outcome.system && hasOwnKeys(outcome.system)) write({ op: "sys", n: trial, sys: outcome.system });
      const end: Mutable<Extract<StudyOp, { op: "end" }>> = { op: "end", n: trial, state: outcome.state, t: Date.now() };
      if (outcome.value !== undefined) end.value = outcome.value;
      if (outcome.metrics && hasOwnKeys(outcome.metrics)) end.metrics = outcome.metrics;
      if (outcome.error !== undefined) end.error = outcome.error;
      write(end);
      return { trial: r.trials[trial]!, snapshot: r };
    });
  }

  enqueue(study: string, params: Config): Promise<StudySnapshot> {
    return this.tx(study, (r, write) => {
      write({ op: "enqueue", params, i: r.queue.length });
      return r;
    });
  }

  /**
   * `transact`, returned as is: these methods used to be `async` wrappers around it, which
   * cost every ask and tell another promise and its resolution jobs. A synchronous throw
   * still becomes a rejection, as from an async method.
   */
  private tx<T>(study: string, fn: (r: StudyReplica, write: (op: StudyOp) => void) => T): Promise<T> {
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

/**
 * Keeps every study in this process's memory: fast, gone when the process
 * ends. What tests, benchmarks and `tunelab serve` use unless told otherwise.
 */
export class MemoryStorage extends ReplicaStorage {
  readonly description = "memory";
  readonly kind = "memory";
  private readonly studies = new Map<string, StudyReplica>();

  protected async openReplica(spec: StudySpec): Promise<StudyReplica> {
    let r = this.studies.get(spec.name);
    if (!r) {
      r = new StudyReplica(spec);
      r.apply(this.studyOp(spec));
      this.studies.set(spec.name, r);
    }
    return r;
  }

  protected replica(study: string): StudyReplica | undefined {
    return this.studies.get(study);
  }

  protected transact<T>(study: string, fn: (r: StudyReplica, write: (op: StudyOp) => void) => T): Promise<T> {
    // Not `async` (one promise instead of an async function's machinery); throws still reject.
    const r = this.studies.get(study);
    if (!r) return Promise.reject(Msg.studyUnknown(study));
    try {
      return Promise.resolve(fn(r, (op) => applyChecked(r, op)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async listStudies(): Promise<string[]> {
    return [...this.studies.keys()];
  }

  async close(): Promise<void> {}
}
