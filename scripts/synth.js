#!/usr/bin/env node
// npm run synth [-- --help]: writes cdktf.out/stacks/auth0-<env>/cdk.tf.json for every configured environment
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

const SYNTH = {
  name: "synth",
  usage: ["[options]"],
  about:
    "Synthesizes every environment of stacks/environments.ts (or those in LINKING_ENVIRONMENTS=dev,prod) into cdktf.out/stacks/auth0-<name>/cdk.tf.json, offline: validates the configuration, bundles the Actions and writes the Terraform JSON. A mistake is printed as error: lines, exit 1, nothing written.",
  options: [{ name: "app", about: "Quiet mode for cdktf.json (cdktf synth|diff|deploy run this file): no summary line, CDKTF_OUTDIR respected." }],
  examples: ["npm run synth", "LINKING_ENVIRONMENTS=dev npm run synth", "LINKING_OUTDIR=/tmp/synth npm run synth"],
  notes: ["Environment: LINKING_ENVIRONMENTS (comma-separated names), LINKING_OUTDIR (instead of cdktf.out)."],
};

function main() {
  require("./lib/register-typescript.js");
  const { flags } = require(path.join(ROOT, "scripts", "lib", "command-line.ts")).readCommandLine(process.argv.slice(2), SYNTH);
  const appMode = flags.has("app");
  let app;
  try {
    app = require(path.join(ROOT, "main.ts"));
  } catch (err) {
    // A syntax error in stacks/environments.ts (or any source): one line, file:line:column and what was expected.
    const { loadFailure } = require(path.join(ROOT, "scripts", "lib", "environments-file.ts"));
    console.error(`error: ${loadFailure(err, require.resolve(path.join(ROOT, "stacks", "environments")))}`);
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
