/**
 * The study record, browser-safe: the operations a study is made of (ops.ts), the replica that
 * applies them (replica.ts), the journal's line format (journal-format.ts) and its one checked
 * reader (journal-reader.ts), and the placeholder of a lost trial (lost.ts). src/storage holds
 * the adapters that persist it; the JupyterLab study browser reads journals with the same code.
 */
export type { StudyOp, TrialOutcome, NewTrial } from "./ops";
export { JOURNAL_VERSION } from "./ops";
export { StudyReplica, lastStep } from "./replica";
export type { Undo } from "./replica";
export { encodeRecord, decodeRecord, parseHeaderLine, checkOpFields, checkSpecFields } from "./journal-format";
export type { JournalHeader, DecodedOp } from "./journal-format";
export { JournalLineReader, DEFAULT_MAX_LINE_BYTES } from "./journal-reader";
export type { JournalReadOptions, ReaderError } from "./journal-reader";
export { LOST_KEY } from "./lost";
