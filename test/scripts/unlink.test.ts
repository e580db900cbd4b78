// npm run unlink (issue 18), run as its own process against the emulated tenant, after a real
// link made by the deployed bundle in the emulated runtime.
import { MARKER_KEY, UNDO_KEY, UNLINKED_KEY } from "../../action-src/decide";
import type { EnvironmentConfig } from "../../stacks/config";
import { database, github, setUp, tearDown, TRUSTED } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";
import { cleanEnv, runWithEnvironments } from "../support/run-script";

jest.setTimeout(120_000);

/** The operator application: the scopes docs/unlink.md lists. */
const OPERATOR = {
  clientId: "operator",
  clientSecret: "operator-secret",
  scopes: [
    "read:users",
    "update:users",
    "create:role_members",
    "delete:role_members",
    "create:organization_members",
    "delete:organization_members",
    "create:organization_member_roles",
    "delete:organization_member_roles",
  ],
};
const ENVIRONMENTS: EnvironmentConfig[] = [{ name: "dev", tenant: "development tenant", policy: { connections: { ...TRUSTED }, authorization: "carry" } }];

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

afterEach(tearDown);

const unlink = (...args: string[]) =>
  runWithEnvironments(ENVIRONMENTS, "unlink", ["dev", ...args], cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: OPERATOR.clientId, AUTH0_CLIENT_SECRET: OPERATOR.clientSecret }));

/** GitHub (primary) and a database account holding a role, a membership with a role and metadata, linked by a login with carry. */
async function linkedPair(): Promise<void> {
  ({ tenant, runtime } = await setUp({ authorization: "carry" }));
  tenant.addClient(OPERATOR);
  tenant.createUser(github({ user_metadata: { theme: "dark" } }));
  tenant.createUser(database({ user_metadata: { theme: "light", newsletter: true }, app_metadata: { plan: "free" } }));
  tenant.lossless.assignRoles("auth0|db01", ["rol_admin"]);
  tenant.lossless.assignRoles("github|1001", ["rol_user"]);
  tenant.lossless.addMember("org_acme", "auth0|db01", ["rol_billing"]);
  const outcome = await runtime.login("auth0|db01");
  expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
  expect(tenant.user("auth0|db01")).toBeUndefined();
  tenant.resetRecords();
}

const writes = () => tenant.apiRequests().filter((r) => r.method !== "GET");

describe("npm run unlink", () => {
  test("--help prints the usage with each option and an example, exit 0", async () => {
    ({ tenant, runtime } = await setUp());
    const result = await unlink("--help");
    expect(result.code).toBe(0);
    for (const part of ["<secondary-user-id>", "--dry-run", "--yes", "--help", "npm run unlink -- dev 'google-oauth2|1234' --dry-run"]) expect(result.stdout).toContain(part);
  });

  test("unlinks, restores, takes the carried grants back, removes the entry, and the pair stays unlinked at the next logins", async () => {
    await linkedPair();
    const result = await unlink("auth0|db01", "--yes");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("unlink auth0|db01 from github|1001");

    const secondary = tenant.user("auth0|db01")!;
    expect(secondary.app_metadata).toEqual({ plan: "free", [UNLINKED_KEY]: ["github|1001"] });
    expect(secondary.user_metadata).toEqual({ theme: "light", newsletter: true });
    expect(tenant.lossless.holdingsOf("auth0|db01")).toEqual({ roles: ["rol_admin"], permissions: [], organizations: [{ id: "org_acme", roles: ["rol_billing"] }], factors: [] });

    const primary = tenant.user("github|1001")!;
    expect(primary.identities.map((i) => `${i.provider}|${i.user_id}`)).toEqual(["github|1001"]);
    expect(primary.app_metadata[UNDO_KEY]).toBeUndefined();
    expect(primary.app_metadata[UNLINKED_KEY]).toEqual(["auth0|db01"]);
    expect(tenant.lossless.holdingsOf("github|1001")).toEqual({ roles: ["rol_user"], permissions: [], organizations: [], factors: [] });

    // Next login of both: nothing is linked again.
    const again = await runtime.login("auth0|db01");
    expect(again).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(again.decisions).toEqual([expect.objectContaining({ linking: "skip.unlinked" })]);
    expect(tenant.user("auth0|db01")!.app_metadata[MARKER_KEY]).toMatchObject({ state: "decided" });
    const primaryLogin = await runtime.login("github|1001");
    expect(primaryLogin.sub).toBe("github|1001");
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
    expect((await runtime.login("auth0|db01")).requests).toEqual([]);

    // Running it again: nothing to do.
    const rerun = await unlink("auth0|db01", "--yes");
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain("already unlinked");
  });

  test("an enterprise id holding an email (samlp|corp|ada@example.com): unlinked and restored", async () => {
    ({ tenant, runtime } = await setUp({ connections: { ...TRUSTED, corp: "trusted" } }));
    tenant.addClient(OPERATOR);
    tenant.createUser(github());
    tenant.createUser({ user_id: "samlp|corp|ada@example.com", connection: "corp", email: "ada@example.com", email_verified: true, app_metadata: { department: "R&D" } });
    expect((await runtime.login("samlp|corp|ada@example.com")).sub).toBe("github|1001");
    const result = await unlink("samlp|corp|ada@example.com", "--yes");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(tenant.user("samlp|corp|ada@example.com")!.app_metadata).toEqual({ department: "R&D", [UNLINKED_KEY]: ["github|1001"] });
    expect((await runtime.login("samlp|corp|ada@example.com")).decisions[0]).toMatchObject({ linking: "skip.unlinked" });
  });

  test("--dry-run prints the plan and changes nothing", async () => {
    await linkedPair();
    const result = await unlink("auth0|db01", "--dry-run");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("give back to auth0|db01: 1 role(s), 0 permission(s), 1 Organization membership(s), 1 Organization role(s)");
    expect(result.stdout).toContain("dry run: nothing was changed.");
    expect(writes()).toEqual([]);
  });

  test("a run cut off after the identity was removed is finished by running it again", async () => {
    await linkedPair();
    // 503 on every try the SDK makes (one and two retries).
    tenant.inject({ method: "PATCH", path: /auth0%7Cdb01$/, count: 3, answer: 503 });
    const first = await unlink("auth0|db01", "--yes");
    expect(first.code).toBe(1);
    expect(first.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: unlink stopped at "restore the re-created user's metadata": .*Run the same command again/)]);
    expect(tenant.user("auth0|db01")!.app_metadata).toEqual({});
    const second = await unlink("auth0|db01", "--yes");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("resuming");
    expect(tenant.user("auth0|db01")!.app_metadata).toEqual({ plan: "free", [UNLINKED_KEY]: ["github|1001"] });
    expect(tenant.user("github|1001")!.app_metadata[UNDO_KEY]).toBeUndefined();
  });

  test.each([
    ["an unknown user", ["auth0|nobody", "--yes"], /^error: no user holds the identity auth0\|nobody/, 1],
    ["a user that is nobody's secondary", ["github|1001", "--yes"], /^error: github\|1001 is its own user and not a secondary of anyone/, 1],
    ["not a user_id", ["nobody", "--yes"], /^error: "nobody" is not a user_id/, 2],
    ["no terminal and no --yes", ["auth0|db01"], /^error: npm run unlink: no terminal to ask on/, 2],
  ])("%s: one error: line, nothing changed", async (_what, args, message, code) => {
    await linkedPair();
    const result = await unlink(...(args as string[]));
    expect(result.code).toBe(code);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(message)]);
    expect(writes()).toEqual([]);
  });

  test("a link without an undo record: one error: line, nothing changed", async () => {
    await linkedPair();
    const primary = tenant.users.get("github|1001")!;
    delete primary.app_metadata[UNDO_KEY];
    const result = await unlink("auth0|db01", "--yes");
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: github\|1001 holds auth0\|db01, but keeps no undo record/)]);
    expect(writes()).toEqual([]);
  });
});
