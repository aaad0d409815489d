export { tune, Tuner, setRunHooks } from "./tuner";
export { open } from "./open";
export type { TrialOf, ObjectiveFn, StorageChoice, RunHooks } from "./tuner";
