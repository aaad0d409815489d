/**
 * tunelab: hyperparameter tuning for TypeScript notebooks.
 *
 * @example
 * import { tune, float, int, choice } from "tunelab";
 * const study = tune("mlp")
 *   .space({ lr: float(1e-4, 0.3, { scale: "log" }), layers: int(1, 4), opt: choice(["sgd", "adam"]) })
 *   .minimize("val_loss")
 *   .strategy("random", { seed: 7 })
 *   .limits({ trials: 60, parallel: 4, minutes: 10 })
 *   .objective(async (p, trial) => ({ val_loss: 0.1 }));
 * await study.run();
 *
 * // Or any program, in any language, as the objective:
 * //   .objective(command(["python", "train.py", "--lr", "{lr}"], { metrics: [{ name: "val_loss", regex: "val_loss=([0-9.eE+-]+)" }] }))
 */
export { tune, Tuner } from "./dsl/tuner";
export type { TrialOf, ObjectiveFn, StorageChoice, TunerRunOptions } from "./dsl/tuner";
// Re-attaching to a stored study (issue 17 part 4).
export { open } from "./dsl/open";
export type { OpenOptions } from "./dsl/open";
export type { PatienceOptions, ConvergenceOptions } from "./study/limits";
export { STUDY_MIME } from "./views/payload";
export type { StudyPayload, PayloadTrial } from "./views/payload";
export type { ViewName } from "./views/specs";
export type { StudyBundle } from "./notebook/bundle";
export type { WatchOptions, Watching } from "./notebook/watch";
export { float, int, choice, when } from "./space/builders";
export type { FloatOptions, IntOptions, ChoiceOptions } from "./space/builders";
export type { Params, Config, Choice, Condition, SpaceDef, ParamDef, FloatParam, IntParam, CategoricalParam, ValueOf } from "./space/types";
export { SearchSpace } from "./space/space";
export { Grid } from "./space/grid";
export { encode, decode } from "./space/encoding";
export { Study } from "./study/study";
export type { StudyOptions, TellInput } from "./study/study";
export { runStudy } from "./study/runner";
export type { Objective, TrialContext, RunOptions, RunSummary } from "./study/runner";
export type { Limits } from "./study/limits";
export type { StudyEventMap, StudyEventName, StopReason } from "./study/events";
export type { FrozenTrial, TrialState, Direction, StudySnapshot, StudySpec, StepValue } from "./model/trial";
export { MemoryStorage } from "./storage/base";
export { JournalStorage } from "./storage/journal";
export type { Storage, WriteContext, ReportDecision } from "./storage/storage";
export type { JournalOptions } from "./storage/journal";
export { openStorage } from "./storage/open";
export type { StorageLocation, OpenStorageOptions } from "./storage/open";
export type { PostgresOptions } from "./storage/postgres";
export { createStrategy, registerStrategy, strategyNames } from "./strategies/registry";
export type { StrategyName, StrategyOptionsMap } from "./strategies/registry";
export type { Strategy, Stopper, Proposal, ProposeContext, ProposeResult, StopContext, StopDecision } from "./strategies/strategy";
export type { RandomOptions } from "./strategies/random";
export type { GridOptions } from "./strategies/grid";
export type { TpeOptions } from "./strategies/tpe";
export type { BayesianOptions } from "./strategies/bayesian";
export { command } from "./command/command";
export type { CommandObjective, CommandOptions } from "./command/command";
export type { MetricDefinition, FinalRule } from "./command/metrics";
export { InfrastructureFailure } from "./study/retry";
export type { RetryPolicy } from "./study/retry";
export { TunelabError, isTunelabError } from "./util/errors";
export { Rng } from "./util/rng";
