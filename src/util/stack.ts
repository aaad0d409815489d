/**
 * What a TunelabError shows when printed with Node's `util.inspect` (what
 * `console.log`/`console.error` and tslab use for a value or a thrown error):
 * `TunelabError [code]: message`, and the first line of the caller's own code
 * when there is one worth showing. tunelab's own frames say nothing to the
 * person who passed a bad value, and a notebook printed ten of them. The
 * error's `stack` stays whole: Node prints it for an uncaught error in a
 * script (it inspects uncaught errors without custom inspectors), and it is
 * what a bug report needs.
 *
 * No imports, no Node APIs: src/util is browser-safe. Stack lines are V8's
 * (`    at fn (file:line:col)`); anything else is left out, never misread.
 */

/** The folder of tunelab's own compiled files (dist/ or src/), found from this file's own frame. */
const OWN_ROOT: string | undefined = (() => {
  const here = frameFile(new Error().stack?.split("\n")[1] ?? "");
  const m = here === undefined ? null : /^(.*[\\/])util[\\/]stack\.[cm]?[jt]s$/.exec(here);
  return m ? m[1] : undefined;
})();

/** The file of one V8 stack line, or undefined when it isn't one. */
function frameFile(line: string): string | undefined {
  const m = /^\s*at (?:.*\((.*)\)|(?:async )?(.*))$/.exec(line);
  const loc = m?.[1] ?? m?.[2];
  if (loc === undefined) return undefined;
  return /^(.*?)(?::\d+){1,2}$/.exec(loc)?.[1] ?? loc;
}

/**
 * The first frame of a stack that is the caller's code, or undefined: the
 * frames of tunelab, of Node itself, of tslab, and of a tslab cell are
 * passed over. A cell's frames (`evalmachine.<anonymous>:3:64`) count lines
 * of the JavaScript tslab made from the cell, which are not the cell's lines,
 * so pointing at them would mislead.
 */
export function callerFrame(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined;
  for (const line of stack.split("\n")) {
    const file = frameFile(line);
    if (file === undefined || file === "") continue;
    if (OWN_ROOT !== undefined && file.startsWith(OWN_ROOT)) continue;
    if (/^(node:|internal[\\/]|native$|<anonymous>$)/.test(file) || file.startsWith("evalmachine.")) continue;
    if (/[\\/]tslab[\\/]dist[\\/]/.test(file)) continue;
    return line.trim();
  }
  return undefined;
}

/**
 * The short form of an error with a code: `Name [code]: message`, then the
 * caller's frame (if any) on its own line.
 *
 * @example briefError(Msg.noDirection()) // 'TunelabError [dsl.no_direction]: the study has no direction: ...'
 */
export function briefError(e: { readonly name: string; readonly code: string; readonly message: string; readonly stack?: string }): string {
  const head = `${e.name} [${e.code}]: ${e.message}`;
  const at = callerFrame(e.stack);
  return at === undefined ? head : `${head}\n    ${at}`;
}
