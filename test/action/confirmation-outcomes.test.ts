// What a confirmation can end in (issue 20): never a prompt whose proof could not link, an account
// made ineligible during the sign-in snoozes the person instead of deciding for good, and a
// confirmed switch into a primary with factors requires them, as the silent path does.
import { decideLinks, MARKER_KEY, type Account } from "../../action-src/decide";
import { resolvePolicy } from "../../action-src/policy";
import { database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

/** GitHub trusted, the database at the default (confirm). */
async function setUp(policy = {}) {
  ({ tenant, runtime } = await start({ connections: { github: "trusted" }, ...policy }, { confirmation: true }));
}

afterEach(tearDown);

describe("never a prompt that cannot end in a link", () => {
  test("an untrusted account that already holds linked identities does not stop the confirmation toward the trusted one", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    // An account on an untrusted connection that already holds a second identity (an attacker's
    // IdP can make one with the victim's address): it can never be linked from this side, so it
    // must not change the outcome between the person's own accounts (decide-links.ts).
    tenant.createUser({ user_id: "samlp|corp|ada", connection: "corp-saml", email: "ada@example.com", email_verified: true });
    tenant.users.get("samlp|corp|ada")!.identities.push({ connection: "corp-okta", provider: "oidc", user_id: "corp-okta|ada", isSocial: false } as never);
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(tenant.oauth.authorizations).toHaveLength(1);
    expect(tenant.user("samlp|corp|ada")!.identities).toHaveLength(2);
    expect(tenant.user("github|1001")!.identities.map((i: { user_id: string }) => i.user_id)).toEqual(["1001", "db01"]);
  });

  test("where the proof would link, the person is still asked (and it links)", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.decisions.map((d) => d.linking)).toEqual(["confirm.prompted", "confirm.accepted", "confirm.redirected", "link.done"]);
  });
});

describe("reachability in the decision itself (pure)", () => {
  const account = (user_id: string, connection: string, extra: Partial<Account> = {}): Account =>
    ({ user_id, email: "ada@example.com", email_verified: true, identities: [{ connection, provider: user_id.split("|")[0], user_id: user_id.split("|")[1] }], ...extra }) as Account;
  const policy = resolvePolicy({ connections: { github: "trusted" }, carriedAppMetadataKeys: ["plan"] });

  test("a carried key that would conflict once confirmed: no target (nobody asked), the plan still says confirm", () => {
    const current = account("auth0|db01", "db", { app_metadata: { plan: "free" } });
    const target = account("github|1001", "github", { app_metadata: { plan: "pro" } });
    expect(decideLinks(current, [target], policy, { confirmed: "github|1001" })).toMatchObject({ kind: "none", reason: "refuse.metadata_conflict" });
    const plan = decideLinks(current, [target], policy);
    expect(plan).toMatchObject({ kind: "confirm", reason: "confirm.required" });
    expect(plan.kind === "confirm" && plan.target).toBeUndefined();
  });

  test("of two trusted accounts, the one whose proof would link is the one asked for", () => {
    const current = account("auth0|db01", "db", { app_metadata: { plan: "free" } });
    const conflicting = account("github|1001", "github", { app_metadata: { plan: "pro" }, created_at: "2020-01-01T00:00:00.000Z" });
    const fine = account("github|2002", "github", { created_at: "2021-01-01T00:00:00.000Z" });
    const plan = decideLinks(current, [conflicting, fine], policy);
    expect(plan).toMatchObject({ kind: "confirm" });
    expect(plan.kind === "confirm" && plan.target?.user_id).not.toBe("github|1001");
  });
});

describe("an account made ineligible while its owner signs in", () => {
  test("the account logging in made protected meanwhile: nothing linked, snoozed", async () => {
    await setUp({ protectedAppMetadataKeys: ["roles"], confirmSnoozeHours: 48 });
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.oauth.onAuthorize = () => void (tenant.users.get("auth0|db01")!.app_metadata.roles = ["admin"]);
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.failed", error: "skip.protected" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    // The confirmation's snooze, not only the 15 minutes the prompt itself set.
    const marker = tenant.user("auth0|db01")!.app_metadata[MARKER_KEY] as { state: string; until: number };
    expect(marker.state).toBe("snoozed");
    expect(marker.until - Date.now()).toBeGreaterThan(47 * 3_600_000);
  });

  test.each([
    ["made protected", (user: { app_metadata: Record<string, unknown> }) => void (user.app_metadata.roles = ["admin"])],
    ["unverified", (user: { email_verified?: unknown }) => void (user.email_verified = false)],
    ["blocked", (user: { blocked?: boolean }) => void (user.blocked = true)],
  ])("the account signed in to is %s: nothing linked, the person snoozed (not decided)", async (_what, change) => {
    await setUp({ protectedAppMetadataKeys: ["roles"], confirmSnoozeHours: 48 });
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.oauth.onAuthorize = () => change(tenant.users.get("github|1001") as never);
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "refuse.confirmed_ineligible", confirmed: true });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    const marker = tenant.user("auth0|db01")!.app_metadata[MARKER_KEY] as { state: string; until: number };
    expect(marker.state).toBe("snoozed");
    expect(marker.until - Date.now()).toBeGreaterThan(47 * 3_600_000);
  });
});

describe("MFA after confirmation", () => {
  test("a confirmed link that switches into a primary with enrolled factors requires them, as the silent path does", async () => {
    await setUp();
    tenant.createUser(github({ multifactor: ["guardian"] }));
    tenant.createUser(database());
    const confirmed = await runtime.login("auth0|db01", { form: "link" });
    expect(confirmed).toMatchObject({ status: "success", sub: "github|1001" });
    const resumed = confirmed.commands.slice(confirmed.commands.findIndex((c) => c.type === "redirect"));
    expect(resumed.filter((c) => c.type === "setPrimaryUser" || c.type === "multifactor")).toEqual([
      { type: "setPrimaryUser", id: "github|1001" },
      { type: "multifactor", provider: "any", options: { allowRememberBrowser: false } },
    ]);

    // The silent path, for the same accounts, asks for exactly the same.
    await tearDown();
    ({ tenant, runtime } = await start({ connections: { github: "trusted", "Username-Password-Authentication": "trusted" } }, { confirmation: true }));
    tenant.createUser(github({ multifactor: ["guardian"] }));
    tenant.createUser(database());
    const silent = await runtime.login("auth0|db01");
    expect(silent).toMatchObject({ status: "success", sub: "github|1001" });
    expect(silent.commands.filter((c) => c.type === "setPrimaryUser" || c.type === "multifactor")).toEqual(resumed.filter((c) => c.type === "setPrimaryUser" || c.type === "multifactor"));
  });

  test("a confirmed link into a primary without factors asks for none", async () => {
    await setUp();
    tenant.createUser(github());
    tenant.createUser(database());
    const confirmed = await runtime.login("auth0|db01", { form: "link" });
    expect(confirmed).toMatchObject({ status: "success", sub: "github|1001" });
    expect(confirmed.commands.some((c) => c.type === "multifactor")).toBe(false);
  });
});
