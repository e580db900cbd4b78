// At /continue the proof (code exchange and JWKS) has its own budget inside Auth0's 20 s, apart
// from the Management API budget the link gets after it (issue 20, item 7).
import { database, github, setUp as start, tearDown } from "../support/linking-fixtures";

afterEach(tearDown);

test("a slow token endpoint and JWKS do not use up the link's Management API budget", async () => {
  const { tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true });
  tenant.createUser(github());
  tenant.createUser(database());
  // Every request takes a second; the code exchange and the JWKS nearly four (inside the per-request 4 s).
  tenant.latencyMs = 1_000;
  tenant.oauth.slow = { token: 2_800, jwks: 2_800 };
  const outcome = await runtime.login("auth0|db01", { form: "link" });
  expect(outcome).toMatchObject({ status: "success", sub: "github|1001" });
  expect(outcome.decisions.at(-1)).toMatchObject({ linking: "link.done", confirmed: true });
  expect(tenant.user("github|1001")!.identities.map((i) => i.user_id)).toEqual(["1001", "db01"]);
}, 60_000);

test("a token endpoint slower than the per-request timeout: nothing linked, snoozed, the login goes on", async () => {
  const { tenant, runtime } = await start({ connections: { github: "trusted" } }, { confirmation: true });
  tenant.createUser(github());
  tenant.createUser(database());
  tenant.oauth.slow = { token: 3_900, jwks: 3_900 };
  tenant.latencyMs = 300;
  const outcome = await runtime.login("auth0|db01", { form: "link" });
  expect(outcome).toMatchObject({ status: "success", sub: "auth0|db01" });
  expect(outcome.decisions.at(-1)).toMatchObject({ linking: "confirm.failed" });
  expect(tenant.user("github|1001")!.identities).toHaveLength(1);
}, 60_000);
