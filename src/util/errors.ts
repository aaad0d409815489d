import { briefError } from "./stack";

/**
 * The one error type tunelab throws for bad input. Every message comes from
 * the catalog in `messages.ts`, so tests can assert on codes rather than on
 * copied strings.
 */
export class TunelabError extends Error {
  /** Stable machine-readable code, e.g. `space.low_not_below_high`. */
  readonly code: string;
  /** The field at fault, as a dotted path (e.g. `space.lr.low`), when there is one. */
  readonly field?: string;

  constructor(code: string, message: string, field?: string) {
    super(message);
    this.name = "TunelabError";
    this.code = code;
    if (field !== undefined) this.field = field;
  }

  /**
   * How `console.log`/`console.error` (and so a tslab cell that throws) print
   * it: `TunelabError [code]: message` and the caller's line, without
   * tunelab's own frames. `stack` stays whole.
   */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return briefError(this);
  }
}

/** True when `e` is a TunelabError, optionally with the given code. */
export function isTunelabError(e: unknown, code?: string): e is TunelabError {
  return e instanceof TunelabError && (code === undefined || e.code === code);
}

/** Text of any thrown value, for recording a failed trial. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.stack && e.stack.startsWith(`${e.name}: ${e.message}`) ? `${e.name}: ${e.message}` : e.message || String(e);
  if (typeof e === "string") return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    return String(e);
  }
}
