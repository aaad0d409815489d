import * as path from "node:path";
import type { Direction, FrozenTrial } from "../model/trial";
import { SearchSpace } from "../space/space";
import type { Config, ParamDef, Params, SpaceDef } from "../space/types";
import { JournalStorage } from "../storage/journal";
import { defaultLocation, openStorage, parseLocation, showLocation, stripPassword, type StorageLocation } from "../storage/open";
import type { Storage } from "../storage/storage";
import { createStopper, createStrategy, strategyNames } from "../strategies/registry";
import type { StoppingName, StoppingOptionsMap } from "../strategies/median";
import type { StrategyOptionsMap } from "../strategies/registry";
import type { Stopper, Strategy } from "../strategies/strategy";
import type { StudyEventMap, StudyEventName } from "../study/events";
import { resolveLimits, type Limits, type ResolvedLimits } from "../study/limits";
import { runStudy, type RunOptions, type RunSummary, type TrialContext } from "../study/runner";
import { Study, type TellInput } from "../study/study";
import { checkWarmStart } from "../study/warm-start";
import type { WarmStartType } from "../model/trial";
import { errorText, isTunelabError, TunelabError } from "../util/errors";
import { isStudyEventName, STUDY_EVENT_NAMES, warn } from "../study/events";
import { Msg } from "../util/messages";
import { isPlainObject } from "../util/json";
import type { DataFrame } from "danfojs-node";
import { showStudy } from "../notebook/show";
import type { StudyBundle } from "../notebook/bundle";
import { startLiveDisplay } from "../notebook/live";
import { watchStudy, type WatchOptions, type Watching } from "../notebook/watch";
import { trialsDataFrame } from "../notebook/dataframe";
import { describeTuner } from "./describe";
import { isViewName, ViewNames, type ViewName } from "../views/specs";
import { snapshotImportance, type ImportanceMethod, type ParamImportance } from "../views/analysis/importance";
import { isCommandObjective } from "../command/command";
import { readTrialLog } from "../command/trial-log";
import { studyFileJSON } from "../command/study-file";
import { resolveRetries, type RetryPolicy } from "../study/retry";
import { checkHeartbeat, type HeartbeatOptions } from "../study/heartbeat";
import type { JsonObject } from "../util/json";
import type { StudySnapshot } from "../model/trial";
import { exportData, toCSV, type ExportRecord } from "../views/analysis/export";
import { toPayload } from "../views/payload";

/** A trial record whose params have the space's type. */
export type TrialOf<P> = Omit<FrozenTrial, "params"> & { readonly params: P };

/** The objective: trains with `params` and returns the metric (a number) or named metrics. */
export type ObjectiveFn<P> = (params: P, trial: TrialContext<P>) => unknown;

/**
 * Where a study is kept: a location (a folder for the on-disk journal, "memory", or a
 * postgresql:// URL: see openStorage), a Storage, or `{ dir, durable }`, a journal folder whose
 * appends are fsynced when `durable` (default: TUNELAB_DURABLE, else off; see JournalOptions).
 * Default: TUNELAB_STORAGE, else the folder ".tunelab".
 */
export type StorageChoice = Storage | StorageLocation | { readonly dir: string; readonly durable?: boolean };

/** `run()` options: the runner's, and whether to show the live panel in a notebook. */
export interface TunerRunOptions extends RunOptions {
  /** Show the live study panel when running in a tslab kernel (default: the builder's `display()`, true). */
  readonly display?: boolean;
}

/**
 * What happens around a run: by default the notebook bridge's live display
 * (which does nothing outside a tslab kernel). `beforeRun` may return a
 * function, awaited when the run ends (the display's final update).
 */
export interface RunHooks {
  beforeRun?(study: Study, options: { readonly display: boolean }): unknown;
}
const hooks: RunHooks = {
  beforeRun: (study, o) => (o.display ? startLiveDisplay(study) : undefined),
};
/** @internal Used by the notebook bridge. */
export function setRunHooks(h: RunHooks): void {
  Object.assign(hooks, h);
}

/**
 * The fluent study builder. Every method checks its input at once and
 * returns the builder; the study is opened (created, or resumed from
 * storage) on the first `run()`, `ask()` or `open()`.
 *
 * @example
 * const study = tune("mlp")
 *   .space({ lr: float(1e-4, 0.3, { scale: "log" }), opt: choice(["sgd", "adam"]) })
 *   .minimize("val_loss")
 *   .strategy("random", { seed: 7 })
 *   .limits({ trials: 60, parallel: 4 })
 *   .objective(async (p) => ({ val_loss: await train(p.lr, p.opt) }));
 * await study.run();
 * study.best;
 */
export class Tuner<S extends SpaceDef = SpaceDef> {
  private spaceDef?: SearchSpace;
  private dir?: Direction;
  private metricName = "value";
  private strategySpec: { name: string; options?: unknown } | Strategy = { name: "random" };
  private seedValue?: number;
  /** Undefined: the default location (TUNELAB_STORAGE, else ".tunelab"), read when the study opens. */
  private storageChoice?: StorageChoice;
  private stopper?: Stopper;
  private lim: ResolvedLimits = resolveLimits({});
  private limRaw: Limits = {};
  private retryPolicy?: RetryPolicy;
  private heartbeatOptions?: Required<HeartbeatOptions>;
  private warmStartChoice?: { parents: string[]; type: WarmStartType; storage?: StorageChoice };
  private fn?: ObjectiveFn<Params<S>>;
  private opened?: Promise<Study>;
  private studyObj?: Study;
  private running = false;
  private displayLive = true;
  private readonly pendingListeners: Array<[StudyEventName, (e: never) => void]> = [];

  constructor(readonly name: string) {
    if (typeof name !== "string" || name.length === 0 || name.length > 200) throw Msg.badStudyName(name);
  }

  /** The search space: parameter name → `float(...)`, `int(...)`, `choice([...])`. */
  space<const S2 extends SpaceDef>(space: S2): Tuner<S2> {
    this.mutable("space");
    this.spaceDef = SearchSpace.parse(space);
    this.checkStrategy();
    return this as unknown as Tuner<S2>;
  }

  /** Minimise this metric of the objective's result (default "value"). */
  minimize(metric = "value"): this {
    return this.direction("minimize", metric);
  }

  /** Maximise this metric of the objective's result (default "value"). */
  maximize(metric = "value"): this {
    return this.direction("maximize", metric);
  }

  private direction(d: Direction, metric: string): this {
    this.mutable("direction");
    if (typeof metric !== "string" || metric.length === 0) throw Msg.badMetricName(metric);
    this.dir = d;
    this.metricName = metric;
    return this;
  }

  /**
   * How configurations are chosen: a strategy's name ("random", the default,
   * "grid", "bayesian", "tpe", "hyperband", "asha") with its options, or a
   * Strategy object. One signature, with the names spelled out as a union
   * (`keyof ... & string`), so that a wrong name is one compile error that
   * lists the valid ones (under tslab's TypeScript 5.0 too).
   */
  strategy<N extends keyof StrategyOptionsMap & string>(name: N | Strategy, options?: StrategyOptionsMap[N]): this;
  strategy(name: string | Strategy, options?: unknown): this {
    this.mutable("strategy");
    if (typeof name === "object" && name !== null && typeof (name as Strategy).propose === "function") {
      this.strategySpec = name as Strategy;
      return this;
    }
    if (options !== undefined && !isPlainObject(options)) throw Msg.badOption("options", options, "an object");
    const seed = (options as { seed?: unknown } | undefined)?.seed;
    if (seed !== undefined) this.seed(seed as number);
    this.strategySpec = { name: name as string, ...(options !== undefined ? { options } : {}) };
    this.checkStrategy();
    return this;
  }

  /** The seed: the same seed and space give the same trials. */
  seed(seed: number): this {
    this.mutable("seed");
    if (typeof seed !== "number" || !Number.isSafeInteger(seed)) throw Msg.badOption("seed", seed, "an integer");
    this.seedValue = seed;
    return this;
  }

  /** When `run()` stops (whichever comes first), how many trials run at once, the per-trial timeout. */
  limits(limits: Limits): this {
    this.lim = resolveLimits(limits);
    this.limRaw = { ...limits };
    return this;
  }

  /**
   * Runs a trial lost to the infrastructure (its process killed by a signal or the
   * out-of-memory killer, or orphaned by a crash of tunelab) again, up to `max` times; errors
   * of the objective itself are never retried (SageMaker's RetryStrategy).
   * @example tune("xgb").retries({ max: 2 })
   */
  retries(policy: RetryPolicy): this {
    this.mutable("retries");
    this.retryPolicy = resolveRetries(policy);
    return this;
  }

  /**
   * How often this worker's running trials say they are alive (from a thread of their own, so
   * a busy objective can't starve them), and how long a silent trial of another worker is
   * waited for before the next ask fails it as stale (and retries it, with `.retries()`).
   * Default `{ intervalSeconds: 10, graceSeconds: 60 }`; a study in memory has none.
   * @example tune("mlp").storage("postgresql://tuner@db/studies").heartbeat({ graceSeconds: 120 })
   */
  heartbeat(options: HeartbeatOptions): this {
    this.mutable("heartbeat");
    this.heartbeatOptions = checkHeartbeat(options, "heartbeat");
    if (!this.heartbeatOptions) throw Msg.badOption("heartbeat", options, "an object { intervalSeconds, graceSeconds }");
    return this;
  }

  // ---- warm start (issue 17 part 2) ----

  /**
   * Starts from what up to 5 parent studies learned (SageMaker's warm start). `type`:
   * "identical" (default: the parents ran this objective; their complete trials are the model
   * strategies' observations, and no configuration they ran is run again) or "transfer" (a
   * related objective: only the parents' rankings inform the model). The parents live in this
   * study's storage unless `storage` says where. Fixed when the study is created and recorded
   * with it, so a resumed study warm-starts the same way.
   * @example tune("mlp-v2").space(space).minimize().strategy("tpe").warmStart(["mlp-v1"], { type: "transfer" })
   */
  warmStart(parents: readonly string[], options: { readonly type?: WarmStartType; readonly storage?: StorageChoice } = {}): this {
    this.mutable("warmStart");
    if (!isPlainObject(options)) throw Msg.badOption("warmStart", options, '{ type: "identical" | "transfer", storage }');
    const { parents: checked, type } = checkWarmStart({ parents, type: options.type }, this.name);
    this.warmStartChoice = { parents: checked, type, ...(options.storage !== undefined ? { storage: options.storage } : {}) };
    return this;
  }

  /**
   * Where the study is kept: a folder for the on-disk journal, "memory", a postgresql:// URL
   * (many workers on many machines share the study), a Storage, or `{ dir, durable }`.
   * Default: TUNELAB_STORAGE, else the journal in `.tunelab/` under the working directory.
   * @example tune("mlp").storage("postgresql://tuner@db:5432/studies")
   */
  storage(storage: StorageChoice): this {
    this.mutable("storage");
    if (typeof storage === "string") parseLocation(storage);
    else if (!(isPlainObject(storage) && typeof (storage as { dir?: unknown }).dir === "string") && !isStorage(storage)) {
      throw Msg.badOption("storage", storage, 'a folder, "memory", a postgresql:// URL, { dir: "<folder>" }, or a Storage object');
    }
    const durable = isPlainObject(storage) ? (storage as { durable?: unknown }).durable : undefined;
    if (durable !== undefined && typeof durable !== "boolean") throw Msg.badDurable("storage.durable", durable);
    this.storageChoice = storage;
    return this;
  }

  /**
   * An early-stopping rule for any strategy: `.stopping("median")` (the median stopping rule,
   * options `{ startupTrials, warmupSteps, interval, compare }`), or a Stopper object. The
   * objective reports with `trial.report(step, value)` and ends when that answers true; the
   * trial is recorded as pruned with the values it reached.
   */
  stopping<K extends keyof StoppingOptionsMap & string>(rule: K | Stopper, options?: StoppingOptionsMap[K]): this;
  stopping(rule: StoppingName | Stopper, options?: unknown): this {
    this.mutable("stopping");
    if (typeof rule === "object" && rule !== null && typeof (rule as Stopper).shouldStop === "function") {
      this.stopper = rule as Stopper;
      return this;
    }
    this.stopper = createStopper(rule, options);
    return this;
  }

  /** Whether `run()` shows the live study panel in a tslab notebook (default true). */
  display(on = true): this {
    if (typeof on !== "boolean") throw Msg.badOption("display", on, "true or false");
    this.displayLive = on;
    return this;
  }

  /**
   * The function each trial runs: the builder's last declaration. The space
   * and the direction must come before it, so a study missing one fails here,
   * in the cell that declares it, rather than at `run()`.
   */
  objective(fn: ObjectiveFn<Params<S>>): this {
    if (typeof fn !== "function") throw Msg.badOption("objective", fn, "a function (params, trial) => metric");
    if (!this.spaceDef) throw Msg.noSpace();
    if (!this.dir) throw Msg.noDirection();
    this.fn = fn;
    return this;
  }

  /** Subscribes to the study's events (trialStarted, trialReported, trialFinished, studyFinished). */
  on<K extends StudyEventName>(event: K, listener: (e: StudyEventMap[K]) => void): this {
    if (!isStudyEventName(event)) throw Msg.badOption("event", event, STUDY_EVENT_NAMES.map((e) => `"${e}"`).join(", ").replace(/, ([^,]*)$/, " or $1"));
    if (typeof listener !== "function") throw Msg.badOption("listener", listener, "a function (event) => void");
    if (this.studyObj) this.studyObj.events.on(event, listener);
    else this.pendingListeners.push([event, listener as (e: never) => void]);
    return this;
  }

  /**
   * Opens the study: creates it, or resumes the stored one of this name. With nothing declared
   * but the name (and the storage), it re-attaches to the stored study as it was created (space,
   * direction, metric, strategy, seed), from any process or machine: its views, best trial and
   * dataframe are there, and `.objective(fn).run()` continues it (see `open(name)`).
   */
  open(): Promise<Study> {
    if (!this.opened) {
      if (!this.spaceDef && !this.dir) return this.openStored();
      // Rejected, not thrown: callers chain .then/.catch on what every async method returns.
      if (!this.spaceDef) return Promise.reject(Msg.noSpace());
      if (!this.dir) return Promise.reject(Msg.noDirection());
      const space = this.spaceDef;
      const direction = this.dir;
      const ws = this.warmStartChoice;
      this.opened = Promise.all([toStorage(this.storageChoice), ws?.storage !== undefined ? toStorage(ws.storage) : undefined]).then(([storage, parents]) => Study.open({
        name: this.name,
        space,
        direction,
        metric: this.metricName,
        strategy: this.strategySpec,
        ...(this.seedValue !== undefined ? { seed: this.seedValue } : {}),
        storage,
        ...(this.stopper ? { stopping: this.stopper } : {}),
        ...(this.retryPolicy ? { retries: this.retryPolicy } : {}),
        ...(this.heartbeatOptions ? { heartbeat: this.heartbeatOptions } : {}),
        ...(ws ? { warmStart: { parents: ws.parents, type: ws.type, ...(parents ? { storage: parents } : {}) } } : {}),
      })).then(
        (study) => {
          this.studyObj = study;
          for (const [e, l] of this.pendingListeners) study.events.on(e, l as never);
          const n = study.snapshot.trials.length;
          if (n > 0 && study.storage.location !== "memory") {
            console.log(`tunelab: resuming study "${this.name}" with ${n} trial${n === 1 ? "" : "s"} from ${study.storage.where(this.name)}`);
          }
          return study;
        },
        (e: unknown) => {
          this.opened = undefined;
          throw e;
        },
      );
    }
    return this.opened;
  }

  /**
   * Runs trials until a limit is reached. Interrupting the kernel (or
   * aborting `signal`) stops it promptly and keeps every finished trial.
   */
  run(options: TunerRunOptions = {}): Promise<RunSummary> {
    if (this.running) {
      // Often called from an event listener or a callback that does not await it: say so on
      // the console as well, and let the rejection not end the process as an unhandled one.
      const e = Msg.alreadyRunning(this.name);
      warn(e.message);
      const refused = Promise.reject(e);
      refused.catch(noop);
      return refused;
    }
    return this.runOnce(options);
  }

  private async runOnce(options: TunerRunOptions): Promise<RunSummary> {
    if (!this.fn) throw Msg.noObjective();
    const { display = this.displayLive, ...runOptions } = readRunOptions(options);
    if (typeof display !== "boolean") throw Msg.badOption("display", display, "true or false");
    // Taken before the first await, so a second run() in the same tick is refused too.
    this.running = true;
    try {
      const study = await this.open();
      const done = await settle(() => hooks.beforeRun?.(study, { display }));
      try {
        return await runStudy(study, this.fn as never, this.lim, runOptions);
      } finally {
        if (typeof done === "function") await settle(done as () => unknown);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Shows the study's views in the notebook: all of them (trial table,
   * parallel coordinates, learning curves, history, slice plots, contour), or
   * one. In a tslab kernel
   * it sends one display and resolves to undefined; elsewhere it sends
   * nothing and resolves to the MIME bundle it would have sent.
   *
   * @example await study.show(); await study.show("parallel"); await study.show("slice");
   */
  async show(view?: ViewName): Promise<StudyBundle | undefined> {
    if (view !== undefined && !isViewName(view)) throw Msg.badOption("view", view, ViewNames.map((n) => `"${n}"`).join(", "));
    const study = await this.openToRead();
    if (!this.running) await study.refresh();
    return showStudy(study, view, this.running);
  }

  /**
   * Follows the study while other processes run it (workers on other machines, a Kubernetes
   * Job, a Slurm array): in a notebook the live panel updates as they write, told by the
   * storage (LISTEN/NOTIFY on PostgreSQL, the journal file growing), with no polling. Needs only
   * the name and the storage: a study declared without a space is opened as it was created.
   * Resolves to the function that stops following; `.done` resolves when it has stopped, by
   * that call or once `trials` trials have finished and none is running.
   *
   * @example
   * const stop = await tune("mlp").storage("postgresql://tuner@db/studies").watch({ trials: 200 });
   * await stop.done; // or: await stop()
   */
  async watch(options: WatchOptions = {}): Promise<Watching> {
    if (!isPlainObject(options)) throw Msg.badOption("watch options", options, "an object such as { trials: 100 }");
    return watchStudy(await this.openToRead(), options);
  }

  /** The study, declared (open()) or, when no space and direction were given, as stored. */
  private openToRead(): Promise<Study> {
    return this.spaceDef && this.dir ? this.open() : this.openStored();
  }

  /** Opens the stored study of this name as it was created (nothing declared but the storage). */
  private openStored(): Promise<Study> {
    if (!this.opened) {
      this.opened = toStorage(this.storageChoice)
        .then((storage) =>
          Study.openStored(this.name, storage, {
            ...(this.stopper ? { stopping: this.stopper } : {}),
            ...(this.retryPolicy ? { retries: this.retryPolicy } : {}),
            ...(this.heartbeatOptions ? { heartbeat: this.heartbeatOptions } : {}),
          }),
        )
        .then(
          (study) => {
            this.adopt(study);
            this.studyObj = study;
            for (const [e, l] of this.pendingListeners) study.events.on(e, l as never);
            return study;
          },
          (e: unknown) => {
            this.opened = undefined;
            throw e;
          },
        );
    }
    return this.opened;
  }

  /** Takes the stored study's declaration as the builder's, so `.objective(fn).run()` and toJSON() work on it. */
  private adopt(study: Study): void {
    const spec = study.snapshot.spec;
    this.spaceDef = study.space;
    this.dir = study.direction;
    this.metricName = study.metric;
    if (typeof (this.strategySpec as Strategy).propose !== "function") {
      this.strategySpec = { name: spec.strategy.name, ...(Object.keys(spec.strategy.options ?? {}).length ? { options: spec.strategy.options } : {}) };
    }
    this.seedValue = study.seed;
  }

  /**
   * The trials as a danfojs-node DataFrame (loaded on first call): number,
   * state, value, params_<name> (null where inactive), metrics_<name>,
   * duration (seconds), error. Needs the study open (after `run()` or `open()`).
   *
   * @example study.dataframe().sortValues("value").head(5).print()
   */
  dataframe(): DataFrame {
    return trialsDataFrame(this.openSnapshot("dataframe"));
  }

  // ---- export (issue 16 part 5): the same rows and columns as the panel's export and `tunelab export` ----

  /**
   * The trials as CSV (RFC 4180, spreadsheet-safe): number, state, value, params_<name>,
   * metrics_<name>, user_attrs_<key>, datetime_start, datetime_complete, duration (s), error.
   * Needs the study open (after `run()` or `open()`).
   *
   * @example fs.writeFileSync("trials.csv", study.toCSV())
   */
  toCSV(): string {
    return toCSV(exportData(toPayload(this.openSnapshot("toCSV"), false)));
  }

  /**
   * The trials as plain objects (what `tunelab export --format json` writes), one per trial
   * in trial-number order. Needs the study open.
   *
   * @example study.toRecords().filter((r) => r.state === "failed").map((r) => r.error)
   */
  toRecords(): ExportRecord[] {
    return [...exportData(toPayload(this.openSnapshot("toRecords"), false)).records];
  }

  private openSnapshot(method: string): StudySnapshot {
    if (!this.studyObj) throw new TunelabError("dsl.not_open", `study "${this.name}" is not open yet; call \`await study.open()\` or \`await study.run()\` before ${method}().`, method);
    return this.studyObj.snapshot;
  }

  /**
   * Which parameters mattered: each parameter's share of the importance (the shares sum to 1),
   * most important first. `method`: "ped-anova" (the default, as Optuna's: how differently the
   * best 10% of trials are spread from all trials, no model) or "fanova" (a random forest's
   * functional ANOVA, seeded from the study's seed). Opens the study if needed.
   *
   * @example (await study.importance({ method: "fanova" }))[0] // { param: "lr", importance: 0.74 }
   */
  async importance(options: { readonly method?: ImportanceMethod } = {}): Promise<ParamImportance[]> {
    const study = await this.openToRead();
    if (!this.running) await study.refresh();
    return snapshotImportance(study.snapshot, options?.method);
  }

  /**
   * The study as a `tunelab run` file (the same format): hand a notebook's study to a shell
   * or a cluster. Needs a `command()` objective; relative paths are written as given, and a
   * study file's relative paths are read relative to its folder.
   *
   * @example fs.writeFileSync("study.json", JSON.stringify(study.toJSON(), null, 2))
   */
  toJSON(): JsonObject {
    if (!this.spaceDef) throw Msg.noSpace();
    if (!this.dir) throw Msg.noDirection();
    if (!isCommandObjective(this.fn)) throw Msg.notSerializable("objective", "only a command([...]) objective can be written to a file (a function can't); give .objective(command([...]))");
    const c = this.storageChoice;
    // A database URL is written without its password (give it with PGPASSWORD or ~/.pgpass).
    const storage = c === undefined ? ".tunelab" : typeof c === "string" ? stripPassword(c) : isStorage(c) ? c.location : (c as { dir: string }).dir;
    return studyFileJSON({
      study: this.name,
      storage,
      space: this.spaceDef.toJSON(),
      direction: this.dir,
      metric: this.metricName,
      strategy: this.strategySpec,
      ...(this.seedValue !== undefined ? { seed: this.seedValue } : {}),
      ...(this.stopper ? { stopping: this.stopper } : {}),
      limits: this.limRaw,
      command: this.fn.spec,
      ...(this.retryPolicy ? { retries: this.retryPolicy } : {}),
      ...(this.heartbeatOptions ? { heartbeat: this.heartbeatOptions } : {}),
      ...(this.warmStartChoice ? { warmStart: warmStartJSON(this.warmStartChoice) } : {}),
    });
  }

  /**
   * The log of a trial run by a `command()` objective: its output (stdout and stderr, in the
   * order the lines came), capped (the first and last halves kept), with the command line at
   * the top and how it ended at the bottom.
   * @example console.log(await study.log(17))
   */
  async log(trial: number | { readonly number: number }): Promise<string> {
    const study = await this.openToRead();
    if (!this.running) await study.refresh();
    return readTrialLog(study, typeof trial === "number" ? trial : trial.number);
  }

  /** Starts a trial by hand; undefined when the strategy has nothing left (a finished grid). */
  async ask(): Promise<TrialOf<Params<S>> | undefined> {
    return (await (await this.open()).ask()) as TrialOf<Params<S>> | undefined;
  }

  /** Ends a trial started with `ask()`: its value (a number), or `{ state: "failed" | "pruned" }`. */
  async tell(trial: number | { readonly number: number }, result: number | TellInput): Promise<TrialOf<Params<S>>> {
    const n = typeof trial === "number" ? trial : trial.number;
    const input: TellInput = typeof result === "number" ? { value: result } : result;
    return (await (await this.open()).tell(n, input)) as TrialOf<Params<S>>;
  }

  /** Reports intermediate values of a trial started with `ask()`; true when it should stop. */
  async report(trial: number | { readonly number: number }, step: number, values: number | Readonly<Record<string, unknown>>): Promise<boolean> {
    const n = typeof trial === "number" ? trial : trial.number;
    return (await this.open()).report(n, step, values);
  }

  // ---- the user's record: notes and attributes (issue 16 part 4) ----

  /**
   * Replaces the study's markdown note (shown at the top of the panel and the study tab), or,
   * given a trial first, that trial's note; "" clears it. Objectives use `trial.note(md)`.
   * @example await study.note("Baseline: **0.31**. Next: widen `lr`.")
   * @example await study.note(17, "diverged after the warm-up")
   */
  async note(trialOrMarkdown: number | { readonly number: number } | string, markdown?: string): Promise<this> {
    const study = await this.openToRead();
    if (typeof trialOrMarkdown === "string" && markdown === undefined) await study.note(null, trialOrMarkdown);
    else await study.note(typeof trialOrMarkdown === "object" && trialOrMarkdown !== null ? trialOrMarkdown.number : (trialOrMarkdown as number), markdown as string);
    return this;
  }

  /** Sets an attribute of a trial (a JSON value); objectives use `trial.setAttr(key, value)`. */
  async setAttr(trial: number | { readonly number: number }, key: string, value: unknown): Promise<this> {
    await (await this.openToRead()).setAttr(typeof trial === "number" ? trial : trial.number, key, value);
    return this;
  }

  /** Tries this configuration before the strategy's own proposals. */
  async enqueue(config: Params<S>): Promise<this> {
    await (await this.open()).enqueue(config as unknown as Config);
    return this;
  }

  // ---- ranges that grow (issue 17 part 3) ----

  /**
   * Widens the study's space mid-study: a lower low, a higher high, more choices (same type,
   * scale, step and condition; narrowing is refused). Recorded in the study, so a resumed study
   * and every worker continue in the wider space; old trials stay valid.
   *
   * @example await study.extendSpace({ lr: float(1e-6, 1, { scale: "log" }) })
   */
  async extendSpace(patch: { readonly [K in keyof S]?: ParamDef }): Promise<this> {
    await (await this.openToRead()).extendSpace(patch as Readonly<Record<string, ParamDef>>);
    return this;
  }

  /** The underlying study (after `open()`/`run()`), or undefined. */
  get study(): Study | undefined {
    return this.studyObj;
  }

  /** The best complete trial so far, or undefined. */
  get best(): TrialOf<Params<S>> | undefined {
    return this.studyObj?.best as TrialOf<Params<S>> | undefined;
  }

  /** Every trial so far (a copy), after `open()`/`run()`. */
  get trials(): TrialOf<Params<S>>[] {
    return (this.studyObj?.trials ?? []) as TrialOf<Params<S>>[];
  }

  /** What `console.log(study)` and a notebook cell ending in `study` print: a short description, not the internals. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    const spec = this.strategySpec;
    const named = typeof (spec as Strategy).propose === "function" ? undefined : (spec as { name: string; options?: unknown });
    const study = this.studyObj;
    return describeTuner({
      name: this.name,
      ...(this.spaceDef ? { space: this.spaceDef.toJSON() } : {}),
      ...(this.dir ? { direction: this.dir } : {}),
      metric: this.metricName,
      strategy: named ? named.name : `${(spec as Strategy).name} (a Strategy object)`,
      ...(named?.options !== undefined ? { strategyOptions: named.options } : {}),
      ...(this.seedValue !== undefined ? { seed: this.seedValue } : study ? { seed: study.seed } : {}),
      ...(this.stopper ? { stopping: this.stopper.name } : {}),
      limits: this.lim,
      storage: describeStorage(this.storageChoice, this.name),
      hasObjective: this.fn !== undefined,
      ...(study ? { trials: study.snapshot.trials, best: study.best } : {}),
      running: this.running,
    });
  }

  private mutable(what: string): void {
    if (this.opened) throw Msg.frozen(what);
  }

  private checkStrategy(): void {
    const spec = this.strategySpec;
    if (typeof (spec as Strategy).propose === "function") return;
    const named = spec as { name: string; options?: unknown };
    if (this.spaceDef) createStrategy(named.name, this.spaceDef, named.options);
    // Without a space yet only the name can be checked; createStrategy refuses
    // an unknown name (with the catalog's message) before it looks at the space.
    else if (!strategyNames().includes(named.name)) createStrategy(named.name, NAME_CHECK_SPACE);
  }
}

/** Runs a hook; a hook that throws is reported and never breaks the run. */
async function settle(f: () => unknown): Promise<unknown> {
  try {
    return await f();
  } catch (e) {
    warn(`a run hook failed: ${errorText(e)}`);
    return undefined;
  }
}

function noop(): void {}

/** run()'s options, each read once and checked (a bad signal would otherwise fail deep in the run). */
function readRunOptions(o: unknown): TunerRunOptions {
  if (o === undefined) return {};
  let signal: unknown, handleSigint: unknown, display: unknown;
  try {
    if (!isPlainObject(o)) throw Msg.badOption("run options", o, "an object such as { signal, handleSigint, display }");
    ({ signal, handleSigint, display } = o);
  } catch (e) {
    throw isTunelabError(e) ? e : Msg.unreadableValue("run options", errorText(e));
  }
  if (signal !== undefined && !isAbortSignal(signal)) throw Msg.badOption("signal", signal, "an AbortSignal (from new AbortController().signal)");
  if (handleSigint !== undefined && typeof handleSigint !== "boolean") throw Msg.badOption("handleSigint", handleSigint, "true or false");
  return {
    ...(signal !== undefined ? { signal: signal as AbortSignal } : {}),
    ...(handleSigint !== undefined ? { handleSigint: handleSigint as boolean } : {}),
    ...(display !== undefined ? { display: display as boolean } : {}),
  };
}

function isAbortSignal(s: unknown): boolean {
  try {
    return s instanceof AbortSignal || (isPlainObjectLike(s) && typeof (s as AbortSignal).addEventListener === "function" && typeof (s as AbortSignal).aborted === "boolean");
  } catch {
    return false;
  }
}

function isPlainObjectLike(s: unknown): s is object {
  return typeof s === "object" && s !== null;
}

/** A stand-in space for checking a strategy's name before the real space is given. */
const NAME_CHECK_SPACE = SearchSpace.parse({ _: { type: "categorical", choices: [0] } });

function isStorage(s: unknown): s is Storage {
  return typeof s === "object" && s !== null && typeof (s as Storage).createTrial === "function";
}

function describeStorage(c: StorageChoice | undefined, name: string): string {
  if (isStorage(c)) return (c as { description?: string }).description ?? "a Storage object";
  const location = c === undefined ? defaultLocation().location : typeof c === "string" ? c : (c as { dir: string }).dir;
  if (location === "memory") return "in memory (gone when the kernel stops)";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return `${showLocation(location)} (study ${JSON.stringify(name)})`;
  return new JournalStorage(location).fileFor(name);
}

/** The warm start as a study file holds it (a storage object by its location). */
function warmStartJSON(w: { parents: string[]; type: WarmStartType; storage?: StorageChoice }): JsonObject {
  const s = w.storage;
  const storage = s === undefined ? undefined : typeof s === "string" ? stripPassword(s) : isStorage(s) ? s.location : (s as { dir: string }).dir;
  return { parents: [...w.parents], type: w.type, ...(storage !== undefined ? { storage } : {}) };
}

async function toStorage(c: StorageChoice | undefined): Promise<Storage> {
  if (isStorage(c)) return c;
  if (c === undefined || typeof c === "string") return openStorage(c);
  const { dir, durable } = c as { dir: string; durable?: boolean };
  return new JournalStorage(dir, durable === undefined ? {} : { durable });
}

/**
 * Starts declaring a study. Re-running with the same name resumes the stored
 * study (in `.tunelab/` by default).
 * @example tune("mlp").space({ lr: float(1e-4, 0.3, { scale: "log" }) }).minimize("loss")
 */
export function tune(name: string): Tuner<{}> {
  return new Tuner<{}>(name);
}
