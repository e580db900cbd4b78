#!/usr/bin/env node
// Generates the TypeScript bindings for the Auth0 provider into .gen/ from the
// pinned schema (schema/auth0.json), with the same generator `cdktf get` uses.
// Offline: no registry, no terraform init. Runs on `npm install` and `npm run gen`.
"use strict";
process.env.CHECKPOINT_DISABLE = "1";
// A TF_CLI_CONFIG_FILE that points nowhere only makes terraform print warnings.
if (process.env.TF_CLI_CONFIG_FILE && !require("fs").existsSync(process.env.TF_CLI_CONFIG_FILE)) delete process.env.TF_CLI_CONFIG_FILE;
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const SCHEMA = path.join(ROOT, "schema", "auth0.json");
const OUT = path.join(ROOT, ".gen");
// The constraint only names the provider for the generator; the exact version
// written to required_providers comes from the schema's provider_versions.
const CONSTRAINT = "auth0/auth0@1.55.0";

async function generate(schemaPath = SCHEMA, outDir = OUT) {
  const { TerraformProviderGenerator, CodeMaker } = require("@cdktf/provider-generator");
  const { TerraformProviderConstraint, ConstructsMakerProviderTarget, Language } = require("@cdktf/commons");
  const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
  const code = new CodeMaker();
  const generator = new TerraformProviderGenerator(code, schema);
  generator.generate(
    new ConstructsMakerProviderTarget(new TerraformProviderConstraint(CONSTRAINT), Language.TYPESCRIPT),
  );
  fs.rmSync(path.join(outDir, "providers", "auth0"), { recursive: true, force: true });
  await code.save(outDir);
}

module.exports = { generate };

if (require.main === module) {
  const started = process.hrtime.bigint();
  generate()
    .then(() => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(`auth0 provider bindings generated in .gen/ (${ms.toFixed(0)} ms)`);
    })
    .catch((err) => {
      console.error(`binding generation failed: ${err && err.stack ? err.stack : err}`);
      process.exit(1);
    });
}
