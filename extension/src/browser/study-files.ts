/**
 * Every study journal under the watched folders, kept up to date without a kernel: the folder
 * listings come from the contents API (metadata only: name, size, last_modified), and each
 * journal is read with `GET /files/<path>` and an HTTP `Range: bytes=<offset>-` header, so a
 * poll fetches only what was appended since the last one (Jupyter server's files handler is
 * tornado's StaticFileHandler, which answers ranges with 206; a server that ignores the header
 * answers 200 with the whole file, which is used from the offset on).
 *
 * Polling runs only while someone looks (the sidebar or a study tab is visible and the page
 * is shown) at `pollSeconds`; nothing is fetched for a file whose size did not change.
 *
 *   const lib = new StudyLibrary(app.serviceManager, { folders: [".tunelab"], searchDepth: 2, pollSeconds: 2 });
 *   lib.changed.connect(() => redraw(lib.entries));
 *   lib.watch(() => sidebar.isVisible);
 */
import { URLExt } from "@jupyterlab/coreutils";
import { ServerConnection, type Contents } from "@jupyterlab/services";
import { Signal } from "@lumino/signaling";
import { coalesced } from "./coalesce";
import { DEFAULT_LIMITS, JournalReader } from "./journal-reader";
import { summarizeEntry, type EntrySummary } from "./study-summary";

export interface LibrarySettings {
  /** Folders (relative to the server root) holding journals. */
  readonly folders: readonly string[];
  /** Also look for `.tunelab` folders this many levels below the server root (0: don't). */
  readonly searchDepth: number;
  readonly pollSeconds: number;
}

export const DEFAULT_SETTINGS: LibrarySettings = { folders: [".tunelab"], searchDepth: 2, pollSeconds: 2 };

/** The largest piece fetched at once (a bigger file is read in several). */
const CHUNK_BYTES = 16 * 1024 * 1024;
/** Files larger than this are not read in the browser. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** Folders visited while searching for `.tunelab` folders, at most. */
const MAX_SEARCHED = 300;
/** Polls between two searches for new `.tunelab` folders (each search lists up to MAX_SEARCHED folders). */
const SEARCH_EVERY = 60;

/** One journal file and what has been read of it. */
export interface StudyEntry {
  readonly path: string;
  readonly folder: string;
  readonly reader: JournalReader;
  size: number;
  /** Epoch ms of the file's last change (from the listing). */
  modified: number;
  /** A problem fetching the file (the reader's own problems are in reader.error). */
  fetchError: string | null;
}

/** What became of one watched folder at the last listing. */
export interface FolderState {
  readonly path: string;
  readonly ok: boolean;
  readonly message: string;
  readonly found: boolean;
}

type ContentsLike = Pick<Contents.IManager, "get">;

export class StudyLibrary {
  readonly changed = new Signal<this, void>(this);
  private readonly files = new Map<string, StudyEntry>();
  private readonly summaries = new Map<string, { version: number; modified: number; summary: EntrySummary }>();
  private folderStates: FolderState[] = [];
  private discovered: string[] = [];
  private settings: LibrarySettings = DEFAULT_SETTINGS;
  private readonly watchers = new Set<() => boolean>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** One pass at a time; calls during a pass share it and ask for one more. */
  private readonly passes = coalesced(() => this.pass(), () => this.disposed);
  private polls = 0;
  private searchWanted = true;
  private disposed = false;

  constructor(
    private readonly contents: ContentsLike,
    private readonly server: ServerConnection.ISettings,
  ) {}

  get entries(): readonly StudyEntry[] {
    return [...this.files.values()];
  }

  get folders(): readonly FolderState[] {
    return this.folderStates;
  }

  get watchedFolders(): readonly string[] {
    return unique([...this.settings.folders.map(clean), ...this.discovered]);
  }

  entry(path: string): StudyEntry | undefined {
    return this.files.get(path);
  }

  /** The entry's summary, recomputed only when it changed (or its "running" may have gone stale). */
  summary(e: StudyEntry): EntrySummary {
    const cached = this.summaries.get(e.path);
    if (cached && cached.version === e.reader.version && cached.modified === e.modified && !cached.summary.running) return cached.summary;
    const summary = summarizeEntry(e, Date.now());
    this.summaries.set(e.path, { version: e.reader.version, modified: e.modified, summary });
    return summary;
  }

  /** The entries of a study name, the most recently changed first. */
  byName(name: string): StudyEntry[] {
    return this.entries.filter((e) => e.reader.spec?.name === name).sort((a, b) => b.modified - a.modified);
  }

  configure(settings: LibrarySettings): void {
    this.settings = settings;
    this.searchWanted = true;
    for (const path of [...this.files.keys()]) {
      if (!this.watchedFolders.includes(this.files.get(path)!.folder)) this.files.delete(path);
    }
    void this.refresh();
  }

  /** Polls while `visible()` says someone looks; returns the function that stops watching. */
  watch(visible: () => boolean): () => void {
    this.watchers.add(visible);
    this.schedule(0);
    return () => this.watchers.delete(visible);
  }

  /** Lists the folders and reads what was appended; concurrent calls share one pass. */
  refresh(search = false): Promise<void> {
    if (search) this.searchWanted = true;
    return this.passes();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    Signal.clearData(this);
  }

  private schedule(ms: number): void {
    if (this.disposed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    const wanted = document.visibilityState === "visible" && [...this.watchers].some((w) => w());
    if (wanted) {
      if (++this.polls % SEARCH_EVERY === 0) this.searchWanted = true;
      await this.refresh().catch(() => undefined);
    }
    if (this.watchers.size > 0) this.schedule(Math.max(250, this.settings.pollSeconds * 1000));
  }

  private async pass(): Promise<void> {
    if (this.searchWanted) {
      this.searchWanted = false;
      this.discovered = this.settings.searchDepth > 0 ? await this.search() : [];
    }
    let changed = false;
    const states: FolderState[] = [];
    for (const folder of this.watchedFolders) {
      let listing: Contents.IModel;
      try {
        listing = await this.contents.get(folder, { content: true, type: "directory" });
      } catch (e) {
        const status = (e as { response?: { status?: number } }).response?.status;
        states.push({ path: folder, ok: false, found: false, message: status === 404 ? "not found (or hidden by the server)" : errorMessage(e) });
        for (const [p, f] of this.files) if (f.folder === folder && status === 404 && this.files.delete(p)) changed = true;
        continue;
      }
      const children = (Array.isArray(listing.content) ? listing.content : []) as Contents.IModel[];
      const journals = children.filter((c) => c.type !== "directory" && c.name.endsWith(".jsonl"));
      states.push({ path: folder, ok: true, found: journals.length > 0, message: `${journals.length} journal${journals.length === 1 ? "" : "s"}` });
      const seen = new Set(journals.map((c) => c.path));
      for (const [p, f] of this.files) if (f.folder === folder && !seen.has(p) && this.files.delete(p)) changed = true;
      for (const c of journals) {
        if (this.disposed) return;
        if (await this.update(folder, c)) changed = true;
      }
    }
    this.folderStates = states;
    if (changed && !this.disposed) this.changed.emit();
  }

  /** Brings one file's entry up to date with its listing; true when anything shown changed. */
  private async update(folder: string, c: Contents.IModel): Promise<boolean> {
    const size = typeof c.size === "number" ? c.size : -1;
    const modified = Date.parse(c.last_modified) || 0;
    let e = this.files.get(c.path);
    let changed = false;
    if (!e) {
      e = { path: c.path, folder, reader: new JournalReader(c.path, DEFAULT_LIMITS), size: 0, modified, fetchError: null };
      this.files.set(c.path, e);
      changed = true;
    }
    if ((size >= 0 && size < e.reader.offset) || (e.reader.error !== null && e.modified !== modified)) {
      e.reader.reset(); // replaced (by a shorter file, or one that may now be readable)
      changed = true;
    }
    if (e.modified !== modified) changed = true;
    const wasError = e.fetchError;
    const grew = size < 0 || size !== e.size;
    e.size = size;
    e.modified = modified;
    if (size > MAX_FILE_BYTES) {
      e.fetchError = `the file is ${(size / 2 ** 20).toFixed(0)} MiB, more than the ${MAX_FILE_BYTES / 2 ** 20} MiB the browser reads.`;
      return changed || wasError !== e.fetchError;
    }
    if (!grew && e.fetchError === null) return changed;
    const version = e.reader.version;
    try {
      await this.read(e);
      e.fetchError = null;
    } catch (err) {
      e.fetchError = `could not be read: ${errorMessage(err)}`;
    }
    return changed || version !== e.reader.version || wasError !== e.fetchError;
  }

  /** Fetches and feeds everything after the reader's offset, in chunks. */
  private async read(e: StudyEntry): Promise<void> {
    for (let round = 0; round < 64 && !e.reader.error; round++) {
      const from = e.reader.offset;
      if (e.size >= 0 && from >= e.size) return;
      const url = URLExt.join(this.server.baseUrl, "files", URLExt.encodeParts(e.path));
      const res = await ServerConnection.makeRequest(url, { cache: "no-store", headers: { Range: `bytes=${from}-${from + CHUNK_BYTES - 1}` } }, this.server);
      if (res.status === 416) return; // nothing at or after `from` (the listing was newer than the file)
      if (!res.ok) throw new Error(`HTTP ${res.status}${res.status === 404 ? " (not found, or hidden by the server)" : ""}`);
      let bytes = new Uint8Array(await res.arrayBuffer());
      let total = e.size;
      if (res.status === 206) {
        const m = /\/(\d+)\s*$/.exec(res.headers.get("Content-Range") ?? "");
        if (m) total = Number(m[1]);
      } else {
        total = bytes.length;
        bytes = bytes.subarray(Math.min(from, bytes.length));
      }
      e.size = Math.max(e.size, total);
      const end = from + bytes.length;
      await e.reader.feed(bytes, end >= total);
      if (e.reader.offset === from || end >= total) return; // a torn tail waits for its newline
    }
  }

  /** `.tunelab` folders up to searchDepth below the root (notebooks keep theirs beside them). */
  private async search(): Promise<string[]> {
    const found: string[] = [];
    let visited = 0;
    const walk = async (dir: string, depth: number): Promise<void> => {
      if (visited++ >= MAX_SEARCHED || this.disposed) return;
      let listing: Contents.IModel;
      try {
        listing = await this.contents.get(dir, { content: true, type: "directory" });
      } catch {
        return;
      }
      const dirs = ((Array.isArray(listing.content) ? listing.content : []) as Contents.IModel[]).filter((c) => c.type === "directory");
      for (const d of dirs) if (d.name === ".tunelab") found.push(d.path);
      if (depth >= this.settings.searchDepth) return;
      for (const d of dirs) {
        if (d.name.startsWith(".") || d.name === "node_modules") continue;
        await walk(d.path, depth + 1);
      }
    };
    await walk("", 0);
    return found;
  }
}

function clean(folder: string): string {
  return folder.trim().replace(/^\/+|\/+$/g, "");
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
