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
  maxWorkers: process.env.JEST_WORKERS || "150%",
  // Progress from the start: a line as each file starts and ends, failures in full, the slowest files.
  reporters: ["<rootDir>/test/support/progress-reporter.js"],
  testTimeout: 60000,
  // cdktf's matchers (test/setup.js) live on the global expect, which jest 30 would otherwise
  // "soft delete" between the files a worker runs, warning at each later use.
  testEnvironmentOptions: { globalsCleanup: "off" },
};
