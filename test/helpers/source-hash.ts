// A short hash of what a build of src/ depends on (every .ts under src/ and tsconfig.json):
// tests that need their own build of tunelab (worker processes, notebook kernels) key their
// build folders by it, so a build is made once per source state and never clashes with dist/.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

export function sourceHash(): string {
  const h = createHash("sha256");
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) h.update(path.relative(REPO_ROOT, p)).update("\0").update(fs.readFileSync(p)).update("\0");
    }
  };
  walk(path.join(REPO_ROOT, "src"));
  h.update(fs.readFileSync(path.join(REPO_ROOT, "tsconfig.json")));
  return h.digest("hex").slice(0, 16);
}
