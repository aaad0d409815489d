export { tune, Tuner, setRunHooks } from "./tuner";
export type { TrialOf, ObjectiveFn, StorageChoice, RunHooks } from "./tuner";
