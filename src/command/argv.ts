import type { SearchSpace } from "../space/space";
import type { Config } from "../space/types";
import { Msg } from "../util/messages";

/**
 * Command templates: `["python", "train.py", "--lr", "{lr}", "--epochs={budget}"]`, with a
 * placeholder `{name}` for each parameter and `{trial}`, `{budget}`, `{study}`. A name is
 * letters, digits, `_`, `.` and `-`, starting with a letter or `_`; other text in braces
 * (JSON, code) is left as it is, and `{{name}}` is the literal text `{name}`. Values are put
 * into the argument as text, never through a shell.
 *
 * An absent (conditional) parameter leaves out the arguments that name it: an argument that
 * is `{p}` alone goes with the flag before it (`--momentum {momentum}`), an argument with
 * other text (`--momentum={momentum}`) goes alone. `{p}` alone as a positional argument of a
 * conditional parameter is refused (leaving it out would shift the arguments after it).
 */

/** The placeholders every command has, whatever the space. */
export const BUILTIN_PLACEHOLDERS = ["trial", "budget", "study"] as const;

/** One argument, parsed: literal text and placeholders, in order. */
type Part = string | { readonly name: string };

export interface ArgTemplate {
  readonly parts: readonly Part[];
  /** The placeholder names it uses. */
  readonly names: readonly string[];
  /** Whether it is one placeholder and nothing else. */
  readonly alone: boolean;
}

/** What one trial fills the template with. */
export interface ExpandContext {
  readonly params: Readonly<Config>;
  readonly trial: number;
  readonly budget?: number;
  readonly study: string;
}

const FLAG = /^--?[A-Za-z_]/;

/** Parses and checks the argv template (the names themselves are checked against a space by `checkAgainstSpace`). */
export function parseArgv(argv: unknown, field = "command"): ArgTemplate[] {
  if (!Array.isArray(argv) || argv.length === 0) throw Msg.badArgv(field, argv);
  return argv.map((a, i) => {
    if (typeof a !== "string") throw Msg.badArgv(`${field}[${i}]`, a);
    return parseArg(a, `${field}[${i}]`);
  });
}

/** What a placeholder's name looks like; any other text in braces (JSON, code) is literal. */
const NAME = /\{(\{?)([A-Za-z_][A-Za-z0-9_.-]*)\}(\}?)/g;

function parseArg(arg: string, field: string): ArgTemplate {
  if (arg.includes("\u0000")) throw Msg.nulInArgument(field);
  const parts: Part[] = [];
  const names: string[] = [];
  let text = "";
  let at = 0;
  for (const m of arg.matchAll(NAME)) {
    text += arg.slice(at, m.index!);
    at = m.index! + m[0].length;
    if (m[1] && m[3]) {
      // {{name}}: the text {name}.
      text += `{${m[2]}}`;
      continue;
    }
    text += m[1]!;
    if (text) parts.push(text);
    text = "";
    parts.push({ name: m[2]! });
    names.push(m[2]!);
    text = m[3]!;
  }
  text += arg.slice(at);
  if (text || parts.length === 0) parts.push(text);
  return { parts, names, alone: parts.length === 1 && typeof parts[0] !== "string" };
}

/**
 * Checks the placeholders against the space: each names a parameter or a built-in (not
 * both), and a conditional parameter is never a positional argument on its own.
 */
export function checkAgainstSpace(template: readonly ArgTemplate[], space: SearchSpace, field = "command"): void {
  const builtins: readonly string[] = BUILTIN_PLACEHOLDERS;
  template.forEach((t, i) => {
    for (const name of t.names) {
      const p = space.param(name);
      if (builtins.includes(name)) {
        if (p) throw Msg.ambiguousPlaceholder(`${field}[${i}]`, name);
        continue;
      }
      if (!p) throw Msg.unknownPlaceholder(`${field}[${i}]`, name, space.names);
      if (p.when && t.alone && !(i > 0 && isFlag(template[i - 1]!))) throw Msg.conditionalAlone(`${field}[${i}]`, name);
      if (p.when && i === 0) throw Msg.conditionalAlone(`${field}[${i}]`, name);
    }
  });
}

function isFlag(t: ArgTemplate): boolean {
  return t.names.length === 0 && FLAG.test(t.parts[0] as string);
}

/** The text of a value in an argument: numbers in JavaScript's shortest round-trip form. */
export function valueText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return v === undefined ? "" : JSON.stringify(v);
}

/**
 * The argv of one trial. Throws (the trial fails) when a value holds a NUL character, or a
 * positional argument names an absent parameter (checkAgainstSpace refuses that up front
 * when the space is known).
 */
export function expandArgv(template: readonly ArgTemplate[], ctx: ExpandContext, field = "command"): string[] {
  const out: string[] = [];
  const builtin = (name: string): string | undefined =>
    name === "trial" ? String(ctx.trial) : name === "budget" ? (ctx.budget === undefined ? "" : String(ctx.budget)) : name === "study" ? ctx.study : undefined;
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    let s = "";
    let absent: string | undefined;
    for (const p of t.parts) {
      if (typeof p === "string") {
        s += p;
        continue;
      }
      const b = builtin(p.name);
      if (b !== undefined) {
        s += b;
      } else if (Object.prototype.hasOwnProperty.call(ctx.params, p.name)) {
        s += valueText(ctx.params[p.name]);
      } else {
        absent = p.name;
        break;
      }
    }
    if (absent !== undefined) {
      if (!t.alone) continue;
      // `--flag {p}`: the flag goes too (it was copied just before).
      if (i > 0 && isFlag(template[i - 1]!) && out.length > 0) {
        out.pop();
        continue;
      }
      throw Msg.conditionalAlone(`${field}[${i}]`, absent);
    }
    if (s.includes("\u0000")) throw Msg.nulInArgument(`${field}[${i}]`);
    out.push(s);
  }
  return out;
}
