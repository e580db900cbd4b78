// Jest's TypeScript transform: types stripped by esbuild, file by file (as scripts/lib/register-typescript.js
// does for the commands). Types are checked once, by `tsc --noEmit` in `npm test`; loading the
// TypeScript compiler into every jest worker only to strip them cost seconds per worker.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { transformSync, version } = require("esbuild");

const tsconfig = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "tsconfig.json"), "utf8"));
const tsconfigRaw = { compilerOptions: { target: tsconfig.compilerOptions.target, experimentalDecorators: tsconfig.compilerOptions.experimentalDecorators } };
const self = fs.readFileSync(__filename, "utf8");

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { loader: "ts", format: "cjs", target: "node20", sourcefile: filename, sourcemap: "external", sourcesContent: false, tsconfigRaw });
    return { code, map };
  },
  getCacheKey(source, filename) {
    return crypto.createHash("sha256").update(self).update(version).update(JSON.stringify(tsconfigRaw)).update(filename).update("\0").update(source).digest("hex");
  },
};
