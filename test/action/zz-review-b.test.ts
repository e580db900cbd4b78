import { decideLinks, lookupEmails } from "../../action-src/decide";
import { resolvePolicy } from "../../action-src/policy";
import { google, database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;
afterEach(tearDown);

test("D: Kelvin sign K (U+212A) lower-cases to ASCII k: a different address matches the victim's", () => {
  const policy = resolvePolicy({ connections: { github: "trusted", "google-oauth2": "trusted" } });
  const attacker = { user_id: "github|evil", email: "\u212Aate@example.com", email_verified: true, identities: [{ connection: "github", provider: "github", user_id: "evil" }], created_at: "2026-01-02T00:00:00Z" };
  const victim = { user_id: "google-oauth2|kate", email: "kate@example.com", email_verified: true, identities: [{ connection: "google-oauth2", provider: "google-oauth2", user_id: "kate" }], created_at: "2025-01-01T00:00:00Z" };
  console.log("D lookups", JSON.stringify(lookupEmails(attacker.email)));
  const plan = decideLinks(attacker, [victim], policy, { loginConnection: "github" });
  console.log("D plan", plan.kind, (plan as any).primary);
  expect(plan.kind).toBe("none");
});

test("E: account stuck in refuse.conflicting_primaries costs Management API requests on every login", async () => {
  ({ tenant, runtime } = await start());
  tenant.createUser(github());
  tenant.createUser(google());
  tenant.createUser({ user_id: "github|2", connection: "github", email: "ada@example.com", email_verified: true });
  tenant.createUser({ user_id: "google-oauth2|g2", connection: "google-oauth2", email: "ada@example.com", email_verified: true });
  for (const [primary, secondary] of [["github|1001", "github|2"], ["google-oauth2|g1", "google-oauth2|g2"]]) {
    const s = tenant.users.get(secondary)!;
    tenant.users.delete(secondary);
    tenant.users.get(primary)!.identities.push(s.identities[0]);
  }
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) counts.push((await runtime.login("github|1001")).requests.length);
  console.log("E requests per login", counts);
  expect(counts.at(-1)).toBe(0);
});

test("F: Form abandoned: every later login looks up again and re-prompts (no snooze)", async () => {
  ({ tenant, runtime } = await start({ connections: {} }, { confirmation: true }));
  tenant.createUser(github());
  tenant.createUser(database());
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) counts.push((await runtime.login("auth0|db01", { form: "abandon" })).requests.length);
  console.log("F requests per login", counts);
});

test("G: the confirmation pass does not re-check the current account (blocked during the sign-in)", async () => {
  ({ tenant, runtime } = await start({ connections: {}, protectedAppMetadataKeys: ["roles"] }, { confirmation: true }));
  tenant.createUser(github());
  tenant.createUser(database());
  Object.defineProperty(tenant.oauth, "nextSignIn", {
    configurable: true,
    get() {
      const u = tenant.users.get("auth0|db01")!;
      u.blocked = true;
      u.app_metadata = { ...u.app_metadata, roles: ["admin"] };
      return { userId: "github|1001" };
    },
    set() {},
  });
  const out = await runtime.login("auth0|db01", { form: "link" });
  console.log("G", JSON.stringify({ status: out.status, sub: out.sub, d: out.decisions.map((d) => d.linking) }));
  console.log("G github identities", JSON.stringify(tenant.user("github|1001")?.identities.map((i) => i.user_id)));
  expect(tenant.user("github|1001")!.identities).toHaveLength(1);
});
