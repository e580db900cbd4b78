import * as path from "path";
import { serializePolicy } from "../../action-src/policy";
import { compareTenant, expectedFromSynth, type LiveTenant } from "../../scripts/lib/verify-tenant";
import { renderSettingsPrologue, tenantValues } from "../../stacks/action-settings";
import { actionBundle, CONFIRMATION_ENTRY } from "../../stacks/action-bundle";
import { resolveEnvironments, type EnvironmentConfig } from "../../stacks/config";
import { deploySynthesizedStack, DEPLOYER, type DeployedTenant } from "../support/deployed-tenant";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, runScript } from "../support/run-script";
import { synthConfig, writeSynthOutdir, type TerraformJson } from "../support/synth";
import { DEV } from "../stacks/fixtures";
import { CARRY_SCOPES, MANAGEMENT_SCOPES } from "../../stacks/management-scopes";

/** The Action's grant: the lookups, the link and the holdings reads (sorted, as verify compares them). */
const READ_SCOPES = [...MANAGEMENT_SCOPES].sort();

const { tf } = synthConfig(DEV);
const policyOf = (config: EnvironmentConfig) => JSON.parse(serializePolicy(resolveEnvironments([config])[0].policy));
const HOST = path.join(__dirname, "..", "support", "environments-host.ts");
const VERIFY = path.join(__dirname, "..", "..", "scripts", "verify.ts");

describe("verify compares the tenant with the synthesized stack (pure)", () => {
  const tenant = tenantValues("acme-dev.eu.auth0.com");
  const expected = expectedFromSynth(tf as never, tenant, policyOf(DEV));
  const settings = { ...tenant, clientId: "cl-1", policy: policyOf(DEV), confirmation: { clientId: "cc-1", formId: "ap_form1" } };
  const deployedCode = renderSettingsPrologue(settings) + actionBundle().code;
  const confirmationCode = renderSettingsPrologue(settings) + actionBundle(CONFIRMATION_ENTRY).code;
  const deployed = (code: string) => ({ code, runtime: "node22", dependencies: [] as string[], secretNames: ["CLIENT_SECRET"], deployed: true });
  const good = (): LiveTenant => ({
    actions: [{ id: "act-1", name: "Account linking" }, { id: "act-c", name: "Account linking confirmation" }],
    action: { id: "act-1", allChangesDeployed: true, deployed: deployed(deployedCode) },
    bindings: [{ actionId: "act-1", name: "Account linking" }, { actionId: "act-c", name: "Account linking confirmation" }],
    clients: [{ clientId: "cl-1", name: "Account linking Action (dev)" }],
    grants: [{ id: "g1", audience: "https://acme-dev.eu.auth0.com/api/v2/", scopes: [...MANAGEMENT_SCOPES] }],
    confirmation: {
      action: { id: "act-c", allChangesDeployed: true, deployed: deployed(confirmationCode) },
      clients: [{ clientId: "cc-1", name: "Account linking confirmation (dev)" }],
      grants: [],
    },
  });
  const drifts = (live: LiveTenant) => compareTenant(expected, live).filter((c) => !c.ok);

  test("what the stack synthesizes", () => {
    expect(expected.grant).toEqual({ audience: "https://acme-dev.eu.auth0.com/api/v2/", scopes: READ_SCOPES });
    expect(expected.action.secretNames).toEqual(["CLIENT_SECRET"]);
    expect(expected.action.bundle).toBe(actionBundle().code);
    expect(expected.action.settings).toEqual({ domain: "acme-dev.eu.auth0.com", audience: "https://acme-dev.eu.auth0.com/api/v2/", policy: policyOf(DEV) });
    expect(expected.binding).toEqual({ mode: "owned", order: [{ id: "linking", displayName: "Account linking" }, { id: "confirmation", displayName: "Account linking confirmation" }] });
    expect(expected.confirmation).toMatchObject({ clientName: "Account linking confirmation (dev)", action: { name: "Account linking confirmation", secretNames: ["CLIENT_SECRET"] } });
  });

  test("an environment with authorization carry expects the carry write scopes too", () => {
    const carry = { ...DEV, policy: { ...DEV.policy, authorization: "carry" as const } };
    const carried = expectedFromSynth(synthConfig(carry).tf as never, tenant, policyOf(carry));
    expect(carried.grant.scopes).toEqual([...MANAGEMENT_SCOPES, ...CARRY_SCOPES].sort());
  });

  test("a matching tenant passes every check", () => {
    expect(drifts(good())).toEqual([]);
  });

  test.each<[string, (t: LiveTenant) => void, string, string[]]>([
    ["the Action is missing", (t) => { t.actions = []; t.action = undefined; }, 'Action "Account linking" exists once', ["- not found in the tenant (never deployed, or renamed or deleted outside Terraform)"]],
    ["two Actions share the name", (t) => t.actions.push({ id: "act-2", name: "Account linking" }), 'Action "Account linking" exists once', ["+ 2 Actions share the name: act-1, act-2"]],
    ["an undeployed dashboard draft", (t) => (t.action!.allChangesDeployed = false), "no undeployed draft", ["+ the Action has a draft that differs from its deployed version (edited in the dashboard?)"]],
    ["another runtime", (t) => (t.action!.deployed!.runtime = "node18"), "runtime node22", ["- node22", "+ node18"]],
    ["a secret removed", (t) => (t.action!.deployed!.secretNames = t.action!.deployed!.secretNames.filter((n) => n !== "CLIENT_SECRET")), "secret names (values are not readable)", ["- secret expected, not in the tenant: CLIENT_SECRET"]],
    ["the old plain secrets still there", (t) => t.action!.deployed!.secretNames.push("LINKING_POLICY"), "secret names (values are not readable)", ["+ secret in the tenant, not in the stack: LINKING_POLICY"]],
    ["a re-created client whose id never reached the Action", (t) => (t.clients[0].clientId = "cl-2"), "deployed code is the synthesized bundle behind this tenant's settings", ['- settings.clientId: "cl-2"', '+ settings.clientId: "cl-1"']],
    ["another policy deployed", (t) => (t.action!.deployed!.code = t.action!.deployed!.code.replace('"reportOnly":false', '"reportOnly":true')), "deployed code is the synthesized bundle behind this tenant's settings", ['- settings.policy: ' + JSON.stringify(policyOf(DEV)), '+ settings.policy: ' + JSON.stringify(policyOf({ ...DEV, policy: { reportOnly: true } }))]],
    ["code deployed before write-only secrets (no prologue)", (t) => (t.action!.deployed!.code = actionBundle().code), "deployed code is the synthesized bundle behind this tenant's settings", ["- a LINKING_SETTINGS prologue with this tenant's settings", "+ deployed code has no readable prologue (deployed before write-only secrets, or edited outside Terraform)"]],
    ["the Action unbound", (t) => (t.bindings = []), "post-login flow is exactly the stack's: Account linking first, then 1 more", ["- stack:  act-1 (Account linking) → act-c (Account linking confirmation)", "+ tenant: (empty)"]],
    ["the confirmation Action's code edited", (t) => (t.confirmation!.action!.deployed!.code += "\n// hotfix"), "deployed code is the synthesized bundle behind this tenant's settings (Account linking confirmation)", [expect.stringMatching(/^- synthesized bundle: sha256/), expect.stringMatching(/^\+ deployed bundle: {4}sha256/)]],
    ["the confirmation application given an API grant", (t) => t.confirmation!.grants.push({ id: "g9", audience: "https://acme-dev.eu.auth0.com/api/v2/", scopes: ["read:users"] }), '"Account linking confirmation (dev)" has no API grant', ["+ grant g9 to https://acme-dev.eu.auth0.com/api/v2/: read:users"]],
    ["the confirmation application re-created (its id never reached the Actions)", (t) => (t.confirmation!.clients[0].clientId = "cc-2"), "deployed code is the synthesized bundle behind this tenant's settings", ['- settings.confirmation: {"clientId":"cc-2","formId":"ap_form1"}', '+ settings.confirmation: {"clientId":"cc-1","formId":"ap_form1"}']],
    ["a scope missing", (t) => (t.grants[0].scopes = t.grants[0].scopes.filter((s) => s !== "read:roles")), `scopes are exactly ${READ_SCOPES.join(" ")}`, ["- scope expected, not in the tenant: read:roles"]],
    ["a carry write scope where the policy refuses", (t) => t.grants[0].scopes.push("create:organization_members"), `scopes are exactly ${READ_SCOPES.join(" ")}`, ["+ scope in the tenant, not in the stack: create:organization_members"]],
    ["the application missing", (t) => { t.clients = []; t.grants = []; }, 'application "Account linking Action (dev)" exists once', ["- not found in the tenant"]],
    ["no Management API grant", (t) => (t.grants = []), "one grant on the Management API", ["- no grant for https://acme-dev.eu.auth0.com/api/v2/"]],
  ])("%s", (_name, mutate, what, detail) => {
    const live = good();
    mutate(live);
    const found = drifts(live);
    expect(found.map((c) => c.what)).toContain(what);
    expect(found.find((c) => c.what === what)!.detail).toEqual(detail);
  });

  test("additive binding only needs the Actions somewhere in the flow, confirmation after linking", () => {
    const qa: EnvironmentConfig = { name: "qa", tenant: "qa", binding: "additive" };
    const additive = expectedFromSynth(synthConfig(qa).tf as never, tenant, policyOf(qa));
    const live = good();
    live.bindings = [{ actionId: "other", name: "Other" }, { actionId: "act-1", name: "Account linking" }, { actionId: "act-c", name: "Account linking confirmation" }];
    live.clients[0].name = "Account linking Action (qa)";
    live.confirmation!.clients[0].name = "Account linking confirmation (qa)";
    expect(compareTenant(additive, live).filter((c) => !c.ok)).toEqual([]);
    live.bindings = [{ actionId: "act-c", name: "Account linking confirmation" }, { actionId: "other", name: "Other" }];
    expect(compareTenant(additive, live).filter((c) => !c.ok).map((c) => c.what)).toEqual([
      "Account linking is bound to post-login (additive: appended to the flow)",
      "Account linking confirmation is bound after Account linking",
    ]);
  });
});

describe("npm run verify against the Management API emulation, with the real auth0 SDK", () => {
  const tenant = new ManagementApiEmulator();
  let outdir: string;
  let deployed: DeployedTenant;

  beforeAll(async () => {
    await tenant.start();
    outdir = writeSynthOutdir(tf, "auth0-dev");
  });
  afterAll(() => tenant.stop());
  beforeEach(() => {
    tenant.reset();
    deployed = deploySynthesizedStack(tenant, JSON.parse(JSON.stringify(tf)) as TerraformJson);
  });

  // The command runs with the test's configuration in place of stacks/environments.ts.
  const verify = (extra: Record<string, string | undefined> = {}, configs: EnvironmentConfig[] = [DEV]) =>
    runScript(HOST, [JSON.stringify(configs), VERIFY, "dev"], cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: DEPLOYER.clientId, AUTH0_CLIENT_SECRET: DEPLOYER.clientSecret, LINKING_OUTDIR: outdir, ...extra }));

  test("a freshly deployed tenant verifies: exit 0, every check ok", async () => {
    const result = await verify();
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`verify auth0-dev (development tenant) at ${tenant.domain}`);
    expect(result.stdout).toMatch(/auth0-dev: the tenant matches the synthesized stack \(\d+ checks\)/);
    expect(result.stdout).not.toContain("DRIFT");
    // Reads only: it never changes the tenant.
    expect(tenant.apiRequests().every((r) => r.method === "GET")).toBe(true);
  });

  test("a drifted tenant: exit 1 and a readable diff for each drift", async () => {
    const action = tenant.actions.get(deployed.actionId)!;
    action.deployed_version = { ...action.deployed_version!, code: `${action.deployed_version!.code}\n// hotfix from the dashboard` };
    tenant.postLoginBindings.unshift({ actionId: "11111111-2222-4333-8444-555555555555", displayName: "Added by hand" });
    tenant.clients.get(deployed.clientId)!.scopes.push("delete:users");
    tenant.clients.get(deployed.clientId)!.otherGrants = [{ audience: "https://api.example.com/", scopes: ["read:things"] }];
    const result = await verify();
    expect(result.code).toBe(1);
    const out = result.stdout;
    expect(out).toMatch(/DRIFT deployed code is the synthesized bundle behind this tenant's settings\n\s+- synthesized bundle: sha256 [0-9a-f]{12}… \(\d+ bytes\)\n\s+\+ deployed bundle: +sha256 [0-9a-f]{12}… \(\d+ bytes\)/);
    expect(out).toContain(`+ tenant: 11111111-2222-4333-8444-555555555555 → ${deployed.actionId} (Account linking)`);
    expect(out).toContain("+ scope in the tenant, not in the stack: delete:users");
    expect(out).toMatch(/DRIFT no grant to any other API\n\s+\+ grant cgr_linking-client-id_0 to https:\/\/api\.example\.com\/: read:things/);
    expect(out).toContain('auth0-dev: 4 of ');
    expect(out).toContain('"npm run plan -- dev" shows what a deploy would put back.');
    expect(out + result.stderr).not.toContain(DEPLOYER.clientSecret);
  });

  test("a synth older than action-src/ is refused before the tenant is read", async () => {
    const result = await verify({ LINKING_OUTDIR: writeSynthOutdir(tf, "auth0-dev", { stale: true }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("cdktf.out is older than action-src/");
    expect(tenant.requests).toEqual([]);
  });

  test("a synth older than the configuration (policy, secret version, binding) is refused before the tenant is read", async () => {
    const policy = await verify({}, [{ ...DEV, policy: { reportOnly: true } }]);
    expect(policy.code).toBe(1);
    expect(policy.stderr).toBe('error: auth0-dev: cdktf.out is older than the configuration (the policy in the synthesized Action\'s settings differs from environment "dev" in stacks/environments.ts). Run "npm run synth" first.\n');
    const version = await verify({}, [{ ...DEV, secretVersion: 2 }]);
    expect(version.stderr).toContain("cdktf.out is older than the configuration (the synthesized secret version differs");
    const binding = await verify({}, [{ ...DEV, extraPostLoginActions: [{ id: "11111111-2222-4333-8444-555555555555", displayName: "Audit" }] }]);
    expect(binding.stderr).toContain("cdktf.out is older than the configuration (the synthesized post-login binding differs");
    expect(tenant.requests).toEqual([]);
  });

  test("the deployed Action got the settings and the one secret an apply gives it", () => {
    const action = tenant.actions.get(deployed.actionId)!;
    const settings = { ...tenantValues(tenant.domain), clientId: deployed.clientId, policy: policyOf(DEV), confirmation: { clientId: deployed.confirmation!.clientId, formId: deployed.confirmation!.formId } };
    expect(action.deployed_version!.code).toBe(renderSettingsPrologue(settings) + actionBundle().code);
    expect(tenant.actions.get(deployed.confirmation!.actionId)!.deployed_version!.code).toBe(renderSettingsPrologue(settings) + actionBundle(CONFIRMATION_ENTRY).code);
    expect(action.deployed_version!.secrets).toEqual([{ name: "CLIENT_SECRET" }]);
    expect(tenant.clients.get(deployed.clientId)!.clientSecret).toBe(deployed.clientSecret);
    expect(deployed.clientSecret).toMatch(/^[A-Za-z0-9_-]{64}$/);
  });

  test("a client re-created outside Terraform: the Action still names the old one", async () => {
    const client = tenant.clients.get(deployed.clientId)!;
    tenant.clients.delete(deployed.clientId);
    tenant.addClient({ ...client, clientId: "recreated-client" });
    const result = await verify();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('- settings.clientId: "recreated-client"');
    expect(result.stdout).toContain(`+ settings.clientId: "${deployed.clientId}"`);
    expect(result.stdout + result.stderr).not.toContain(deployed.clientSecret);
  });

  test("a tenant where the Action was deleted", async () => {
    tenant.actions.delete(deployed.actionId);
    tenant.postLoginBindings = [];
    const result = await verify();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('DRIFT Action "Account linking" exists once');
  });

  test("credentials without read scopes: a clear error naming the scopes", async () => {
    tenant.addClient({ clientId: "weak", clientSecret: "weak-secret", scopes: ["read:users"] });
    const result = await verify({ AUTH0_CLIENT_ID: "weak", AUTH0_CLIENT_SECRET: "weak-secret" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: auth0-dev: reading ${tenant.domain} failed: 403`);
    expect(result.stderr).toMatch(/^error: [^\n]*needs read:actions, read:clients and read:client_grants\)\n$/);
  });
});
