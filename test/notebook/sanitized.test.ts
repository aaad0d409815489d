// The saved notebook's static fallback under the sanitizer GitHub-like renderers apply: the real
// `jupyter nbconvert --to html --sanitize-html` of the repo's .venv (bleach: a dozen tags kept,
// the others printed as text; text/html, text/markdown and image/svg+xml outputs all go through
// it). A study display must come out as a picture, with no markup printed as text, for a plain
// study and a hostile one, and unsanitized nbconvert must show the same picture.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { studyDisplay } from "../../src/notebook/bundle";
import { JUPYTER, VENV, makeRepoTempDir, removeDir, tslabNotebook, writeNotebook, type NotebookOutput } from "../helpers/jupyter";
import { hostilePayload, payload } from "../views/fixtures";

let dir: string;
const html: Record<"sanitized" | "plain", string> = { sanitized: "", plain: "" };

beforeAll(async () => {
  dir = makeRepoTempDir("sanitized");
  const nb = tslabNotebook(["await study.show();", "await hostile.show();"]);
  const outputs: NotebookOutput[] = [];
  for (const p of [payload(), hostilePayload()]) {
    const { data, metadata } = await studyDisplay(p);
    outputs.push({ output_type: "display_data", data: data as unknown as Record<string, unknown>, metadata: metadata as Record<string, unknown> });
  }
  nb.cells.forEach((c, i) => (c.outputs = [outputs[i]!]));
  writeNotebook(path.join(dir, "study.ipynb"), nb);
  for (const [kind, flags] of [["sanitized", ["--sanitize-html"]], ["plain", []]] as const) {
    const r = spawnSync(JUPYTER, ["nbconvert", "--to", "html", ...flags, "--output", `${kind}.html`, "study.ipynb"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, PATH: `${path.join(VENV, "bin")}${path.delimiter}${process.env.PATH ?? ""}`, JUPYTER_CONFIG_DIR: path.join(dir, "config") },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    html[kind] = fs.readFileSync(path.join(dir, `${kind}.html`), "utf8");
  }
}, 90_000);

afterAll(() => removeDir(dir));

/** The HTML of each cell's output area. */
function outputAreas(page: string): string[] {
  return page.split('<div class="jp-OutputArea jp-Cell-outputArea">').slice(1).map((s) => s.split('<div class="jp-Cell ')[0]!);
}

describe("a study display saved in a notebook", () => {
  it.each(["sanitized", "plain"] as const)("shows as its picture in nbconvert's HTML (%s), with no markup printed as text", (kind) => {
    const areas = outputAreas(html[kind]);
    expect(areas).toHaveLength(2);
    for (const area of areas) {
      expect(area.match(/<img [^>]*src="data:image\/png;base64,[A-Za-z0-9+/=]+"/g)).toHaveLength(1);
      expect(area).toMatch(/<img [^>]*width="\d+"/); // shown at its display size
      expect(area).not.toMatch(/&lt;(img|table|tr|td|p|div|br|svg)\b/);
      expect(area).not.toContain("data:image/svg+xml");
    }
  });

  it("gives a hostile study's strings no way into the page", () => {
    for (const page of Object.values(html)) {
      expect(page).not.toMatch(/<img src=x/);
      expect(page).not.toMatch(/onerror="alert/);
    }
  });
});
