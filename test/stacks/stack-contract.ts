// What every synthesized stack must satisfy, whatever its valid configuration: the checks run on
// the team's stacks/environments.ts and on every configuration the swap test puts in its place.
// Returns problems (empty when the stack meets the contract), so a failure names all of them.
import { isDeepStrictEqual } from "util";
import { serializePolicy } from "../../action-src/policy";
import { actionBundle, CONFIRMATION_ENTRY } from "../../stacks/action-bundle";
import { evaluateCodeTemplate, renderSettingsPrologue } from "../../stacks/action-settings";
import type { ResolvedEnvironment } from "../../stacks/config";
import { smokeAddresses } from "../../stacks/smoke";
import { pinnedVersions, references, schemaProblems, sensitiveFlowProblems } from "../support/schema-conformance";
import type { TerraformJson } from "../support/synth";

export const SECRET_REF = "${ephemeral.random_password.linking_client_secret.result}";
const SAMPLE = { domain: "tenant.example.auth0.com", audience: "https://tenant.example.auth0.com/api/v2/", clientId: "sample-client-id" };
const SAMPLE_CONFIRMATION = { clientId: "sample-confirmation-client", formId: "ap_sampleForm" };
const CONFIRMATION_ADDRESSES = [
  "auth0_action.linking_confirmation_action",
  "auth0_client.confirmation_client",
  "auth0_client_credentials.confirmation_client_credentials",
  "auth0_form.confirmation_form",
];

export function contractProblems(env: ResolvedEnvironment, tf: TerraformJson, json = JSON.stringify(tf)): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => {
    if (!ok) problems.push(`${env.stackName}: ${problem}`);
  };
  const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);
  const r = tf.resource as Record<string, Record<string, Record<string, any>>>;
  const versions = pinnedVersions();

  for (const p of [...schemaProblems(tf), ...sensitiveFlowProblems(tf)]) problems.push(`${env.stackName}: ${p}`);
  expect(same(tf.provider, { auth0: [{}] }), "the auth0 provider block must be empty (credentials come from AUTH0_* at plan time)");
  expect(same(tf.terraform.required_providers, { auth0: { source: "auth0/auth0", version: versions.auth0 }, random: { source: "hashicorp/random", version: versions.random } }), "providers must be pinned exactly to schema/*.json");

  const addresses = Object.entries(r).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`)).sort();
  const bindings =
    env.binding === "owned"
      ? ["auth0_trigger_actions.post_login_binding"]
      : ["auth0_trigger_action.post_login_binding_additive", ...(env.confirmation ? ["auth0_trigger_action.post_login_binding_additive_confirmation"] : [])];
  const expected = [
    "auth0_action.linking_action",
    "auth0_client.linking_client",
    "auth0_client_credentials.linking_client_secret_wo",
    "auth0_client_grant.linking_client_grant",
    ...bindings,
    ...(env.confirmation ? CONFIRMATION_ADDRESSES : []),
    ...(env.smoke ? smokeAddresses(env.smoke) : []),
  ];
  expect(same(addresses, expected.sort()), `fixed addresses, got ${addresses.join(", ")}`);
  expect(same(Object.keys(tf.data?.auth0_tenant ?? {}), ["tenant"]), "reads the tenant (data.auth0_tenant.tenant)");
  expect(same(tf.ephemeral, { random_password: { linking_client_secret: { length: 64, special: false } } }), "one ephemeral random_password");

  const action = r.auth0_action?.linking_action ?? {};
  const credentials = r.auth0_client_credentials?.linking_client_secret_wo ?? {};
  expect(action.secrets === undefined, "the Action has no `secrets` block (its values would be in state)");
  expect(same(action.secrets_wo, [{ name: "CLIENT_SECRET", value: SECRET_REF }]), "the Action's only secret is CLIENT_SECRET, write-only, from the ephemeral value");
  expect(credentials.client_secret_wo === SECRET_REF && credentials.client_secret === undefined, "the application's secret is written only through client_secret_wo");
  expect(action.secrets_wo_version === env.secretVersion && credentials.client_secret_wo_version === env.secretVersion, `both *_wo_version are the configured secretVersion ${env.secretVersion}`);
  expect(same(action.depends_on, ["auth0_client_credentials.linking_client_secret_wo"]), "the Action is updated after the application's secret");
  const readsSecret = Object.values(r).flatMap((byName) => Object.values(byName)).flatMap((body) => JSON.stringify(body).match(/\.client_secret\b(?!_wo)/g) ?? []);
  expect(readsSecret.length === 0, "no resource reads client_secret");
  expect(!/eyJ[\w-]+\.[\w-]+/.test(json), "no JWT in the synthesized JSON");
  for (const [name, value] of Object.entries(process.env)) {
    if (/SECRET|TOKEN|PASSWORD|PRIVATE_KEY/i.test(name) && value && value.length >= 8) expect(!json.includes(value), `the value of ${name} appears in the synthesized JSON`);
  }

  const policy = JSON.parse(serializePolicy(env.policy));
  const values: Record<string, string> = {
    "data.auth0_tenant.tenant.domain": SAMPLE.domain,
    "data.auth0_tenant.tenant.management_api_identifier": SAMPLE.audience,
    "auth0_client.linking_client.client_id": SAMPLE.clientId,
    "auth0_client.confirmation_client.client_id": SAMPLE_CONFIRMATION.clientId,
    "auth0_form.confirmation_form.id": SAMPLE_CONFIRMATION.formId,
  };
  const confirmationSettings = { ...SAMPLE_CONFIRMATION, ...(env.customDomain ? { customDomain: env.customDomain } : {}) };
  const settings = { ...SAMPLE, policy, ...(env.confirmation ? { confirmation: confirmationSettings } : {}) };
  const codeOf = (name: string, body: Record<string, any>) => {
    try {
      return evaluateCodeTemplate(String(body.code), values);
    } catch (err) {
      problems.push(`${env.stackName}: ${name}'s code template: ${(err as Error).message}`);
      return "";
    }
  };
  expect(codeOf("the Action", action) === renderSettingsPrologue(settings) + actionBundle().code, "the Action's code is the settings prologue (tenant, client, this environment's policy) + the bundle");
  if (env.confirmation) {
    const confirm = r.auth0_action?.linking_confirmation_action ?? {};
    expect(codeOf("the confirmation Action", confirm) === renderSettingsPrologue(settings) + actionBundle(CONFIRMATION_ENTRY).code, "the confirmation Action's code is the same prologue + its own bundle");
    expect(same(confirm.secrets_wo, [{ name: "CLIENT_SECRET", value: SECRET_REF }]) && confirm.secrets_wo_version === env.secretVersion && confirm.secrets === undefined, "the confirmation Action gets the same write-only secret");
    const client = r.auth0_client?.confirmation_client ?? {};
    const callbacks = ["https://${data.auth0_tenant.tenant.domain}/continue", ...(env.customDomain ? [`https://${env.customDomain}/continue`] : [])];
    expect(same(client.grant_types, ["authorization_code"]) && same(client.callbacks, callbacks), "the confirmation application: code grant only, callbacks exactly the tenant's (and custom domain's) /continue");
    expect(r.auth0_client_credentials?.confirmation_client_credentials?.authentication_method === "none", "the confirmation application is public (PKCE, no secret anywhere)");
    const form = r.auth0_form?.confirmation_form ?? {};
    const components = JSON.parse(String(form.nodes ?? "[]")).flatMap((n: any) => n.config?.components ?? []).map((c: any) => c.id);
    expect(components.includes("link_choice") && components.includes("link_ticket") && JSON.parse(String(form.ending ?? "{}")).resume_flow === true, "the Form has the choice and ticket fields the Actions read and resumes the login");
  }
  expect(action.runtime === "node22" && action.deploy === true && same(action.supported_triggers, { id: "post-login", version: "v3" }), "post-login v3 on node22, deployed");

  const client = r.auth0_client?.linking_client ?? {};
  expect(client.name === `Account linking Action (${env.name})` && client.app_type === "non_interactive" && same(client.grant_types, ["client_credentials"]), "a client-credentials-only application named for the environment");
  const grant = r.auth0_client_grant?.linking_client_grant ?? {};
  // Reads for what a would-be secondary holds; the carry writes only where the environment carries.
  const scopes = ["read:users", "update:users", "read:roles", "read:organizations", "read:organization_member_roles", "read:authentication_methods"];
  if (env.policy.authorization === "carry") scopes.push("create:role_members", "create:organization_members", "create:organization_member_roles");
  expect(grant.audience === "${data.auth0_tenant.tenant.management_api_identifier}" && same(grant.scopes, scopes) && grant.allow_all_scopes === undefined, `grants exactly ${scopes.join(" ")} on the tenant's Management API`);

  const linking = { id: "${auth0_action.linking_action.id}", display_name: "${auth0_action.linking_action.name}" };
  const confirmation = { id: "${auth0_action.linking_confirmation_action.id}", display_name: "${auth0_action.linking_confirmation_action.name}" };
  if (env.binding === "owned") {
    const extras = env.extraPostLoginActions.map((a) => ({ id: a.id, display_name: a.displayName }));
    const ours = env.confirmation ? [linking, confirmation] : [linking];
    expect(same(r.auth0_trigger_actions?.post_login_binding, { trigger: "post-login", actions: [...ours, ...extras] }), "owns post-login: the linking Action first, the confirmation Action next, then the configured extras");
  } else {
    expect(same(r.auth0_trigger_action?.post_login_binding_additive, { trigger: "post-login", action_id: linking.id, display_name: linking.display_name }), "appends the linking Action to post-login");
    if (env.confirmation) {
      const second = r.auth0_trigger_action?.post_login_binding_additive_confirmation ?? {};
      expect(second.action_id === confirmation.id && same(second.depends_on, ["auth0_trigger_action.post_login_binding_additive"]), "then appends the confirmation Action, after it");
    }
  }

  const backend = env.backend;
  if (backend.type === "s3") expect(tf.terraform.backend?.s3?.bucket === backend.bucket && tf.terraform.backend.s3.encrypt === true && tf.terraform.backend.s3.use_lockfile === true, "S3 state, encrypted, with the native lockfile");
  if (backend.type === "cloud") expect(same(tf.terraform.cloud?.workspaces, { name: backend.workspace }), "HCP Terraform workspace of the environment");
  if (backend.type === "local") expect(tf.terraform.backend?.s3 === undefined && tf.terraform.cloud === undefined, "local state");

  const outputs = Object.fromEntries(Object.entries(tf.output ?? {}).map(([k, v]) => [k, v.value]));
  const confirmationOutputs = env.confirmation
    ? { confirmation_action_id: "${auth0_action.linking_confirmation_action.id}", confirmation_client_id: "${auth0_client.confirmation_client.client_id}", confirmation_form_id: "${auth0_form.confirmation_form.id}" }
    : {};
  expect(same(outputs, { linking_action_id: "${auth0_action.linking_action.id}", linking_action_version_id: "${auth0_action.linking_action.version_id}", linking_client_id: "${auth0_client.linking_client.client_id}", ...confirmationOutputs }), "outputs only ids");
  for (const ref of Object.values(outputs).flatMap(references)) expect(!ref.startsWith("ephemeral."), `output refers to ${ref}`);
  return problems;
}
