/**
 * How a cell panel asks the study browser to open its study in a tab, without either knowing
 * the other: the browser plugin registers a handler here; the panel shows its "Open in tab"
 * button only when one is registered (the mime renderer also runs where the plugin is off).
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
