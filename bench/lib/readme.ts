import * as fs from "node:fs";
import * as path from "node:path";
import { BENCH_DIR } from "./paths";

export const README = path.join(BENCH_DIR, "README.md");

/**
 * Replaces one suite's section of bench/README.md (between its begin/end markers), or
 * appends it; the rest of the file is left as it is.
 */
export function writeSection(suite: string, body: string): void {
  const begin = `<!-- bench:${suite}:begin -->`;
  const end = `<!-- bench:${suite}:end -->`;
  const text = fs.existsSync(README) ? fs.readFileSync(README, "utf8") : "# tunelab benchmarks\n";
  const block = `${begin}\n${body.trim()}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  fs.writeFileSync(README, next);
}
