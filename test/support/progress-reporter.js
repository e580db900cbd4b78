// A light jest reporter: a line when the run starts, when each test file starts and when it ends
// (with its time and counts, and its failures in full), then a summary with the slowest files.
// Jest's default reporter shows nothing until the first file finishes when output is not a
// terminal (CI, a log file), which on two cores was minutes of silence.
"use strict";
const path = require("path");

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

class ProgressReporter {
  constructor(globalConfig) {
    this.root = globalConfig.rootDir;
    this.workers = globalConfig.maxWorkers;
    this.started = Date.now();
    this.done = 0;
    this.total = 0;
    this.times = [];
    this.failed = false;
  }

  rel(file) {
    return path.relative(this.root, file);
  }

  write(line) {
    process.stderr.write(`${line}\n`);
  }

  onRunStart(results, options) {
    this.started = Date.now();
    this.total = results.numTotalTestSuites;
    const workers = this.workers ? `, ${this.workers} at a time` : "";
    this.write(`jest: ${this.total} test files${workers}${options && options.estimatedTime ? `, about ${options.estimatedTime} s last time` : ""}`);
  }

  onTestFileStart(test) {
    this.write(`  start ${this.rel(test.path)}  (${seconds(Date.now() - this.started)} in)`);
  }

  onTestFileResult(test, result) {
    this.done++;
    const ms = result.perfStats && result.perfStats.end && result.perfStats.start ? result.perfStats.end - result.perfStats.start : 0;
    this.times.push([this.rel(test.path), ms]);
    const ok = result.numFailingTests === 0 && !result.testExecError;
    if (!ok) this.failed = true;
    const counts = `${result.numPassingTests} passed${result.numFailingTests ? `, ${result.numFailingTests} failed` : ""}${result.numPendingTests ? `, ${result.numPendingTests} skipped` : ""}`;
    this.write(`${ok ? "PASS" : "FAIL"}  ${this.rel(test.path)}  ${seconds(ms)}  (${counts})  [${this.done}/${this.total}, ${seconds(Date.now() - this.started)} in]`);
    if (!ok && result.failureMessage) this.write(result.failureMessage);
  }

  onRunComplete(_contexts, results) {
    const slowest = [...this.times].sort((a, b) => b[1] - a[1]).slice(0, 8);
    this.write("\nslowest files:");
    for (const [file, ms] of slowest) this.write(`  ${seconds(ms).padStart(8)}  ${file}`);
    this.write(
      `\nTest files: ${results.numFailedTestSuites ? `${results.numFailedTestSuites} failed, ` : ""}${results.numPassedTestSuites} passed, ${results.numTotalTestSuites} total` +
        `\nTests:      ${results.numFailedTests ? `${results.numFailedTests} failed, ` : ""}${results.numPendingTests ? `${results.numPendingTests} skipped, ` : ""}${results.numPassedTests} passed, ${results.numTotalTests} total` +
        `\nTime:       ${seconds(Date.now() - this.started)}`,
    );
    // The plain closing line CI reads in any language: "N passed, N failed" (", N skipped").
    this.write(`tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed${results.numPendingTests ? `, ${results.numPendingTests} skipped` : ""}`);
  }

  getLastError() {
    return this.failed ? new Error("some tests failed") : undefined;
  }
}

module.exports = ProgressReporter;
