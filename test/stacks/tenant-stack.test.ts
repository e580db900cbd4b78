import "cdktf/lib/testing/adapters/jest";
import { Action } from "../../.gen/providers/auth0/action";
import { Client } from "../../.gen/providers/auth0/client";
import { ClientCredentials } from "../../.gen/providers/auth0/client-credentials";
import { DataAuth0Tenant } from "../../.gen/providers/auth0/data-auth0-tenant";
import { Auth0Provider } from "../../.gen/providers/auth0/provider";
import { TriggerAction } from "../../.gen/providers/auth0/trigger-action";
import { TriggerActions } from "../../.gen/providers/auth0/trigger-actions";
import { serializePolicy } from "../../action-src/policy";
import { actionBundle } from "../../stacks/action-bundle";
import { configured, synthConfig, synthEnvironment } from "../support/synth";

const lock = require("../../package-lock.json");

describe.each(configured().map((env) => [env.name, env] as const))("environment %s", (_name, env) => {
  const { json, tf } = synthEnvironment(env);

  test("declares the auth0 provider with no arguments at all (credentials come from AUTH0_* at plan time)", () => {
    expect(json).toHaveProvider(Auth0Provider);
    expect(tf.provider.auth0).toEqual([{}]);
  });

  test("pins the provider to exactly 1.55.0", () => {
    expect(tf.terraform.required_providers.auth0).toEqual({ source: "auth0/auth0", version: "1.55.0" });
  });

  test("reads the tenant instead of hard-coding domain or audience", () => {
    expect(json).toHaveDataSource(DataAuth0Tenant);
    expect(json).not.toMatch(/\.auth0\.com/);
  });

  test("creates a client-credentials-only application named for the environment", () => {
    expect(json).toHaveResourceWithProperties(Client, {
      app_type: "non_interactive",
      grant_types: ["client_credentials"],
      name: `Account linking Action (${env.name})`,
    });
    expect(json).toHaveResourceWithProperties(ClientCredentials, {
      client_id: "${auth0_client.linking_client.client_id}",
      authentication_method: "client_secret_post",
    });
  });

  test("grants exactly read:users and update:users on the tenant's Management API", () => {
    const grants = Object.values(tf.resource.auth0_client_grant);
    expect(grants).toHaveLength(1);
    expect(grants[0]).toMatchObject({
      audience: "${data.auth0_tenant.tenant.management_api_identifier}",
      client_id: "${auth0_client.linking_client.client_id}",
      scopes: ["read:users", "update:users"],
    });
    expect(grants[0]).not.toHaveProperty("allow_all_scopes");
  });

  test("deploys the bundled Action on post-login v3, node22, with the locked auth0 version", () => {
    expect(json).toHaveResourceWithProperties(Action, {
      name: "Account linking",
      runtime: "node22",
      deploy: true,
      supported_triggers: { id: "post-login", version: "v3" },
      code: actionBundle().code,
      dependencies: [{ name: "auth0", version: lock.packages["node_modules/auth0"].version }],
    });
  });

  test("wires the Action's secrets by reference, plus the environment's policy", () => {
    const action = tf.resource.auth0_action.linking_action as { secrets: { name: string; value: string }[] };
    expect(action.secrets).toEqual([
      { name: "AUTH0_DOMAIN", value: "${data.auth0_tenant.tenant.domain}" },
      { name: "MANAGEMENT_AUDIENCE", value: "${data.auth0_tenant.tenant.management_api_identifier}" },
      { name: "CLIENT_ID", value: "${auth0_client.linking_client.client_id}" },
      { name: "CLIENT_SECRET", value: "${auth0_client_credentials.linking_client_credentials.client_secret}" },
      { name: "LINKING_POLICY", value: serializePolicy(env.policy) },
    ]);
  });

  test("binds the linking Action first on post-login, owning the trigger", () => {
    expect(json).toHaveResourceWithProperties(TriggerActions, {
      trigger: "post-login",
      actions: [{ id: "${auth0_action.linking_action.id}", display_name: "${auth0_action.linking_action.name}" }],
    });
    expect(json).not.toHaveResource(TriggerAction);
  });

  test("keeps stable logical ids for every resource", () => {
    const addresses = Object.entries(tf.resource).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
    expect(addresses.sort()).toEqual([
      "auth0_action.linking_action",
      "auth0_client.linking_client",
      "auth0_client_credentials.linking_client_credentials",
      "auth0_client_grant.linking_client_grant",
      "auth0_trigger_actions.post_login_binding",
    ]);
    expect(Object.keys(tf.data!.auth0_tenant)).toEqual(["tenant"]);
  });

  test("outputs ids operators need and nothing secret", () => {
    expect(tf.output).toEqual({
      linking_action_id: expect.objectContaining({ value: "${auth0_action.linking_action.id}" }),
      linking_action_version_id: expect.objectContaining({ value: "${auth0_action.linking_action.version_id}" }),
      linking_client_id: expect.objectContaining({ value: "${auth0_client.linking_client.client_id}" }),
    });
  });

  test("contains no secret material", () => {
    const withoutCode = json.replace(JSON.stringify(actionBundle().code).slice(1, -1), "");
    expect(withoutCode).not.toMatch(/client_secret"\s*:/); // only references such as ...client_secret}
    expect(withoutCode).not.toMatch(/eyJ[\w-]+\.[\w-]+/); // no JWTs
    for (const [name, value] of Object.entries(process.env)) {
      if (/SECRET|TOKEN|PASSWORD|PRIVATE_KEY/i.test(name) && value && value.length >= 8) expect(json).not.toContain(value);
    }
  });
});

describe("per-environment options", () => {
  test("owned binding runs the configured extra Actions after the linking Action, in order", () => {
    const { json } = synthConfig({
      name: "qa",
      tenant: "qa",
      extraPostLoginActions: [
        { id: "11111111-2222-4333-8444-555555555555", displayName: "Add roles" },
        { id: "66666666-7777-4888-8999-000000000000", displayName: "Audit" },
      ],
    });
    expect(json).toHaveResourceWithProperties(TriggerActions, {
      trigger: "post-login",
      actions: [
        { id: "${auth0_action.linking_action.id}", display_name: "${auth0_action.linking_action.name}" },
        { id: "11111111-2222-4333-8444-555555555555", display_name: "Add roles" },
        { id: "66666666-7777-4888-8999-000000000000", display_name: "Audit" },
      ],
    });
  });

  test("additive binding appends only the linking Action and does not own the trigger", () => {
    const { json } = synthConfig({ name: "qa", tenant: "qa", binding: "additive" });
    expect(json).toHaveResourceWithProperties(TriggerAction, {
      trigger: "post-login",
      action_id: "${auth0_action.linking_action.id}",
      display_name: "${auth0_action.linking_action.name}",
    });
    expect(json).not.toHaveResource(TriggerActions);
  });

  test("S3 backend gets a per-environment key, encryption and the native lockfile", () => {
    const { tf } = synthConfig({ name: "qa", tenant: "qa", backend: { type: "s3", bucket: "acme-tf-state", region: "eu-west-1" } });
    expect(tf.terraform.backend).toEqual({
      s3: { bucket: "acme-tf-state", region: "eu-west-1", key: "auth0-account-linking/qa/terraform.tfstate", encrypt: true, use_lockfile: true },
    });
  });

  test("S3 backend can assume a role", () => {
    const { tf } = synthConfig({
      name: "qa",
      tenant: "qa",
      backend: { type: "s3", bucket: "acme-tf-state", region: "eu-west-1", key: "auth0/qa.tfstate", roleArn: "arn:aws:iam::123456789012:role/tf-state" },
    });
    expect(tf.terraform.backend.s3).toMatchObject({ key: "auth0/qa.tfstate", assume_role: { role_arn: "arn:aws:iam::123456789012:role/tf-state" } });
  });

  test("Terraform Cloud backend uses one named workspace per environment", () => {
    const { tf } = synthConfig({ name: "qa", tenant: "qa", backend: { type: "cloud", organization: "acme", workspace: "auth0-qa" } });
    expect(tf.terraform.cloud).toEqual({ organization: "acme", workspaces: { name: "auth0-qa" } });
  });

  test("the policy secret carries the environment's policy", () => {
    const { tf } = synthConfig({ name: "qa", tenant: "qa", policy: { failClosed: true, connections: { "legacy-db": "excluded" } } });
    const secrets = (tf.resource.auth0_action.linking_action as { secrets: { name: string; value: string }[] }).secrets;
    expect(JSON.parse(secrets.find((s) => s.name === "LINKING_POLICY")!.value)).toEqual({
      reportOnly: false,
      failClosed: true,
      excludedConnections: ["legacy-db"],
      trustedEmailConnections: [],
      primaryConnectionOrder: [],
    });
  });
});
