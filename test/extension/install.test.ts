// The prebuilt extension as scripts/setup.sh installs it: linked into the venv's
// share/jupyter/labextensions, listed as enabled and OK by `jupyter labextension list`, with the
// entry point @jupyter/builder recorded. (That JupyterLab then prefers it over text/html and
// draws it in an untrusted notebook, i.e. rank 0 and safe: true, is study-view.test.ts.)
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, VENV, stripAnsi } from "../helpers/jupyter";

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "extension", "package.json"), "utf8")) as {
  name: string;
  version: string;
};
const installed = path.join(VENV, "share", "jupyter", "labextensions", pkg.name);

describe("the installed JupyterLab extension", () => {
  it("is listed by `jupyter labextension list` as enabled and OK", () => {
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-jupyter-config-"));
    try {
      const env = { ...process.env, PATH: `${path.join(VENV, "bin")}${path.delimiter}${process.env.PATH}`, JUPYTER_CONFIG_DIR: configDir };
      const r = spawnSync(path.join(VENV, "bin", "jupyter"), ["labextension", "list"], { env, encoding: "utf8", timeout: 60_000 });
      expect(r.status).toBe(0);
      const text = stripAnsi(`${r.stdout}${r.stderr}`);
      expect(text).toMatch(new RegExp(`${pkg.name} v${pkg.version.replace(/\./g, "\\.")} enabled\\s+OK`));
    } finally {
      fs.rmSync(configDir, { recursive: true, force: true });
    }
  }, 60_000);

  it("is the build output of extension/, linked (so a rebuild is live on reload)", () => {
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(true);
    expect(fs.realpathSync(installed)).toBe(fs.realpathSync(path.join(REPO_ROOT, "extension", "labextension")));
  });

  it("records a mime-renderer entry point whose bundle exists, with the stylesheet", () => {
    const meta = JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")) as {
      jupyterlab: { mimeExtension: boolean; _build: { load: string; mimeExtension?: string; style?: string } };
    };
    expect(meta.jupyterlab.mimeExtension).toBe(true);
    expect(meta.jupyterlab._build.mimeExtension).toBe("./mimeExtension");
    expect(meta.jupyterlab._build.style).toBe("./style");
    expect(fs.existsSync(path.join(installed, meta.jupyterlab._build.load))).toBe(true);
  });
});
