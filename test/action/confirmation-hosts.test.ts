// Confirmation trusts only the tenant's own hosts (issue 20, item 1): the canonical domain and the
// configured custom domain, fixed in the deployed settings. A login that reaches the Actions under
// another host name (and an authorization server behind it that mints its own, well-formed ID
// tokens) links nothing.
import { database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import { ManagementApiEmulator } from "../support/management-api";
import { CONFIRMATION_CLIENT_ID } from "../support/post-login-runtime";
import { confirmationHosts, readSettings, SettingsError } from "../../action-src/settings";
import { resolvePolicy, serializePolicy } from "../../action-src/policy";

let evil: ManagementApiEmulator | undefined;

afterEach(async () => {
  await tearDown();
  await evil?.stop();
  evil = undefined;
});

/** An attacker's authorization server: its own keys, its own issuer, the victim's account name. */
async function attackerServer(): Promise<ManagementApiEmulator> {
  evil = new ManagementApiEmulator();
  await evil.start();
  evil.oauth.clients.set(CONFIRMATION_CLIENT_ID, { clientId: CONFIRMATION_CLIENT_ID, callbacks: [`https://${evil.domain}/continue`] });
  evil.createUser(github());
  return evil;
}

describe("the confirmation's hosts and issuers are fixed in the settings", () => {
  test("a login under another host name: never sent there, nothing exchanged there, nothing linked", async () => {
    const { tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true });
    tenant.createUser(github());
    tenant.createUser(database());
    const attacker = await attackerServer();
    const outcome = await runtime.login("auth0|db01", { form: "link", hostname: attacker.domain });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.bad_token", error: "host" });
    expect(attacker.requests.filter((r) => r.path === "/authorize" || r.path === "/oauth/token" || r.path === "/.well-known/jwks.json")).toEqual([]);
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    expect(tenant.user("auth0|db01")).toBeDefined();
  });

  test("a resumed login whose host changed to another name is refused at /continue", async () => {
    const { tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true });
    tenant.createUser(github());
    tenant.createUser(database());
    const attacker = await attackerServer();
    // The redirect went to the tenant; the resume arrives under the attacker's name.
    const outcome = await runtime.login("auth0|db01", { form: "link", resumeHostname: attacker.domain });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.bad_token", error: "host" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("an ID token from another issuer is a foreign token: confirm.bad_token, nothing linked", async () => {
    const { tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true });
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.oauth.tamper = { iss: "https://evil.example/" };
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.bad_token", error: "token.issuer" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("the configured custom domain is accepted as the login's host", async () => {
    const { tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true, customDomain: "login.example.com" });
    tenant.createUser(github());
    tenant.createUser(database());
    // The emulation cannot serve login.example.com: the redirect is only recorded, not followed.
    const outcome = await runtime.login("auth0|db01", { form: "link", hostname: "Login.Example.com", stopAtRedirect: true });
    const redirect = outcome.commands.find((c) => c.type === "redirect")!;
    expect(redirect.url).toBe("https://login.example.com/authorize");
    expect(redirect.query).toMatchObject({ redirect_uri: "https://login.example.com/continue" });
  });
});

test("the settings accept a host name as the custom domain and nothing else", () => {
  const base = { domain: "Acme.eu.auth0.com", audience: "https://acme.eu.auth0.com/api/v2/", clientId: "c", policy: JSON.parse(serializePolicy(resolvePolicy({}))) as unknown };
  const read = (customDomain: unknown) => readSettings({ CLIENT_SECRET: "s" }, { ...base, confirmation: { clientId: "cc", formId: "f", customDomain } });
  expect(confirmationHosts(read("Login.Example.com"))).toEqual(["acme.eu.auth0.com", "login.example.com"]);
  expect(confirmationHosts(readSettings({ CLIENT_SECRET: "s" }, { ...base, confirmation: { clientId: "cc", formId: "f" } }))).toEqual(["acme.eu.auth0.com"]);
  for (const bad of ["https://login.example.com", "login.example.com/continue", "evil@login.example.com", "", 42, null]) {
    expect(() => read(bad)).toThrow(SettingsError);
  }
});
