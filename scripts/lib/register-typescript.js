// Loads .ts files by stripping their types with esbuild, one file at a time, with the project's
// compiler settings: what `node -r ./scripts/lib/register-typescript.js scripts/<command>.ts`
// (npm run <command>), scripts/synth.js and the tests' child processes use. No type-check here
// (`npm test` runs tsc); about five times cheaper to start than ts-node, which loads the whole
// TypeScript compiler into every process.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..", "..");

function register() {
  if (require.extensions[".ts"] && require.extensions[".ts"].registeredBy === __filename) return;
  const { transformSync } = require("esbuild");
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
  const tsconfigRaw = { compilerOptions: { target: tsconfig.compilerOptions.target, experimentalDecorators: tsconfig.compilerOptions.experimentalDecorators } };
  const load = (module, filename) => {
    const source = fs.readFileSync(filename, "utf8");
    const { code } = transformSync(source, { loader: "ts", format: "cjs", target: "node20", sourcefile: filename, sourcemap: "inline", tsconfigRaw });
    module._compile(code, filename);
  };
  load.registeredBy = __filename;
  require.extensions[".ts"] = load;
}

register();
module.exports = { register };
