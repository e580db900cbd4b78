// Confirmed linking on the deployed bundles: the linking Action's Form, the confirmation
// Action's sign-in to the existing account (PKCE, nonce, prompt=login, max_age=0) against the
// emulated authorization server, and the link and switch after a checked ID token.
import { MARKER_KEY } from "../../action-src/decide";
import { database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import { CONFIRMATION_CLIENT_ID, CONFIRMATION_FORM_ID, type PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

/**
 * GitHub is trusted; the database keeps the default (confirm): a database login that finds the
 * GitHub account must sign in to it before anything is linked.
 */
async function setUp(policy = {}) {
  ({ tenant, runtime } = await start({ connections: { github: "trusted" }, ...policy }, { confirmation: true }));
  tenant.createUser(github());
  tenant.createUser(database());
}

afterEach(tearDown);

const LINK = /^\/api\/v2\/users\/[^/]+\/identities$/;

describe("confirmed linking", () => {
  test("the person signs in to the existing account: linked, and the login ends as it", async () => {
    await setUp();
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(tenant.user("github|1001")!.identities.map((i) => i.user_id)).toEqual(["1001", "db01"]);
    // The Form names only how the existing account signs in.
    expect(outcome.commands.find((c) => c.type === "render")).toMatchObject({ formId: CONFIRMATION_FORM_ID, vars: { method: "GitHub" } });
    expect(JSON.stringify(outcome.commands.find((c) => c.type === "render")!.vars)).not.toMatch(/ada|@|github\|/);
    const authorize = tenant.oauth.authorizations[0].query;
    expect(authorize).toMatchObject({
      client_id: CONFIRMATION_CLIENT_ID,
      response_type: "code",
      redirect_uri: `https://${tenant.domain}/continue`,
      connection: "github",
      login_hint: "ada@example.com",
      prompt: "login",
      max_age: "0",
      code_challenge_method: "S256",
    });
    expect(authorize.nonce).toMatch(/^\d+\.[\w-]{22}\.[\w-]{40,}$/); // redirect time, browser tag, MAC
    expect(authorize.state).toMatch(/^st_/); // Auth0 appends the paused transaction's state
    expect(outcome.steps.map((s) => `${s.action}.${s.phase}${s.pause ? ` (${s.pause})` : ""}`)).toEqual([
      `linking.execute (form ${CONFIRMATION_FORM_ID}: link)`,
      "linking.continue",
      "confirmation.execute (authorize github: signed in)",
      "confirmation.continue",
    ]);
    expect(outcome.decisions.map((d) => d.linking)).toEqual(["confirm.prompted", "confirm.accepted", "confirm.redirected", "link.done"]);
    expect(outcome.decisions[3]).toMatchObject({ confirmed: true, switched: true });
    const next = await runtime.login("github|1001");
    expect(next.requests).toEqual([]);
  });

  test('"Not now": nothing linked, the login goes on, and the prompt is not shown again within the snooze', async () => {
    await setUp({ confirmSnoozeHours: 48 });
    const outcome = await runtime.login("auth0|db01", { form: "later" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.map((d) => d.linking)).toEqual(["confirm.prompted", "confirm.declined"]);
    const marker = tenant.user("auth0|db01")!.app_metadata[MARKER_KEY] as { state: string; until: number };
    expect(marker.state).toBe("snoozed");
    expect(marker.until - Date.now()).toBeGreaterThan(47 * 3_600_000);
    const again = await runtime.login("auth0|db01", { form: "link" });
    expect(again.commands.some((c) => c.type === "render")).toBe(false);
    expect(again.requests).toEqual([]);
  });

  test("a cancelled sign-in links nothing and snoozes", async () => {
    await setUp();
    tenant.oauth.nextSignIn = { cancel: true };
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.cancelled" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("a different account signing in is refused", async () => {
    await setUp();
    tenant.createUser({ user_id: "github|2002", connection: "github", email: "mallory@example.com", email_verified: true });
    tenant.oauth.nextSignIn = { userId: "github|2002" };
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.failed", error: "token.subject" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    expect(tenant.user("github|2002")!.identities).toHaveLength(1);
  });

  test.each([
    ["a forged signature", { signWithForeignKey: true }, "token.signature"],
    ["another audience", { aud: "some-other-client" }, "token.audience"],
    
    ["another nonce", { nonce: "not-the-nonce-we-sent" }, "token.nonce"],
    ["a stale auth_time", { authTimeOffset: -3_600 }, "token.stale_auth"],
    ["an expired token", { expOffset: -40_000 }, "token.expired"],
  ])("%s: nothing linked, login goes on as the current user", async (_what, tamper, problem) => {
    await setUp();
    tenant.oauth.tamper = tamper;
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.failed", error: problem });
    expect(tenant.apiRequests().filter((r) => LINK.test(r.path))).toEqual([]);
    expect(tenant.user("auth0|db01")!.app_metadata[MARKER_KEY]).toMatchObject({ state: "snoozed" });
  });

  test("a replayed code (captured from another transaction) is refused", async () => {
    await setUp();
    tenant.oauth.nextSignIn = { cancel: true };
    await runtime.login("auth0|db01", { form: "link" });
    tenant.users.get("auth0|db01")!.app_metadata = {}; // the snooze would hide the prompt
    // An earlier, real sign-in's code, already exchanged.
    tenant.createUser({ user_id: "auth0|other", connection: "Username-Password-Authentication", email: "grace@example.com", email_verified: true });
    tenant.createUser({ user_id: "github|grace", connection: "github", email: "grace@example.com", email_verified: true });
    await runtime.login("auth0|other", { form: "link" });
    const captured = tenant.oauth.authorizations.find((a) => a.code)!.code!;
    const outcome = await runtime.login("auth0|db01", { form: "link", replaceCode: captured });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.failed", error: "exchange_refused" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("a /continue with another state does not resume the login: nothing linked", async () => {
    await setUp();
    const outcome = await runtime.login("auth0|db01", { form: "link", tamperState: true });
    expect(outcome).toMatchObject({ status: "failed", failure: expect.stringContaining("state mismatch") });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    expect(tenant.user("auth0|db01")).toBeDefined();
  });

  test.each([
    ["a resource-owner password login", { protocol: "oauth2-password" }],
    ["a prompt=none login", { prompt: ["none"] }],
  ])("%s is never prompted: the pair is left alone and snoozed", async (_what, options) => {
    await setUp();
    const outcome = await runtime.login("auth0|db01", { form: "link", ...options });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.commands.some((c) => c.type === "render" || c.type === "redirect")).toBe(false);
    expect(outcome.decisions[0]).toMatchObject({ linking: "confirm.required" });
  });

  test("the confirmation application's own sign-ins never link anything", async () => {
    await setUp();
    const outcome = await runtime.login("github|1001", { clientId: CONFIRMATION_CLIENT_ID });
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.requests).toEqual([]);
    expect(outcome.decisions).toEqual([expect.objectContaining({ linking: "skip.confirmation_client" })]);
  });

  test("a ticket forged by another Action on the trigger is not honoured", async () => {
    await setUp();
    // Another Action writes the transaction metadata key itself: the confirmation Action ignores it.
    const event = runtime.eventFor(tenant.user("auth0|db01")!, "oidc-basic-profile", {
      transaction: { id: "tx_1", protocol: "oidc-basic-profile", metadata: { account_linking_ticket: "eyJ0YXJnZXQiOiJnaXRodWJ8MTAwMSJ9.forged" } },
    });
    const container = await runtime.newContainer();
    const result = await container.run({ action: "confirmation", phase: "execute", event, canRedirect: true }, [], 20_000);
    expect(result.commands).toEqual([]);
  });

  test("the Management API failing after confirmation: fail open by default", async () => {
    await setUp();
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: 503 });
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "error.management_api", error: "unavailable", confirmed: true });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("the Management API down after confirmation with failClosed: denied with the generic message", async () => {
    await setUp({ failClosed: true });
    tenant.inject({ method: "GET", path: /^\/api\/v2\/users(-by-email)?$/, count: 2, answer: 503 });
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome.status).toBe("denied");
    expect(outcome.failure).toBe("We could not complete your sign-in. Please try again.");
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });
});

describe("attacks on confirmation", () => {
  test.each([
    ["older", "2020-01-01T00:00:00.000Z"],
    ["newer", "2030-01-01T00:00:00.000Z"],
  ])("an attacker's IdP (untrusted) holding the victim's address, %s: the victim is never sent to sign in there, nothing links", async (_age, created_at) => {
    ({ tenant, runtime } = await start({ connections: { "google-oauth2": "trusted" } }, { confirmation: true }));
    tenant.createUser({ user_id: "samlp|evil|ada", connection: "evil-saml", email: "ada@example.com", email_verified: true, created_at });
    tenant.createUser({ user_id: "google-oauth2|g1", connection: "google-oauth2", email: "ada@example.com", email_verified: true });
    const victim = await runtime.login("google-oauth2|g1", { form: "link" });
    expect(victim).toMatchObject({ status: "success", sub: "google-oauth2|g1" });
    expect(victim.commands.some((c) => c.type === "render" || c.type === "redirect")).toBe(false);
    expect(victim.decisions[0]).toMatchObject({ linking: "confirm.required" });
    expect(tenant.oauth.authorizations).toEqual([]);
    // The attacker's own login is sent to the victim's Google account, where only the victim can sign in.
    tenant.oauth.nextSignIn = { cancel: true };
    const attacker = await runtime.login("samlp|evil|ada", { form: "link" });
    expect(tenant.oauth.authorizations[0].query.connection).toBe("google-oauth2");
    expect(attacker).toMatchObject({ status: "success", sub: "samlp|evil|ada" });
    expect(tenant.user("google-oauth2|g1")!.identities).toHaveLength(1);
  });

  test("the Form's hidden ticket does not reveal which account it names", async () => {
    await setUp();
    tenant.oauth.nextSignIn = { cancel: true };
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    const ticket = String(outcome.commands.find((c) => c.type === "render")!.fields!.link_ticket);
    for (const encoding of ["utf8", "base64url", "base64"] as const) {
      const text = encoding === "utf8" ? ticket : Buffer.from(ticket, encoding).toString("latin1");
      expect(text).not.toMatch(/github|1001|auth0\|db01|ada/);
    }
  });

  test("an account blocked (or made protected) while the person signs in is not linked", async () => {
    await setUp({ protectedAppMetadataKeys: ["roles"] });
    tenant.oauth.onAuthorize = () => {
      tenant.users.get("auth0|db01")!.blocked = true;
    };
    const blocked = await runtime.login("auth0|db01", { form: "link" });
    expect(blocked.decisions.at(-1)).toMatchObject({ linking: "confirm.failed", error: "skip.blocked" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    delete tenant.users.get("auth0|db01")!.blocked;
    tenant.users.get("auth0|db01")!.app_metadata = {};
    tenant.oauth.onAuthorize = () => {
      tenant.users.get("auth0|db01")!.app_metadata.roles = ["admin"];
    };
    const protectedNow = await runtime.login("auth0|db01", { form: "link" });
    expect(protectedNow.decisions.at(-1)).toMatchObject({ linking: "confirm.failed", error: "skip.protected" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("a Form left open is not shown again at once: the next login within minutes costs nothing", async () => {
    await setUp();
    const left = await runtime.login("auth0|db01", { form: "abandon" });
    expect(left.status).toBe("abandoned");
    const again = await runtime.login("auth0|db01", { form: "link" });
    expect(again.requests).toEqual([]);
    expect(again.decisions[0]).toMatchObject({ linking: "skip.snoozed" });
  });
});
