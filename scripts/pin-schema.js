#!/usr/bin/env node
// Maintainer tool: reduce a full `terraform providers schema -json` dump to the
// resource, data-source and ephemeral types this project uses, drop every description
// (the provider's prose), and record the exact provider version.
//
//   node scripts/pin-schema.js <full-dump.json> <version> [out=schema/auth0.json]
//   node scripts/pin-schema.js --random <full-dump.json> <version> [out=schema/random.json]
"use strict";
const fs = require("fs");
const path = require("path");

const PROVIDER = "registry.terraform.io/auth0/auth0";
const RANDOM_PROVIDER = "registry.terraform.io/hashicorp/random";
const RESOURCES = [
  "auth0_action",
  "auth0_client",
  "auth0_client_credentials",
  "auth0_client_grant",
  "auth0_connection",
  "auth0_connection_clients",
  "auth0_form",
  "auth0_trigger_action",
  "auth0_trigger_actions",
];
const DATA_SOURCES = ["auth0_tenant"];
// hashicorp/random: only the ephemeral password that becomes the Action's client secret.
const RANDOM_EPHEMERAL = ["random_password"];
const PROSE = new Set(["description", "description_kind", "deprecated"]);

// Walks the schema's own structure, so an attribute that happens to be called
// "description" (auth0_client has one) is kept while the prose about it goes.
function withoutProse(node) {
  const out = {};
  for (const key of Object.keys(node).sort()) if (!PROSE.has(key)) out[key] = node[key];
  return out;
}

function stripBlock(block) {
  const out = withoutProse(block);
  if (block.attributes) {
    out.attributes = {};
    for (const name of Object.keys(block.attributes).sort()) out.attributes[name] = withoutProse(block.attributes[name]);
  }
  if (block.block_types) {
    out.block_types = {};
    for (const name of Object.keys(block.block_types).sort()) {
      const nested = withoutProse(block.block_types[name]);
      nested.block = stripBlock(block.block_types[name].block);
      out.block_types[name] = nested;
    }
  }
  return out;
}

function stripProse(schema) {
  const out = withoutProse(schema);
  out.block = stripBlock(schema.block);
  return out;
}

function pick(all, names, kind) {
  const out = {};
  for (const name of names) {
    if (!all || !all[name]) throw new Error(`${kind} ${name} is not in the schema dump`);
    out[name] = stripProse(all[name]);
  }
  return out;
}

function pinSchema(dump, version) {
  const provider = dump.provider_schemas && dump.provider_schemas[PROVIDER];
  if (!provider) throw new Error(`the dump has no provider_schemas["${PROVIDER}"]`);
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`version must be exact (X.Y.Z), got "${version}"`);
  return {
    format_version: dump.format_version,
    provider_schemas: {
      [PROVIDER]: {
        provider: stripProse(provider.provider),
        resource_schemas: pick(provider.resource_schemas, RESOURCES, "resource"),
        data_source_schemas: pick(provider.data_source_schemas, DATA_SOURCES, "data source"),
      },
    },
    provider_versions: { [PROVIDER]: version },
  };
}

/** The random provider's subset: its (empty) provider block and the ephemeral random_password. */
function pinRandomSchema(dump, version) {
  const provider = dump.provider_schemas && dump.provider_schemas[RANDOM_PROVIDER];
  if (!provider) throw new Error(`the dump has no provider_schemas["${RANDOM_PROVIDER}"]`);
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`version must be exact (X.Y.Z), got "${version}"`);
  return {
    format_version: dump.format_version,
    provider_schemas: {
      [RANDOM_PROVIDER]: {
        provider: stripProse(provider.provider),
        ephemeral_resource_schemas: pick(provider.ephemeral_resource_schemas, RANDOM_EPHEMERAL, "ephemeral resource"),
      },
    },
    provider_versions: { [RANDOM_PROVIDER]: version },
  };
}

module.exports = { pinSchema, pinRandomSchema, PROVIDER, RANDOM_PROVIDER, RESOURCES, DATA_SOURCES, RANDOM_EPHEMERAL };

if (require.main === module) {
  const args = process.argv.slice(2);
  const random = args[0] === "--random";
  if (random) args.shift();
  const [input, version, out = path.join(__dirname, "..", "schema", random ? "random.json" : "auth0.json")] = args;
  if (!input || !version) {
    console.error("usage: node scripts/pin-schema.js [--random] <terraform-providers-schema.json> <X.Y.Z> [out]");
    process.exit(2);
  }
  const dump = JSON.parse(fs.readFileSync(input, "utf8"));
  const pinned = random ? pinRandomSchema(dump, version) : pinSchema(dump, version);
  fs.writeFileSync(out, JSON.stringify(pinned, null, 2) + "\n");
  console.log(
    random
      ? `wrote ${out}: ephemeral ${RANDOM_EPHEMERAL.join(", ")}, random ${version}`
      : `wrote ${out}: ${RESOURCES.length} resources, ${DATA_SOURCES.length} data sources, auth0 ${version}`,
  );
}
