export type { Storage } from "./storage";
export { MemoryStorage, ReplicaStorage } from "./base";
export { JournalStorage, journalFileName, readHeader } from "./journal";
export type { JournalOptions } from "./journal";
export type { StudyOp, TrialOutcome, NewTrial } from "../record/ops";
export { JOURNAL_VERSION } from "../record/ops";
