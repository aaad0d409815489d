import { createRequire } from "node:module";
import * as path from "node:path";

/**
 * The one place that touches tslab. tslab's public `display` sends one MIME
 * type per message; its internal `dist/jupyter.js` keeps the current cell's
 * `lastWriteDisplayData(content, update)`, which sends a whole bundle
 * (`data`, `metadata`, `transient.display_id`) as `display_data`, or as
 * `update_display_data` when `update` is true.
 *
 * The kernel's own copy is the one whose writer is set: tslab's launcher
 * hands over to a project-local tslab, and a nested copy (one a library
 * depends on) is never set. So we look through the loaded modules rather
 * than `require` tslab ourselves, which would load a dead copy (and
 * TypeScript with it) in plain Node.
 */

/** A Jupyter display message's content. */
export interface DisplayContent {
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly transient: { readonly display_id: string };
}

/** Sends `display_data`, or `update_display_data` when `update` is true. */
export type DisplayWriter = (content: DisplayContent, update: boolean) => void;

const JUPYTER_JS = `${path.sep}tslab${path.sep}dist${path.sep}jupyter.js`;
const moduleCache = createRequire(__filename).cache;

/**
 * The running kernel's display writer, or undefined outside a tslab kernel.
 * It belongs to the cell that is executing now: messages it sends are
 * children of that cell's request, so keep it to update the same output.
 */
export function kernelWriter(): DisplayWriter | undefined {
  for (const [file, mod] of Object.entries(moduleCache)) {
    if (!file.endsWith(JUPYTER_JS)) continue;
    const write = (mod?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof write === "function") return write as DisplayWriter;
  }
  return undefined;
}

/** True inside a tslab kernel that is executing (or has executed) a cell. */
export function inKernel(): boolean {
  return kernelWriter() !== undefined;
}

let displays = 0;

/** A display id unique to this process (it needs no randomness, only uniqueness). */
export function newDisplayId(): string {
  return `tunelab-${process.pid}-${Date.now().toString(36)}-${++displays}`;
}
