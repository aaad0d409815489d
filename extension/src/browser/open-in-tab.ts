/**
 * How a cell panel asks the study browser to open its study in a tab, without either knowing
 * the other: the browser plugin registers a handler here; the panel shows its "Open in tab"
 * button only when one is registered (the mime renderer also runs where the plugin is off) and
 * the study is one the browser can find (stored in a journal on disk, not in memory).
 * The handler lives on globalThis under a registry symbol, so it is found even if the two
 * bundles carried separate copies of this module.
 */
export type OpenInTab = (studyName: string) => void;

const KEY = Symbol.for("tunelab-jupyterlab.openInTab");

type Holder = { [KEY]?: OpenInTab };

export function registerOpenInTab(handler: OpenInTab): () => void {
  (globalThis as Holder)[KEY] = handler;
  return () => {
    if ((globalThis as Holder)[KEY] === handler) delete (globalThis as Holder)[KEY];
  };
}

/** The registered handler, if the study browser is on. */
export function openInTabHandler(): OpenInTab | undefined {
  return (globalThis as Holder)[KEY];
}

/** Whether the study browser could find a study stored so (a payload of older tunelab doesn't say: maybe). */
export function canOpenInTab(storage: string | undefined): boolean {
  return storage === undefined || storage === "journal";
}

/** JupyterLab truncates a notification's message past this many characters. */
export const NOTIFICATION_MAX = 140;

/**
 * The warning when no study of that name is in the watched folders, short enough to be shown
 * whole (the study name and the folder list are shortened to fit; the notification's
 * "Settings" action opens where folders are added).
 */
export function notFoundMessage(name: string, folders: readonly string[]): string {
  const where = folders.length ? folders.join(", ") : "none";
  const text = (n: string, w: string) => `No study "${n}" in the watched folders (${w}). Add its folder under Settings, tunelab study browser.`;
  const room = NOTIFICATION_MAX - text("", "").length;
  const w = clip(where, Math.max(8, Math.floor(room / 2)));
  return text(clip(name, room - w.length), w);
}

/** `s` in at most `max` UTF-16 units (as JupyterLab counts), cut between characters, with an ellipsis. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = "";
  for (const ch of s) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}
