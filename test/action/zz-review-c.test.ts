import { MARKER_KEY } from "../../action-src/decide";
import { google, database, github, setUp as start, tearDown } from "../support/linking-fixtures";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";
let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;
afterEach(tearDown);
const LINK = /^\/api\/v2\/users\/[^/]+\/identities$/;

test("K: switch path + another secondary fails: primary already marked decided by the PATCH, failed one never retried from the primary", async () => {
  ({ tenant, runtime } = await start());
  tenant.createUser(github());          // oldest: primary
  tenant.createUser(database());        // current
  tenant.createUser(google());
  let n = 0;
  tenant.beforeLink = (_p, s) => { if (s.startsWith("google")) { n++; } };
  tenant.inject({ method: "POST", path: LINK, count: 0, answer: 500 });
  // fail only the second link (google)
  const orig = tenant.beforeLink;
  tenant.beforeLink = (p, s) => { orig!(p, s); if (s.startsWith("google")) throw Object.assign(new Error("x"), { status: 500 }); };
  const out = await runtime.login("auth0|db01");
  console.log("K1", JSON.stringify({ sub: out.sub, d: out.decisions }));
  console.log("K marker on primary", JSON.stringify(tenant.user("github|1001")?.app_metadata[MARKER_KEY]));
  const next = await runtime.login("github|1001");
  console.log("K2", JSON.stringify({ d: next.decisions.map((d) => d.linking), req: next.requests.length, googleExists: !!tenant.user("google-oauth2|g1") }));
});
