// The Action's load on the tenant, on the deployed bundle in the emulated runtime: what a secret
// rotation costs, how it behaves when the tenant's rate limit is spent, and what a crowd of
// accounts with one address can and cannot do to a login.
import { MARKER_KEY, markerDigestMatches } from "../../action-src/decide";
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
