// The deployed bundle, run in the emulated post-login runtime against the emulated
// Management API over HTTPS: the behaviour the project exists for, its cost and its failures.
import { MARKER_KEY, markerDigestMatches, UNDO_KEY } from "../../action-src/decide";
import { database, github, google, setUp as start, tearDown, TRUSTED } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

async function setUp(policy = {}) {
  ({ tenant, runtime } = await start(policy));
}

afterEach(tearDown);

/** The original case: a GitHub account exists, then the person signs up with username/password. */
function seedGithubThenDatabase(): void {
  tenant.createUser(github());
  tenant.createUser(database());
}

describe("linking", () => {
  test("GitHub first, then username/password: linked, and the login ends as the GitHub user", async () => {
    await setUp();
    seedGithubThenDatabase();
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.status).toBe("success");
    expect(outcome.sub).toBe("github|1001");
    expect(tenant.user("auth0|db01")).toBeUndefined();
    expect(tenant.user("github|1001")!.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual(["github|1001", "auth0|db01"]);
    expect(outcome.commands.filter((c) => c.type === "setPrimaryUser")).toEqual([{ type: "setPrimaryUser", id: "github|1001" }]);
    expect(outcome.decisions).toEqual([expect.objectContaining({ linking: "link.done", primary: "github|1001", switched: true })]);
  });

  test("reverse order: the older database user stays primary, the GitHub login is not switched", async () => {
    await setUp();
    tenant.createUser(database());
    tenant.createUser(github());
    const outcome = await runtime.login("github|1001");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(tenant.user("auth0|db01")!.identities).toHaveLength(2);
  });

  test("the current user as primary links the others without switching, and remembers the decision", async () => {
    await setUp();
    tenant.createUser(database());
    tenant.createUser(github());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.commands.some((c) => c.type === "setPrimaryUser")).toBe(false);
    const marker = tenant.user("auth0|db01")!.app_metadata[MARKER_KEY] as { email: string };
    expect(marker).toEqual({ v: 3, email: expect.stringMatching(/^[0-9a-f]{16}\.[0-9a-f]{16}$/), state: "decided" });
    expect(markerDigestMatches(marker.email, "ada@example.com")).toBe(true);
  });

  test("three accounts: both others are linked into the oldest", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(google());
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(tenant.user("github|1001")!.identities.map((i) => i.provider).sort()).toEqual(["auth0", "github", "google-oauth2"]);
    expect([...tenant.users.keys()]).toEqual(["github|1001"]);
  });

  test("connection preference decides the primary when the policy sets one", async () => {
    await setUp({ primaryConnectionOrder: ["Username-Password-Authentication"] });
    seedGithubThenDatabase();
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(tenant.user("github|1001")).toBeUndefined();
  });

  test("user_metadata is merged (the primary wins); app_metadata is carried only for the policy's keys; the rest is kept for undo", async () => {
    await setUp({ carriedAppMetadataKeys: ["customer_id"] });
    tenant.createUser(github({ user_metadata: { theme: "dark", lang: "en" }, app_metadata: { plan: "pro" } }));
    tenant.createUser(database({ user_metadata: { theme: "light", newsletter: true }, app_metadata: { plan: "free", customer_id: "c-42", roles: ["admin"] } }));
    await runtime.login("auth0|db01");
    const primary = tenant.user("github|1001")!;
    expect(primary.user_metadata).toEqual({ theme: "dark", lang: "en", newsletter: true });
    expect(primary.app_metadata).toMatchObject({ plan: "pro", customer_id: "c-42" });
    expect(primary.app_metadata.roles).toBeUndefined();
    expect(primary.app_metadata[UNDO_KEY]).toEqual({
      v: 3,
      entries: [
        {
          user: "auth0|db01",
          at: expect.any(Number),
          app_metadata: { plan: "free", roles: ["admin"] },
          user_metadata: { theme: "light" },
          carried_user_metadata: ["newsletter"],
          carried_app_metadata: ["customer_id"],
        },
      ],
    });
  });

  test("mixed-case email from a social provider finds the lower-cased database user", async () => {
    await setUp();
    tenant.createUser(database());
    tenant.createUser(github({ email: "Ada@Example.com" }));
    const outcome = await runtime.login("github|1001");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.requests.filter((r) => r.path === "/api/v2/users-by-email")).toHaveLength(2);
  });

  test("a database sign-up finds an older GitHub account stored as Ada@Example.com (case-insensitive search)", async () => {
    await setUp();
    tenant.createUser(github({ email: "Ada@Example.com" }));
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.requests.map((r) => r.path)).toContain("/api/v2/users");
  });

  test("two social accounts whose providers spell the address differently are linked", async () => {
    await setUp();
    tenant.createUser(github({ email: "ADA@example.com" }));
    tenant.createUser(google({ email: "Ada@Example.com" }));
    const outcome = await runtime.login("google-oauth2|g1");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
  });
});

describe("safety", () => {
  test.each([
    ["the current user is unverified", { email_verified: false as unknown }],
    ["the current user's email_verified is the string \"true\"", { email_verified: "true" as unknown }],
  ])("no link and no request when %s", async (_what, current) => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database(current));
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.requests).toEqual([]);
    expect(outcome.decisions[0]).toMatchObject({ linking: "skip.unverified" });
  });

  test("an unverified candidate is never linked (pre-account-takeover)", async () => {
    await setUp();
    tenant.createUser(database({ email_verified: false })); // attacker pre-registered the address
    tenant.createUser(github());
    const outcome = await runtime.login("github|1001");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(tenant.user("auth0|db01")).toBeDefined();
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    expect(outcome.decisions[0]).toMatchObject({ linking: "none.no_candidates" });
  });

  test("a trusted connection does not turn email_verified: false into verified", async () => {
    await setUp({ connections: { ...TRUSTED, "corp-saml": "trusted" } });
    tenant.createUser(github());
    tenant.createUser({ user_id: "samlp|corp|ada", connection: "corp-saml", email: "ada@example.com", email_verified: false });
    const outcome = await runtime.login("samlp|corp|ada");
    expect(outcome).toMatchObject({ status: "success", sub: "samlp|corp|ada" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "skip.unverified" });
  });

  test("an excluded connection is never linked, in either role", async () => {
    await setUp({ connections: { ...TRUSTED, github: "excluded" } });
    seedGithubThenDatabase();
    const asDatabase = await runtime.login("auth0|db01");
    expect(asDatabase).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(tenant.user("github|1001")).toBeDefined();
    const asGithub = await runtime.login("github|1001");
    expect(asGithub.requests).toEqual([]);
    expect(asGithub.decisions[0]).toMatchObject({ linking: "skip.excluded_connection" });
  });

  test("refresh-token exchanges are skipped without any request", async () => {
    await setUp();
    seedGithubThenDatabase();
    const outcome = await runtime.login("auth0|db01", { protocol: "oauth2-refresh-token" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.requests).toEqual([]);
    expect(outcome.decisions[0]).toMatchObject({ linking: "skip.non_interactive" });
  });

  test("already linked by a concurrent login: re-read, and switch only because it really is linked", async () => {
    await setUp();
    seedGithubThenDatabase();
    tenant.beforeLink = (primaryId, secondaryId) => {
      // The other tab's login links first.
      tenant.beforeLink = undefined;
      const primary = tenant.users.get(primaryId)!;
      const secondary = tenant.users.get(secondaryId)!;
      tenant.users.delete(secondaryId);
      primary.identities.push(secondary.identities[0]);
    };
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "link.race_already_linked" });
  });

  test("a link refused for another reason never switches", async () => {
    await setUp();
    seedGithubThenDatabase();
    tenant.beforeLink = (primaryId) => {
      tenant.beforeLink = undefined;
      tenant.users.delete(primaryId); // primary deleted meanwhile: link answers 404
    };
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.commands.some((c) => c.type === "setPrimaryUser")).toBe(false);
    expect(outcome.decisions[0]).toMatchObject({ linking: "refuse.link_rejected", error: "not_found" });
  });
});

describe("cost", () => {
  test("steady state: the next login makes zero Management API calls", async () => {
    await setUp();
    seedGithubThenDatabase();
    await runtime.login("auth0|db01");
    // The user now signs in with either identity: Auth0 logs them in as the primary.
    const again = await runtime.login("github|1001");
    expect(again.requests).toEqual([]);
    expect(again.decisions[0]).toMatchObject({ linking: "skip.decided" });
  });

  test("a lone user is looked up once, then never again", async () => {
    await setUp();
    tenant.createUser(github());
    const first = await runtime.login("github|1001");
    expect(first.decisions[0]).toMatchObject({ linking: "none.no_candidates" });
    const second = await runtime.login("github|1001");
    expect(second.requests).toEqual([]);
  });

  test("a changed email is looked at again", async () => {
    await setUp();
    tenant.createUser(github());
    await runtime.login("github|1001");
    tenant.users.get("github|1001")!.email = "ada@new.example.com";
    const outcome = await runtime.login("github|1001");
    expect(outcome.requests.map((r) => r.path)).toContain("/api/v2/users-by-email");
  });

  test("one token for many logins, across containers (api.cache), none while it is valid", async () => {
    await setUp();
    for (let i = 0; i < 10; i++) tenant.createUser({ user_id: `github|${i}`, connection: "github", email: `u${i}@example.com`, email_verified: true });
    for (let i = 0; i < 5; i++) await runtime.login(`github|${i}`);
    await runtime.newContainer(); // cold container: module scope empty, api.cache still has the token
    for (let i = 5; i < 10; i++) await runtime.login(`github|${i}`);
    expect(tenant.tokenRequests()).toHaveLength(1);
  });

  test("the token is requested again when api.cache lost it and the container is new", async () => {
    await setUp();
    tenant.createUser({ user_id: "github|1", connection: "github", email: "a@example.com", email_verified: true });
    tenant.createUser({ user_id: "github|2", connection: "github", email: "b@example.com", email_verified: true });
    await runtime.login("github|1");
    runtime.cache.clear();
    await runtime.newContainer();
    await runtime.login("github|2");
    expect(tenant.tokenRequests()).toHaveLength(2);
  });
});

describe("failures", () => {
  test("rate limited once: the login goes on unlinked at once (no wait), nothing is marked, and a login after the reset links", async () => {
    await setUp();
    seedGithubThenDatabase();
    tenant.rateLimitNext(1, { resetInSeconds: 1 });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.requests.filter((r) => r.status === 429)).toHaveLength(1);
    expect(outcome.ms).toBeLessThan(1_000);
    expect(tenant.user("auth0|db01")!.app_metadata[MARKER_KEY]).toBeUndefined();
    await new Promise((r) => setTimeout(r, 2_100)); // past the reset (whole seconds)
    const retry = await runtime.login("auth0|db01");
    expect(retry).toMatchObject({ status: "success", sub: "github|1001" });
  });

  test("rate limited for long: fails open at once, nothing lost, retried at a later login", async () => {
    await setUp();
    seedGithubThenDatabase();
    tenant.rateLimitNext(100, { resetInSeconds: 60, useRetryAfter: true });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.ms).toBeLessThan(1_000);
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.management_api", error: "rate_limited" });
    tenant.rateLimitNext(0);
    runtime.cache.clear(); // the reset, as far as the shared window goes
    await runtime.newContainer();
    const retry = await runtime.login("auth0|db01");
    expect(retry).toMatchObject({ status: "success", sub: "github|1001" });
  });

  test("Management API down: the login continues as the current user", async () => {
    await setUp();
    seedGithubThenDatabase();
    tenant.outage = "down";
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.management_api", error: "unavailable" });
    expect(tenant.user("auth0|db01")).toBeDefined();
  });

  test("Management API hanging: the Action gives up well inside Auth0's 20 s", async () => {
    await setUp();
    seedGithubThenDatabase();
    tenant.outage = "hang";
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.ms).toBeLessThan(11_000);
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.timeout", error: "timeout" });
  });

  test("failClosed denies the login with a generic message", async () => {
    await setUp({ failClosed: true });
    seedGithubThenDatabase();
    tenant.outage = "down";
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.status).toBe("denied");
    expect(outcome.failure).not.toMatch(/link|account|github|ada/i);
  });

  test("a wrong client secret fails open with a reason code", async () => {
    await setUp();
    seedGithubThenDatabase();
    tenant.clients.get("linking-client")!.clientSecret = "rotated";
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.management_api", error: "unauthorized" });
  });
});

describe("report-only", () => {
  test("logs what it would do, writes nothing, never switches", async () => {
    await setUp({ reportOnly: true });
    seedGithubThenDatabase();
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    // Only its own marker, so that each person is evaluated once, not on every login.
    expect(outcome.commands).toEqual([{ type: "setAppMetadata", key: MARKER_KEY, value: { v: 3, email: expect.any(String), state: "reported" } }]);
    expect(markerDigestMatches((outcome.commands[0].value as { email: string }).email, "ada@example.com")).toBe(true);
    expect(outcome.requests.every((r) => r.method === "GET" || r.path === "/oauth/token")).toBe(true);
    expect(tenant.user("auth0|db01")).toBeDefined();
    expect(outcome.decisions[0]).toMatchObject({
      linking: "report.would_link",
      primary: "github|1001",
      secondaries: ["auth0|db01"],
      wouldSwitch: true,
      reportOnly: true,
    });
    const again = await runtime.login("auth0|db01");
    expect(again.requests).toEqual([]);
    expect(again.decisions[0]).toMatchObject({ linking: "skip.reported" });
  });
});

describe("logs", () => {
  test("one short line per login, free of emails, tokens and secrets", async () => {
    await setUp();
    tenant.createUser(github({ email: "Ada.Lovelace@Example.com" }));
    tenant.createUser(database({ email: "ada.lovelace@example.com" }));
    const outcomes = [await runtime.login("auth0|db01"), await runtime.login("github|1001")];
    tenant.outage = "down";
    tenant.createUser({ user_id: "google-oauth2|g2", connection: "google-oauth2", email: "Grace@example.com", email_verified: true });
    outcomes.push(await runtime.login("google-oauth2|g2"));
    for (const outcome of outcomes) {
      expect(outcome.logs).toHaveLength(1);
      const line = outcome.logs[0];
      expect(line.length).toBeLessThanOrEqual(256);
      expect(line).not.toMatch(/@/);
      expect(line).not.toContain(runtime.secrets.CLIENT_SECRET);
      for (const token of tenant.tokensIssued) expect(line).not.toContain(token);
    }
  });
});
