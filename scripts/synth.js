#!/usr/bin/env node
// npm run synth: writes cdktf.out/stacks/auth0-<env>/cdk.tf.json for every configured environment
// (LINKING_ENVIRONMENTS=dev,prod for some), offline and quickly. It runs main.ts in this process:
// TypeScript is stripped by esbuild per file (no type-check here: `npm test` type-checks the
// project; the Action's own type-check runs at bundling, cached per source), and no cdktf CLI
// starts. A configuration or build error is printed once, as `error:` lines, exit 1.
// cdktf.json points `cdktf synth|diff|deploy` here too (--app mode: quiet, CDKTF_OUTDIR respected).
// LINKING_ENGINE=cdktn synthesizes with CDK Terrain instead of cdktf (stacks/engine.ts picks it at
// load; an unknown engine, or one this Node cannot run, is an `error:` line too).
"use strict";
const fs = require("fs");
const path = require("path");

// Offline means offline: no HashiCorp checkpoint calls from cdktf or terraform.
process.env.CHECKPOINT_DISABLE = "1";
// A TF_CLI_CONFIG_FILE that points nowhere only makes terraform print warnings.
if (process.env.TF_CLI_CONFIG_FILE && !fs.existsSync(process.env.TF_CLI_CONFIG_FILE)) delete process.env.TF_CLI_CONFIG_FILE;

const ROOT = path.join(__dirname, "..");
const started = process.hrtime.bigint();

/** Loads .ts files through esbuild's transform, with the project's compiler settings. */
function registerTypeScript() {
  const { transformSync } = require("esbuild");
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
  const tsconfigRaw = { compilerOptions: { target: tsconfig.compilerOptions.target, experimentalDecorators: tsconfig.compilerOptions.experimentalDecorators } };
  require.extensions[".ts"] = (module, filename) => {
    const source = fs.readFileSync(filename, "utf8");
    const { code } = transformSync(source, { loader: "ts", format: "cjs", target: "node20", sourcefile: filename, sourcemap: "inline", tsconfigRaw });
    module._compile(code, filename);
  };
}

function main() {
  const appMode = process.argv.includes("--app");
  registerTypeScript();
  let app;
  try {
    app = require(path.join(ROOT, "main.ts"));
  } catch (err) {
    // A syntax error in stacks/environments.ts (or any source): esbuild names file, line and column.
    console.error(`error: ${String(err && err.message ? err.message : err).trim()}`);
    process.exit(1);
  }
  const outdir = process.env.CDKTF_OUTDIR || path.resolve(ROOT, process.env.LINKING_OUTDIR || "cdktf.out");
  let stacks;
  try {
    stacks = app.synthesize(outdir);
  } catch (err) {
    console.error(app.synthErrorLines(err).join("\n"));
    process.exit(1);
  }
  if (!appMode) {
    const seconds = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
    const shown = path.relative(process.cwd(), path.join(outdir, "stacks")) || outdir;
    // The default engine goes unsaid; another is named, so a log shows which one wrote the stacks.
    const by = app.engine.name === app.DEFAULT_ENGINE ? "" : ` with ${app.engine.library} ${app.engine.version}`;
    console.log(`synthesized ${stacks.join(", ")}${by} into ${shown}/ in ${seconds} s`);
  }
}

main();
