import { MARKER_KEY } from "../../action-src/decide";
import { google, database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;
afterEach(tearDown);
const LINK = /^\/api\/v2\/users\/[^/]+\/identities$/;

describe("review", () => {
  test("A1: victim on trusted Google is asked to confirm into attacker's untrusted enterprise account; attacker IdP signs in silently", async () => {
    ({ tenant, runtime } = await start({ connections: { "google-oauth2": "trusted" } }, { confirmation: true }));
    // attacker: partner IdP (default trust: confirm) asserting the victim's email as verified, created first
    tenant.createUser({ user_id: "samlp|evil|ada", connection: "evil-saml", email: "ada@example.com", email_verified: true });
    tenant.createUser(google());
    // the attacker-run IdP answers for whoever arrives: the confirmation sign-in comes back as the attacker's account
    tenant.oauth.nextSignIn = { userId: "samlp|evil|ada" };
    const victim = await runtime.login("google-oauth2|g1", { form: "link" });
    console.log("A1 victim", JSON.stringify({ status: victim.status, sub: victim.sub, d: victim.decisions.map((d) => d.linking) }));
    const attacker = await runtime.login("samlp|evil|ada");
    console.log("A1 attacker", JSON.stringify({ status: attacker.status, sub: attacker.sub }));
    const holder = tenant.holderOf("google-oauth2|g1");
    console.log("A1 google identity now held by", holder?.user_id, holder?.identities.map((i) => i.connection));
    expect(attacker.sub).not.toBe(holder?.user_id); // fails if the attacker now signs in to the account holding the victim's Google identity
  });

  test("A2: same with primaryConnectionOrder google first: attacker's IdP identity joins victim's account", async () => {
    ({ tenant, runtime } = await start({ connections: { "google-oauth2": "trusted" }, primaryConnectionOrder: ["google-oauth2"] }, { confirmation: true }));
    tenant.createUser({ user_id: "samlp|evil|ada", connection: "evil-saml", email: "ada@example.com", email_verified: true });
    tenant.createUser(google());
    tenant.oauth.nextSignIn = { userId: "samlp|evil|ada" };
    const victim = await runtime.login("google-oauth2|g1", { form: "link" });
    console.log("A2 victim", JSON.stringify({ status: victim.status, sub: victim.sub, d: victim.decisions.map((d) => d.linking) }));
    const attacker = await runtime.login("samlp|evil|ada");
    console.log("A2 attacker", JSON.stringify({ status: attacker.status, sub: attacker.sub }));
    expect(attacker.sub).not.toBe("google-oauth2|g1");
  });

  test("B: 429 on linking the current identity is logged as refuse.link_rejected and snoozed 24h (transient failure treated as refusal)", async () => {
    ({ tenant, runtime } = await start({ failClosed: true }));
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: 429 });
    const out = await runtime.login("auth0|db01");
    console.log("B", JSON.stringify({ status: out.status, sub: out.sub, d: out.decisions }));
    console.log("B marker", JSON.stringify(tenant.user("auth0|db01")?.app_metadata[MARKER_KEY]));
    expect(out.decisions[0].linking).not.toBe("refuse.link_rejected");
  });

  test("C: 503 on link, the re-read also fails with 503 -> ?", async () => {
    ({ tenant, runtime } = await start({}));
    tenant.createUser(github());
    tenant.createUser(database());
    tenant.inject({ method: "POST", path: LINK, count: 1, answer: 503, after: true });
    tenant.inject({ method: "GET", path: /^\/api\/v2\/users\/github/, count: 1, answer: 429 });
    const out = await runtime.login("auth0|db01");
    console.log("C", JSON.stringify({ status: out.status, sub: out.sub, failure: out.failure, d: out.decisions }));
    console.log("C db01 exists?", !!tenant.user("auth0|db01"), "holder", tenant.holderOf("auth0|db01")?.user_id);
  });
});
