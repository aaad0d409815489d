import { commandOf, type SystemRecord } from "../record/system";
import type { PayloadTrial } from "./payload";

/** How a trial run by command() was run, for the selection line: what the payload's record says, checked. */
export interface CommandInfo {
  /** The command line, shell-quoted for reading (it was never run by a shell); ends in "…" when cut. */
  readonly line: string;
  /** The last lines it printed (stdout and stderr), "" when none were kept; starts with "…" when cut. */
  readonly tail: string;
  /** Its log file, relative to the study's storage folder (or absolute). */
  readonly log: string;
}

const MAX_TEXT = 4000;
const ELLIPSIS = "…";

/**
 * The command info of a trial, or null when it was not run by command() or the record is not
 * what command() writes (the payload may come from anywhere: only strings are taken, capped,
 * a cut says so with "…", and a log path too long to be one is left out).
 */
export function commandInfo(trial: Pick<PayloadTrial, "system">): CommandInfo | null {
  const r = commandOf(trial.system as SystemRecord);
  if (!r) return null;
  const log = r.log.length <= MAX_TEXT ? r.log : "";
  return { line: clipEnd(shellQuote(r.argv), MAX_TEXT), tail: lastLines(r.tail, MAX_TEXT), log };
}

/** argv as a shell would show it (for logs and messages; a command is never run by a shell). */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_\-+=.,:/@%]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/**
 * Where a trial's whole log is: `log` as its record names it (relative to the study's storage
 * folder, or absolute) under `folder`, the storage folder's path relative to the server's root
 * when the view knows it (a study tab does: the journal's folder). `inRoot`: the path is a
 * normalised one under the server's root, so the browser can open it; otherwise it is only
 * shown (absolute, relative to an unknown folder, or climbing out of the root).
 *
 * @example logLocation("s.trials/3/output.log", ".tunelab") // { path: ".tunelab/s.trials/3/output.log", inRoot: true }
 */
export function logLocation(log: string, folder?: string): { readonly path: string; readonly inRoot: boolean } {
  if (log === "" || log.startsWith("/") || folder === undefined) return { path: log, inRoot: false };
  const parts: string[] = [];
  for (const p of `${folder}/${log}`.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (parts.length === 0 || parts[parts.length - 1] === "..") parts.push("..");
      else parts.pop();
    } else parts.push(p);
  }
  const path = parts.join("/");
  return { path, inRoot: path !== "" && parts[0] !== ".." };
}

/** `s` in at most `max` characters, cut at the end with "…" (never inside a surrogate pair). */
function clipEnd(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 1;
  if (isHighSurrogate(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end) + ELLIPSIS;
}

/** The end of `s` in at most `max` characters: whole lines after a "…" line when cut. */
function lastLines(s: string, max: number): string {
  if (s.length <= max) return s;
  const keep = s.slice(s.length - (max - 2));
  const nl = keep.indexOf("\n");
  // One line longer than the cap: its end, cut between characters.
  const rest = nl >= 0 ? keep.slice(nl + 1) : isLowSurrogate(keep.charCodeAt(0)) ? keep.slice(1) : keep;
  return `${ELLIPSIS}\n${rest}`;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
