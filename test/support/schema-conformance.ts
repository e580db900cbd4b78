// Checks synthesized Terraform JSON against the pinned provider schemas (schema/auth0.json and
// schema/random.json), the way `terraform validate` would for structure: unknown attributes or
// blocks, read-only attributes set, required ones missing, wrong nesting, ephemeral values outside
// write-only attributes. Bindings let some typos through (escape hatches, overrides); this does
// not. No networked `terraform validate` runs here (no provider can be downloaded): the first real
// plan in CI is where the pinned schemas meet the real providers.
import * as fs from "fs";
import * as path from "path";

interface SchemaAttribute {
  type: unknown;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  write_only?: boolean;
}
interface SchemaBlock {
  attributes?: Record<string, SchemaAttribute>;
  block_types?: Record<string, { nesting_mode: "single" | "list" | "set" | "map" | "group"; min_items?: number; max_items?: number; block: SchemaBlock }>;
}
type Schemas = Record<string, { block: SchemaBlock }>;

const AUTH0 = "registry.terraform.io/auth0/auth0";
const RANDOM = "registry.terraform.io/hashicorp/random";
const META_ARGUMENTS = new Set(["//", "depends_on", "count", "for_each", "provider", "lifecycle", "provisioner", "connection"]);
const SCHEMA_DIR = path.join(__dirname, "..", "..", "schema");

export function loadPinnedSchema(file = path.join(SCHEMA_DIR, "auth0.json")) {
  const schema = JSON.parse(fs.readFileSync(file, "utf8"));
  return schema.provider_schemas[AUTH0] as { provider: { block: SchemaBlock }; resource_schemas: Schemas; data_source_schemas: Schemas };
}

export function loadRandomSchema(file = path.join(SCHEMA_DIR, "random.json")) {
  const schema = JSON.parse(fs.readFileSync(file, "utf8"));
  return schema.provider_schemas[RANDOM] as { provider: { block: SchemaBlock }; ephemeral_resource_schemas: Schemas };
}

export function pinnedVersions(): Record<string, string> {
  const read = (name: string) => JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, name), "utf8")).provider_versions as Record<string, string>;
  return { auth0: read("auth0.json")[AUTH0], random: read("random.json")[RANDOM] };
}

/** Every `<address>.<attribute>` a string refers to, outside escaped `$${`. */
export function references(value: string): string[] {
  const found: string[] = [];
  const text = value.replace(/\$\$\{|%%\{/g, "");
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    for (const r of m[1].matchAll(/\b((?:data\.|ephemeral\.)?[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)/g)) found.push(r[1]);
  }
  return found;
}

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

type Visit = (at: string, attribute: SchemaAttribute, value: unknown) => void;

function checkBlock(value: unknown, block: SchemaBlock, at: string, problems: string[], topLevel: boolean, visit: Visit): void {
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
      visit(`${at}.${key}`, attribute, v);
    } else if (nested) {
      const items = Array.isArray(v) ? v : [v];
      if (nested.nesting_mode === "single" && Array.isArray(v)) problems.push(`${at}.${key}: is a single block, not a list`);
      if (nested.nesting_mode !== "single" && !Array.isArray(v) && nested.max_items !== 1) {
        problems.push(`${at}.${key}: is a ${nested.nesting_mode} of blocks, must be a list`);
      }
      if (nested.min_items !== undefined && items.length < nested.min_items) problems.push(`${at}.${key}: needs at least ${nested.min_items} block(s)`);
      if (nested.max_items !== undefined && items.length > nested.max_items) problems.push(`${at}.${key}: allows at most ${nested.max_items} block(s)`);
      items.forEach((item, i) => checkBlock(item, nested.block, `${at}.${key}[${i}]`, problems, false, visit));
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

type Tf = {
  resource?: Record<string, Record<string, unknown>>;
  data?: Record<string, Record<string, unknown>>;
  ephemeral?: Record<string, Record<string, unknown>>;
  provider?: Record<string, unknown[]>;
  terraform?: Record<string, any>;
};

function walk(tf: Tf, problems: string[], visit: Visit): void {
  const auth0 = loadPinnedSchema();
  const random = loadRandomSchema();
  for (const [kind, types, schemas] of [
    ["resource", tf.resource ?? {}, auth0.resource_schemas],
    ["data", tf.data ?? {}, auth0.data_source_schemas],
    ["ephemeral", tf.ephemeral ?? {}, random.ephemeral_resource_schemas],
  ] as const) {
    for (const [type, byName] of Object.entries(types)) {
      const typeSchema = schemas[type];
      if (!typeSchema) {
        problems.push(`${kind}.${type}: is not in the pinned schema (add it to scripts/pin-schema.js)`);
        continue;
      }
      for (const [name, body] of Object.entries(byName)) checkBlock(body, typeSchema.block, `${kind}.${type}.${name}`, problems, true, visit);
    }
  }
  for (const [name, configs] of Object.entries(tf.provider ?? {})) {
    const block = name === "auth0" ? auth0.provider.block : name === "random" ? random.provider.block : undefined;
    if (!block) problems.push(`provider.${name}: unexpected provider`);
    else configs.forEach((config, i) => checkBlock(config, block, `provider.${name}[${i}]`, problems, true, visit));
  }
}

/** Every problem found in a synthesized stack; empty when it conforms. */
export function schemaProblems(tf: Tf): string[] {
  const problems: string[] = [];
  walk(tf, problems, (at, attribute, value) => {
    // Terraform accepts an ephemeral value only in a write-only attribute (or another ephemeral block).
    if (!attribute.write_only && !at.startsWith("ephemeral.") && strings(value).some((s) => references(s).some((r) => r.startsWith("ephemeral.")))) {
      problems.push(`${at}: is not write-only, so it cannot take an ephemeral value`);
    }
  });
  const versions = pinnedVersions();
  const required = (tf.terraform?.required_providers ?? {}) as Record<string, { source?: string; version?: string }>;
  if (tf.ephemeral?.random_password && required.random?.version !== versions.random) {
    problems.push(`terraform.required_providers.random: must pin exactly ${versions.random} (schema/random.json), got ${JSON.stringify(required.random?.version)}`);
  }
  return problems;
}

/** The schema attribute of `<type>.<name>.<attribute>` (top level only), for sensitivity. */
function sourceAttribute(reference: string): SchemaAttribute | undefined {
  const auth0 = loadPinnedSchema();
  const random = loadRandomSchema();
  const parts = reference.split(".");
  if (parts[0] === "data") return auth0.data_source_schemas[parts[1]]?.block.attributes?.[parts[3]];
  if (parts[0] === "ephemeral") return random.ephemeral_resource_schemas[parts[1]]?.block.attributes?.[parts[3]];
  return auth0.resource_schemas[parts[0]]?.block.attributes?.[parts[2]];
}

/**
 * Secrets must never pass through state: an attribute the schema marks sensitive may be fed only
 * from an ephemeral value, and only into a write-only attribute; and no attribute may read another
 * resource's sensitive attribute (that copies the secret into this resource's state).
 */
export function sensitiveFlowProblems(tf: Tf): string[] {
  const problems: string[] = [];
  walk(tf, [], (at, attribute, value) => {
    for (const ref of strings(value).flatMap(references)) {
      const fromEphemeral = ref.startsWith("ephemeral.");
      if (attribute.sensitive && !fromEphemeral) problems.push(`${at}: is sensitive and is fed from ${ref}, which puts the secret in state`);
      if (attribute.sensitive && fromEphemeral && !attribute.write_only) problems.push(`${at}: is sensitive but not write-only, so ${ref} would land in state`);
      const source = sourceAttribute(ref);
      if (source?.sensitive && !(fromEphemeral && attribute.write_only)) problems.push(`${at}: reads the sensitive ${ref} into state`);
    }
  });
  for (const [name, output] of Object.entries((tf as { output?: Record<string, { value?: unknown }> }).output ?? {})) {
    for (const ref of strings(output.value).flatMap(references)) {
      if (sourceAttribute(ref)?.sensitive) problems.push(`output.${name}: exposes the sensitive ${ref}`);
    }
  }
  return problems;
}
