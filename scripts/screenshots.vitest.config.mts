// Runs scripts/screenshots.mts (the README's pictures and issue 12's before/after screenshots)
// with vitest as the TypeScript runner:
//   npx vitest run --config scripts/screenshots.vitest.config.mts
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
  test: {
    include: ["scripts/screenshots.mts"],
    environment: "node",
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
