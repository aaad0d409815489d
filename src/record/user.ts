import type { TunelabError } from "../util/errors";
import type { JsonValue } from "../util/json";
import { Msg } from "../util/messages";

/**
 * The user's own record of a study: attributes of a trial (`trial.setAttr(key, value)`), a
 * markdown note per trial (`trial.note(md)`) and one for the study (`study.note(md)`), kept as
 * "attr" and "note" operations (ops.ts). Browser-safe: the bounds are checked when an operation
 * is written and again when one is read (replica.check), so a crafted journal or database row
 * can't make a reader hold megabytes of notes or a value nested a thousand levels deep.
 */

/** A note's size in UTF-8 bytes. */
export const MAX_NOTE_BYTES = 64 * 1024;
/** Attributes one trial may hold. */
export const MAX_ATTRS = 64;
/** An attribute's value as JSON text, in UTF-8 bytes. */
export const MAX_ATTR_BYTES = 16 * 1024;
/** An attribute key's length in characters. */
export const MAX_ATTR_KEY = 200;
/** Arrays and objects an attribute's value may nest (the value itself being level 1). */
export const MAX_ATTR_DEPTH = 16;

/** The catalog error for a bad attribute key, or null. Keys follow the rules of parameter names, and are at most MAX_ATTR_KEY long. */
export function attrKeyError(field: string, key: unknown): TunelabError | null {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_ATTR_KEY || key in Object.prototype) return Msg.badAttrKey(field, key, MAX_ATTR_KEY);
  return null;
}

/**
 * The catalog error for a bad attribute value, or null: plain JSON (null, booleans, finite
 * numbers, strings, arrays and plain objects whose keys are not "__proto__"), nested at most
 * MAX_ATTR_DEPTH levels, at most MAX_ATTR_BYTES as JSON text.
 */
export function attrValueError(field: string, value: unknown): TunelabError | null {
  const why = notJson(value, 1);
  if (why !== null) return Msg.badAttrValue(field, why);
  const bytes = utf8Bytes(JSON.stringify(value));
  if (bytes > MAX_ATTR_BYTES) return Msg.attrTooLarge(field, bytes, MAX_ATTR_BYTES);
  return null;
}

/** The catalog error for a note that is not a string of at most MAX_NOTE_BYTES, or null. */
export function noteError(field: string, md: unknown): TunelabError | null {
  if (typeof md !== "string") return Msg.badNote(field, md);
  const bytes = utf8Bytes(md);
  if (bytes > MAX_NOTE_BYTES) return Msg.noteTooLarge(field, bytes, MAX_NOTE_BYTES);
  return null;
}

/** Why `v` is not plain JSON within the depth bound, or null. Recursion is bounded by MAX_ATTR_DEPTH. */
function notJson(v: unknown, depth: number): string | null {
  if (v === null || typeof v === "boolean" || typeof v === "string") return null;
  if (typeof v === "number") return Number.isFinite(v) ? null : `${String(v)} is not a finite number`;
  if (typeof v !== "object") return `a ${typeof v} is not JSON`;
  if (depth > MAX_ATTR_DEPTH) return `it nests more than ${MAX_ATTR_DEPTH} levels deep`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const w = notJson(v[i], depth + 1);
      if (w !== null) return w;
    }
    return null;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return "only plain objects are JSON (not class instances, dates or maps)";
  for (const k of Object.keys(v)) {
    if (k === "__proto__") return 'a key "__proto__" is not kept by every JSON reader';
    const w = notJson((v as Record<string, unknown>)[k], depth + 1);
    if (w !== null) return w;
  }
  return null;
}

/** UTF-8 length of a string without encoding it. */
export function utf8Bytes(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && !(c >= 0xd800 && c <= 0xdfff) ? 2 : 1;
  }
  return n;
}

/** A trial's attributes after setting `key` (a fresh object: records are immutable). */
export function withAttr(attrs: Readonly<Record<string, JsonValue>> | undefined, key: string, value: JsonValue): Record<string, JsonValue> {
  const next: Record<string, JsonValue> = { ...attrs };
  next[key] = value;
  return next;
}
