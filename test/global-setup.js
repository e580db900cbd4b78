// Every temporary file of a test run (plans naming people, keys, synth output, cdktf's own outdirs,
// child processes') goes into one directory that the run removes at the end: TMPDIR is what
// os.tmpdir() reads, in this process, in jest's workers and in every child they start.
const fs = require("fs");
const os = require("os");
const path = require("path");

module.exports = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-tests-"));
  process.env.LINKING_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};
