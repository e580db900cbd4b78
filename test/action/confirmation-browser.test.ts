// The nested sign-in belongs to the browser that was sent to it (issue 20, item 4). The attack:
// someone starts a login with an account carrying the victim's address, chooses "Sign in to link",
// and hands the nested /authorize URL (the victim's address pre-filled) to the victim, who signs
// in to their own account in their own browser. Auth0 documents only the `state` as what resumes
// the paused login, so the emulation resumes it in whichever browser presents it.
import { database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import { cleanEnv, runScript } from "../support/run-script";
import type { ManagementApiEmulator } from "../support/management-api";
import { DEFAULT_BROWSER, type PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

const VICTIM = { ip: "192.0.2.44", userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15" };

/** The victim's GitHub account (trusted); the attacker's database account with the victim's address (confirm). */
async function setUp() {
  ({ tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true }));
  tenant.createUser(github());
  tenant.createUser(database());
}

afterEach(tearDown);

describe("a nested sign-in completed in another browser", () => {
  test("the victim's browser signs in and follows on to /continue: the sign-in is denied, nothing linked", async () => {
    await setUp();
    const outcome = await runtime.login("auth0|db01", { form: "link", authorizeIn: VICTIM });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(runtime.nested.at(-1)).toMatchObject({ status: "denied" });
    expect(runtime.nested.at(-1)!.decisions).toContainEqual(expect.objectContaining({ linking: "confirm.other_browser" }));
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.cancelled" });
    expect(tenant.oauth.authorizations.at(-1)!.code).toBeUndefined();
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("the code carried back to the attacker's browser: no code was issued, nothing linked", async () => {
    await setUp();
    const outcome = await runtime.login("auth0|db01", { form: "link", authorizeIn: VICTIM, continueIn: "starting" });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.cancelled" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("where the sign-in's Actions cannot see the nonce, /continue still refuses another browser", async () => {
    await setUp();
    tenant.oauth.hideQueryFromActions = true;
    const outcome = await runtime.login("auth0|db01", { form: "link", authorizeIn: VICTIM });
    expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.failed", error: "token.other_browser" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });

  test("the same browser throughout links (the binding does not get in the person's way)", async () => {
    await setUp();
    const outcome = await runtime.login("auth0|db01", { form: "link", browser: VICTIM });
    expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
    expect(runtime.nested.at(-1)).toMatchObject({ status: "success" });
    expect(tenant.oauth.authorizations.at(-1)!.browser).toEqual(VICTIM);
    expect(VICTIM).not.toEqual(DEFAULT_BROWSER);
  });

  test("a sign-in that happened before the redirect (an old session's token) does not count", async () => {
    await setUp();
    tenant.oauth.tamper = { authTimeOffset: -120 }; // within the 5-minute freshness, but before the redirect
    const outcome = await runtime.login("auth0|db01", { form: "link" });
    expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.failed", error: "token.stale_auth" });
    expect(tenant.user("github|1001")!.identities).toHaveLength(1);
  });
});

test("npm run simulate -- confirm-phishing shows the handed-on sign-in denied and nothing linked", async () => {
  const result = await runScript("simulate", ["confirm-phishing"], cleanEnv());
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("confirmation.execute → authorize github: access_denied");
  expect(result.stdout).toContain("outcome:   success (sub = auth0|attacker)");
  expect(result.stdout).toContain("github|1001  identities: [github|1001]");
}, 60_000);
