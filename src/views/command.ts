import type { PayloadTrial } from "./payload";

/** How a trial run by command() was run, for the selection line: what the payload's record says, checked. */
export interface CommandInfo {
  /** The command line, shell-quoted for reading (it was never run by a shell). */
  readonly line: string;
  /** The last lines it printed (stdout and stderr), "" when none were kept. */
  readonly tail: string;
  /** Its log file, relative to the study's storage folder (or absolute). */
  readonly log: string;
}

const MAX_TEXT = 4000;

/**
 * The command info of a trial, or null when it was not run by command() or the record is not
 * what command() writes (the payload may come from anywhere: only strings are taken, capped).
 */
export function commandInfo(trial: Pick<PayloadTrial, "system">): CommandInfo | null {
  const rec = (trial.system as Record<string, unknown> | null | undefined)?.["command"];
  if (rec === null || typeof rec !== "object" || Array.isArray(rec)) return null;
  const r = rec as Record<string, unknown>;
  const argv = r["argv"];
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")) return null;
  const text = (v: unknown) => (typeof v === "string" ? v.slice(-MAX_TEXT) : "");
  return { line: shellQuote(argv as string[]).slice(0, MAX_TEXT), tail: text(r["tail"]), log: text(r["log"]) };
}

/** argv as a shell would show it (for logs and messages; a command is never run by a shell). */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_\-+=.,:/@%]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}
