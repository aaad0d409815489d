import { safeString } from "./errors";

/** Plain JSON values: what storage persists and the protocol carries. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Short JSON rendering of a value for error messages. Never throws, whatever the value. */
export function show(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  // A long string is cut before it is quoted: only its start is shown.
  if (typeof v === "string" && v.length > 80) v = v.slice(0, 80);
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = safeString(v); // String() itself may throw (a revoked Proxy, a throwing toString)
  }
  if (s.length <= 80) return s;
  // Cut before a surrogate pair rather than through it.
  const cut = isHighSurrogate(s.charCodeAt(76)) ? 76 : 77;
  return s.slice(0, cut) + "...";
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
