/**
 * How deeply JSON text nests, found without parsing it.
 *
 * Every recursive walk of a value (JSON.stringify, String() of an array,
 * canonical JSON, the space's checks) overflows the stack somewhere past a
 * few thousand levels, and a reply that echoes such a value cannot even be
 * written. No request needs more than a handful of levels (a space with a
 * condition is 5), so `tunelab serve` refuses text nested deeper than
 * MAX_JSON_DEPTH before JSON.parse builds it (a 16 MiB line of "[" would
 * otherwise build 8 million arrays first).
 */

/** Arrays and objects a request may nest, the request object itself being level 1. */
export const MAX_JSON_DEPTH = 64;

/** Where text first nests deeper than the limit. */
export interface TooDeep {
  /**
   * The member of the top-level object the nesting is in (e.g. "space"), or
   * undefined when the top-level value is not an object.
   */
  readonly member: string | undefined;
}

/**
 * Scans JSON text for nesting deeper than `max` levels, skipping strings.
 * Linear in the text, no recursion, no allocation but the member's name; a
 * text with at most `max` brackets is not scanned at all.
 * Text that is not JSON gives an answer that JSON.parse will refuse anyway.
 *
 * @example
 * findTooDeep('{"id": [[[1]]]}', 3) // { member: "id" }
 * findTooDeep('{"id": [[1]]}', 3)   // undefined
 */
export function findTooDeep(text: string, max: number = MAX_JSON_DEPTH): TooDeep | undefined {
  // Nesting past `max` takes more than `max` opening brackets; counting them
  // (natively, with indexOf) is a tenth of the scan, and most requests have few.
  if (!moreOpenersThan(text, max)) return undefined;
  let depth = 0;
  let inString = false;
  let topIsObject = false;
  /** At level 1 of an object, the next string is a member name. */
  let expectName = false;
  let nameStart = -1;
  let member: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) {
        inString = false;
        if (nameStart >= 0) {
          member = decodeName(text.slice(nameStart, i + 1));
          nameStart = -1;
        }
      }
      continue;
    }
    if (c === QUOTE) {
      inString = true;
      if (expectName && depth === 1) {
        nameStart = i;
        expectName = false;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 1) expectName = topIsObject = c === OPEN_BRACE;
      if (depth > max) return { member: topIsObject ? member : undefined };
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    } else if (c === COMMA && depth === 1 && topIsObject) {
      expectName = true;
    }
  }
  return undefined;
}

function moreOpenersThan(text: string, max: number): boolean {
  let n = 0;
  for (const c of ["[", "{"]) {
    for (let i = text.indexOf(c); i >= 0; i = text.indexOf(c, i + 1)) if (++n > max) return true;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

function decodeName(quoted: string): string | undefined {
  try {
    const name: unknown = JSON.parse(quoted);
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}
