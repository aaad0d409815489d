export type { Storage, WriteContext, ReportDecision } from "./storage";
export { openStorage, parseLocation, defaultLocation, showLocation, DEFAULT_LOCATION } from "./open";
export type { StorageLocation, OpenStorageOptions } from "./open";
export type { PostgresOptions } from "./postgres";
export { MemoryStorage, ReplicaStorage } from "./base";
export { JournalStorage, journalFileName, readHeader } from "./journal";
export type { JournalOptions } from "./journal";
export type { StudyOp, TrialOutcome, NewTrial } from "../record/ops";
export { JOURNAL_VERSION } from "../record/ops";
