// The emulation's password-realm grant runs the deployed Actions for the login, so a scripted
// login (npm run smoke) sees what a real tenant would: the ID token of the user the login ends as.
import * as https from "https";
import { setUp as start, tearDown } from "../support/linking-fixtures";
import { testCertificate } from "../support/tls";
import type { ManagementApiEmulator } from "../support/management-api";
import type { PostLoginRuntime } from "../support/post-login-runtime";

let tenant: ManagementApiEmulator;
let runtime: PostLoginRuntime;

afterEach(tearDown);

/** One HTTPS request to the emulation, trusting its test certificate. */
function request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`https://${tenant.domain}${path}`, { method, headers, ca: testCertificate().cert }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString("utf8")));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const api = (method: string, path: string, token: string, body?: unknown) =>
  request(method, path, { authorization: `Bearer ${token}`, "content-type": "application/json" }, body === undefined ? undefined : JSON.stringify(body));
const form = (path: string, params: Record<string, string>) =>
  request("POST", path, { "content-type": "application/x-www-form-urlencoded" }, new URLSearchParams(params).toString());

function claims(idToken: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(idToken.split(".")[1], "base64url").toString("utf8"));
}

test("a password-realm login runs the Actions and the ID token carries the primary's sub", async () => {
  ({ tenant, runtime } = await start({ connections: { "smoke-a": "trusted", "smoke-b": "trusted" } }));
  runtime.attach();
  tenant.addClient({ clientId: "smoke-admin", clientSecret: "admin-secret", scopes: ["create:users", "read:users", "delete:users"] });
  tenant.passwordClients.set("smoke-app", { clientId: "smoke-app", realms: ["smoke-a", "smoke-b"] });
  const token = (await form("/oauth/token", { grant_type: "client_credentials", client_id: "smoke-admin", client_secret: "admin-secret", audience: tenant.audience })).json.access_token;
  const older = await api("POST", "/api/v2/users", token, { connection: "smoke-a", email: "s1@example.com", password: "pw-a", email_verified: true });
  const newer = await api("POST", "/api/v2/users", token, { connection: "smoke-b", email: "s1@example.com", password: "pw-b", email_verified: true });
  expect([older.status, newer.status]).toEqual([201, 201]);

  const login = () => form("/oauth/token", { grant_type: "http://auth0.com/oauth/grant-type/password-realm", client_id: "smoke-app", realm: "smoke-b", username: "s1@example.com", password: "pw-b", scope: "openid" });
  const first = await login();
  expect(first.status).toBe(200);
  expect(claims(first.json.id_token).sub).toBe(older.json.user_id);
  const before = tenant.apiRequests().length;
  const second = await login();
  expect(claims(second.json.id_token).sub).toBe(older.json.user_id);
  expect(tenant.apiRequests().length).toBe(before);

  expect((await form("/oauth/token", { grant_type: "http://auth0.com/oauth/grant-type/password-realm", client_id: "smoke-app", realm: "smoke-b", username: "s1@example.com", password: "wrong" })).status).toBe(403);
  expect((await api("DELETE", `/api/v2/users/${encodeURIComponent(older.json.user_id)}`, token)).status).toBe(204);
  expect(tenant.users.size).toBe(0);
});
