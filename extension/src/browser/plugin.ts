/**
 * The study browser, a JupyterLab application plugin: a "Studies" sidebar listing every
 * tunelab study journal under the server's root, each opening in a main-area tab with the full
 * views, and a compare tab for two or more. Everything is read through the server's contents
 * and files APIs: no kernel, no extra server.
 *
 * Commands (palette category "tunelab"): tunelab:show-studies (Accel Shift Y),
 * tunelab:open-study {path} or {name}, tunelab:compare-studies {paths}, tunelab:refresh-studies.
 * Settings: folders, searchDepth, pollSeconds (schema/browser.json).
 */
import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from "@jupyterlab/application";
import { ICommandPalette, Notification } from "@jupyterlab/apputils";
import { ISettingRegistry } from "@jupyterlab/settingregistry";
import { LabIcon } from "@jupyterlab/ui-components";
import type { Widget } from "@lumino/widgets";
import { CompareTab } from "./compare-tab";
import { notFoundMessage, registerOpenInTab } from "./open-in-tab";
import { StudySidebar } from "./sidebar";
import { DEFAULT_SETTINGS, StudyLibrary, type LibrarySettings } from "./study-files";
import { StudyTab } from "./study-tab";

export const PLUGIN_ID = "tunelab-jupyterlab:browser";

const CATEGORY = "tunelab";

/** A static icon of ours (never built from file data). */
const studiesIcon = new LabIcon({
  name: "tunelab:studies",
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161"><path d="M3 3h2v16h16v2H3z"/><path d="M7 15l4-5 3 3 5-7 1.6 1.2-6.4 9-3-3-2.6 3.3z"/></g></svg>',
});

function readSettings(s: ISettingRegistry.ISettings | null): LibrarySettings {
  if (!s) return DEFAULT_SETTINGS;
  const folders = s.get("folders").composite;
  const depth = s.get("searchDepth").composite;
  const poll = s.get("pollSeconds").composite;
  return {
    folders: Array.isArray(folders) ? folders.filter((f): f is string => typeof f === "string") : DEFAULT_SETTINGS.folders,
    searchDepth: typeof depth === "number" ? depth : DEFAULT_SETTINGS.searchDepth,
    pollSeconds: typeof poll === "number" ? poll : DEFAULT_SETTINGS.pollSeconds,
  };
}

function activate(app: JupyterFrontEnd, palette: ICommandPalette | null, registry: ISettingRegistry | null, restorer: ILayoutRestorer | null): void {
  const library = new StudyLibrary(app.serviceManager.contents, app.serviceManager.serverSettings);
  const tabs = new Map<string, Widget>();

  const addTab = (key: string, make: () => Widget): Widget => {
    let w = tabs.get(key);
    if (!w || w.isDisposed) {
      w = make();
      w.id = `tunelab-tab-${tabs.size}-${Date.now().toString(36)}`;
      w.title.icon = studiesIcon;
      tabs.set(key, w);
      w.disposed.connect(() => tabs.delete(key));
      app.shell.add(w, "main");
    }
    app.shell.activateById(w.id);
    return w;
  };
  // A trial's whole log (command() objectives) opens as text, whatever its extension.
  const openFile = (path: string) => void app.commands.execute("docmanager:open", { path, factory: "Editor" });
  const openStudy = (path: string) => addTab(`study:${path}`, () => new StudyTab(library, path, openFile));
  const compare = (paths: readonly string[]) => addTab(`compare:${[...paths].sort().join("\n")}`, () => new CompareTab(library, paths));

  const sidebar = new StudySidebar(library, { open: openStudy, compare });
  sidebar.title.icon = studiesIcon;
  app.shell.add(sidebar, "left", { rank: 650 });
  restorer?.add(sidebar, "tunelab-studies");

  const openByName = async (name: string) => {
    let found = library.byName(name);
    if (found.length === 0) {
      await library.refresh(true);
      found = library.byName(name);
    }
    if (found.length > 0) {
      openStudy(found[0]!.path);
      return;
    }
    Notification.warning(notFoundMessage(name, library.watchedFolders), {
      autoClose: 10_000,
      actions: [{ label: "Settings", caption: "Open the study browser's settings", callback: () => void app.commands.execute("settingeditor:open", { query: "tunelab" }) }],
    });
  };
  // Cell panels show "Open in tab" from now on (for as long as the page lives).
  registerOpenInTab((name) => void openByName(name));

  const { commands } = app;
  commands.addCommand("tunelab:show-studies", {
    label: "Show tunelab Studies",
    caption: "Open the Studies sidebar",
    execute: () => app.shell.activateById(sidebar.id),
  });
  commands.addCommand("tunelab:open-study", {
    label: (args) => (args["path"] || args["name"] ? "Open tunelab Study in a Tab" : "Open tunelab Study…"),
    execute: async (args) => {
      if (typeof args["path"] === "string") return openStudy(args["path"]);
      if (typeof args["name"] === "string") return openByName(args["name"]);
      app.shell.activateById(sidebar.id);
      return undefined;
    },
  });
  commands.addCommand("tunelab:compare-studies", {
    label: "Compare Ticked tunelab Studies",
    isEnabled: (args) => Array.isArray(args["paths"]) || sidebar.selection.length >= 2,
    execute: (args) => {
      const paths = Array.isArray(args["paths"]) ? (args["paths"] as unknown[]).filter((p): p is string => typeof p === "string") : sidebar.selection;
      return paths.length >= 2 ? compare(paths) : undefined;
    },
  });
  commands.addCommand("tunelab:refresh-studies", {
    label: "Refresh tunelab Studies",
    execute: () => library.refresh(true),
  });
  commands.addKeyBinding({ command: "tunelab:show-studies", keys: ["Accel Shift Y"], selector: "body" });
  for (const command of ["tunelab:show-studies", "tunelab:open-study", "tunelab:compare-studies", "tunelab:refresh-studies"]) {
    palette?.addItem({ command, category: CATEGORY });
  }

  if (registry) {
    registry
      .load(PLUGIN_ID)
      .then((s) => {
        library.configure(readSettings(s));
        s.changed.connect(() => library.configure(readSettings(s)));
      })
      .catch(() => library.configure(DEFAULT_SETTINGS));
  } else {
    library.configure(DEFAULT_SETTINGS);
  }
}

export const studyBrowserPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: "The tunelab study browser: a Studies sidebar, study tabs and study comparison, read from the journals on disk without a kernel.",
  autoStart: true,
  optional: [ICommandPalette, ISettingRegistry, ILayoutRestorer],
  activate,
};

export default studyBrowserPlugin;
