import "cdktf/lib/testing/adapters/jest";
import { Action } from "../../.gen/providers/auth0/action";
import { ClientCredentials } from "../../.gen/providers/auth0/client-credentials";
import { DataAuth0Tenant } from "../../.gen/providers/auth0/data-auth0-tenant";
import { Auth0Provider } from "../../.gen/providers/auth0/provider";
import { TriggerAction } from "../../.gen/providers/auth0/trigger-action";
import { TriggerActions } from "../../.gen/providers/auth0/trigger-actions";
import { serializePolicy } from "../../action-src/policy";
import { actionBundle } from "../../stacks/action-bundle";
import { evaluateCodeTemplate, renderSettingsPrologue, splitCodeTemplate } from "../../stacks/action-settings";
import type { EnvironmentConfig } from "../../stacks/config";
import { synthConfig } from "../support/synth";
import { DEV, PROD, STAGING } from "./fixtures";
import { contractProblems, SECRET_REF } from "./stack-contract";
import { resolveEnvironments } from "../../stacks/config";

describe("authorization carry", () => {
  test("only an environment that carries gets the write scopes, and the stack contract holds for it", () => {
    const carry: EnvironmentConfig = { ...DEV, policy: { ...DEV.policy, authorization: "carry" } };
    const synthesized = synthConfig(carry);
    const scopes = (tf: typeof synthesized.tf) => (tf.resource.auth0_client_grant.linking_client_grant as { scopes: string[] }).scopes;
    expect(contractProblems(resolveEnvironments([carry])[0], synthesized.tf, synthesized.json)).toEqual([]);
    expect(scopes(synthesized.tf)).toEqual(expect.arrayContaining(["create:role_members", "create:organization_members", "create:organization_member_roles"]));
    expect(scopes(synthConfig(DEV).tf).filter((s) => s.startsWith("create:"))).toEqual([]);
  });
});

describe.each([DEV, STAGING, PROD].map((c) => [c.name, c] as const))("fixture environment %s", (_name, config) => {
  const env = resolveEnvironments([config])[0];
  const { json, tf } = synthConfig(config);
  const action = tf.resource.auth0_action.linking_action as Record<string, any>;

  test("meets the stack contract", () => {
    expect(contractProblems(env, tf, json)).toEqual([]);
  });

  test("declares the auth0 provider with no arguments and reads the tenant instead of hard-coding it", () => {
    expect(json).toHaveProvider(Auth0Provider);
    expect(tf.provider.auth0).toEqual([{}]);
    expect(json).toHaveDataSource(DataAuth0Tenant);
    expect(json).not.toMatch(/acme\.eu\.auth0\.com/); // the configured domain guards commands, it is not deployed
  });

  test("deploys the bundled Action on post-login v3, node22, with no npm dependencies (it uses fetch)", () => {
    expect(json).toHaveResourceWithProperties(Action, {
      name: "Account linking",
      runtime: "node22",
      deploy: true,
      supported_triggers: { id: "post-login", version: "v3" },
    });
    expect((action as { dependencies?: unknown[] }).dependencies ?? []).toEqual([]);
    expect(splitCodeTemplate(action.code)!.bundle).toBe(actionBundle().code);
  });

  test("the settings reach the Action in its code, by reference, with the environment's policy", () => {
    const { prologueTemplate } = splitCodeTemplate(action.code)!;
    expect(prologueTemplate).toBe(
      'var LINKING_SETTINGS = {"domain":${jsonencode(data.auth0_tenant.tenant.domain)},' +
        '"audience":${jsonencode(data.auth0_tenant.tenant.management_api_identifier)},' +
        '"clientId":${jsonencode(auth0_client.linking_client.client_id)},' +
        `"policy":${serializePolicy(env.policy)},` +
        '"confirmation":{"clientId":${jsonencode(auth0_client.confirmation_client.client_id)},"formId":${jsonencode(auth0_form.confirmation_form.id)}}};\n',
    );
  });

  test("the application's and the Action's secret are one ephemeral value, written only", () => {
    expect(tf.ephemeral).toEqual({ random_password: { linking_client_secret: { length: 64, special: false } } });
    expect(json).toHaveResourceWithProperties(ClientCredentials, {
      client_id: "${auth0_client.linking_client.client_id}",
      authentication_method: "client_secret_post",
      client_secret_wo: SECRET_REF,
      client_secret_wo_version: env.secretVersion,
    });
    expect(action.secrets_wo).toEqual([{ name: "CLIENT_SECRET", value: SECRET_REF }]);
    expect(action.secrets_wo_version).toBe(env.secretVersion);
    expect(action).not.toHaveProperty("secrets");
    expect(json).not.toMatch(/\.client_secret[}).]/);
  });
});

describe("the secret version", () => {
  const versioned = (secretVersion?: number): EnvironmentConfig => ({ ...DEV, secretVersion });
  const paths = (value: unknown, at = ""): Map<string, string> => {
    const out = new Map<string, string>();
    if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) for (const [p, leaf] of paths(v, `${at}/${k}`)) out.set(p, leaf);
    } else {
      out.set(at, JSON.stringify(value));
    }
    return out;
  };

  test("defaults to 1 and drives both *_wo_version", () => {
    const { tf } = synthConfig(versioned(undefined));
    expect(tf.resource.auth0_action.linking_action.secrets_wo_version).toBe(1);
    expect(tf.resource.auth0_client_credentials.linking_client_secret_wo.client_secret_wo_version).toBe(1);
  });

  test("a bump changes exactly the two version attributes of the synthesized JSON", () => {
    const before = paths(synthConfig(versioned(3)).tf);
    const after = paths(synthConfig(versioned(4)).tf);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p)).sort();
    expect(changed).toEqual([
      "/resource/auth0_action/linking_action/secrets_wo_version",
      "/resource/auth0_action/linking_confirmation_action/secrets_wo_version",
      "/resource/auth0_client_credentials/linking_client_secret_wo/client_secret_wo_version",
    ]);
    expect(after.get(changed[0])).toBe("4");
  });
});

describe("a value that changes reaches the Action's code without a version bump", () => {
  const code = (config: EnvironmentConfig, clientId: string) =>
    evaluateCodeTemplate(synthConfig(config).tf.resource.auth0_action.linking_action.code as string, {
      "data.auth0_tenant.tenant.domain": "t.eu.auth0.com",
      "data.auth0_tenant.tenant.management_api_identifier": "https://t.eu.auth0.com/api/v2/",
      "auth0_client.linking_client.client_id": clientId,
      "auth0_client.confirmation_client.client_id": "confirm-client",
      "auth0_form.confirmation_form.id": "ap_form",
    });

  test("a re-created client (new id) gives new code", () => {
    const first = code(DEV, "client-one");
    const second = code(DEV, "client-two");
    expect(first).not.toBe(second);
    const policy = JSON.parse(serializePolicy(resolveEnvironments([DEV])[0].policy));
    const confirmation = { clientId: "confirm-client", formId: "ap_form" };
    expect(second.startsWith(renderSettingsPrologue({ domain: "t.eu.auth0.com", audience: "https://t.eu.auth0.com/api/v2/", clientId: "client-two", policy, confirmation }))).toBe(true);
  });

  test("another policy gives new code; the version stays", () => {
    const a = synthConfig(DEV).tf.resource.auth0_action.linking_action;
    const b = synthConfig({ ...DEV, policy: { reportOnly: true } }).tf.resource.auth0_action.linking_action;
    expect(a.code).not.toBe(b.code);
    expect(a.secrets_wo_version).toBe(b.secrets_wo_version);
  });
});

describe("per-environment options", () => {
  test("owned binding runs the linking Action, the confirmation Action, then the configured extras, in order", () => {
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
        { id: "${auth0_action.linking_confirmation_action.id}", display_name: "${auth0_action.linking_confirmation_action.name}" },
        { id: "11111111-2222-4333-8444-555555555555", display_name: "Add roles" },
        { id: "66666666-7777-4888-8999-000000000000", display_name: "Audit" },
      ],
    });
  });

  test("confirmation: false provisions neither the application, the Form nor the second Action", () => {
    const { tf } = synthConfig({ name: "qa", tenant: "qa", confirmation: false });
    expect(Object.keys(tf.resource).sort()).toEqual(["auth0_action", "auth0_client", "auth0_client_credentials", "auth0_client_grant", "auth0_trigger_actions"]);
    expect(Object.keys(tf.resource.auth0_action)).toEqual(["linking_action"]);
    expect(splitCodeTemplate(String(tf.resource.auth0_action.linking_action.code))!.prologueTemplate).not.toContain('"confirmation"');
  });

  test("a custom domain's /continue is a callback of the confirmation application", () => {
    const { tf } = synthConfig({ name: "qa", tenant: "qa", customDomain: "Login.Example.com" });
    expect(tf.resource.auth0_client.confirmation_client.callbacks).toEqual(["https://${data.auth0_tenant.tenant.domain}/continue", "https://login.example.com/continue"]);
    // ...and both Actions know it: with the tenant's domain, the only hosts the confirmation trusts.
    for (const id of ["linking_action", "linking_confirmation_action"]) {
      const prologue = splitCodeTemplate(String(tf.resource.auth0_action[id].code))!.prologueTemplate;
      expect(prologue).toContain('"formId":${jsonencode(auth0_form.confirmation_form.id)},"customDomain":"login.example.com"}');
    }
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
});
