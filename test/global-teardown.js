// Removes the run's temporary directory (see global-setup.js), whatever the tests left in it.
const fs = require("fs");

module.exports = async () => {
  const dir = process.env.LINKING_TEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
