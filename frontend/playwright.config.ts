import { defineConfig } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// The journeys run against the real server: embedded SQLite in a fresh temporary folder, the
// in-process worker, the demo seed, on a free port. Workers re-read this file, so the port and
// folder chosen by the main process travel in the environment.
const repo = resolve(import.meta.dirname, "..");
const python = join(repo, ".venv", "bin", "python");
process.env.QM_E2E_PORT ??= execFileSync(python, [
  "-c",
  "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
])
  .toString()
  .trim();
if (process.env.QM_E2E_DIR === undefined) {
  const dir = mkdtempSync(join(tmpdir(), "qm-e2e-"));
  process.env.QM_E2E_DIR = dir;
  // Only the process that made the folder removes it, when it exits (after the web server has
  // been stopped); test workers inherit QM_E2E_DIR and never get here.
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
}
const port = process.env.QM_E2E_PORT;
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "e2e",
  // A journey is a whole user session (2–3 dozen pages); on a loaded 2-core CI box journey 1
  // took 37 s alone and over 90 s beside other jobs. Each expectation keeps its own 15 s limit.
  timeout: 180_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [["list"]] : [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    viewport: { width: 1440, height: 900 },
    colorScheme: "dark",
    launchOptions: {
      executablePath: process.env.QM_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `${join(repo, ".venv", "bin", "quartermaster")} serve --seed-demo --port ${port}`,
    cwd: repo,
    url: `${baseURL}/ready`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      QM_DATABASE_URL: `sqlite:///${join(process.env.QM_E2E_DIR, "e2e.db")}`,
      QM_REDIS_URL: "",
      QM_ENVIRONMENT: "test",
      QM_LOG_JSON: "false",
      QM_LOG_LEVEL: "WARNING",
      QM_FRONTEND_DIST: join(repo, "frontend", "dist"),
      // The journeys register several users and log in repeatedly from one address.
      QM_RATE_LIMIT_ENABLED: "false",
      // The webhooks journey posts to a receiver it starts on this machine.
      QM_WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
    },
  },
});
