// npm run smoke, run as a process against the HTTPS emulation standing in for a deployed tenant:
// the smoke applications and connections as the synthesized stack describes them, the bundled
// Action in the post-login runtime behind the password-realm grant.
import { generateKeyPairSync } from "crypto";
import * as path from "path";
import { resolveEnvironments, type EnvironmentConfig } from "../../stacks/config";
import { ManagementApiEmulator } from "../support/management-api";
import { PostLoginRuntime, type LoginOutcome } from "../support/post-login-runtime";
import { cleanEnv, runScript, startScript, type ScriptResult } from "../support/run-script";
import { synthEnvironment, type TerraformJson } from "../support/synth";

const HOST = path.join(__dirname, "..", "support", "environments-host.ts");
const SMOKE = path.join(__dirname, "..", "..", "scripts", "smoke.ts");

const keyPair = () => {
  const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { publicKey: pair.publicKey.export({ type: "spki", format: "pem" }).toString(), privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString() };
};
const KEY = keyPair();
const OTHER_KEY = keyPair();
const DEV: EnvironmentConfig = { name: "dev", tenant: "development tenant", policy: { connections: { github: "trusted" } }, smoke: { publicKey: KEY.publicKey } };
const DEV_OFF: EnvironmentConfig = { name: "dev", tenant: "development tenant" };
/** Reads clients by name (read:clients), like the plan, deploy and drift applications. */
const READER = { clientId: "plan-app", clientSecret: "plan-app-secret-for-tests", scopes: ["read:clients"], name: "Terraform plan" };

/**
 * Puts what the synthesized smoke setup describes into the emulation, as an apply would: the two
 * applications under their names (ids are the tenant's), the admin's public key and grant, the
 * connections and which application each is enabled for.
 */
function deploySmoke(tenant: ManagementApiEmulator, tf: TerraformJson, options: DeployOptions = {}) {
  const r = tf.resource as Record<string, Record<string, Record<string, any>>>;
  const ids: Record<string, string> = { "${auth0_client.smoke_client.client_id}": "smoke-app-1", "${auth0_client.smoke_admin_client.client_id}": "smoke-admin-1" };
  tenant.addClient({ clientId: "smoke-app-1", clientSecret: "", scopes: [], name: r.auth0_client.smoke_client.name });
  if (r.auth0_client.smoke_admin_client) {
    const credential = r.auth0_client_credentials.smoke_admin_client_credentials.private_key_jwt.credentials[0];
    tenant.addClient({
      clientId: "smoke-admin-1",
      clientSecret: "",
      name: r.auth0_client.smoke_admin_client.name,
      scopes: [...r.auth0_client_grant.smoke_admin_client_grant.scopes],
      privateKeyJwt: { pem: options.adminKey ?? credential.pem, algorithm: credential.algorithm },
    });
  }
  // smoke.adminClientId: an application the operator made in the dashboard, outside the stack.
  if (options.externalAdmin) tenant.addClient({ ...options.externalAdmin, name: "Smoke admin (made by hand)" });
  const realms: string[] = [];
  for (const role of ["older", "newer"]) {
    const name = r.auth0_connection[`smoke_connection_${role}`].name as string;
    if (name === options.skipConnection) continue;
    tenant.databaseConnections.add(name);
    const enabled = r.auth0_connection_clients[`smoke_connection_${role}_clients`].enabled_clients as string[];
    if (enabled.map((ref) => ids[ref]).includes("smoke-app-1")) realms.push(name);
  }
  if (r.auth0_client.smoke_client.grant_types.includes("http://auth0.com/oauth/grant-type/password-realm")) {
    tenant.passwordClients.set("smoke-app-1", { clientId: "smoke-app-1", realms });
  }
  tenant.addClient(READER);
}

interface DeployOptions {
  adminKey?: string;
  skipConnection?: string;
  externalAdmin?: { clientId: string; clientSecret: string; scopes: string[] };
}

const tenant = new ManagementApiEmulator();
let runtime: PostLoginRuntime;
let logins: LoginOutcome[];

beforeAll(() => tenant.start());
afterAll(() => tenant.stop());
afterEach(() => runtime?.close());

/** The tenant as `config` deploys it; the Action runs with `actionPolicyFrom`'s policy (default: the same config). */
function deploy(config: EnvironmentConfig, options: DeployOptions & { actionPolicyFrom?: EnvironmentConfig } = {}) {
  tenant.reset();
  const env = resolveEnvironments([config])[0];
  deploySmoke(tenant, synthEnvironment(env).tf, options);
  runtime = new PostLoginRuntime(tenant, { policy: resolveEnvironments([options.actionPolicyFrom ?? config])[0].policy });
  logins = [];
  // What runtime.attach() wires, keeping each login's outcome for the assertions.
  tenant.postLogin = async (identity, clientId) => {
    const outcome = await runtime.login(identity, { protocol: "oauth2-password", clientId });
    logins.push(outcome);
    return outcome;
  };
}

/** The command's environment: the emulation's credentials, and `undefined` removes one (also the caller's). */
const env = (extra: Record<string, string | undefined> = {}) => {
  const all: Record<string, string | undefined> = { AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: READER.clientId, AUTH0_CLIENT_SECRET: READER.clientSecret, SMOKE_PRIVATE_KEY: KEY.privateKey, ...extra };
  const result = cleanEnv(all);
  for (const [k, v] of Object.entries(all)) if (v === undefined) delete result[k];
  return result;
};
const smoke = (config: EnvironmentConfig, extra: Record<string, string | undefined> = {}, args = ["dev"]): Promise<ScriptResult> =>
  runScript(HOST, [JSON.stringify([config]), SMOKE, ...args], env(extra));

const noSecrets = (result: ScriptResult) => {
  const all = result.stdout + result.stderr;
  for (const key of [KEY, OTHER_KEY]) expect(all).not.toContain(key.privateKey.split("\n")[1]);
  expect(all).not.toContain(READER.clientSecret);
};

test("a deployed tenant passes: the login ends as the older user, linked, metadata kept, the second login does nothing; the users are deleted", async () => {
  deploy(DEV);
  const result = await smoke(DEV);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  const lines = result.stdout.split("\n");
  expect(lines[0]).toBe(`smoke auth0-dev (development tenant) at ${tenant.domain}: smoke application smoke-app-1, smoke admin smoke-admin-1`);
  const ok = lines.filter((l) => l.startsWith("  ok    ")).map((l) => l.replace(/ {2}\(\d+ ms\)$/, "").replace(/auth0\|[0-9a-f]+/g, "<id>").replace(/\d+ ms/g, "<n> ms"));
  expect(ok).toEqual([
    "  ok    smoke admin token (private_key_jwt), scope create:users read:users delete:users",
    "  ok    older user <id> on linking-smoke-older, newer <id> on linking-smoke-newer, same verified email",
    "  ok    login as the newer user ends as the older: ID token sub <id> (signature, iss, aud checked)",
    "  ok    the Management API shows <id> linked into <id>, and no longer a user of its own",
    "  ok    kept: user_metadata merged (primary wins), the newer's app_metadata and losing user_metadata under account_linking_undo",
    '  ok    marker: app_metadata.account_linking.state is "decided"',
    "  ok    second login: sub <id> again, nothing written (login <n> ms, first <n> ms)",
  ]);
  // Every step says how long it took.
  expect(lines.filter((l) => l.startsWith("  ok    ")).every((l) => / {2}\(\d+ ms\)$/.test(l))).toBe(true);
  expect(result.stdout).toMatch(/\ncleanup: deleted auth0\|[0-9a-f]+; no user with the test email remains {2}\(\d+ ms\)\nsmoke passed: 7 checks in \d+\.\d s\n$/);
  expect(result.stdout).toContain(`\n  note  the Action's reads are not visible from outside: its log line for the second login should start {"linking":"skip.decided"} (Monitoring > Logs)\n`);
  noSecrets(result);

  // What the emulation sees and a real tenant would not show: the Action's work in each login.
  expect(logins.map((l) => l.decisions[0]?.linking)).toEqual(["link.done", "skip.decided"]);
  expect(logins[0].requests.length).toBeGreaterThan(0);
  expect(logins[1].requests).toEqual([]);
  expect(tenant.users.size).toBe(0);
});

test("a failed check (the deployed Action does not trust the smoke connections): FAIL, exit 1, and the users are deleted", async () => {
  deploy(DEV, { actionPolicyFrom: DEV_OFF });
  const result = await smoke(DEV);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/\n {2}FAIL {2}login as the newer user ends as the older one: the ID token's sub is the newer user auth0\|[0-9a-f]+: nothing was linked, or the login was not switched\n/);
  expect(result.stdout).toMatch(/\ncleanup: deleted auth0\|[0-9a-f]+, auth0\|[0-9a-f]+; no user with the test email remains/);
  expect(result.stdout).toContain(`smoke FAILED (2 checks passed before it): the linking did not work as it should on ${tenant.domain}`);
  expect(logins.map((l) => l.decisions[0]?.linking)).toEqual(["confirm.required"]);
  expect(tenant.users.size).toBe(0);
  noSecrets(result);
});

test("Ctrl-C during the login: the request is abandoned, the users are deleted, exit 130", async () => {
  deploy(DEV);
  let loginStarted!: () => void;
  const started = new Promise<void>((resolve) => (loginStarted = resolve));
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  tenant.postLogin = async () => {
    loginStarted();
    await held; // the login hangs until the test lets go
    return { status: "failed", failure: "released" };
  };
  const run = startScript(HOST, [JSON.stringify([DEV]), SMOKE, "dev"], env());
  await started;
  expect(tenant.users.size).toBe(2);
  run.child.kill("SIGINT");
  const result = await run.done;
  release();
  expect(result.code).toBe(130);
  expect(result.stdout).toContain("  interrupted: cleaning up (Ctrl-C again to leave the test users behind)\n");
  expect(result.stdout).toMatch(/\ncleanup: deleted auth0\|[0-9a-f]+, auth0\|[0-9a-f]+; no user with the test email remains/);
  expect(tenant.users.size).toBe(0);
});

test("Ctrl-C while a user is being created (Auth0 made it, the answer never came): found by its email and deleted", async () => {
  deploy(DEV);
  // The first create is carried out but its answer is lost: the command never learns the id.
  tenant.inject({ method: "POST", path: /^\/api\/v2\/users$/, count: 1, answer: "hang", after: true });
  const run = startScript(HOST, [JSON.stringify([DEV]), SMOKE, "dev"], env());
  while (tenant.users.size === 0) await new Promise((r) => setTimeout(r, 20));
  run.child.kill("SIGINT");
  const result = await run.done;
  expect(result.code).toBe(130);
  expect(result.stdout).toMatch(/\ncleanup: deleted auth0\|[0-9a-f]+; no user with the test email remains/);
  expect(tenant.users.size).toBe(0);
});

describe("refusals: one error line, nothing created", () => {
  test("smoke off for the environment: no request at all", async () => {
    deploy(DEV);
    const result = await smoke(DEV_OFF);
    expect([result.code, result.stdout, result.stderr]).toEqual([
      1,
      "",
      'error: auth0-dev (development tenant): the smoke test is off for this environment. Give its entry in stacks/environments.ts a smoke: { publicKey } (or { adminClientId }) and deploy it (docs/rollout.md, "Smoke test on a real tenant").\n',
    ]);
    expect(tenant.requests).toEqual([]);
  });

  test("missing credentials: AUTH0_* or SMOKE_PRIVATE_KEY, or a key that is not the configured one", async () => {
    deploy(DEV);
    const noAuth0 = await smoke(DEV, { AUTH0_CLIENT_SECRET: undefined, AUTH0_CLIENT_ID: undefined, AUTH0_DOMAIN: undefined });
    expect(noAuth0.code).toBe(1);
    expect(noAuth0.stderr).toMatch(/^error: auth0-dev \(development tenant\): missing AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET\. /);
    const noKey = await smoke(DEV, { SMOKE_PRIVATE_KEY: undefined });
    expect(noKey.stderr).toBe(
      'error: auth0-dev (development tenant): missing SMOKE_PRIVATE_KEY: set it to the PEM private key whose public half is smoke.publicKey of "dev" in stacks/environments.ts (in CI, the auth0-dev-smoke GitHub Environment\'s secret).\n',
    );
    const otherKey = await smoke(DEV, { SMOKE_PRIVATE_KEY: OTHER_KEY.privateKey });
    expect(otherKey.stderr).toBe('error: auth0-dev (development tenant): SMOKE_PRIVATE_KEY is not the private half of smoke.publicKey of "dev" (stacks/environments.ts): load dev\'s smoke key.\n');
    const garbage = await smoke(DEV, { SMOKE_PRIVATE_KEY: "not a key" });
    expect(garbage.stderr).toBe('error: auth0-dev (development tenant): SMOKE_PRIVATE_KEY is not a readable PEM private key ("-----BEGIN PRIVATE KEY-----").\n');
    for (const r of [noAuth0, noKey, otherKey, garbage]) {
      expect(r.stdout).toBe("");
      noSecrets(r);
    }
    expect(tenant.requests).toEqual([]);
  });

  test("smoke on in the configuration but not deployed: the applications are not in the tenant", async () => {
    deploy(DEV);
    tenant.clients.delete("smoke-admin-1");
    const result = await smoke(DEV);
    expect([result.code, result.stdout]).toEqual([1, ""]);
    expect(result.stderr).toBe(
      `error: auth0-dev: no application named "Account linking smoke admin (dev)" in ${tenant.domain}: the smoke setup is not deployed there. Deploy dev with smoke on (npm run synth && npm run deploy -- dev), then run this again.\n`,
    );
    expect(tenant.users.size).toBe(0);
  });

  test("the tenant answers differently: the admin's registered key is another one", async () => {
    deploy(DEV, { adminKey: OTHER_KEY.publicKey });
    const result = await smoke(DEV);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'error: the tenant answered differently than assumed: "Account linking smoke admin (dev)" accepts a client assertion signed with SMOKE_PRIVATE_KEY (deployed with this smoke.publicKey and algorithm?) (Auth0 answered 401 access_denied: Invalid client assertion signature)\n',
    );
    expect(tenant.users.size).toBe(0);
  });

  test("the tenant answers differently: a smoke connection is missing; the user already made is deleted", async () => {
    deploy(DEV, { skipConnection: "linking-smoke-newer" });
    const result = await smoke(DEV);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'error: the tenant answered differently than assumed: the database connection "linking-smoke-newer" exists (the stack creates it when smoke is on: deploy) (Auth0 answered 400 inexistent_connection: The connection does not exist.)\n',
    );
    expect(result.stdout).toMatch(/\ncleanup: deleted auth0\|[0-9a-f]+; no user with the test email remains/);
    expect(tenant.users.size).toBe(0);
  });
});

test("the tenant answers differently: the login is refused (an Action denies it); both users are deleted", async () => {
  deploy(DEV);
  tenant.postLogin = async () => ({ status: "denied", failure: "We could not complete your sign-in. Please try again." });
  const result = await smoke(DEV);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(
    'error: the tenant answered differently than assumed: the login is allowed: "linking-smoke-newer" is enabled for "Account linking smoke test (dev)" and no Action denies it (Auth0 answered 403 access_denied: We could not complete your sign-in. Please try again.)\n',
  );
  expect(result.stdout).toMatch(/\ncleanup: deleted auth0\|[0-9a-f]+, auth0\|[0-9a-f]+; no user with the test email remains/);
  expect(tenant.users.size).toBe(0);
});

describe("for every Auth0 plan: an admin application made outside the stack, its secret given at run time", () => {
  const ADMIN = { clientId: "Zk3Q9aXbYc2dEf4gHi5jKl6mNo7pQr8s", clientSecret: "external-admin-secret-for-tests", scopes: ["create:users", "read:users", "delete:users"] };
  const EXTERNAL: EnvironmentConfig = { ...DEV, smoke: { adminClientId: ADMIN.clientId } };
  const withSecret = { SMOKE_PRIVATE_KEY: undefined, SMOKE_ADMIN_CLIENT_SECRET: ADMIN.clientSecret };

  test("it passes the same checks, authenticated with the client secret from SMOKE_ADMIN_CLIENT_SECRET, which it never prints", async () => {
    deploy(EXTERNAL, { externalAdmin: ADMIN });
    const result = await smoke(EXTERNAL, withSecret);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(`smoke auth0-dev (development tenant) at ${tenant.domain}: smoke application smoke-app-1, smoke admin ${ADMIN.clientId}`);
    expect(result.stdout).toContain("  ok    smoke admin token (client_secret), scope create:users read:users delete:users");
    expect(result.stdout).toMatch(/\nsmoke passed: 7 checks in \d+\.\d s\n$/);
    expect(result.stdout + result.stderr).not.toContain(ADMIN.clientSecret);
    noSecrets(result);
    expect(tenant.users.size).toBe(0);
  });

  test("without SMOKE_ADMIN_CLIENT_SECRET: one line saying what to set, no request", async () => {
    deploy(EXTERNAL, { externalAdmin: ADMIN });
    const result = await smoke(EXTERNAL, { SMOKE_PRIVATE_KEY: undefined, SMOKE_ADMIN_CLIENT_SECRET: undefined });
    expect([result.code, result.stdout]).toEqual([1, ""]);
    expect(result.stderr).toBe(
      `error: auth0-dev (development tenant): missing SMOKE_ADMIN_CLIENT_SECRET: set it to the client secret of the admin application ${ADMIN.clientId} (smoke.adminClientId of "dev"), for this run only (in CI, the auth0-dev-smoke GitHub Environment's secret). It is never written anywhere.\n`,
    );
    expect(tenant.requests).toEqual([]);
  });

  test("an admin granted more than it needs, or a wrong secret: refused before any user is created", async () => {
    deploy(EXTERNAL, { externalAdmin: { ...ADMIN, scopes: [...ADMIN.scopes, "update:users", "read:clients"] } });
    const broad = await smoke(EXTERNAL, withSecret);
    expect(broad.code).toBe(1);
    expect(broad.stdout).toContain(
      `error: the tenant answered differently than assumed: "smoke admin ${ADMIN.clientId} (smoke.adminClientId)" is granted exactly create:users read:users delete:users (remove update:users read:clients from its grant, or give the smoke test an application of its own)`,
    );
    expect(tenant.apiRequests().filter((r) => r.method === "POST")).toEqual([]);
    const wrong = await smoke(EXTERNAL, { ...withSecret, SMOKE_ADMIN_CLIENT_SECRET: "not-the-secret" });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(`accepts SMOKE_ADMIN_CLIENT_SECRET (the secret of the application whose client id is smoke.adminClientId)`);
    expect(wrong.stdout + wrong.stderr).not.toContain("not-the-secret");
    expect(tenant.users.size).toBe(0);
  });
});

test("--check-enabled says whether the environment has smoke on, without credentials or requests", async () => {
  tenant.reset();
  const none = { SMOKE_PRIVATE_KEY: undefined, AUTH0_DOMAIN: undefined, AUTH0_CLIENT_ID: undefined, AUTH0_CLIENT_SECRET: undefined };
  const on = await runScript(HOST, [JSON.stringify([DEV]), SMOKE, "dev", "--check-enabled"], env(none));
  const off = await runScript(HOST, [JSON.stringify([DEV_OFF]), SMOKE, "dev", "--check-enabled"], env(none));
  expect([on.code, on.stdout, off.code, off.stdout]).toEqual([0, "true\n", 0, "false\n"]);
  expect(tenant.requests).toEqual([]);
});
