// Runs the study-browser benchmark (bench/browser-studies.bench.mts) with vitest as the TypeScript runner:
//   npx vitest run --config bench/browser-studies.vitest.config.mts
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    include: ["bench/browser-studies.bench.mts"],
    environment: "node",
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 1_800_000,
    hookTimeout: 120_000,
  },
});
