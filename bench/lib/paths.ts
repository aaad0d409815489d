import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root: the nearest folder above this file whose package.json is tunelab's. */
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: string }).name === "tunelab") return dir;
      } catch {
        // not ours
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`bench: no tunelab package.json above ${start}`);
    dir = up;
  }
}

export const ROOT = findRoot(__dirname);
/** bench/ in the repository (sources and README), not the compiled copy. */
export const BENCH_DIR = path.join(ROOT, "bench");
