// Links that lose nothing (issue 18), on the deployed bundle in the emulated runtime against the
// emulated tenant: roles, memberships and factors looked at before a link; carry; profile size;
// undo records Auth0 accepts for Apple and enterprise ids.
import { MARKER_KEY, UNDO_KEY } from "../../action-src/decide";
import { database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";
import * as https from "https";
import { testCertificate } from "../support/tls";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

async function setUp(policy = {}) {
  ({ tenant, runtime } = await start(policy));
}

afterEach(tearDown);

/** GitHub (older, the primary) and a database sign-up that becomes its secondary at login. */
function seed(db: Parameters<typeof database>[0] = {}, gh: Parameters<typeof github>[0] = {}): void {
  tenant.createUser(github(gh));
  tenant.createUser(database(db));
}

const HOLDINGS_PATHS = /\/(roles|permissions|organizations|authentication-methods)$/;

describe("authorization: refuse (default)", () => {
  test("a secondary holding a role the primary lacks is not linked; the line names the kind only; snoozed", async () => {
    await setUp();
    seed();
    tenant.lossless.assignRoles("auth0|db01", ["rol_admin"]);
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions).toEqual([expect.objectContaining({ linking: "refuse.authorization_differs", differs: ["roles"] })]);
    expect(outcome.logs.join("\n")).not.toContain("rol_admin");
    expect(tenant.user("auth0|db01")).toBeDefined();
    expect(tenant.lossless.holdingsOf("auth0|db01").roles).toEqual(["rol_admin"]);
    expect(tenant.user("auth0|db01")!.app_metadata[MARKER_KEY]).toMatchObject({ state: "snoozed" });
    // Snoozed: the next login makes no request.
    expect((await runtime.login("auth0|db01")).requests).toEqual([]);
  });

  test("an Organization membership with a role the primary lacks: organizations and organization_roles", async () => {
    await setUp();
    seed();
    tenant.lossless.addMember("org_acme", "auth0|db01", ["rol_billing"]);
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.decisions).toEqual([expect.objectContaining({ linking: "refuse.authorization_differs", differs: ["organizations", "organization_roles"] })]);
    expect(tenant.user("auth0|db01")).toBeDefined();
  });

  test("equal holdings link; the holdings are read after the lookups and before any write, for both accounts", async () => {
    await setUp();
    seed();
    for (const id of ["auth0|db01", "github|1001"]) tenant.lossless.assignRoles(id, ["rol_user"]);
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    const reads = outcome.requests.filter((r) => HOLDINGS_PATHS.test(r.path));
    expect(reads.map((r) => r.path).sort()).toEqual(
      ["auth0%7Cdb01", "github%7C1001"].flatMap((id) => ["authentication-methods", "organizations", "permissions", "roles"].map((what) => `/api/v2/users/${id}/${what}`)).sort(),
    );
    // In arrival order: the lookups, then every holdings read, then the writes.
    const kinds = outcome.requests.filter((r) => r.path !== "/oauth/token").map((r) => (HOLDINGS_PATHS.test(r.path) ? "holdings" : r.method === "GET" ? "lookup" : "write"));
    expect(kinds.join(" ").replace(/(\w+)( \1)+/g, "$1")).toBe("lookup holdings write");
  });
});

test("a secondary holding nothing: only its holdings and the primary's factors are read (5 requests, one round)", async () => {
  await setUp();
  seed();
  const outcome = await runtime.login("auth0|db01");
  expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
  expect(outcome.requests.filter((r) => HOLDINGS_PATHS.test(r.path)).map((r) => r.path).sort()).toEqual([
    "/api/v2/users/auth0%7Cdb01/authentication-methods",
    "/api/v2/users/auth0%7Cdb01/organizations",
    "/api/v2/users/auth0%7Cdb01/permissions",
    "/api/v2/users/auth0%7Cdb01/roles",
    "/api/v2/users/github%7C1001/authentication-methods",
  ]);
});

describe("authorization: carry", () => {
  test("the primary is given exactly what the secondary held, before the link, and the undo record says what was added", async () => {
    await setUp({ authorization: "carry" });
    seed();
    tenant.lossless.assignRoles("auth0|db01", ["rol_admin"]);
    tenant.lossless.grantPermissions("auth0|db01", ["https://api.example.com read:reports"]);
    tenant.lossless.addMember("org_acme", "auth0|db01", ["rol_billing"]);
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.decisions).toEqual([expect.objectContaining({ linking: "link.done" })]);
    expect(tenant.lossless.holdingsOf("github|1001")).toEqual({
      roles: ["rol_admin"],
      permissions: ["https://api.example.com read:reports"],
      organizations: [{ id: "org_acme", roles: ["rol_billing"] }],
      factors: [],
    });
    const undo = tenant.user("github|1001")!.app_metadata[UNDO_KEY] as { entries: Array<Record<string, unknown>> };
    expect(undo.entries[0]).toMatchObject({
      user: "auth0|db01",
      added: { roles: ["rol_admin"], permissions: ["https://api.example.com read:reports"], organizations: [{ id: "org_acme", roles: ["rol_billing"], joined: true }] },
    });
    // The grants were written before the link.
    const posts = outcome.requests.filter((r) => r.method === "POST" && r.path !== "/oauth/token").map((r) => r.path.split("/").pop());
    expect(posts[posts.length - 1]).toBe("identities");
    expect(posts.slice(0, -1).sort()).toEqual(["members", "permissions", "roles", "roles"]);
  });

  test("a carry write that fails stops before the link: both accounts stay whole", async () => {
    await setUp({ authorization: "carry" });
    seed();
    tenant.lossless.assignRoles("auth0|db01", ["rol_admin"]);
    tenant.inject({ method: "POST", path: /\/roles$/, count: 1, answer: 503 });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.sub).toBe("auth0|db01");
    expect(outcome.decisions[0]).toMatchObject({ linking: "error.management_api" });
    expect(tenant.user("auth0|db01")).toBeDefined();
  });
});

describe("MFA never weaker", () => {
  test("a secondary with a factor the primary lacks is refused (refuse.mfa_downgrade), even with carry", async () => {
    await setUp({ authorization: "carry" });
    seed();
    tenant.lossless.enroll("auth0|db01", "totp");
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.decisions).toEqual([expect.objectContaining({ linking: "refuse.mfa_downgrade" })]);
    expect(tenant.user("auth0|db01")).toBeDefined();
  });

  test("a primary with an enrolled factor (read from authentication-methods) challenges the switched login", async () => {
    await setUp();
    seed();
    tenant.lossless.enroll("github|1001", "totp");
    const outcome = await runtime.login("auth0|db01");
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(outcome.commands).toContainEqual({ type: "multifactor", provider: "any", options: { allowRememberBrowser: false } });
  });

  test("an unconfirmed enrollment is not a factor", async () => {
    await setUp();
    seed();
    tenant.lossless.enroll("auth0|db01", "totp", false);
    expect((await runtime.login("auth0|db01")).sub).toBe("github|1001");
  });
});

describe("undo records Auth0 accepts", () => {
  test.each([
    ["Sign in with Apple", "apple|001234.5f9a0c.0912", "apple"],
    ["an enterprise id holding an email", "samlp|corp|ada@example.com", "corp"],
  ])("%s as the secondary: linked, the undo entry names it by value", async (_what, id, connection) => {
    await setUp({ connections: { github: "trusted", apple: "trusted", corp: "trusted" } });
    tenant.createUser(github());
    tenant.createUser({ user_id: id, connection, email: "ada@example.com", email_verified: true, app_metadata: { plan: "free" } });
    const outcome = await runtime.login(id);
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    const undo = tenant.user("github|1001")!.app_metadata[UNDO_KEY] as { entries: Array<Record<string, unknown>> };
    expect(undo.entries).toEqual([expect.objectContaining({ user: id, app_metadata: { plan: "free" } })]);
  });
});

describe("profile size", () => {
  test("a link that would pass maxProfileBytes is refused and snoozed; nothing is written", async () => {
    await setUp();
    seed({ user_metadata: { notes: "x".repeat(9_000) } });
    const outcome = await runtime.login("auth0|db01");
    expect(outcome.decisions).toEqual([expect.objectContaining({ linking: "refuse.profile_too_large" })]);
    expect(tenant.user("auth0|db01")).toBeDefined();
    expect(tenant.user("github|1001")!.user_metadata).toEqual({});
  });
});

describe("the emulation follows Auth0's documented rules", () => {
  test("metadata field names with . or $ are refused (400); a profile over 10 KB is flagged, or refused after end of life", async () => {
    await setUp();
    seed();
    const token = await tokenFor(tenant);
    const patch = (body: unknown) => call(tenant, "PATCH", "/api/v2/users/github%7C1001", { authorization: `Bearer ${token}`, "content-type": "application/json" }, JSON.stringify(body));
    expect((await patch({ app_metadata: { "apple|001234.5f9a0c": {} } })).status).toBe(400);
    expect((await patch({ user_metadata: { a: { $set: 1 } } })).status).toBe(400);
    expect((await patch({ user_metadata: { big: "x".repeat(11_000) } })).status).toBe(200);
    expect(tenant.lossless.oversized).toEqual(["github|1001"]);
    tenant.lossless.profileLimit = "refuse";
    expect((await patch({ user_metadata: { bigger: "x".repeat(11_000) } })).status).toBe(400);
    expect(tenant.user("github|1001")!.user_metadata.bigger).toBeUndefined();
  });
});

/** One HTTPS request to the emulation, trusting its test certificate. */
function call(t: ManagementApiEmulator, method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`https://${t.domain}${path}`, { method, headers, ca: testCertificate().cert }, (res) => {
      let text = "";
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function tokenFor(t: ManagementApiEmulator): Promise<string> {
  t.addClient({ clientId: "probe", clientSecret: "probe-secret", scopes: ["read:users", "update:users"] });
  const body = new URLSearchParams({ grant_type: "client_credentials", client_id: "probe", client_secret: "probe-secret", audience: t.audience }).toString();
  const answer = await call(t, "POST", "/oauth/token", { "content-type": "application/x-www-form-urlencoded" }, body);
  return (JSON.parse(answer.text) as { access_token: string }).access_token;
}
