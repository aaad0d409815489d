import { bestTrial, isDirection, type Direction, type FrozenTrial, type StudySnapshot, type StudySpec } from "../model/trial";
import { SearchSpace } from "../space/space";
import type { Config, SpaceDef } from "../space/types";
import { MemoryStorage } from "../storage/base";
import type { Storage } from "../storage/storage";
import type { NewTrial, TrialOutcome } from "../record/ops";
import { createStrategy } from "../strategies/registry";
import { isDone, proposeContext, type Stopper, type Strategy } from "../strategies/strategy";
import { canonicalJson, isPlainObject, type JsonObject } from "../util/json";
import { Msg } from "../util/messages";
import { FreePosition } from "../util/positions";
import { Rng } from "../util/rng";
import { StudyEvents } from "./events";
import { finiteMetrics } from "./result";
import { resolveRetries, RetryQueue, type RetryPolicy } from "./retry";

/** The key, in a trial's system record, of the enqueued configuration it ran. */
export const QUEUE_KEY = "queued";

export interface StudyOptions {
  readonly name: string;
  readonly space: SearchSpace | SpaceDef;
  readonly direction: Direction;
  /** The objective metric's name (default "value"). */
  readonly metric?: string;
  /** A strategy by name with options, or a strategy object. Default: random. */
  readonly strategy?: { readonly name: string; readonly options?: unknown } | Strategy;
  /** Default: the stored study's seed, or a fresh random one for a new study. */
  readonly seed?: number;
  /** Default: in memory. */
  readonly storage?: Storage;
  /** An early-stopping rule used with any strategy. */
  readonly stopping?: Stopper;
  /** Run a trial lost to the infrastructure again, up to `max` times (retry.ts). Default: never. */
  readonly retries?: RetryPolicy;
}

/** How a trial ended, as told by the caller. */
export type TellInput =
  | { readonly value: number; readonly metrics?: Readonly<Record<string, unknown>> }
  | { readonly state: "failed"; readonly error?: string; readonly metrics?: Readonly<Record<string, unknown>>; readonly system?: JsonObject }
  | { readonly state: "pruned"; readonly metrics?: Readonly<Record<string, unknown>>; readonly system?: JsonObject };

/**
 * A study: a search space, a direction, a strategy, and its trials, kept in a
 * storage. `ask` / `tell` / `report` drive it by hand; `run()` (runner.ts)
 * drives it with an objective. Every change is published on `events`.
 */
export class Study {
  readonly name: string;
  readonly space: SearchSpace;
  readonly direction: Direction;
  readonly metric: string;
  readonly seed: number;
  readonly strategy: Strategy;
  readonly stopping?: Stopper;
  readonly storage: Storage;
  readonly retries?: RetryPolicy;
  readonly events = new StudyEvents();
  private snap: StudySnapshot;
  private readonly retryQueue = new RetryQueue();

  private constructor(o: {
    name: string;
    space: SearchSpace;
    direction: Direction;
    metric: string;
    seed: number;
    strategy: Strategy;
    stopping?: Stopper;
    storage: Storage;
    snapshot: StudySnapshot;
    retries?: RetryPolicy;
  }) {
    this.name = o.name;
    this.space = o.space;
    this.direction = o.direction;
    this.metric = o.metric;
    this.seed = o.seed;
    this.strategy = o.strategy;
    if (o.stopping) this.stopping = o.stopping;
    this.storage = o.storage;
    this.snap = o.snapshot;
    if (o.retries) this.retries = o.retries;
  }

  /**
   * Creates the study, or opens the stored one of that name (resume). Throws
   * when the stored study has another space, direction or metric.
   */
  static async open(o: StudyOptions): Promise<Study> {
    if (typeof o.name !== "string" || o.name.length === 0 || o.name.length > 200) throw Msg.badStudyName(o.name);
    if (!isDirection(o.direction)) throw Msg.badDirection(o.direction);
    const metric = o.metric ?? "value";
    if (typeof metric !== "string" || metric.length === 0) throw Msg.badMetricName(metric);
    const space = SearchSpace.parse(o.space);
    const retries = resolveRetries(o.retries);
    if (o.seed !== undefined && !(typeof o.seed === "number" && Number.isSafeInteger(o.seed))) throw Msg.badOption("seed", o.seed, "an integer");
    const strategySpec = o.strategy ?? { name: "random" };
    const strategy = isStrategy(strategySpec) ? strategySpec : createStrategy(strategySpec.name, space, strategySpec.options);
    const storage = o.storage ?? new MemoryStorage();
    const spec: StudySpec = {
      name: o.name,
      space: space.toJSON(),
      direction: o.direction,
      metric,
      strategy: {
        name: strategy.name,
        options: isStrategy(strategySpec) ? {} : jsonOptions(strategySpec.options),
      },
      seed: o.seed ?? freshSeed(),
      createdAt: Date.now(),
    };
    const snapshot = await storage.openStudy(spec);
    const stored = snapshot.spec;
    const storedSpace = SearchSpace.parse(stored.space);
    if (!storedSpace.equals(space)) throw Msg.studyMismatch(o.name, "space", canonicalJson(stored.space), canonicalJson(spec.space));
    if (stored.direction !== spec.direction) throw Msg.studyMismatch(o.name, "direction", stored.direction, spec.direction);
    if (stored.metric !== spec.metric) throw Msg.studyMismatch(o.name, "metric", JSON.stringify(stored.metric), JSON.stringify(spec.metric));
    // The seed is part of what makes a study reproducible: a resumed study keeps the stored one.
    if (o.seed !== undefined && o.seed !== stored.seed) throw Msg.studyMismatch(o.name, "seed", String(stored.seed), String(o.seed));
    return new Study({
      name: o.name,
      space,
      direction: o.direction,
      metric,
      seed: stored.seed,
      strategy,
      ...(o.stopping ? { stopping: o.stopping } : {}),
      storage,
      snapshot,
      ...(retries ? { retries } : {}),
    });
  }

  /** The latest snapshot this process has seen (read-only; valid until the next call). */
  get snapshot(): StudySnapshot {
    return this.snap;
  }

  /** All trials, in order (a copy). */
  get trials(): FrozenTrial[] {
    return this.snap.trials.slice();
  }

  /** The best complete trial in the study's direction, or undefined. */
  get best(): FrozenTrial | undefined {
    return bestTrial(this.direction, this.snap.trials);
  }

  /** Reads what other processes wrote. */
  async refresh(): Promise<StudySnapshot> {
    this.snap = await this.storage.load(this.name);
    return this.snap;
  }

  /**
   * Starts a trial: the next enqueued configuration, else the strategy's
   * proposal. Resolves to undefined when the strategy has nothing left (a
   * finished grid).
   */
  ask(): Promise<FrozenTrial | undefined> {
    // Not `async`, and with callbacks made once per study: an async method keeps its whole
    // frame on the heap for every call, which with the closures made per call was most of
    // what a trial allocated (and so most of the garbage collector's work in a fast study).
    // A synchronous throw still becomes a rejection.
    try {
      return this.storage.createTrial(this.name, this.proposeNext).then(this.afterAsk);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The next enqueued configuration not yet run (incremental: asks stay O(new trials) after many enqueues). */
  private readonly queuePosition = new FreePosition(QUEUE_KEY);

  /** What `ask` records: a retry owed (retry.ts), else the next enqueued configuration, else the strategy's proposal. */
  private readonly proposeNext = (snap: StudySnapshot, n: number): NewTrial | undefined => {
    const retry = this.retryQueue.next(snap);
    if (retry) return retry;
    // A position a damaged journal lost is undefined: its configuration is unknown.
    const queued = snap.queue.length === 0 ? undefined : this.queuePosition.nextUsable(snap, snap.queue.length, (i) => snap.queue[i] !== undefined);
    if (queued !== undefined) return { params: snap.queue[queued]!, system: { [QUEUE_KEY]: queued } };
    const r = this.strategy.propose(proposeContext(snap, this.space, n, this.seed));
    if (isDone(r)) return undefined;
    return r;
  };

  private readonly afterAsk = ({ trial, snapshot }: { trial?: FrozenTrial; snapshot: StudySnapshot }): FrozenTrial | undefined => {
    this.snap = snapshot;
    if (trial) this.events.emit("trialStarted", { trial });
    return trial;
  };

  /**
   * Reports intermediate values of a running trial (a number is the
   * objective metric). Resolves to true when the trial should stop.
   */
  async report(trial: number, step: number, values: number | Readonly<Record<string, unknown>>): Promise<boolean> {
    if (!Number.isSafeInteger(step) || step < 0) throw Msg.badReportStep(step);
    let v: Record<string, number>;
    if (typeof values === "number") {
      if (!Number.isFinite(values)) throw Msg.badValue("value", values);
      v = { [this.metric]: values };
    } else if (isPlainObject(values)) {
      const m = values[this.metric];
      if (m !== undefined && !(typeof m === "number" && Number.isFinite(m))) throw Msg.badValue(this.metric, m);
      v = finiteMetrics(values);
    } else {
      throw Msg.badValue("value", values);
    }
    const { trial: t, snapshot } = await this.storage.report(this.name, trial, step, v);
    this.snap = snapshot;
    let stop = false;
    const value = v[this.metric];
    if (value !== undefined) {
      const ctx = { snapshot, space: this.space, trial: t, step, value, seed: this.seed };
      const decisions = [this.strategy.shouldStop?.(ctx), this.stopping?.shouldStop(ctx)];
      let system: JsonObject | undefined;
      for (const d of decisions) {
        if (!d) continue;
        if (d.stop) stop = true;
        if (d.system) system = { ...(system ?? {}), ...d.system };
      }
      if (system) {
        const r = await this.storage.setSystem(this.name, trial, system);
        this.snap = r.snapshot;
      }
    }
    this.events.emit("trialReported", { trial: this.snap.trials[trial]!, step, stop });
    return stop;
  }

  /** Ends a running trial: with its value (complete), or as failed or pruned. */
  tell(trial: number, input: TellInput): Promise<FrozenTrial> {
    // Not `async` (see ask): a bad input still rejects rather than throws.
    try {
      return this.storage.finishTrial(this.name, trial, this.outcomeOf(trial, input)).then(this.afterTell);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private readonly afterTell = ({ trial, snapshot }: { trial: FrozenTrial; snapshot: StudySnapshot }): FrozenTrial => {
    this.snap = snapshot;
    this.events.emit("trialFinished", { trial });
    return trial;
  };

  /** Checks what `tell` was given and turns it into the trial's outcome (throws on bad input). */
  private outcomeOf(trial: number, input: TellInput): TrialOutcome {
    const t = this.snap.trials[trial];
    if (!Number.isSafeInteger(trial) || trial < 0) throw Msg.trialUnknown(trial);
    let outcome: TrialOutcome;
    if ("value" in input && (input as { value?: unknown }).value !== undefined) {
      const value = (input as { value: unknown }).value;
      if (typeof value !== "number" || !Number.isFinite(value)) throw Msg.badValue("value", value);
      // finiteMetrics gives a fresh object; the metric is set last, as a spread-then-key literal would.
      const metrics: Record<string, number> = input.metrics ? finiteMetrics(input.metrics) : {};
      if (this.metric !== "__proto__") metrics[this.metric] = value;
      else Object.defineProperty(metrics, this.metric, { value, enumerable: true, writable: true, configurable: true });
      outcome = { state: "complete", value, metrics };
    } else if ("state" in input && input.state === "failed") {
      outcome = {
        state: "failed",
        error: typeof input.error === "string" ? input.error : "failed",
        ...(input.metrics ? { metrics: finiteMetrics(input.metrics) } : {}),
        ...(input.system ? { system: input.system } : {}),
      };
    } else if ("state" in input && input.state === "pruned") {
      const last = t?.intermediate[t.intermediate.length - 1];
      outcome = {
        state: "pruned",
        ...(last ? { value: last[1] } : {}),
        ...(input.metrics ? { metrics: finiteMetrics(input.metrics) } : {}),
        ...(input.system ? { system: input.system } : {}),
      };
    } else {
      throw Msg.badState((input as { state?: unknown }).state);
    }
    return outcome;
  }

  /** Queues a configuration to be tried before the strategy's proposals. */
  async enqueue(config: Readonly<Config>): Promise<void> {
    const params = this.space.check(config, "config");
    this.snap = await this.storage.enqueue(this.name, params);
  }
}

function isStrategy(s: unknown): s is Strategy {
  return typeof s === "object" && s !== null && typeof (s as Strategy).propose === "function";
}

function jsonOptions(o: unknown): JsonObject {
  if (!isPlainObject(o)) return {};
  try {
    return JSON.parse(JSON.stringify(o)) as JsonObject;
  } catch {
    return {};
  }
}

/** A seed for a study created without one; stored with the study so it can be reproduced. */
function freshSeed(): number {
  return Rng.entropy();
}
