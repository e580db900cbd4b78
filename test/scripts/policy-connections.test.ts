// The connections a policy names are looked up on the tenant before anything is planned, by name
// only (no connection secret is read), and verify lists the tenant's connections the policy leaves
// out. Against the Management API emulation, with the commands run as processes.
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { connectionsNamed, missingConnections, readTenantConnections, unmentionedConnections } from "../../scripts/lib/policy-connections";
import { resolveEnvironments, type EnvironmentConfig } from "../../stacks/config";
import { deploySynthesizedStack, DEPLOYER } from "../support/deployed-tenant";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, runWithEnvironments } from "../support/run-script";
import { synthEnvironment, writeSynthOutdir, type TerraformJson } from "../support/synth";

const OKTA: EnvironmentConfig = {
  name: "dev",
  tenant: "development tenant",
  policy: {
    connections: { "okta-workfroce": "trusted", github: "trusted", "Legacy-DB": "excluded" },
    primaryConnectionOrder: ["GitHub"],
  },
};
const env = resolveEnvironments([OKTA])[0];
const FAKE_TF = path.join(__dirname, "..", "support", "fake-terraform.js");
const PLAN_CREATE = path.join(__dirname, "fixtures", "plan-create.json");

describe("which connections a policy names (pure)", () => {
  test("trust entries of every level and the primary order, compared without case", () => {
    expect(connectionsNamed(env)).toEqual([
      { name: "okta-workfroce", where: "policy.connections (trusted)" },
      { name: "github", where: "policy.connections (trusted)" },
      { name: "Legacy-DB", where: "policy.connections (excluded)" },
      { name: "GitHub", where: "policy.primaryConnectionOrder" },
    ]);
    const tenant = [{ name: "okta-workforce", strategy: "okta" }, { name: "github", strategy: "github" }, { name: "legacy-db", strategy: "auth0" }, { name: "Username-Password-Authentication", strategy: "auth0" }];
    expect(missingConnections(connectionsNamed(env), tenant)).toEqual([{ name: "okta-workfroce", where: "policy.connections (trusted)" }]);
    expect(unmentionedConnections(env, tenant).map((c) => c.name)).toEqual(["okta-workforce", "Username-Password-Authentication"]);
  });

  test("the lookup asks for names and strategies only: a connection's options (its secrets) are never requested", async () => {
    const asked: unknown[] = [];
    const client = { connections: { list: async (query: unknown) => (asked.push(query), [{ name: "github", strategy: "github" }, { name: "okta", strategy: "okta" }]) } };
    expect(await readTenantConnections(client as never)).toEqual([{ name: "github", strategy: "github" }, { name: "okta", strategy: "okta" }]);
    expect(asked).toEqual([{ fields: "name,strategy", include_fields: true, take: 100 }]);
  });

  test("the smoke test's connections are the stack's own: not looked up", () => {
    const publicKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    const smoke = resolveEnvironments([{ name: "dev", tenant: "d", smoke: { publicKey } }]);
    expect(Object.keys(smoke[0].policy.connections)).toHaveLength(2);
    expect(connectionsNamed(smoke[0])).toEqual([]);
  });
});

describe("plan, deploy and verify against the tenant's connections", () => {
  const tenant = new ManagementApiEmulator();
  let outdir: string;
  let tf: TerraformJson;
  let work: string;

  beforeAll(async () => {
    await tenant.start();
    tf = synthEnvironment(env).tf;
    outdir = writeSynthOutdir(tf, "auth0-dev");
  });
  afterAll(() => tenant.stop());
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "linking-tf-"));
    tenant.reset();
    tenant.addClient(DEPLOYER);
    // What a real tenant answers when options are asked for: a secret the commands must never request.
    tenant.connections = [
      { name: "okta-workforce", strategy: "okta", options: { client_secret: "okta-connection-secret" } },
      { name: "GitHub", strategy: "github", options: { client_secret: "github-connection-secret" } },
      { name: "Legacy-DB", strategy: "auth0" },
    ];
  });

  const run = (command: string, args: string[], extra: Record<string, string> = {}) =>
    runWithEnvironments([OKTA], command, args, cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: DEPLOYER.clientId, AUTH0_CLIENT_SECRET: DEPLOYER.clientSecret, LINKING_OUTDIR: outdir, TERRAFORM_BINARY: FAKE_TF, FAKE_TF_LOG: path.join(work, "calls.jsonl"), FAKE_TF_PLANS: PLAN_CREATE, ...extra }));
  const terraformRan = () => fs.existsSync(path.join(work, "calls.jsonl")) && fs.readFileSync(path.join(work, "calls.jsonl"), "utf8").includes('"init"');
  const message = `error: auth0-dev (development tenant): environment "dev" names a connection that ${"DOMAIN"} does not have: "okta-workfroce" (policy.connections (trusted)). Correct the name in stacks/environments.ts, or create the connection first.\n`;

  test.each([["plan", ["dev"]], ["deploy", ["dev", "--auto-approve"]]])("%s: a misspelt connection fails before Terraform runs, naming the environment and the connection", async (command, args) => {
    const result = await run(command, args);
    expect(result.stderr).toBe(message.replace("DOMAIN", tenant.domain));
    expect(result.code).toBe(1);
    expect(terraformRan()).toBe(false);
    // Names only: the lookup never asks for options, so no connection secret reaches this process.
    const lookups = tenant.requests.filter((r) => r.path === "/api/v2/connections");
    expect(lookups.length).toBeGreaterThan(0);
    expect(result.stdout + result.stderr).not.toContain("connection-secret");
  });

  test("plan: with every named connection present it goes on to Terraform", async () => {
    tenant.connections.push({ name: "okta-workfroce", strategy: "okta" });
    const result = await run("plan", ["dev"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(terraformRan()).toBe(true);
  });

  test("plan: credentials without read:connections (CI's never hold it) get one warning line, and the plan goes on", async () => {
    tenant.reset();
    tenant.addClient({ ...DEPLOYER, scopes: DEPLOYER.scopes.filter((s) => s !== "read:connections") });
    const result = await run("plan", ["dev"]);
    expect(result.stderr).toMatch(/^warning: auth0-dev: the \d+ connection name\(s\) the policy uses were not checked against the tenant: these credentials lack read:connections, a scope that can also read connection secrets \(docs\/configuration.md, "Connection names are checked"\)\n$/);
    expect(result.code).toBe(0);
    expect(terraformRan()).toBe(true);
  });

  test("verify: a missing connection is drift; the tenant's others are listed for review", async () => {
    deploySynthesizedStack(tenant, JSON.parse(JSON.stringify(tf)) as TerraformJson);
    tenant.connections.push({ name: "Username-Password-Authentication", strategy: "auth0" });
    const result = await run("verify", ["dev"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("DRIFT every connection the policy names exists\n          - okta-workfroce (policy.connections (trusted)): not a connection of this tenant\n");
    expect(result.stdout).toContain("ok    2 connection(s) of the tenant not named in the policy (their accounts link only when confirmed)\n            okta-workforce (okta)\n            Username-Password-Authentication (auth0)\n");
    expect(result.stdout).toContain("auth0-dev: 1 of ");
    expect(result.stdout).not.toContain("connection-secret");
  });
});
