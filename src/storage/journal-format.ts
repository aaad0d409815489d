import type { StudySpec } from "../model/trial";
import { TunelabError } from "../util/errors";
import { isPlainObject } from "../util/json";
import { JOURNAL_VERSION, type StudyOp } from "./ops";

/**
 * The journal's text format without any file access: what a line must look like and what the
 * first record says. Pure and browser-safe, so the Node journal (journal.ts) and the
 * JupyterLab study browser (which reads journals through the contents API) read the same way;
 * both then apply the operations with StudyReplica.
 *
 *   const { spec, op } = parseHeaderLine(firstLine, "runs/mlp.jsonl");
 *   const d = decodeOp(line); if (d.ok) applyChecked(replica, d.op);
 */

export const KNOWN_OPS: ReadonlySet<string> = new Set(["study", "trial", "report", "sys", "end", "enqueue"]);

/** A decoded line: the operation, or why it is not one. */
export type DecodedOp = { readonly ok: true; readonly op: StudyOp } | { readonly ok: false; readonly reason: "json" | "not_op" | "fields"; readonly detail?: string };

/** Parses one journal line into an operation (name checked, fields not: see checkOpFields). */
export function decodeOp(text: string): DecodedOp {
  let op: unknown;
  try {
    op = JSON.parse(text);
  } catch {
    return { ok: false, reason: "json" };
  }
  if (!isPlainObject(op) || typeof op["op"] !== "string" || !KNOWN_OPS.has(op["op"])) return { ok: false, reason: "not_op" };
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
 * writes. Readers of files they did not write (the study browser) check this before applying,
 * so a crafted line can't put a string where a number belongs.
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
      return isPlainObject(o["params"]) ? null : "params";
    default:
      return "op";
  }
}

/**
 * Checks a journal's first line: a "study" record in a format version this code reads.
 * `where` names the file in messages. Throws TunelabError storage.bad_header or
 * storage.newer_format.
 */
export function parseHeaderLine(where: string, line: string): { spec: StudySpec; op: StudyOp } {
  let op: unknown;
  try {
    op = JSON.parse(line);
  } catch {
    throw new TunelabError("storage.bad_header", `${where} does not start with a tunelab study record.`, "storage");
  }
  if (!isPlainObject(op) || op["op"] !== "study" || !isPlainObject(op["spec"])) {
    throw new TunelabError("storage.bad_header", `${where} does not start with a tunelab study record.`, "storage");
  }
  const v = op["v"];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new TunelabError("storage.bad_header", `${where} starts with a study record without a valid format version ("v": ${JSON.stringify(v) ?? "missing"}); it is not a tunelab journal or was edited by hand.`, "storage");
  }
  if (v > JOURNAL_VERSION) {
    throw new TunelabError("storage.newer_format", `${where} was written in journal format version ${String(v)}, newer than this tunelab reads (version ${JOURNAL_VERSION}); upgrade tunelab to open it.`, "storage");
  }
  return { spec: op["spec"] as unknown as StudySpec, op: op as unknown as StudyOp };
}

/**
 * The spec field a header gets wrong for showing the study, or null. The engine checks specs
 * when it creates them; a reader of foreign files checks the fields the views use.
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
