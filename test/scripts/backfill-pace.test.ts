// The backfill leaves room for logins: without --max-rate it uses at most half the tenant's
// limit and slows down further when others (the Action's logins) draw on the bucket. Against the
// emulation's token bucket, with the apply in its own process as `npm run backfill` runs it.
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { DEFAULT_SHARE, Pacer } from "../../scripts/lib/backfill/pacer";
import type { EnvironmentConfig } from "../../stacks/config";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, runScript } from "../support/run-script";
import { testCertificate } from "../support/tls";

const HOST = path.join(__dirname, "..", "support", "backfill-host.ts");
const BACKFILL = { clientId: "backfill", clientSecret: "backfill-secret", scopes: ["read:users", "update:users", "read:roles", "read:organizations", "read:organization_member_roles", "read:authentication_methods"] };
const LOGINS = { clientId: "logins", clientSecret: "logins-secret", scopes: ["read:users"] };
const environment: EnvironmentConfig = { name: "dev", tenant: "dev", policy: { connections: { github: "trusted", "Username-Password-Authentication": "trusted" } } };
const LIMIT = 15;
/** Duplicate pairs to link: each link is about eight requests now (holdings read before it). */
const PAIRS = 8;
const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

function call(tenant: ManagementApiEmulator, method: string, pathAndQuery: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`https://${tenant.domain}${pathAndQuery}`, { method, headers, ca: testCertificate().cert }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Logins' lookups as the Action sends them (three at once: two exact, one search) at `perSecond` logins until `done` settles. */
async function loginTraffic(tenant: ManagementApiEmulator, perSecond: number, done: Promise<unknown>): Promise<number[]> {
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: LOGINS.clientId, client_secret: LOGINS.clientSecret, audience: tenant.audience }).toString();
  const token = JSON.parse((await call(tenant, "POST", "/oauth/token", form, { "content-type": "application/x-www-form-urlencoded" })).body).access_token as string;
  let finished = false;
  void done.finally(() => (finished = true));
  const statuses: number[] = [];
  for (let i = 0; !finished; i++) {
    const q = new URLSearchParams({ q: `email:"nobody${i}@example.com"`, search_engine: "v3", per_page: "50" }).toString();
    const lookups = [0, 1, 2].map(() => call(tenant, "GET", `/api/v2/users?${q}`, undefined, { authorization: `Bearer ${token}` }));
    statuses.push(...(await Promise.all(lookups)).map((answer) => answer.status));
    await new Promise((r) => setTimeout(r, 1000 / perSecond));
  }
  return statuses;
}

async function applyWithLogins(maxPerSecond?: number) {
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-backfill-pace-"));
  made.push(dir);
  try {
    tenant.addClient(BACKFILL);
    tenant.addClient(LOGINS);
    tenant.exportPollsBeforeDone = 0;
    for (let i = 0; i < PAIRS; i++) {
      tenant.createUser({ user_id: `github|p${i}`, connection: "github", email: `p${i}@example.com`, email_verified: true });
      tenant.createUser({ user_id: `auth0|p${i}`, connection: "Username-Password-Authentication", email: `p${i}@example.com`, email_verified: true });
    }
    const env = cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: BACKFILL.clientId, AUTH0_CLIENT_SECRET: BACKFILL.clientSecret });
    const planFile = path.join(dir, "plan.jsonl");
    const planned = await runScript(HOST, [JSON.stringify({ mode: "dry-run", environment, planFile, workDir: dir })], env);
    expect(planned.code).toBe(0);
    tenant.rateLimitBucket = { capacity: LIMIT, refillPerSecond: LIMIT };
    tenant.latencyMs = 20;
    tenant.resetRecords();
    const apply = runScript(HOST, [JSON.stringify({ mode: "apply", environment, planFile, maxPerSecond })], env);
    const logins = await loginTraffic(tenant, 3, apply);
    const result = await apply;
    const backfill = tenant.apiRequests().filter((r) => r.path !== "/api/v2/users");
    const span = (Math.max(...backfill.map((r) => r.at)) - Math.min(...backfill.map((r) => r.at))) / 1000;
    return { result, logins, backfillRate: backfill.length / span, links: backfill.filter((r) => r.path.endsWith("/identities") && r.status === 201).length };
  } finally {
    await tenant.stop();
  }
}

test("without --max-rate the backfill leaves room for logins: no login lookup meets a 429, and it uses at most half the limit", async () => {
  const run = await applyWithLogins();
  expect(run.result.code).toBe(0);
  expect(run.links).toBe(PAIRS);
  expect(run.logins.length).toBeGreaterThan(30);
  expect(run.logins.filter((s) => s === 429)).toEqual([]);
  expect(run.backfillRate).toBeLessThanOrEqual(DEFAULT_SHARE * LIMIT * 1.1);
}, 180_000);

test("--max-rate still overrides the share", async () => {
  const run = await applyWithLogins(12);
  expect(run.result.code).toBe(0);
  expect(run.backfillRate).toBeGreaterThan(DEFAULT_SHARE * LIMIT * 1.1);
}, 180_000);

describe("the pacer's share", () => {
  function fakeClock() {
    const clock = { now: 1_000_000 };
    return { clock, now: () => clock.now, sleep: async (ms: number) => void (clock.now += ms) };
  }
  const headers = (limit: number, remaining: number, resetAt: number) =>
    new Headers({ "x-ratelimit-limit": String(limit), "x-ratelimit-remaining": String(remaining), "x-ratelimit-reset": String(Math.ceil(resetAt / 1000)) });

  /** Drives a pacer against a simulated bucket for `seconds`; `others` per second drawn by other callers. */
  async function drive(share: number, others: number, seconds = 30) {
    const { clock, now, sleep } = fakeClock();
    const pacer = new Pacer({ share, now, sleep });
    const limit = 20;
    const refill = 20;
    let tokens = limit;
    let at = clock.now;
    let othersDebt = 0;
    let lowest = Infinity;
    const start = clock.now;
    let sent = 0;
    while (clock.now - start < seconds * 1000) {
      const ticket = await pacer.acquire();
      const elapsed = clock.now - at;
      tokens = Math.min(limit, tokens + (elapsed / 1000) * refill);
      othersDebt += (elapsed / 1000) * others;
      const taken = Math.min(Math.floor(othersDebt), Math.floor(tokens));
      tokens -= taken;
      othersDebt -= taken;
      at = clock.now;
      lowest = Math.min(lowest, tokens);
      const ok = tokens >= 1;
      if (ok) tokens -= 1;
      sent++;
      pacer.release(ticket, headers(limit, Math.floor(tokens), clock.now + 1000), ok ? 200 : 429);
    }
    return { rate: sent / seconds, lowest };
  }

  test("alone, it spends at most half the refill and keeps half the bucket", async () => {
    const alone = await drive(DEFAULT_SHARE, 0);
    expect(alone.rate).toBeLessThanOrEqual(10.5);
    expect(alone.rate).toBeGreaterThan(5);
    expect(alone.lowest).toBeGreaterThanOrEqual(9);
  });

  test("when others take more of the bucket, it backs off further", async () => {
    const alone = await drive(DEFAULT_SHARE, 0);
    const busy = await drive(DEFAULT_SHARE, 14);
    expect(busy.rate).toBeLessThan(alone.rate * 0.75);
  });

  test("share 1 (what --max-rate implies) spends the whole bucket, as before", async () => {
    const all = await drive(1, 0);
    expect(all.rate).toBeGreaterThan(18);
  });
});
