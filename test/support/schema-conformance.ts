// Checks synthesized Terraform JSON against the pinned provider schema, the way
// `terraform validate` would for structure: unknown attributes or blocks, read-only
// attributes set, required ones missing, wrong nesting. Bindings let some typos through
// (escape hatches, overrides); this does not.
import * as fs from "fs";
import * as path from "path";

interface SchemaAttribute {
  type: unknown;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
}
interface SchemaBlock {
  attributes?: Record<string, SchemaAttribute>;
  block_types?: Record<string, { nesting_mode: "single" | "list" | "set" | "map" | "group"; min_items?: number; max_items?: number; block: SchemaBlock }>;
}

const PROVIDER = "registry.terraform.io/auth0/auth0";
const META_ARGUMENTS = new Set(["//", "depends_on", "count", "for_each", "provider", "lifecycle", "provisioner", "connection"]);

export function loadPinnedSchema(file = path.join(__dirname, "..", "..", "schema", "auth0.json")) {
  const schema = JSON.parse(fs.readFileSync(file, "utf8"));
  return schema.provider_schemas[PROVIDER] as {
    provider: { block: SchemaBlock };
    resource_schemas: Record<string, { block: SchemaBlock }>;
    data_source_schemas: Record<string, { block: SchemaBlock }>;
  };
}

function checkBlock(value: unknown, block: SchemaBlock, at: string, problems: string[], topLevel: boolean): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    problems.push(`${at}: must be an object`);
    return;
  }
  const body = value as Record<string, unknown>;
  const attributes = block.attributes ?? {};
  const blocks = block.block_types ?? {};
  for (const [key, v] of Object.entries(body)) {
    if (topLevel && META_ARGUMENTS.has(key)) continue;
    const attribute = attributes[key];
    const nested = blocks[key];
    if (attribute) {
      if (attribute.computed && !attribute.optional && !attribute.required) problems.push(`${at}.${key}: is read-only (computed)`);
    } else if (nested) {
      const items = Array.isArray(v) ? v : [v];
      if (nested.nesting_mode === "single" && Array.isArray(v)) problems.push(`${at}.${key}: is a single block, not a list`);
      if (nested.nesting_mode !== "single" && !Array.isArray(v) && nested.max_items !== 1) {
        problems.push(`${at}.${key}: is a ${nested.nesting_mode} of blocks, must be a list`);
      }
      if (nested.min_items !== undefined && items.length < nested.min_items) problems.push(`${at}.${key}: needs at least ${nested.min_items} block(s)`);
      if (nested.max_items !== undefined && items.length > nested.max_items) problems.push(`${at}.${key}: allows at most ${nested.max_items} block(s)`);
      items.forEach((item, i) => checkBlock(item, nested.block, `${at}.${key}[${i}]`, problems, false));
    } else {
      problems.push(`${at}.${key}: is not an attribute or block of this type`);
    }
  }
  for (const [key, attribute] of Object.entries(attributes)) {
    if (attribute.required && !(key in body)) problems.push(`${at}.${key}: is required`);
  }
  for (const [key, nested] of Object.entries(blocks)) {
    if ((nested.min_items ?? 0) > 0 && !(key in body)) problems.push(`${at}.${key}: is a required block`);
  }
}

/** Every problem found in a synthesized stack; empty when it conforms. */
export function schemaProblems(tf: { resource?: Record<string, Record<string, unknown>>; data?: Record<string, Record<string, unknown>>; provider?: Record<string, unknown[]> }): string[] {
  const schema = loadPinnedSchema();
  const problems: string[] = [];
  for (const [kind, types, schemas] of [
    ["resource", tf.resource ?? {}, schema.resource_schemas],
    ["data", tf.data ?? {}, schema.data_source_schemas],
  ] as const) {
    for (const [type, byName] of Object.entries(types)) {
      const typeSchema = schemas[type];
      if (!typeSchema) {
        problems.push(`${kind}.${type}: is not in the pinned schema (add it to scripts/pin-schema.js)`);
        continue;
      }
      for (const [name, body] of Object.entries(byName)) checkBlock(body, typeSchema.block, `${kind}.${type}.${name}`, problems, true);
    }
  }
  for (const [name, configs] of Object.entries(tf.provider ?? {})) {
    if (name !== "auth0") problems.push(`provider.${name}: unexpected provider`);
    else configs.forEach((config, i) => checkBlock(config, schema.provider.block, `provider.auth0[${i}]`, problems, true));
  }
  return problems;
}
