import type { StudySpec } from "../model/trial";
import { isPlainObject } from "../util/json";
import { Msg } from "../util/messages";
import { crc32 } from "./checksum";
import { JOURNAL_VERSION, type StudyOp } from "./ops";

/**
 * The journal's text format without any file access: how an operation becomes a line and how a
 * line is checked on the way back. Pure and browser-safe; journal-reader.ts runs the one line
 * loop that the Node journal (src/storage/journal.ts) and the JupyterLab study browser share.
 *
 * A line is the operation's JSON with its CRC-32 as the last field (format 2):
 *
 *   {"op":"end","n":3,"state":"complete","t":1700000013000,"value":0.4,"c":"1c291ca3"}
 *
 * The checksum covers the JSON without the field (`{"op":...,"value":0.4}`), so writing is
 * JSON.stringify plus one pass over the text, and a flipped byte anywhere in the line, a line
 * glued to another, or a NUL block is recognised even when what is left still parses.
 */

export const KNOWN_OPS: ReadonlySet<string> = new Set(["study", "trial", "report", "sys", "end", "enqueue", "attr", "note", "extend"]);

/** `,"c":"` + 8 hex digits + `"}` */
const SUM_SUFFIX = 16;
const SUM_KEY = ',"c":"';

/** The line (without its newline) that records `op`. */
export function encodeRecord(op: StudyOp): string {
  const s = JSON.stringify(op);
  return s.slice(0, -1) + SUM_KEY + (crc32(s) >>> 0).toString(16).padStart(8, "0") + '"}';
}

/** Whether a line ends with a checksum that matches it ("ok"), with one that does not ("bad"), or with none. */
export function lineChecksum(text: string): "ok" | "bad" | "none" {
  const n = text.length;
  if (n <= SUM_SUFFIX || text.charCodeAt(n - 1) !== 0x7d || text.charCodeAt(n - 2) !== 0x22 || !text.startsWith(SUM_KEY, n - SUM_SUFFIX)) return "none";
  let want = 0;
  for (let i = n - 10; i < n - 2; i++) {
    const h = text.charCodeAt(i);
    const d = h >= 0x30 && h <= 0x39 ? h - 0x30 : h >= 0x61 && h <= 0x66 ? h - 0x57 : -1;
    if (d < 0) return "bad";
    want = want * 16 + d;
  }
  return crc32(text, n - SUM_SUFFIX, "}") === want ? "ok" : "bad";
}

/** Why a line is not an operation to apply. */
export type LineFault = "json" | "not_op" | "checksum" | "fields";

/** A decoded line: the operation, or why it is not one (`detail`: the field at fault). */
export type DecodedOp = { readonly ok: true; readonly op: StudyOp } | { readonly ok: false; readonly reason: LineFault; readonly detail?: string };

/**
 * Parses and checks one journal line: JSON, a known operation, its checksum (required when
 * `checked`, the file being format 2, and whenever the record has a "c" field), and the type of
 * every field (checkOpFields). Whether the operation fits the study is the replica's question.
 */
export function decodeRecord(text: string, checked: boolean): DecodedOp {
  let op: unknown;
  try {
    op = JSON.parse(text);
  } catch {
    return { ok: false, reason: "json" };
  }
  if (!isPlainObject(op) || typeof op["op"] !== "string" || !KNOWN_OPS.has(op["op"])) return { ok: false, reason: "not_op" };
  const sum = lineChecksum(text);
  if (sum === "bad" || (sum === "none" && (checked || Object.prototype.hasOwnProperty.call(op, "c")))) return { ok: false, reason: "checksum" };
  const bad = checkOpFields(op as unknown as StudyOp);
  if (bad !== null) return { ok: false, reason: "fields", detail: bad };
  return { ok: true, op: op as unknown as StudyOp };
}

/** Whether `text` is one complete JSON value (a torn record never is: no proper prefix of an object parses). */
export function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const STATES_ENDED = ["complete", "failed", "pruned"];

const isInt = (v: unknown): boolean => typeof v === "number" && Number.isInteger(v) && v >= 0;
const isNum = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
/** JSON writes NaN and ±Infinity as null: a reported value may be either. */
const isNumOrNull = (v: unknown): boolean => v === null || typeof v === "number";

function numberRecord(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k in v) if (!isNumOrNull(v[k])) return false;
  return true;
}

/**
 * The field a decoded operation gets wrong, or null when every field has the type the engine
 * writes; so a crafted or damaged line can't put a string where a number belongs.
 */
export function checkOpFields(op: StudyOp): string | null {
  const o = op as unknown as Record<string, unknown>;
  switch (op.op) {
    case "study":
      return null;
    case "trial":
      if (!isInt(o["n"])) return "n";
      if (!isPlainObject(o["params"])) return "params";
      if (!isNum(o["t"])) return "t";
      if (o["sys"] !== undefined && !isPlainObject(o["sys"])) return "sys";
      if (o["budget"] !== undefined && !isNum(o["budget"])) return "budget";
      return null;
    case "report":
      if (!isInt(o["n"])) return "n";
      if (!isNum(o["step"])) return "step";
      if (!numberRecord(o["v"])) return "v";
      if (o["t"] !== undefined && !isNum(o["t"])) return "t";
      return null;
    case "sys":
      if (!isInt(o["n"])) return "n";
      if (!isPlainObject(o["sys"])) return "sys";
      return null;
    case "end":
      if (!isInt(o["n"])) return "n";
      if (typeof o["state"] !== "string" || !STATES_ENDED.includes(o["state"])) return "state";
      if (!isNum(o["t"])) return "t";
      if (o["value"] !== undefined && !isNumOrNull(o["value"])) return "value";
      if (o["metrics"] !== undefined && !numberRecord(o["metrics"])) return "metrics";
      if (o["error"] !== undefined && typeof o["error"] !== "string") return "error";
      return null;
    case "enqueue":
      if (!isPlainObject(o["params"])) return "params";
      if (o["i"] !== undefined && !isInt(o["i"])) return "i";
      return null;
    // The user's record: values and sizes are checked with the study (replica.check).
    case "attr":
      if (!isInt(o["n"])) return "n";
      if (typeof o["k"] !== "string") return "k";
      if (!Object.prototype.hasOwnProperty.call(o, "v")) return "v";
      return null;
    case "note":
      if (o["n"] !== undefined && !isInt(o["n"])) return "n";
      if (typeof o["md"] !== "string") return "md";
      return null;
    case "extend":
      if (!isInt(o["v"])) return "v";
      if (!isPlainObject(o["space"])) return "space";
      if (!isNum(o["t"])) return "t";
      return null;
    default:
      return "op";
  }
}

/** A journal's first record: the study's spec, and whether every later line must carry a checksum. */
export interface JournalHeader {
  readonly spec: StudySpec;
  readonly op: StudyOp;
  readonly version: number;
  /** Format 2 or later: a line without a valid checksum is damaged. */
  readonly checked: boolean;
}

/**
 * Checks a journal's first line: a "study" record in a format version this code reads, whose
 * checksum (when it has one: always from format 2) matches, with the spec fields the engine and
 * the views rely on. `where` names the file in messages. Throws TunelabError storage.bad_header
 * or storage.newer_format.
 */
export function parseHeaderLine(where: string, line: string): JournalHeader {
  let op: unknown;
  try {
    op = JSON.parse(line);
  } catch {
    throw Msg.journalBadHeader(where, "does not start with a tunelab study record");
  }
  if (!isPlainObject(op) || op["op"] !== "study" || !isPlainObject(op["spec"])) throw Msg.journalBadHeader(where, "does not start with a tunelab study record");
  const sum = lineChecksum(line);
  if (sum === "bad") throw Msg.journalBadHeader(where, "starts with a study record whose checksum does not match");
  const v = op["v"];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) throw Msg.journalBadHeader(where, `starts with a study record without a valid format version ("v": ${JSON.stringify(v) ?? "missing"})`);
  if (v > JOURNAL_VERSION) throw Msg.journalNewerFormat(where, v, JOURNAL_VERSION);
  if (v >= 2 && sum === "none") throw Msg.journalBadHeader(where, "starts with a study record without its checksum");
  const spec = op["spec"] as unknown as StudySpec;
  const bad = checkSpecFields(spec);
  if (bad !== null) throw Msg.journalBadHeader(where, `starts with a study record whose "spec.${bad}" is missing or of the wrong type`);
  return { spec, op: op as unknown as StudyOp, version: v, checked: v >= 2 };
}

/**
 * The spec field a header gets wrong, or null. The engine checks specs when it creates them;
 * a reader checks the fields the engine and the views use before it trusts a file.
 */
export function checkSpecFields(spec: StudySpec): string | null {
  const s = spec as unknown as Record<string, unknown>;
  if (typeof s["name"] !== "string") return "name";
  if (s["direction"] !== "minimize" && s["direction"] !== "maximize") return "direction";
  if (typeof s["metric"] !== "string") return "metric";
  if (!isPlainObject(s["strategy"]) || typeof s["strategy"]["name"] !== "string") return "strategy";
  if (!isPlainObject(s["space"])) return "space";
  return null;
}
