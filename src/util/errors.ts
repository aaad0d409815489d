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
  // instanceof asks a Proxy's getPrototypeOf trap, which may throw (a revoked Proxy always does).
  try {
    return e instanceof TunelabError && (code === undefined || e.code === code);
  } catch {
    return false;
  }
}

/** The longest error text kept for a trial: a thrown megabyte string must not fill the journal. */
export const MAX_ERROR_TEXT = 4000;

/**
 * Text of any thrown value, for recording a failed trial: `Name: message` for
 * an Error, the string itself, else the value as JSON or String(). Never
 * throws and never returns "": a value whose getters, `toString`, `toJSON` or
 * Proxy traps throw gets the best text that can be read (what reading it
 * threw, at worst). At most MAX_ERROR_TEXT characters.
 *
 * @example errorText(new TypeError("x")) // "TypeError: x"
 */
export function errorText(e: unknown): string {
  return clip(textOf(e, 0));
}

/**
 * `String(v)` that never throws: a value whose conversion throws (a revoked
 * Proxy, a throwing `toString`, an object without a prototype) is described
 * by its type and by what converting it threw.
 */
export function safeString(v: unknown): string {
  return stringOf(v, 0);
}

/** Reading a thrown value may throw another hostile value: look at most this deep. */
const MAX_DEPTH = 2;

function textOf(e: unknown, depth: number): string {
  if (typeof e === "string") return e === "" ? "(an empty string was thrown)" : e;
  if (e === null || (typeof e !== "object" && typeof e !== "function")) return String(e);
  if (isError(e)) return errorObjectText(e as Error, depth);
  let s: string | undefined;
  let jsonThrew: unknown;
  try {
    s = JSON.stringify(e);
  } catch (inner) {
    jsonThrew = inner; // a throwing toJSON or getter, a cycle, a BigInt, a revoked Proxy
  }
  // "{}" says nothing: an object's own toString may say more.
  if (s === undefined || s === "{}") {
    const t = stringOf(e, depth);
    if (s === undefined || t !== "[object Object]") s = t;
    // "[object Object]" says nothing either: then what reading it threw is the best text.
    if (jsonThrew !== undefined && /^\[object \w+\]$/.test(s)) s += ` (reading it threw: ${depth < MAX_DEPTH ? textOf(jsonThrew, depth + 1) : "(unreadable)"})`;
  }
  return s === "" ? "(an empty value was thrown)" : s;
}

function isError(e: object): boolean {
  try {
    return e instanceof Error;
  } catch {
    return false; // a revoked Proxy: described by stringOf
  }
}

/** `Name: message` as errors print, from whatever of name, message and stack can be read. */
function errorObjectText(e: Error, depth: number): string {
  const name = read(e, "name", depth);
  const message = read(e, "message", depth);
  const stack = read(e, "stack", depth);
  const nameText = typeof name.value === "string" && name.value !== "" ? name.value : "Error";
  if (typeof message.value === "string" && message.value !== "") {
    // As before: "Name: message" when the stack's header says so, else the message alone
    // (a TunelabError's message is written to be read alone).
    if (typeof stack.value === "string" && stack.value.startsWith(`${nameText}: ${message.value}`)) return `${nameText}: ${message.value}`;
    return message.value;
  }
  if (message.threw !== undefined) {
    // The stack's first line was written from the message when the error was made.
    const header = typeof stack.value === "string" ? stack.value.split("\n", 1)[0]! : "";
    if (header !== "") return `${header} (reading its message now throws: ${message.threw})`;
    return `${nameText} (its message could not be read: ${message.threw})`;
  }
  const s = stringOf(e, depth);
  return s === "" ? `${nameText} (with no message)` : s;
}

/** A property's value, or the text of what reading it threw. */
function read(o: object, key: string, depth: number): { value?: unknown; threw?: string } {
  try {
    return { value: (o as Record<string, unknown>)[key] };
  } catch (inner) {
    return { threw: depth < MAX_DEPTH ? textOf(inner, depth + 1) : "(unreadable)" };
  }
}

function stringOf(v: unknown, depth: number): string {
  try {
    return String(v);
  } catch (inner) {
    let tag: string;
    try {
      tag = Object.prototype.toString.call(v);
    } catch {
      tag = `${typeof v === "object" ? "an object" : "a function"} that cannot be read`; // a revoked Proxy
    }
    return `${tag} (converting it to text threw: ${depth < MAX_DEPTH ? textOf(inner, depth + 1) : "(unreadable)"})`;
  }
}

function clip(s: string): string {
  if (s.length <= MAX_ERROR_TEXT) return s;
  let end = MAX_ERROR_TEXT;
  // Never cut a surrogate pair in two (a lone half is not valid UTF-8).
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}... (${s.length - end} more characters)`;
}
