import { schemaProblems } from "../support/schema-conformance";
import { configured, synthConfig, synthEnvironment } from "../support/synth";

describe("synthesized stacks conform to the pinned Auth0 provider schema", () => {
  test.each(configured().map((env) => [env.name, env] as const))("environment %s", (_name, env) => {
    expect(schemaProblems(synthEnvironment(env).tf)).toEqual([]);
  });

  test("additive binding and extra actions", () => {
    expect(schemaProblems(synthConfig({ name: "qa", tenant: "qa", binding: "additive" }).tf)).toEqual([]);
    const extra = { id: "11111111-2222-4333-8444-555555555555", displayName: "Audit" };
    expect(schemaProblems(synthConfig({ name: "qa", tenant: "qa", extraPostLoginActions: [extra] }).tf)).toEqual([]);
  });
});

describe("the conformance check catches what bindings let through", () => {
  const base = () => JSON.parse(JSON.stringify(synthEnvironment(configured()[0]).tf));

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
    const secret = tf.resource.auth0_action.linking_action.secrets[0];
    secret.values = secret.value;
    delete secret.value;
    expect(schemaProblems(tf).sort()).toEqual([
      "resource.auth0_action.linking_action.secrets[0].value: is required",
      "resource.auth0_action.linking_action.secrets[0].values: is not an attribute or block of this type",
      "resource.auth0_action.linking_action.version_id: is read-only (computed)",
    ]);
  });

  test("a resource type outside the pinned subset", () => {
    const tf = base();
    tf.resource.auth0_rule = { legacy: { name: "x", script: "y" } };
    expect(schemaProblems(tf)).toEqual(["resource.auth0_rule: is not in the pinned schema (add it to scripts/pin-schema.js)"]);
  });
});
