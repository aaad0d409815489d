/**
 * `tunelab export STUDY [--storage LOCATION] [--format csv|json|jsonl] [--out FILE]`: writes a
 * stored study's trials as CSV (the default), a JSON array or JSON lines, to standard output or
 * FILE. The same rows and columns as the panel's export button and `study.toCSV()`
 * (src/views/analysis/export.ts). The storage is opened as `tunelab run` opens it (openStorage:
 * a journal folder, a postgresql:// URL; default TUNELAB_STORAGE, else .tunelab).
 *
 * Exit status: 0 when written; 2 for bad arguments, an unknown study, or "memory" (a study in
 * memory can't be read from another process); 1 when the storage or the output fails.
 */
import * as fs from "fs";
import * as path from "path";
import type { Writable } from "stream";
import { openStorage, defaultLocation, parseLocation, showLocation } from "../storage/open";
import { exportData, exportText, isExportFormat, type ExportFormat } from "../views/analysis/export";
import { toPayload } from "../views/payload";
import { isTunelabError } from "../util/errors";
import { Msg } from "../util/messages";

export const EXPORT_USAGE = `usage: tunelab export STUDY [--storage LOCATION] [--format csv|json|jsonl] [--out FILE]

Writes the trials of a stored study: one row per trial with number, state, value,
params_<name>, metrics_<name>, user_attrs_<key>, datetime_start, datetime_complete,
duration (seconds) and error.

  --storage LOCATION   a journal folder or a postgresql:// URL
                       (default: TUNELAB_STORAGE, else .tunelab)
  --format FORMAT      csv (default; RFC 4180, spreadsheet-safe), json (an array)
                       or jsonl (one trial per line)
  --out FILE           write to FILE instead of standard output

Exit status: 0 when written, 2 for bad arguments or an unknown study, 1 when the
storage or the output fails.
`;

export interface ExportIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

interface ExportArgs {
  readonly study: string;
  readonly storage: { readonly location: string; readonly field: string };
  readonly format: ExportFormat;
  readonly out: string | undefined;
}

/** Reads the arguments; throws a catalog error for a bad one. */
export function parseExportArgs(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ExportArgs | "help" {
  let study: string | undefined;
  let storage: { location: string; field: string } | undefined;
  let format: unknown = "csv";
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-h" || a === "--help") return "help";
    const eq = a.indexOf("=");
    const [flag, inline] = a.startsWith("--") && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (flag === "--storage" || flag === "--format" || flag === "--out") {
      const value = inline ?? args[++i];
      if (value === undefined || value === "") throw Msg.exportMissingValue(flag);
      if (flag === "--storage") storage = { location: value, field: "--storage" };
      else if (flag === "--format") format = value;
      else out = value;
    } else if (a.startsWith("-") || study !== undefined) throw Msg.exportBadArgument(a);
    else study = a;
  }
  if (study === undefined || study === "") throw Msg.exportNoStudyName();
  if (!isExportFormat(format)) throw Msg.exportBadFormat("--format", format);
  return { study, storage: storage ?? defaultLocation(env), format, out };
}

/** Runs `tunelab export` with its arguments; resolves to the exit status. */
export async function exportCommand(args: readonly string[], io: ExportIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const fail = (e: unknown, status: number) => {
    const text = isTunelabError(e) ? `${e.message} [${e.code}]` : e instanceof Error ? e.message : String(e);
    io.stderr.write(`tunelab export: ${text}\n`);
    return status;
  };
  let parsed: ExportArgs | "help";
  try {
    parsed = parseExportArgs(args, io.env ?? process.env);
    if (parsed !== "help" && parseLocation(parsed.storage.location, { field: parsed.storage.field, ...(io.cwd ? { cwd: io.cwd } : {}) }).kind === "memory") throw Msg.exportMemory(parsed.storage.field);
  } catch (e) {
    const status = fail(e, 2);
    io.stderr.write(`\n${EXPORT_USAGE}`);
    return status;
  }
  if (parsed === "help") {
    io.stdout.write(EXPORT_USAGE);
    return 0;
  }
  const { study, storage: where, format, out } = parsed;
  let text: string;
  try {
    const storage = await openStorage(where.location, { field: where.field, onWarning: (m) => io.stderr.write(`tunelab export: ${m}\n`), ...(io.cwd ? { cwd: io.cwd } : {}) });
    try {
      const snapshot = await storage.openExisting(study);
      if (!snapshot) throw Msg.studyNotFound(study, showLocation(where.location));
      text = exportText(exportData(toPayload(snapshot, false)), format);
    } finally {
      await storage.close();
    }
  } catch (e) {
    return fail(e, isTunelabError(e) && (!e.code.startsWith("storage.") || e.code === "storage.bad_location") ? 2 : 1);
  }
  try {
    if (out === undefined) await write(io.stdout, text);
    else fs.writeFileSync(path.resolve(io.cwd ?? process.cwd(), out), text);
  } catch (e) {
    return fail(e, 1);
  }
  return 0;
}

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (e) => (e ? reject(e) : resolve())));
}
