// The attacks and faults of the hardening review, each against the deployed bundle in the
// emulated runtime and tenant. Each of these failed on the Action before the trust model.
import { createHash } from "crypto";
import { MARKER_KEY, UNDO_KEY } from "../../action-src/decide";
import { resolvePolicy, serializePolicy } from "../../action-src/policy";
import { database, github, google, setUp as start, tearDown, TRUSTED } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

async function setUp(policy = {}, options = {}) {
  ({ tenant, runtime } = await start(policy, options));
}

afterEach(tearDown);

const LINK = /^\/api\/v2\/users\/[^/]+\/identities$/;

describe("trust per connection", () => {
  test("nothing links silently under the default policy: the pair is logged, left alone and not looked up again until the snooze ends", async () => {
    await setUp({ connections: {} });
    tenant.createUser(github());
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "confirm.required", primary: "github|1001" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    const marker = tenant.user("auth0|db01")!.app_metadata[MARKER_KEY] as { state: string; until: number };
    expect(marker.state).toBe("snoozed");
    expect(marker.until - Date.now()).toBeGreaterThan(23 * 3_600_000);
    const again = await runtime.login("auth0|db01");
    expect(again.requests).toEqual([]);
    expect(again.decisions[0]).toMatchObject({ linking: "skip.snoozed" });
  });

  test("pre-account hijack: the attacker's older, verified database account is not merged into the victim's Google login", async () => {
    // Google is trusted; the database connection keeps the default (confirm).
    await setUp({ connections: { "google-oauth2": "trusted" } });
    tenant.createUser(database({ user_id: "auth0|attacker" })); // signed up first; the victim clicked the verification mail
    tenant.createUser(google());
    const outcome = await runtime.login("google-oauth2|g1");
    expect(outcome).toMatchObject({ status: "success", sub: "google-oauth2|g1" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "confirm.required" });
    expect(tenant.user("auth0|attacker")!.identities).toHaveLength(1);
    expect(tenant.user("google-oauth2|g1")).toBeDefined();
  });

  test("an enterprise connection that marks every email verified cannot join a trusted account", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser({ user_id: "samlp|evil|ada", connection: "evil-saml", email: "ada@example.com", email_verified: true });
    const outcome = await runtime.login("samlp|evil|ada");
    expect(outcome).toMatchObject({ status: "success", sub: "samlp|evil|ada" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "confirm.required" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });
});

describe("accounts never merged automatically", () => {
  test("a blocked secondary keeps its block: it is not linked", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database({ blocked: true }));
    const outcome = await runtime.login("github|1001");
    expect(outcome.decisions[0]).toMatchObject({ linking: "none.no_candidates" });
    expect(tenant.user("auth0|db01")).toMatchObject({ blocked: true });
  });

  test("a login is never switched into a blocked primary", async () => {
    await setUp();
    tenant.createUser(github({ blocked: true }));
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("accounts holding a protected app_metadata key are left alone, in either role", async () => {
    await setUp({ protectedAppMetadataKeys: ["roles"] });
    tenant.createUser(github({ app_metadata: { roles: ["admin"] } }));
    tenant.createUser(database());
    const asNewcomer = await runtime.login("auth0|db01");
    expect(asNewcomer).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    const asAdmin = await runtime.login("github|1001");
    expect(asAdmin.requests).toEqual([]);
    expect(asAdmin.decisions[0]).toMatchObject({ linking: "skip.protected" });
  });

  test("a login switched into a primary with MFA enrolled is challenged with MFA", async () => {
    await setUp();
    tenant.createUser(github({ multifactor: ["guardian"] }));
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.commands).toContainEqual({ type: "multifactor", provider: "any", options: { allowRememberBrowser: false } });
  });
});

describe("metadata", () => {
  test("no privileges gained: roles are not unioned, and what was not carried is kept on the primary for an unlink", async () => {
    await setUp();
    tenant.createUser(github({ app_metadata: { roles: ["reader"] } }));
    tenant.createUser(database({ app_metadata: { roles: ["admin"] }, user_metadata: JSON.parse('{"__proto__":{"x":1},"constructor":"kept","toString":"kept"}') }));
    await runtime.login("auth0|db01");
    const primary = tenant.user("github|1001")!;
    expect(primary.app_metadata.roles).toEqual(["reader"]);
    expect(primary.app_metadata[UNDO_KEY]).toEqual({ v: 3, entries: [{ user: "auth0|db01", at: expect.any(Number), app_metadata: { roles: ["admin"] }, carried_user_metadata: ["__proto__", "constructor", "toString"] }] });
    expect(Object.keys(primary.user_metadata).sort()).toEqual(["__proto__", "constructor", "toString"]);
  });

  test("a restriction on a carried key is never overridden: conflicting values refuse the link", async () => {
    await setUp({ carriedAppMetadataKeys: ["limits"] });
    tenant.createUser(github({ app_metadata: { limits: { export: true } } }));
    tenant.createUser(database({ app_metadata: { limits: { export: false } } }));
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "refuse.metadata_conflict" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });
});

describe("finding every candidate", () => {
  test("no 'nothing to link' marker from a lookup that failed: the next login looks again", async () => {
    await setUp();
    tenant.createUser(github({ email: "Ada@Example.com" }));
    tenant.createUser(database());
    tenant.inject({ method: "GET", path: /^\/api\/v2\/users$/, count: 1, answer: 503 });
    const first = await runtime.login("auth0|db01");
    expect(first).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(tenant.user("auth0|db01")!.app_metadata[MARKER_KEY]).toBeUndefined();
    // A 429 without a reset header holds every container back for a second (rate-limit.ts).
    await new Promise((r) => setTimeout(r, 1_100));
    const second = await runtime.login("auth0|db01");
    expect(second).toMatchObject({ status: "success", sub: "github|1001" });
  });

  test("a 200 that is not a list of users is an error, not 'no candidates'", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "GET", path: /^\/api\/v2\/users-by-email$/, count: 1, answer: 200, after: true, body: { users: [] } });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.management_api", error: "bad_response" });
    expect(tenant.user("auth0|db01")!.app_metadata[MARKER_KEY]).toBeUndefined();
  });
});

describe("lost answers", () => {
  test("a link answered 500 after Auth0 did it is re-read and the login switches", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: 500, after: true });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "link.race_already_linked", switched: true });
  });

  test("a link whose answer never comes (committed after our timeout) is re-read within the budget", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: "hang", after: true });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.ms).toBeLessThan(11_000);
  });

  test("when the outcome cannot be confirmed the login is denied with the generic retry message, never finished as a vanished user", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: 500, after: true });
    tenant.inject({ method: "GET", path: /^\/api\/v2\/users\/github[^/]*$/, count: 1, answer: 503 });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.status).toBe("denied");
    expect(outcome.failure).toBe("We could not complete your sign-in. Please try again.");
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.unknown_outcome", denied: true });
    // The person signs in again: the identity is linked, so Auth0 logs them in as the primary.
    expect(tenant.user("github|1001")!.identities).toHaveLength(2);
  });
});

describe("tokens", () => {
  test("a token the API rejects (401) is dropped from the container and api.cache and fetched again once", async () => {
    await setUp();
    tenant.createUser({ user_id: "github|1", connection: "github", email: "a@example.com", email_verified: true });
    tenant.createUser(github());
    tenant.createUser(database());
    await runtime.login("github|1");
    tenant.revokeTokens();
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(tenant.tokenRequests()).toHaveLength(2);
    // Both parallel lookups were refused with the old token; one new token served both retries.
    expect(outcome.requests.filter((r) => r.status === 401)).toHaveLength(2);
    expect(outcome.requests.filter((r) => r.method === "GET" && r.status === 200 && /users-by-email|users$/.test(r.path))).toHaveLength(2);
  });

  test("the cached token is sealed: the api.cache value is not a usable bearer for other Actions on the trigger", async () => {
    await setUp();
    tenant.createUser(github());
    await runtime.login("github|1001");
    const values = [...runtime.cache.values()].map((record) => JSON.stringify(record));
    expect(values).toHaveLength(1);
    for (const token of tenant.tokensIssued) for (const value of values) expect(value).not.toContain(token);
  });

  test("a corrupted or foreign cache entry is ignored and replaced", async () => {
    await setUp();
    tenant.createUser(github());
    runtime.cache.set("account-linking:mgmt-token", { value: '{"token":"stolen","expiresAt":99999999999999,"owner":"x"}', expires_at: Date.now() + 60_000 });
    const outcome = await runtime.login("github|1001");
    expect(outcome.decisions[0]).toMatchObject({ linking: "none.no_candidates" });
    expect(tenant.tokenRequests()).toHaveLength(1);
    expect((runtime.cache.get("account-linking:mgmt-token") as { value: string }).value).not.toContain("stolen");
  });

  test("one token request per container, even when the lookups run in parallel", async () => {
    await setUp();
    tenant.createUser(github({ email: "Ada@Example.com" }));
    tenant.createUser(database());
    tenant.latencyMs = 30;
    const outcome = await runtime.login("github|1001");
    expect(outcome.requests.filter((r) => r.path === "/api/v2/users-by-email")).toHaveLength(2);
    expect(tenant.tokenRequests()).toHaveLength(1);
  });
});

describe("failClosed", () => {
  test("a link Auth0 refuses does not deny the login and is not retried on every login", async () => {
    await setUp({ failClosed: true });
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: 400 });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "refuse.link_rejected", error: "bad_request" });
    const again = await runtime.login("auth0|db01");
    expect(again.requests).toEqual([]);
    expect(again.decisions[0]).toMatchObject({ linking: "skip.snoozed" });
  });

  test("two established primaries are refused, not decided for good: looked at again after an hour, not on every login", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(google());
    tenant.createUser({ user_id: "github|2", connection: "github", email: "ada@example.com", email_verified: true });
    tenant.createUser({ user_id: "google-oauth2|g2", connection: "google-oauth2", email: "ada@example.com", email_verified: true });
    // Two established primaries (each already holds a linked identity), made by hand.
    for (const [primary, secondary] of [["github|1001", "github|2"], ["google-oauth2|g1", "google-oauth2|g2"]]) {
      const s = tenant.users.get(secondary)!;
      tenant.users.delete(secondary);
      tenant.users.get(primary)!.identities.push(s.identities[0]);
    }
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.decisions[0]).toMatchObject({ linking: "refuse.conflicting_primaries" });
    const marker = tenant.user("auth0|db01")!.app_metadata[MARKER_KEY] as { state: string; until: number };
    expect(marker.state).toBe("snoozed");
    expect(marker.until - Date.now()).toBeGreaterThan(55 * 60_000);
    expect(marker.until - Date.now()).toBeLessThanOrEqual(60 * 60_000);
    const again = await runtime.login("auth0|db01");
    expect(again.requests).toEqual([]);
  });
});

describe("configuration", () => {
  const good = () => ({ domain: "x", audience: "y", clientId: "linking-client", policy: JSON.parse(serializePolicy(resolvePolicy({ connections: TRUSTED }))) });
  test.each([
    ["an unknown policy key", (s: ReturnType<typeof good>) => ({ ...s, policy: { ...s.policy, trustEverything: true } })],
    ["a null", (s: ReturnType<typeof good>) => ({ ...s, policy: { ...s.policy, connections: null } })],
    ["a missing policy", (s: ReturnType<typeof good>) => ({ ...s, policy: undefined })],
    ["an unknown settings key", (s: ReturnType<typeof good>) => ({ ...s, extra: 1 })],
  ])("%s is error.policy: nothing linked, no request", async (_what, mutate) => {
    await setUp({}, { settings: mutate(good()) });
    tenant.createUser(github());
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.requests).toEqual([]);
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.policy" });
  });

  test("email digests in logs and markers are keyed: an unkeyed hash of a guessed address does not match", async () => {
    await setUp();
    tenant.createUser(github());
    const outcome = await runtime.login("github|1001");
    const logged = outcome.decisions[0].email as string;
    expect(logged).toBe(runtime.digest("ada@example.com"));
    expect(logged).not.toBe(createHash("sha256").update("ada@example.com").digest("hex").slice(0, 16));
  });
});

describe("review findings", () => {
  test("more than ten other eligible accounts with one address: nothing linked, snoozed, not looked up on every login", async () => {
    await setUp();
    for (let i = 0; i < 11; i++) tenant.createUser({ user_id: `github|many${i}`, connection: "github", email: i % 2 ? "ADA@example.com" : "ada@example.com", email_verified: true });
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "refuse.too_many_accounts" });
    expect(tenant.apiRequests().filter((r) => LINK.test(r.path))).toEqual([]);
    expect((await runtime.login("auth0|db01")).requests).toEqual([]);
  });

  test("a link rate-limited (429) is a failure, not a refusal: failClosed denies, and nothing is snoozed", async () => {
    await setUp({ failClosed: true });
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: 429 });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.status).toBe("denied");
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.management_api", error: "rate_limited", denied: true });
  });

  test("without failClosed the same 429 lets the login go on, and the next login tries again", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: 429 });
    const first = await runtime.login("auth0|db01");
    expect(first).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(tenant.user("auth0|db01")!.app_metadata[MARKER_KEY]).toBeUndefined();
    // A 429 without a reset header holds every container back for a second (rate-limit.ts).
    await new Promise((r) => setTimeout(r, 1_100));
    const second = await runtime.login("auth0|db01");
    expect(second).toMatchObject({ status: "success", sub: "github|1001" });
  });

  test("a secondary that failed to link is retried: the primary is not marked decided until the cluster is done", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(google());
    tenant.createUser(database());
    tenant.beforeLink = (_primary, secondary) => {
      if (secondary === "google-oauth2|g1") throw new Error("the second link fails (500)");
    };
    const partial = await runtime.login("auth0|db01");
    expect(partial).toMatchObject({ status: "success", sub: "github|1001" });
    expect(partial.decisions[0]).toMatchObject({ linking: "link.partial", secondaries: ["auth0|db01"] });
    expect(tenant.user("github|1001")!.app_metadata[MARKER_KEY]).toBeUndefined();
    tenant.beforeLink = undefined;
    const retry = await runtime.login("github|1001");
    expect(retry.decisions[0]).toMatchObject({ linking: "link.done", secondaries: ["google-oauth2|g1"] });
    expect(tenant.user("google-oauth2|g1")).toBeUndefined();
  });

  test("a dropped connection after the link was carried out is re-read, and the login switches", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: "reset", after: true });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
  });

  test("a dropped connection and a primary that does not show the link yet: denied, never a login as a vanished user", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: "reset" });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.status).toBe("denied");
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.unknown_outcome", error: "no_answer" });
  });
});
