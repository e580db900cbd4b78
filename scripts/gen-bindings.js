#!/usr/bin/env node
// Generates the TypeScript bindings for the Auth0 provider from the pinned schema
// (schema/auth0.json), once per CDK engine in stacks/engines.json, each with that engine's own
// generator (the one its `get` command uses): cdktf's into .gen/, CDK Terrain's into .gen-cdktn/.
// Offline: no registry, no terraform init. Runs on `npm install` and `npm run gen`.
"use strict";
process.env.CHECKPOINT_DISABLE = "1";
// A TF_CLI_CONFIG_FILE that points nowhere only makes terraform print warnings.
if (process.env.TF_CLI_CONFIG_FILE && !require("fs").existsSync(process.env.TF_CLI_CONFIG_FILE)) delete process.env.TF_CLI_CONFIG_FILE;
const fs = require("fs");
const path = require("path");
const table = require("../stacks/engines.json");

const ROOT = path.join(__dirname, "..");
const SCHEMA = path.join(ROOT, "schema", "auth0.json");
// The constraint only names the provider for the generator; the exact version
// written to required_providers comes from the schema's provider_versions.
const CONSTRAINT = "auth0/auth0@1.55.0";

/** Generates one engine's bindings (default: the default engine's, into its folder). */
async function generate(schemaPath = SCHEMA, outDir, engineName = table.default) {
  const spec = table.engines[engineName];
  if (!spec) throw new Error(`no engine "${engineName}" in stacks/engines.json`);
  const out = outDir || path.join(ROOT, spec.bindings);
  const { TerraformProviderGenerator, CodeMaker } = require(spec.generator);
  const { TerraformProviderConstraint, ConstructsMakerProviderTarget, Language } = require(spec.commons);
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
  const code = new CodeMaker();
  const generator = new TerraformProviderGenerator(code, schema);
  generator.generate(
    new ConstructsMakerProviderTarget(new TerraformProviderConstraint(CONSTRAINT), Language.TYPESCRIPT),
  );
  fs.rmSync(path.join(out, "providers", "auth0"), { recursive: true, force: true });
  await code.save(out);
  return out;
}

const nodeAtLeast = (minimum) => {
  const [a, b] = [process.versions.node, minimum].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};

async function main() {
  for (const [name, spec] of Object.entries(table.engines)) {
    const started = process.hrtime.bigint();
    try {
      await generate(SCHEMA, undefined, name);
    } catch (err) {
      // The default engine's bindings are required; another engine's only for LINKING_ENGINE=<it>,
      // which refuses a Node below its minimum anyway: there a failure is a warning, not a failed install.
      if (name === table.default || nodeAtLeast(spec.node)) throw err;
      console.warn(`warning: no ${spec.title} bindings (${spec.bindings}/) on Node ${process.versions.node}: ${err && err.message ? err.message : err}`);
      continue;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`auth0 provider bindings generated in ${spec.bindings}/ by ${spec.generator} (${ms.toFixed(0)} ms)`);
  }
}

module.exports = { generate };

if (require.main === module) {
  main().catch((err) => {
    console.error(`binding generation failed: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  });
}
