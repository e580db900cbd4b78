// prompt=login and max_age=0 bind Auth0, not the other identity provider (issue 20, item 5): the
// confirmation says, for each sign-in it starts, whether that provider can be made to ask again
// (Auth0 itself; an OIDC provider once the connection forwards prompt/max_age upstream) or not.
import { setUp as start, tearDown } from "../support/linking-fixtures";

afterEach(tearDown);

test.each([
  ["a GitHub account", "unforced", { user_id: "github|1001", connection: "github" }],
  ["a Google account", "unforced", { user_id: "google-oauth2|g1", connection: "google-oauth2" }],
  ["a SAML account", "unforced", { user_id: "samlp|corp|ada", connection: "corp-saml" }],
  ["an OIDC enterprise account", "upstream_params", { user_id: "oidc|corp|ada", connection: "corp-oidc" }],
  ["a database account", "auth0", { user_id: "auth0|db01", connection: "Username-Password-Authentication" }],
])("the sign-in to %s is sent with prompt=login and max_age=0 and logged as upstream %s", async (_what, freshness, target) => {
  const { tenant, runtime } = await start({ connections: { [target.connection]: "trusted" } }, { confirmation: true });
  tenant.createUser({ ...target, email: "ada@example.com", email_verified: true });
  tenant.createUser({ user_id: "twitter|t1", connection: "twitter", email: "ada@example.com", email_verified: true });
  const outcome = await runtime.login("twitter|t1", { form: "link", stopAtRedirect: true });
  const redirect = outcome.commands.find((c) => c.type === "redirect")!;
  expect(redirect.query).toMatchObject({ connection: target.connection, prompt: "login", max_age: "0" });
  expect(outcome.decisions.find((d) => d.linking === "confirm.redirected")).toMatchObject({ upstream: freshness });
});
