import { bestTrial, isDirection, type Direction, type FrozenTrial, type StudySnapshot, type StudySpec } from "../model/trial";
import { SearchSpace } from "../space/space";
import type { Config, ParamDef, SpaceDef } from "../space/types";
import { widenSpace } from "../space/extend";
import { openStorage } from "../storage/open";
import { checkWarmStart, readParents, type PriorSet, type WarmStartOptions } from "./warm-start";
import { MemoryStorage } from "../storage/base";
import type { Storage } from "../storage/storage";
import type { NewTrial, TrialOutcome } from "../record/ops";
import { OWNER_KEY, QUEUE_KEY, ownerOf, workerKey } from "../record/system";
import { createStrategy } from "../strategies/registry";
import { isDone, proposeContext, type ProposeResult, type StopDecision, type Stopper, type Strategy } from "../strategies/strategy";
import { canonicalJson, isPlainObject, type JsonObject, type JsonValue } from "../util/json";
import { attrKeyError, attrValueError, noteError } from "../record/user";
import { errorText, isTunelabError } from "../util/errors";
import { Msg } from "../util/messages";
import { FreePosition } from "../util/positions";
import { Rng } from "../util/rng";
import { StudyEvents } from "./events";
import { finiteMetrics } from "./result";
import { resolveRetries, RetryQueue, type RetryPolicy } from "./retry";
import { BeatLease, ownOwner, resolveHeartbeat, type HeartbeatOptions, type HeartbeatPolicy } from "./heartbeat";
import { StaleSweep } from "./heartbeat-sweep";
import type { WriteContext } from "../storage/storage";

/** The key, in a trial's system record, of the enqueued configuration it ran. */
export { QUEUE_KEY };

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
  /**
   * How often this worker's running trials say they are alive, and how long a silent trial of
   * another worker is waited for before it is failed as stale (heartbeat.ts). Default: a beat
   * every 10 s, a grace of 60 s. Storages in memory have none (nothing outlives the process).
   */
  readonly heartbeat?: HeartbeatOptions;
  /** Parent studies to warm-start from (warm-start.ts); fixed when the study is created. */
  readonly warmStart?: WarmStartOptions;
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
  readonly direction: Direction;
  readonly metric: string;
  readonly seed: number;
  readonly stopping?: Stopper;
  readonly storage: Storage;
  readonly retries?: RetryPolicy;
  /** The heartbeat policy, when the storage has heartbeats (not in memory). */
  readonly heartbeat?: HeartbeatPolicy;
  readonly events = new StudyEvents();
  private snap: StudySnapshot;
  private readonly retryQueue = new RetryQueue();
  /** Fails other workers' stale trials inside each ask's write (with heartbeats only). */
  private readonly sweep?: StaleSweep;
  /** This process's beats for the trials it runs of this study (opened with its first trial). */
  private lease: BeatLease | undefined;

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
    heartbeat?: HeartbeatPolicy;
    rebuild?: (space: SearchSpace) => Strategy;
    prior?: PriorSet;
  }) {
    this.name = o.name;
    this.direction = o.direction;
    this.metric = o.metric;
    this.seed = o.seed;
    this.base = { def: undefined, space: o.space, strategy: o.strategy };
    this.current = this.base;
    this.rebuild = o.rebuild;
    this.prior = o.prior;
    if (o.stopping) this.stopping = o.stopping;
    this.storage = o.storage;
    this.snap = o.snapshot;
    if (o.retries) this.retries = o.retries;
    if (o.heartbeat) {
      this.heartbeat = o.heartbeat;
      this.sweep = new StaleSweep(o.heartbeat, ownOwner().key, o.retries);
    }
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
    const heartbeat = resolveHeartbeat(o.heartbeat);
    if (o.seed !== undefined && !(typeof o.seed === "number" && Number.isSafeInteger(o.seed))) throw Msg.badOption("seed", o.seed, "an integer");
    const strategySpec = o.strategy ?? { name: "random" };
    const strategy = isStrategy(strategySpec) ? strategySpec : createStrategy(strategySpec.name, space, strategySpec.options);
    const storage: Storage = o.storage ?? new MemoryStorage();
    const ws = o.warmStart !== undefined ? checkWarmStart(o.warmStart, o.name) : undefined;
    const given = o.warmStart?.storage;
    const parentStorage = given === undefined ? storage : typeof given === "string" ? await openStorage(given, { field: "warmStart.storage" }) : given;
    let fresh: Awaited<ReturnType<typeof readParents>> | undefined;
    try {
      // The parents are read before the study is created: their trial counts are part of its spec.
      fresh = ws ? await readParents(parentStorage, ws.parents, ws.type, o.direction, undefined) : undefined;
    } finally {
      if (typeof given === "string") await parentStorage.close();
    }
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
      ...(fresh ? { warmStart: { ...fresh.spec, ...(parentStorage.location !== storage.location ? { storage: parentStorage.location } : {}) } } : {}),
    };
    const snapshot = await storage.openStudy(spec);
    const stored = snapshot.spec;
    const storedSpace = SearchSpace.parse(stored.space);
    // A study whose space was extended opens with the space it was created with (the notebook's
    // cell as first run) or with the extended one.
    if (!storedSpace.equals(space) && !(snapshot.space !== undefined && SearchSpace.parse(snapshot.space).equals(space))) throw Msg.studyMismatch(o.name, "space", canonicalJson(stored.space), canonicalJson(spec.space));
    if (stored.direction !== spec.direction) throw Msg.studyMismatch(o.name, "direction", stored.direction, spec.direction);
    if (stored.metric !== spec.metric) throw Msg.studyMismatch(o.name, "metric", JSON.stringify(stored.metric), JSON.stringify(spec.metric));
    // The seed is part of what makes a study reproducible: a resumed study keeps the stored one.
    if (o.seed !== undefined && o.seed !== stored.seed) throw Msg.studyMismatch(o.name, "seed", String(stored.seed), String(o.seed));
    const created = canonicalJson(stored as unknown as JsonObject) === canonicalJson(spec as unknown as JsonObject);
    if (ws && !created && (stored.warmStart?.type !== ws.type || canonicalJson(stored.warmStart.parents.map((p) => p.study)) !== canonicalJson(ws.parents))) {
      throw Msg.warmStartMismatch(o.name, stored.warmStart ? canonicalJson(stored.warmStart as unknown as JsonObject) : "none", canonicalJson({ type: ws.type, parents: ws.parents }));
    }
    const prior = created ? fresh?.prior : await storedPrior(stored, storage, typeof given === "string" ? undefined : given);
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
      ...(isStrategy(strategySpec) ? {} : { rebuild: (s: SearchSpace) => createStrategy(strategySpec.name, s, strategySpec.options) }),
      ...(prior ? { prior } : {}),
      ...(retries ? { retries } : {}),
      // Only a storage another handle can beat to (heartbeatTarget) outlives this process.
      ...(typeof storage.heartbeatTarget === "function" ? { heartbeat } : {}),
    });
  }

  /**
   * Opens the study stored under `name` as it was created (space, direction, metric, strategy,
   * seed): how a notebook follows a study that workers elsewhere run, knowing only where it is
   * and its name. Throws study.not_found when the storage holds none of that name. A strategy
   * this process has no factory for (a custom one, registered elsewhere) refuses to propose.
   */
  static async openStored(name: string, storage: Storage, o: { stopping?: Stopper; retries?: RetryPolicy; heartbeat?: HeartbeatOptions } = {}): Promise<Study> {
    if (typeof name !== "string" || name.length === 0 || name.length > 200) throw Msg.badStudyName(name);
    const snapshot = await storage.openExisting(name);
    if (!snapshot) throw Msg.studyNotFound(name, storage.where(name), await storage.listStudies().catch(() => undefined));
    const spec = snapshot.spec;
    const space = SearchSpace.parse(spec.space);
    let strategy: Strategy;
    try {
      strategy = createStrategy(spec.strategy.name, space, spec.strategy.options);
    } catch {
      strategy = {
        name: spec.strategy.name,
        propose: () => {
          throw Msg.strategyUnavailable(name, spec.strategy.name);
        },
      };
    }
    const rebuild = (s: SearchSpace): Strategy => createStrategy(spec.strategy.name, s, spec.strategy.options);
    const prior = await storedPrior(spec, storage, undefined);
    const retries = resolveRetries(o.retries);
    return new Study({
      name,
      space,
      direction: spec.direction,
      metric: spec.metric,
      seed: spec.seed,
      strategy,
      storage,
      snapshot,
      rebuild,
      ...(prior ? { prior } : {}),
      ...(o.stopping ? { stopping: o.stopping } : {}),
      ...(retries ? { retries } : {}),
      // As Study.open: a re-attached study's run beats like any other (its trials may outlive it otherwise).
      ...(typeof storage.heartbeatTarget === "function" ? { heartbeat: resolveHeartbeat(o.heartbeat) } : {}),
    });
  }

  /** The parents' trials when the study warm-starts (warm-start.ts). */
  private readonly prior: PriorSet | undefined;

  /** The space the study was created with, and its strategy. */
  private readonly base: SpaceState;
  /** The space after the latest extension this handle has seen, and the strategy built for it. */
  private current: SpaceState;
  /** Builds the study's strategy for an extended space (absent for a strategy object, which is given the new space in each call). */
  private readonly rebuild: ((space: SearchSpace) => Strategy) | undefined;

  /** The study's search space as it is now: extended (extendSpace), by any handle, or as created. */
  get space(): SearchSpace {
    return this.stateOf(this.snap).space;
  }

  /** The strategy, built for the current space. */
  get strategy(): Strategy {
    return this.stateOf(this.snap).strategy;
  }

  /**
   * The space and strategy for a snapshot: the snapshot's extended space (src/space/extend.ts)
   * when it has one, and a strategy rebuilt for it (a bayesian model's encoding, a grid's
   * positions and a TPE's dimensions all depend on the bounds). One comparison per ask.
   */
  private stateOf(snap: StudySnapshot): SpaceState {
    const def = snap.space;
    if (def === this.current.def) return this.current;
    if (def === undefined) return this.base;
    const space = SearchSpace.parse(def);
    const strategy = this.rebuild ? this.rebuild(space) : this.base.strategy;
    this.current = { def, space, strategy };
    return this.current;
  }

  /**
   * Widens the study's space mid-study (issue 17 part 3): `patch` gives the new definition of
   * each parameter it widens (lower low, higher high, more choices; same type, scale, step and
   * condition: src/space/extend.ts has the rules, refused with `extend.*` errors). Recorded in
   * the study's storage as an "extend" operation, so every worker's next ask and a resumed study
   * use the new space; old trials stay valid. Resolves to the new space.
   *
   * @example await study.extendSpace({ lr: float(1e-6, 1, { scale: "log" }) });
   */
  async extendSpace(patch: Readonly<Record<string, ParamDef>>): Promise<SearchSpace> {
    await this.refresh();
    const before = this.space;
    // Checked here first, so the error names the caller's field; the storage checks it again
    // on the state it writes to (another handle may have extended meanwhile).
    const wider = widenSpace(before, patch, "extendSpace");
    if (wider.equals(before)) return before;
    const json = JSON.parse(JSON.stringify(patch)) as SpaceDef;
    this.snap = await this.storage.extendSpace(this.name, json);
    return this.space;
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
   * finished grid), or when `room`, asked inside the write on the latest state
   * of the storage, says the study is full (a limit shared by many workers:
   * the caller tells which by asking `room(study.snapshot)` again).
   */
  ask(room?: (snapshot: StudySnapshot) => boolean): Promise<FrozenTrial | undefined> {
    // Not `async`, and with callbacks made once per study: an async method keeps its whole
    // frame on the heap for every call, which with the closures made per call was most of
    // what a trial allocated (and so most of the garbage collector's work in a fast study).
    // A synchronous throw still becomes a rejection.
    try {
      if (this.strategy.costly) return this.askPrepared(0, room);
      return this.storage.createTrial(this.name, room === undefined ? this.proposeNext : this.guarded(room)).then(this.afterAsk);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `proposeNext` behind `room`, asked first inside the write (on the state every worker
   * sharing the storage has written): no room, no trial. Kept for the last `room` given, so a
   * run that passes the same guard to every ask builds it once.
   */
  private guarded(room: (snapshot: StudySnapshot) => boolean): typeof this.proposeNext {
    if (this.guard?.room !== room) {
      // Other workers' stale trials are failed before the room is judged: one failed with a
      // retry owed no longer counts, and its retry takes the room it leaves.
      this.guard = {
        room,
        propose: (snap, n, write) => {
          if (this.sweep) this.sweep.sweep(snap, write);
          return room(snap) ? this.proposeSwept(snap, n) : undefined;
        },
      };
    }
    return this.guard.propose;
  }
  private guard: { room: (snapshot: StudySnapshot) => boolean; propose: (snap: StudySnapshot, n: number, write: WriteContext) => NewTrial | undefined } | undefined;

  /**
   * Asks a strategy whose proposals fit a model (`costly`: a GP fit takes up to seconds): the
   * proposal is computed on the latest state read without any lock, and only then appended,
   * in a write that checks the study has not moved on in a way that invalidates it, so no
   * other worker waits on this one's model. Still valid: nothing was created since, or the
   * trials created since (by other workers) hold other configurations; the proposal is then
   * recorded under the next free number. A retry owed or an enqueued configuration that
   * appeared meanwhile goes first, as always. Otherwise the proposal is made again on the new
   * state, and after MAX_PREPARED_ATTEMPTS such rounds inside the write (so a busy study
   * still makes progress).
   */
  private async askPrepared(attempt: number, room: ((snapshot: StudySnapshot) => boolean) | undefined): Promise<FrozenTrial | undefined> {
    if (attempt >= MAX_PREPARED_ATTEMPTS) return this.afterAsk(await this.storage.createTrial(this.name, room === undefined ? this.proposeNext : this.guarded(room)));
    const seen = await this.storage.load(this.name);
    const seenCount = seen.trials.length;
    // Retries and enqueued configurations are cheap and decided inside the write.
    const cheap = this.proposeCheap(seen);
    const prepared: ProposeResult | undefined = cheap ? undefined : this.proposeWith(seen, seenCount);
    let stale = false;
    const r = await this.storage.createTrial(this.name, (snap, n, write) => {
      stale = false;
      this.sweep?.sweep(snap, write);
      if (room !== undefined && !room(snap)) return undefined;
      const first = this.proposeCheap(snap);
      if (first) return this.owned(first);
      // An extension recorded meanwhile (by another handle) makes the proposal one of the old space's.
      if (!prepared || snap.space !== seen.space || (n !== seenCount && (isDone(prepared) || createdWith(snap, seenCount, n, prepared.params)))) {
        // What it was to be (a retry, a queued configuration) was taken meanwhile, or a
        // worker that saw the same state proposed the same configuration first.
        stale = true;
        return undefined;
      }
      return isDone(prepared) ? undefined : this.owned(prepared);
    });
    if (stale) return this.askPrepared(attempt + 1, room);
    return this.afterAsk(r);
  }

  /** A retry owed or the next enqueued configuration, else undefined. */
  private proposeCheap(snap: StudySnapshot): NewTrial | undefined {
    const retry = this.retryQueue.next(snap);
    if (retry) return retry;
    // A position a damaged journal lost is undefined: its configuration is unknown.
    const queued = snap.queue.length === 0 ? undefined : this.queuePosition.nextUsable(snap, snap.queue.length, (i) => snap.queue[i] !== undefined);
    return queued === undefined ? undefined : { params: snap.queue[queued]!, system: { [QUEUE_KEY]: queued } };
  }

  /** The next enqueued configuration not yet run (incremental: asks stay O(new trials) after many enqueues). */
  private readonly queuePosition = new FreePosition(QUEUE_KEY);

  /** What `ask` records: a retry owed (retry.ts), else the next enqueued configuration, else the strategy's proposal. */
  private readonly proposeNext = (snap: StudySnapshot, n: number, write: WriteContext): NewTrial | undefined => {
    // Other workers' stale trials are failed first, in this write: a retry owed is then handed out now.
    if (this.sweep) this.sweep.sweep(snap, write);
    return this.proposeSwept(snap, n);
  };

  private proposeSwept(snap: StudySnapshot, n: number): NewTrial | undefined {
    const cheap = this.proposeCheap(snap);
    if (cheap) return this.owned(cheap);
    const r = this.proposeWith(snap, n);
    if (isDone(r)) return undefined;
    return this.owned(r);
  }

  /** The strategy's proposal for trial `n` on `snap`, in the current space, with the warm start's prior. */
  private proposeWith(snap: StudySnapshot, n: number): ProposeResult {
    const state = this.stateOf(snap);
    if (!this.prior) return state.strategy.propose(proposeContext(snap, state.space, n, this.seed));
    const r = state.strategy.propose(proposeContext(snap, state.space, n, this.seed, this.prior.observations(state.space)));
    return isDone(r) ? r : this.prior.dedupe(r, state.space, this.seed, n);
  }

  /** The new trial with its owner, this process, when trials have heartbeats (a study in memory has no other worker). */
  private owned(p: NewTrial): NewTrial {
    if (!this.heartbeat) return p;
    const system = { ...p.system, [OWNER_KEY]: ownOwner().record };
    return p.budget === undefined ? { params: p.params, system } : { params: p.params, system, budget: p.budget };
  }

  private readonly afterAsk = ({ trial, snapshot }: { trial?: FrozenTrial; snapshot: StudySnapshot }): FrozenTrial | undefined => {
    this.snap = snapshot;
    if (trial) {
      if (this.heartbeat) this.beat(trial.number);
      this.events.emit("trialStarted", { trial });
    }
    return trial;
  };

  /** Beats for a trial this process started (the heartbeat thread starts with the first). */
  private beat(trial: number): void {
    if (this.heartbeat) this.lease ??= BeatLease.open(this.storage, this.name, this.heartbeat);
    this.lease?.add(trial);
  }

  /**
   * Starts the heartbeat thread ahead of the first trial; resolves once it is ready (at most
   * `READY_WAIT_MS` later: a machine too loaded to start it does not hold the run up). The run
   * loop does, so a trial's first beat never waits for the thread to boot. Nothing in memory.
   */
  prepareHeartbeat(): Promise<void> {
    if (this.heartbeat) this.lease ??= BeatLease.open(this.storage, this.name, this.heartbeat);
    const lease = this.lease;
    if (!lease) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((r) => (timer = setTimeout(r, READY_WAIT_MS)));
    return Promise.race([lease.ready, late]).finally(() => clearTimeout(timer));
  }

  /** Whether trials of other workers run (with heartbeats only: a study in memory has no other worker). */
  othersRunning(): boolean {
    if (!this.heartbeat) return false;
    const me = ownOwner().key;
    for (const t of this.snap.trials) {
      if (t.state !== "running") continue;
      const o = ownerOf(t.system);
      if (!o || workerKey(o) !== me) return true;
    }
    return false;
  }

  /**
   * Fails other workers' stale trials now (a write that creates nothing), and says how long to
   * wait before asking again when some trial of another worker has missed beats without being
   * stale yet: what a run whose limit is reached does before it ends (the trial may be lost, and
   * then it must not count toward limits.trials). Undefined: nothing to wait for.
   */
  async sweepStale(): Promise<number | undefined> {
    const sweep = this.sweep;
    if (!sweep) return undefined;
    const { snapshot } = await this.storage.createTrial(this.name, (snap, _n, write) => {
      sweep.sweep(snap, write);
      return undefined;
    });
    this.snap = snapshot;
    return sweep.suspectMs;
  }

  /**
   * Stops beating when none of this handle's trials runs (the heartbeat thread ends with its
   * last study): what the run loop does when a run ends. With `force`, beats stop even for
   * trials still running (they are then left to the grace period): what closing serve does.
   */
  releaseHeartbeat(force = false): void {
    if (!this.lease || (!force && this.lease.size > 0)) return;
    this.lease.close();
    this.lease = undefined;
  }

  /**
   * Reports intermediate values of a running trial (a number is the
   * objective metric). Resolves to true when the trial should stop.
   */
  async report(trial: number, step: number, values: number | Readonly<Record<string, unknown>>): Promise<boolean> {
    const v = this.reportedValues(step, values);
    const value = v[this.metric];
    const strategy = this.strategy;
    // The stopping decision is made inside the report's write, on the state it holds, and
    // stored with it: two trials reaching a rung at once each see the other's value.
    const decide =
      value === undefined || (!strategy.shouldStop && !this.stopping)
        ? undefined
        : (snapshot: StudySnapshot, t: FrozenTrial): StopDecision => {
            const state = this.stateOf(snapshot);
            const ctx = { snapshot, space: state.space, trial: t, step, value, seed: this.seed };
            let stop = false;
            let system: JsonObject | undefined;
            for (const d of [state.strategy.shouldStop?.(ctx), this.stopping?.shouldStop(ctx)]) {
              if (!d) continue;
              if (d.stop) stop = true;
              if (d.system) system = { ...(system ?? {}), ...d.system };
            }
            return system ? { stop, system } : { stop };
          };
    const { snapshot, decision } = await this.storage.report(this.name, trial, step, v, decide);
    this.snap = snapshot;
    const stop = decision?.stop ?? false;
    this.events.emit("trialReported", { trial: this.snap.trials[trial]!, step, stop });
    return stop;
  }

  /**
   * Checks a report's step and values and gives the metrics to record. Throws
   * only TunelabErrors: values that cannot be read (a throwing getter, a
   * Proxy) are refused like values of the wrong type.
   */
  private reportedValues(step: number, values: number | Readonly<Record<string, unknown>>): Record<string, number> {
    if (!Number.isSafeInteger(step) || step < 0) throw Msg.badReportStep(step);
    if (typeof values === "number") {
      if (!Number.isFinite(values)) throw Msg.badValue("value", values);
      return { [this.metric]: values };
    }
    try {
      if (isPlainObject(values)) {
        const m = values[this.metric];
        if (m !== undefined && !(typeof m === "number" && Number.isFinite(m))) throw Msg.badValue(this.metric, m);
        return finiteMetrics(values, "values");
      }
    } catch (e) {
      throw isTunelabError(e) ? e : Msg.unreadableValue("values", errorText(e));
    }
    throw Msg.badValue("value", values);
  }

  /** Ends a running trial: with its value (complete), or as failed or pruned. */
  tell(trial: number, input: TellInput): Promise<FrozenTrial> {
    // Not `async` (see ask): a bad input still rejects rather than throws.
    let outcome: TrialOutcome;
    try {
      outcome = this.outcomeOf(trial, input);
    } catch (e) {
      // A hand-made input may be hostile (a Proxy, a throwing getter): refuse it with a TunelabError.
      return Promise.reject(isTunelabError(e) ? e : Msg.unreadableValue("tell", errorText(e)));
    }
    try {
      const told = this.storage.finishTrial(this.name, trial, outcome);
      // Whatever the outcome (recorded, or refused: another worker ended it), this process no longer runs it.
      return this.lease ? told.then(this.afterTell, (e: unknown) => this.endBeat(trial, e)) : told.then(this.afterTell);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private endBeat(trial: number, e: unknown): never {
    this.lease?.delete(trial);
    throw e;
  }


  private readonly afterTell = ({ trial, snapshot }: { trial: FrozenTrial; snapshot: StudySnapshot }): FrozenTrial => {
    this.snap = snapshot;
    this.lease?.delete(trial.number);
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

  // ---- the user's record (src/record/user.ts) ----

  /**
   * Sets attribute `key` of a trial (running or finished) to a JSON value, stored with the
   * trial. A copy is stored: changing `value` afterwards changes nothing.
   * @example await study.setAttr(3, "dataset", { rows: 50_000, version: "v2" })
   */
  setAttr(trial: number, key: string, value: unknown): Promise<FrozenTrial> {
    try {
      this.knownTrial(trial);
      const bad = attrKeyError("key", key) ?? attrValueError("value", value);
      if (bad) throw bad;
      const copy = JSON.parse(JSON.stringify(value)) as JsonValue;
      return this.storage.setAttr(this.name, trial, key, copy).then(this.afterNote);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Replaces the markdown note of a trial (`trial` a number) or of the study (`trial` null);
   * "" clears it. Notes are rendered as sanitized markdown in the views.
   * @example await study.note(null, "Baseline: **0.31**. Next: try wider lr.")
   */
  note(trial: number | null, md: string): Promise<StudySnapshot> {
    try {
      if (trial !== null) this.knownTrial(trial);
      const bad = noteError("note", md);
      if (bad) throw bad;
      return this.storage.setNote(this.name, trial, md).then((snapshot) => {
        this.snap = snapshot;
        this.events.emit("noted", trial === null ? {} : { trial: snapshot.trials[trial]! });
        return snapshot;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private knownTrial(trial: number): void {
    // The storage checks too, on its latest state; this one names the error before any write.
    if (!Number.isSafeInteger(trial) || trial < 0) throw Msg.trialUnknown(trial);
  }

  private readonly afterNote = ({ trial, snapshot }: { trial: FrozenTrial; snapshot: StudySnapshot }): FrozenTrial => {
    this.snap = snapshot;
    this.events.emit("noted", { trial });
    return trial;
  };

  /** Queues a configuration to be tried before the strategy's proposals. */
  async enqueue(config: Readonly<Config>): Promise<void> {
    const params = this.space.check(config, "config");
    this.snap = await this.storage.enqueue(this.name, params);
  }
}

/**
 * The prior of a stored study that warm-starts: its parents' trials as recorded at creation,
 * read from `parents` (given again by the caller), the location recorded, or the study's storage.
 */
async function storedPrior(spec: StudySpec, storage: Storage, parents: Storage | undefined): Promise<PriorSet | undefined> {
  const ws = spec.warmStart;
  if (!ws) return undefined;
  const own = parents ?? (ws.storage !== undefined ? await openStorage(ws.storage) : undefined);
  try {
    const names = ws.parents.map((p) => p.study);
    const counts = ws.parents.map((p) => p.trials);
    return (await readParents(own ?? storage, names, ws.type, spec.direction, counts)).prior;
  } finally {
    if (own && !parents) await own.close();
  }
}

/** A space the study has had, and the strategy built for it (`def`: the snapshot's extended space; undefined: as created). */
interface SpaceState {
  readonly def: SpaceDef | undefined;
  readonly space: SearchSpace;
  readonly strategy: Strategy;
}

/** How long a run waits for its heartbeat thread to start before its first trial. */
const READY_WAIT_MS = 10_000;

/** Rounds of proposing outside the write before a costly strategy proposes inside it (Study.askPrepared). */
const MAX_PREPARED_ATTEMPTS = 3;

/** Whether a trial numbered from..to-1 holds `params` (another worker ran the same proposal first). */
function createdWith(snap: StudySnapshot, from: number, to: number, params: Readonly<Config>): boolean {
  const key = canonicalJson(params);
  for (let i = from; i < to; i++) {
    const t = snap.trials[i];
    if (t && canonicalJson(t.params) === key) return true;
  }
  return false;
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
