import { schemaProblems, sensitiveFlowProblems } from "../support/schema-conformance";
import { synthConfig } from "../support/synth";
import { DEV, PROD, STAGING } from "./fixtures";

describe("synthesized stacks conform to the pinned Auth0 and random provider schemas", () => {
  test.each([DEV, STAGING, PROD].map((c) => [c.name, c] as const))("fixture %s", (_name, config) => {
    const { tf } = synthConfig(config);
    expect(schemaProblems(tf)).toEqual([]);
    expect(sensitiveFlowProblems(tf)).toEqual([]);
  });

  test("additive binding and extra actions", () => {
    expect(schemaProblems(synthConfig({ name: "qa", tenant: "qa", binding: "additive" }).tf)).toEqual([]);
    const extra = { id: "11111111-2222-4333-8444-555555555555", displayName: "Audit" };
    expect(schemaProblems(synthConfig({ name: "qa", tenant: "qa", extraPostLoginActions: [extra] }).tf)).toEqual([]);
  });
});

describe("the conformance check catches what bindings let through", () => {
  const base = () => JSON.parse(JSON.stringify(synthConfig(DEV).tf));

  test("an unknown attribute (typo through an override)", () => {
    const tf = base();
    tf.resource.auth0_client_grant.linking_client_grant.scope = ["read:users"];
    expect(schemaProblems(tf)).toEqual(["resource.auth0_client_grant.linking_client_grant.scope: is not an attribute or block of this type"]);
  });

  test("a missing required attribute", () => {
    const tf = base();
    delete tf.resource.auth0_client_grant.linking_client_grant.audience;
    expect(schemaProblems(tf)).toEqual(["resource.auth0_client_grant.linking_client_grant.audience: is required"]);
  });

  test("wrong nesting and too many blocks", () => {
    const tf = base();
    tf.resource.auth0_action.linking_action.supported_triggers = [
      { id: "post-login", version: "v3" },
      { id: "credentials-exchange", version: "v2" },
    ];
    tf.resource.auth0_action.linking_action.timeouts = [{ create: "2m" }];
    expect(schemaProblems(tf)).toEqual([
      "resource.auth0_action.linking_action.supported_triggers: allows at most 1 block(s)",
      "resource.auth0_action.linking_action.timeouts: is a single block, not a list",
    ]);
  });

  test("a read-only attribute and an unknown nested attribute", () => {
    const tf = base();
    tf.resource.auth0_action.linking_action.version_id = "x";
    const secret = tf.resource.auth0_action.linking_action.secrets_wo[0];
    secret.values = secret.value;
    delete secret.value;
    expect(schemaProblems(tf).sort()).toEqual([
      "resource.auth0_action.linking_action.secrets_wo[0].value: is required",
      "resource.auth0_action.linking_action.secrets_wo[0].values: is not an attribute or block of this type",
      "resource.auth0_action.linking_action.version_id: is read-only (computed)",
    ]);
  });

  test("a resource type outside the pinned subset", () => {
    const tf = base();
    tf.resource.auth0_rule = { legacy: { name: "x", script: "y" } };
    expect(schemaProblems(tf)).toEqual(["resource.auth0_rule: is not in the pinned schema (add it to scripts/pin-schema.js)"]);
  });

  test("the ephemeral block: unknown or missing arguments, read-only result, unpinned provider", () => {
    const tf = base();
    tf.ephemeral.random_password.linking_client_secret = { special: false, keepers: { a: "b" }, result: "x" };
    tf.terraform.required_providers.random.version = ">= 3.7.1";
    expect(schemaProblems(tf).sort()).toEqual([
      "ephemeral.random_password.linking_client_secret.keepers: is not an attribute or block of this type",
      "ephemeral.random_password.linking_client_secret.length: is required",
      "ephemeral.random_password.linking_client_secret.result: is read-only (computed)",
      'terraform.required_providers.random: must pin exactly 3.7.2 (schema/random.json), got ">= 3.7.1"',
    ]);
  });

  test("an ephemeral value in an attribute that is not write-only", () => {
    const tf = base();
    tf.resource.auth0_client.linking_client.description = "${ephemeral.random_password.linking_client_secret.result}";
    expect(schemaProblems(tf)).toEqual(["resource.auth0_client.linking_client.description: is not write-only, so it cannot take an ephemeral value"]);
  });
});

describe("no sensitive value passes through state", () => {
  const base = () => JSON.parse(JSON.stringify(synthConfig(DEV).tf));

  test("a sensitive attribute fed from another resource's attribute fails", () => {
    const tf = base();
    // The old wiring: the application's secret read back and handed on.
    tf.resource.auth0_action.linking_action.secrets_wo[0].value = "${auth0_client_credentials.linking_client_secret_wo.client_secret}";
    expect(sensitiveFlowProblems(tf)).toEqual([
      "resource.auth0_action.linking_action.secrets_wo[0].value: is sensitive and is fed from auth0_client_credentials.linking_client_secret_wo.client_secret, which puts the secret in state",
      "resource.auth0_action.linking_action.secrets_wo[0].value: reads the sensitive auth0_client_credentials.linking_client_secret_wo.client_secret into state",
    ]);
  });

  test("a sensitive attribute fed even from a harmless attribute fails (its value would be state's)", () => {
    const tf = base();
    tf.resource.auth0_client_credentials.linking_client_secret_wo.client_secret_wo = "${auth0_client.linking_client.client_id}";
    expect(sensitiveFlowProblems(tf)).toEqual([
      "resource.auth0_client_credentials.linking_client_secret_wo.client_secret_wo: is sensitive and is fed from auth0_client.linking_client.client_id, which puts the secret in state",
    ]);
  });

  test("a sensitive attribute read into a plain attribute or an output fails", () => {
    const tf = base();
    tf.resource.auth0_client.linking_client.description = "${auth0_client_credentials.linking_client_secret_wo.client_secret}";
    tf.output.leak = { value: "${ephemeral.random_password.linking_client_secret.result}" };
    expect(sensitiveFlowProblems(tf)).toEqual([
      "resource.auth0_client.linking_client.description: reads the sensitive auth0_client_credentials.linking_client_secret_wo.client_secret into state",
      "output.leak: exposes the sensitive ephemeral.random_password.linking_client_secret.result",
    ]);
  });
});

describe("schema/random.json, pinned by scripts/pin-schema.js --random", () => {
  const { pinRandomSchema } = require("../../scripts/pin-schema.js") as { pinRandomSchema: (dump: unknown, version: string) => unknown };
  const pinned = JSON.parse(require("fs").readFileSync(require("path").join(__dirname, "..", "..", "schema", "random.json"), "utf8"));

  test("is what the pinning makes of a dump: descriptions stripped, only random_password, the exact version", () => {
    // A dump as `terraform providers schema -json` writes it: prose everywhere, other types around.
    const withProse = (node: any): any =>
      Array.isArray(node) || node === null || typeof node !== "object"
        ? node
        : Object.fromEntries([...Object.entries(node).map(([k, v]) => [k, withProse(v)]), ...(node.type || node.attributes ? [["description", "prose"], ["description_kind", "plain"]] : [])]);
    const provider = pinned.provider_schemas["registry.terraform.io/hashicorp/random"];
    const dump = {
      format_version: "1.0",
      provider_schemas: {
        "registry.terraform.io/hashicorp/random": {
          provider: provider.provider,
          resource_schemas: { random_password: { version: 3, block: { attributes: { result: { type: "string", computed: true } } } } },
          ephemeral_resource_schemas: { ...withProse(provider.ephemeral_resource_schemas), random_bytes: { version: 0, block: {} } },
        },
      },
    };
    expect(JSON.stringify(pinRandomSchema(dump, "3.7.2"), null, 2)).toBe(JSON.stringify(pinned, null, 2));
    expect(() => pinRandomSchema(dump, "~> 3.7")).toThrow('version must be exact (X.Y.Z), got "~> 3.7"');
  });

  test("marks the password's result sensitive and computed, so only write-only attributes may take it", () => {
    const attributes = pinned.provider_schemas["registry.terraform.io/hashicorp/random"].ephemeral_resource_schemas.random_password.block.attributes;
    expect(attributes.result).toEqual({ computed: true, sensitive: true, type: "string" });
    expect(attributes.length).toEqual({ required: true, type: "number" });
  });
});
