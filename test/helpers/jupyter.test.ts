// Exercises the harness itself against the real venv: a tslab kernel through nbclient, and a
// JupyterLab server through its REST API.
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cellStreamText,
  executeNotebook,
  failedCells,
  isPortFree,
  makeRepoTempDir,
  readNotebook,
  removeDir,
  startJupyterLab,
  streamText,
  tslabNotebook,
  writeNotebook,
} from "./jupyter";

describe("executeNotebook", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeRepoTempDir("harness");
  });
  afterAll(() => removeDir(dir));

  it("runs TypeScript cells in a real tslab kernel and returns their outputs", async () => {
    const file = path.join(dir, "hello.ipynb");
    writeNotebook(file, tslabNotebook(["md:# harness check", "const x: number = 6 * 7;\nx", 'console.log("hi")']));

    const nb = await executeNotebook(file, { timeoutMs: 90_000 });

    expect(failedCells(nb)).toEqual([]);
    // tslab prints a cell's last expression to stdout instead of sending an execute_result.
    expect(nb.cells[1]!.outputs!.map((o) => [o.output_type, o.name])).toEqual([["stream", "stdout"]]);
    expect(cellStreamText(nb, 1)).toBe("42\n");
    expect(cellStreamText(nb, 2, "stdout")).toBe("hi\n");
    expect(streamText(nb, "stdout")).toBe("42\nhi\n");
    expect(nb.cells.map((c) => (c.metadata["harness"] as { status: string } | undefined)?.status)).toEqual([
      undefined,
      "ok",
      "ok",
    ]);
    // The notebook on disk is left as it was.
    expect(readNotebook(file).cells[1]!.outputs).toEqual([]);
  }, 120_000);

  it("reports failing cells (type errors, exceptions) and throws unless errors are allowed", async () => {
    const file = path.join(dir, "broken.ipynb");
    writeNotebook(
      file,
      tslabNotebook(["const s: string = 5;\ns", 'throw new Error("boom")', 'console.log("after")']),
    );

    await expect(executeNotebook(file, { timeoutMs: 90_000 })).rejects.toThrow(
      /2 cell\(s\) failed[\s\S]*cell 0:[\s\S]*not assignable[\s\S]*cell 1:[\s\S]*Error: boom/,
    );
    const nb = await executeNotebook(file, { timeoutMs: 90_000, allowErrors: true });
    expect(failedCells(nb).map((f) => f.cellIndex)).toEqual([0, 1]);
    expect(cellStreamText(nb, 2, "stdout")).toBe("after\n"); // later cells still run
  }, 200_000);
});

describe("startJupyterLab", () => {
  it("serves the tslab kernelspec and frees its port when stopped", async () => {
    const dir = makeRepoTempDir("lab");
    const lab = await startJupyterLab({ root: dir });
    try {
      expect(lab.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const res = await lab.api("/api/kernelspecs");
      expect(res.status).toBe(200);
      const specs = (await res.json()) as { kernelspecs: Record<string, { spec: { language: string } }> };
      expect(specs.kernelspecs.tslab?.spec.language).toBe("typescript");

      const anonymous = await fetch(new URL("api/kernelspecs", lab.url));
      expect(anonymous.status).toBe(403); // the token is required
    } finally {
      await lab.stop();
      removeDir(dir);
    }
    expect(lab.process.exitCode !== null || lab.process.signalCode !== null).toBe(true);
    expect(await isPortFree(lab.port)).toBe(true);
  }, 90_000);
});
