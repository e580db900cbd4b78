// The Action's load on the tenant, on the deployed bundle in the emulated runtime: what a secret
// rotation costs, how it behaves when the tenant's rate limit is spent, and what a crowd of
// accounts with one address can and cannot do to a login.
import { MARKER_KEY, markerDigestMatches } from "../../action-src/decide";
import { MAX_DEFER_MS, neededToStart, RATE_LIMIT_CACHE_KEY, reserveFor } from "../../action-src/rate-limit";
import { sealJson } from "../../action-src/sealed";
import { deriveKey } from "../../action-src/settings";
import { database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

async function setUp(policy = {}) {
  ({ tenant, runtime } = await start(policy));
}

afterEach(tearDown);

/** What `secretVersion` + deploy does: a new secret for the application and the Action. */
function rotateClientSecret(): void {
  const secret = `rotated-${Math.random().toString(36).slice(2)}`;
  tenant.clients.get("linking-client")!.clientSecret = secret;
  runtime.secrets.CLIENT_SECRET = secret;
}

describe("a client-secret rotation re-evaluates nobody", () => {
  test("a decided person's ordinary login makes no Management API request after a rotation", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    expect(await runtime.login("auth0|db01")).toMatchObject({ status: "success", sub: "github|1001" });
    const before = await runtime.login("github|1001");
    expect(before.decisions).toEqual([expect.objectContaining({ linking: "skip.decided" })]);

    rotateClientSecret();
    await runtime.newContainer();
    const after = await runtime.login("github|1001");
    expect(after.status).toBe("success");
    expect(after.decisions).toEqual([expect.objectContaining({ linking: "skip.decided" })]);
    expect(after.requests).toEqual([]);
  });

  test("a marker written by the earlier release (v2, keyed from the secret) still holds, is rewritten as v3 for free, and then survives a rotation", async () => {
    await setUp();
    tenant.createUser(database({ app_metadata: { [MARKER_KEY]: { v: 2, email: runtime.digest("ada@example.com"), state: "decided" } } }));
    const first = await runtime.login("auth0|db01");
    expect(first.decisions).toEqual([expect.objectContaining({ linking: "skip.decided" })]);
    expect(first.requests).toEqual([]);
    const marker = tenant.user("auth0|db01")!.app_metadata[MARKER_KEY] as { v: number; email: string; state: string };
    expect(marker).toMatchObject({ v: 3, state: "decided" });
    expect(markerDigestMatches(marker.email, "ada@example.com")).toBe(true);

    rotateClientSecret();
    await runtime.newContainer();
    const after = await runtime.login("auth0|db01");
    expect(after.decisions).toEqual([expect.objectContaining({ linking: "skip.decided" })]);
    expect(after.requests).toEqual([]);
  });

  test("a changed email is still looked at again: the marker is bound to the address", async () => {
    await setUp();
    tenant.createUser(database());
    await runtime.login("auth0|db01");
    tenant.users.get("auth0|db01")!.email = "ada.new@example.com";
    const again = await runtime.login("auth0|db01");
    expect(again.decisions).toEqual([expect.objectContaining({ linking: "none.no_candidates" })]);
    expect(again.requests.length).toBeGreaterThan(0);
  });
});

describe("the tenant's rate limit", () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test("after a 429 no container sends anything until the reset; deferred logins go on unlinked, unmarked, logged once per window and container", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.createUser(github({ user_id: "github|2002", email: "bob@example.com" }));
    tenant.createUser(database({ user_id: "auth0|db02", email: "bob@example.com" }));
    tenant.createUser(database({ user_id: "auth0|db03", email: "cy@example.com" }));
    tenant.rateLimitNext(1, { resetInSeconds: 2 });
    const first = await runtime.login("auth0|db01");
    expect(first).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(first.requests.filter((r) => r.status === 429)).toHaveLength(1);

    // Another container learns the window from the sealed api.cache entry: no request at all.
    const other = await runtime.newContainer();
    const second = await runtime.login("auth0|db02", { container: other });
    expect(second).toMatchObject({ status: "success", sub: "auth0|db02" });
    expect(second.requests).toEqual([]);
    expect(second.decisions).toEqual([expect.objectContaining({ linking: "defer.rate_limited", requests: 0 })]);
    expect(second.commands).toEqual([]); // not marked: looked at again later
    const third = await runtime.login("auth0|db03", { container: other });
    expect(third.requests).toEqual([]);
    expect(third.logs).toEqual([]); // the window was already logged in this container

    await sleep(3_100); // past the reset (whole seconds)
    const later = await runtime.login("auth0|db02", { container: other });
    expect(later).toMatchObject({ status: "success", sub: "github|2002" });
  });

  test("failClosed keeps its meaning: a login deferred by the rate limit needed the API and is denied; a decided person is not", async () => {
    await setUp({ failClosed: true });
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.createUser(database({ user_id: "auth0|db09", email: "dee@example.com" }));
    await runtime.login("auth0|db09"); // decided: nobody else has the address
    tenant.rateLimitNext(1, { resetInSeconds: 2 });
    await runtime.login("github|1001");
    const deferredLogin = await runtime.login("auth0|db01");
    expect(deferredLogin.status).toBe("denied");
    expect(deferredLogin.requests).toEqual([]);
    expect(deferredLogin.decisions).toEqual([expect.objectContaining({ linking: "defer.rate_limited", denied: true })]);
    const decided = await runtime.login("auth0|db09");
    expect(decided).toMatchObject({ status: "success", sub: "auth0|db09" });
  });

  test("the remainder under the reserve defers new passes before any 429: the bucket is left to the tenant's other callers", async () => {
    await setUp();
    // A linking pass with the holdings reads spends about 9 requests: 14 leave the second under the reserve.
    tenant.rateLimitBucket = { capacity: 14, refillPerSecond: 0.2 };
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.createUser(database({ user_id: "auth0|db02", email: "bob@example.com" }));
    const first = await runtime.login("auth0|db01");
    expect(first).toMatchObject({ status: "success", sub: "github|1001" });
    const second = await runtime.login("auth0|db02");
    expect(second.requests).toEqual([]);
    expect(second.decisions).toEqual([expect.objectContaining({ linking: "defer.rate_limited" })]);
    expect(tenant.apiRequests().filter((r) => r.status === 429)).toEqual([]);
  });

  test("a burst of logins in one container starts no more passes than the bucket can take: no 429, the rest deferred", async () => {
    await setUp();
    tenant.rateLimitBucket = { capacity: 9, refillPerSecond: 0.1 };
    for (let i = 0; i < 7; i++) {
      tenant.createUser(github({ user_id: `github|b${i}`, email: `b${i}@example.com` }));
      tenant.createUser(database({ user_id: `auth0|b${i}`, email: `b${i}@example.com` }));
    }
    const container = await runtime.newContainer();
    await runtime.login("auth0|b0", { container }); // learns the bucket from the answers
    const burst = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => runtime.login(`auth0|b${i}`, { container })));
    expect(tenant.apiRequests().filter((r) => r.status === 429)).toEqual([]);
    // Deferred: the first of the window logs defer.rate_limited, the others nothing.
    const deferredLogins = burst.filter((o) => o.decisions.length === 0 || o.decisions[0].linking === "defer.rate_limited");
    expect(deferredLogins.length).toBeGreaterThanOrEqual(4);
    expect(burst.filter((o) => o.decisions[0]?.linking === "defer.rate_limited")).toHaveLength(1);
  });

  test("a Free tenant's bucket of 2 still links: the reserve never exceeds what a full bucket leaves for one pass", async () => {
    await setUp();
    tenant.rateLimitBucket = { capacity: 2, refillPerSecond: 2 };
    tenant.createUser(github());
    tenant.createUser(database());
    let outcome = await runtime.login("auth0|db01");
    for (let attempt = 0; attempt < 5 && outcome.sub !== "github|1001"; attempt++) {
      await sleep(1_100);
      outcome = await runtime.login("auth0|db01");
    }
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(reserveFor(2)).toBe(0);
    expect(neededToStart(2, 0)).toBe(2);
    expect([reserveFor(15), neededToStart(15, 0), neededToStart(15, 1)]).toEqual([3, 6, 9]);
    expect(reserveFor(50)).toBe(10);
  });

  test("a forged or replayed deferral in api.cache cannot switch linking off: unsealed entries are ignored, sealed ones only reach MAX_DEFER_MS ahead", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    const far = Date.now() + 24 * 60 * 60 * 1000;
    // Another Action on the trigger writes the key in the clear...
    runtime.cache.set(RATE_LIMIT_CACHE_KEY, { value: JSON.stringify({ until: far, hardUntil: far }), expires_at: far });
    // ...or a value sealed under the right key but beyond the horizon (what no genuine write holds).
    const key = deriveKey(runtime.secrets.CLIENT_SECRET, "seal");
    const sealed = sealJson({ until: far, hardUntil: far }, key, `rate-limit/${tenant.domain}/linking-client`);
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    runtime.cache.set(RATE_LIMIT_CACHE_KEY, { value: sealed, expires_at: far });
    tenant.createUser(github({ user_id: "github|2002", email: "bob@example.com" }));
    tenant.createUser(database({ user_id: "auth0|db02", email: "bob@example.com" }));
    await runtime.newContainer();
    expect(await runtime.login("auth0|db02")).toMatchObject({ status: "success", sub: "github|2002" });
    expect(MAX_DEFER_MS).toBeLessThanOrEqual(60_000);
  });
});

describe("a search that cannot hide a candidate", () => {
  test("a full page of look-alike accounts is 'cannot decide': snoozed, never decided, nothing linked", async () => {
    await setUp();
    // 50 unverified accounts with the address in capitals (on a connection that keeps the case)
    // fill the search's page ahead of the person's differently-cased trusted account.
    for (let i = 0; i < 50; i++) tenant.createUser({ user_id: `twitter|decoy${i}`, connection: "twitter", email: "ADA@EXAMPLE.COM", email_verified: false });
    tenant.createUser(github({ email: "Ada@Example.com" }));
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions).toEqual([expect.objectContaining({ linking: "refuse.search_incomplete" })]);
    const marker = tenant.user("auth0|db01")!.app_metadata[MARKER_KEY] as { state: string };
    expect(marker.state).toBe("snoozed");
  });
});

describe("the cap cannot be used to block a victim", () => {
  /** The victim's two trusted accounts, optionally with an attacker's accounts on a `confirm` connection. */
  async function victimLogin(attackers: number) {
    await setUp();
    tenant.createUser(github());
    for (let i = 0; i < attackers; i++) {
      tenant.createUser({ user_id: `oidc|evil${i}`, connection: "attacker-idp", email: "ada@example.com", email_verified: true });
    }
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    const primary = tenant.user("github|1001");
    const result = { status: outcome.status, sub: outcome.sub, identities: primary?.identities.map((i) => `${i.provider}|${i.user_id}`), reason: outcome.decisions[0]?.linking };
    await tearDown();
    return result;
  }

  test("eleven verified accounts on an attacker's identity provider (left at `confirm`) do not change the link between the victim's two trusted accounts", async () => {
    const without = await victimLogin(0);
    expect(without).toEqual({ status: "success", sub: "github|1001", identities: ["github|1001", "auth0|db01"], reason: "link.done" });
    const attacked = await victimLogin(11);
    expect(attacked).toEqual(without);
  });
});
