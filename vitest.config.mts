import { defineConfig } from "vitest/config";

// Unit tests are fast; tests that start a tslab kernel, JupyterLab or Chromium set their own
// longer timeouts (see test/helpers/jupyter.ts). The machines have 2 cores: two worker
// processes keep both busy without kernels starving each other.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "dist/**", "tmp/**", ".venv/**"],
    environment: "node",
    // A run folder for the one PostgreSQL cluster the storage tests share (started on demand).
    globalSetup: ["test/helpers/pg-global-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
    teardownTimeout: 15_000,
    // Kernel-backed suites print the child processes' stderr only on failure.
    passWithNoTests: false,
  },
});
