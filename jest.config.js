const os = require("os");

/** Files run at once: JEST_WORKERS, or 1.5 per core (3 on two cores). A "150%" string in this file is read as 150 workers. */
const workers = Number(process.env.JEST_WORKERS) || Math.max(1, Math.floor((os.availableParallelism ? os.availableParallelism() : os.cpus().length) * 1.5));

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  setupFilesAfterEnv: ["<rootDir>/test/setup.js"],
  // One temporary directory per run, removed at its end: nothing personal or secret is left behind.
  globalSetup: "<rootDir>/test/global-setup.js",
  globalTeardown: "<rootDir>/test/global-teardown.js",
  // Types are checked once by `tsc --noEmit` in `npm test`; the transform only strips them (esbuild).
  transform: { "^.+\\.ts$": "<rootDir>/test/support/esbuild-jest.js" },
  // Most suites wait on child processes and local HTTPS servers more than they compute: on two
  // cores, jest's default (cores - 1 = one file at a time) leaves the machine idle for much of the
  // run. JEST_WORKERS overrides it (e.g. JEST_WORKERS=1 on a machine shared with other work).
  maxWorkers: workers,
  // Progress from the start: a line as each file starts and ends, failures in full, the slowest files.
  reporters: ["<rootDir>/test/support/progress-reporter.js"],
  testTimeout: 60000,
  // cdktf's matchers (test/setup.js) live on the global expect, which jest 30 would otherwise
  // "soft delete" between the files a worker runs, warning at each later use.
  testEnvironmentOptions: { globalsCleanup: "off" },
};
