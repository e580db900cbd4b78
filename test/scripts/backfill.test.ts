import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { decideLinks, type Account } from "../../action-src/decide";
import { resolvePolicy } from "../../action-src/policy";
import { decideCluster } from "../../scripts/lib/backfill/cluster";
import { Pacer } from "../../scripts/lib/backfill/pacer";
import { checkPlanFits, loadPlan, policyDigest } from "../../scripts/lib/backfill/plan-file";
import { renderProgress } from "../../scripts/lib/backfill/progress";
import { CliError } from "../../scripts/lib/target";
import type { EnvironmentConfig } from "../../stacks/config";
import { EXCLUDED, seedTenant, tenantState, type GeneratedTenant } from "../support/generated-tenant";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, runScript, startScript } from "../support/run-script";

const policy = resolvePolicy({ excludedConnections: [EXCLUDED] });
/** The operator's credentials: the deploy application plus read:users/update:users. */
const BACKFILL_CLIENT = { clientId: "backfill", clientSecret: "backfill-secret", scopes: ["read:users", "update:users"] };
/** The AUTH0_* variables of BACKFILL_CLIENT for a tenant. */
const credentialsFor = (tenant: ManagementApiEmulator) => ({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: BACKFILL_CLIENT.clientId, AUTH0_CLIENT_SECRET: BACKFILL_CLIENT.clientSecret });
const HOST = path.join(__dirname, "..", "support", "backfill-host.ts");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "linking-backfill-test-"));
const account = (user_id: string, extra: Partial<Account> = {}): Account => ({
  user_id,
  email: "Ada@Example.com",
  email_verified: true,
  created_at: "2024-01-01T00:00:00.000Z",
  identities: [{ connection: user_id.split("|")[0], provider: user_id.split("|")[0], user_id: user_id.split("|")[1] }],
  ...extra,
});

describe("cluster decision: the Action's rules", () => {
  test("a login by any eligible member would choose the same primary as the backfill", () => {
    const members = [
      account("github|1", { created_at: "2023-05-01T00:00:00.000Z" }),
      account("google-oauth2|2", { created_at: "2021-02-01T00:00:00.000Z", email: "ada@example.com" }),
      account("auth0|3", { created_at: "2022-01-01T00:00:00.000Z", email: "ada@example.com" }),
      account("auth0|4", { email_verified: false }),
      account(`${EXCLUDED}|5`, { identities: [{ connection: EXCLUDED, provider: "auth0", user_id: "5" }] }),
    ];
    for (const p of [policy, resolvePolicy({ excludedConnections: [EXCLUDED], primaryConnectionOrder: ["github"] })]) {
      const decision = decideCluster(members, p);
      expect(decision.action).toBe("link");
      if (decision.action !== "link") return;
      for (const current of members.slice(0, 3)) {
        const login = decideLinks(current, members.filter((m) => m !== current), p);
        expect([current.user_id, login.kind === "link" && login.primary]).toEqual([current.user_id, decision.primary]);
      }
      expect(decision.ignored.map((i) => i.reason).sort()).toEqual(["ineligible.excluded_connection", "ineligible.unverified"]);
    }
    expect(decideCluster(members, policy)).toMatchObject({ primary: "google-oauth2|2", secondaries: ["auth0|3", "github|1"] });
  });

  test("an established primary wins; two of them are refused; one eligible member links nothing", () => {
    const established = account("auth0|9", { created_at: "2025-01-01T00:00:00.000Z", identities: [{ provider: "auth0", user_id: "9", connection: "db" }, { provider: "github", user_id: "8" }] });
    expect(decideCluster([account("github|1"), established], policy)).toMatchObject({ action: "link", primary: "auth0|9", secondaries: ["github|1"] });
    expect(decideCluster([established, { ...established, user_id: "auth0|7" }], policy)).toMatchObject({ action: "skip", reason: "refuse.conflicting_primaries" });
    expect(decideCluster([account("github|1"), account("auth0|2", { email_verified: "true" })], policy)).toMatchObject({ action: "skip", reason: "skip.not_enough_eligible" });
  });
});

describe("plan checks", () => {
  const header = { environment: "dev", stack: "auth0-dev", domain: "acme-dev.eu.auth0.com" };
  function planWith(overrides: Record<string, unknown> = {}, end = true) {
    const dir = tmp();
    const file = path.join(dir, "plan.jsonl");
    const lines = [
      { kind: "header", format: 1, ...header, createdAt: new Date(Date.now() - 3_600_000).toISOString(), policyDigest: policyDigest(policy), policy, source: { users: 2, withoutEmail: 0, malformed: 0 }, ...overrides },
      { kind: "cluster", id: "x", email: "a@b.c", lookup: ["a@b.c"], members: ["github|1", "auth0|2"], action: "link", primary: "github|1", secondaries: ["auth0|2"], ignored: [] },
      ...(end ? [{ kind: "end", clusters: 1, links: 1 }] : []),
    ];
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    return file;
  }
  const target = { ...header, environment: "dev", policy, maxAgeMs: 86_400_000, now: Date.now() };
  async function refusal(file: string, t = target): Promise<string> {
    try {
      checkPlanFits(await loadPlan(file), t, file);
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      return (err as Error).message;
    }
    throw new Error("expected a refusal");
  }

  test("a fitting plan passes", async () => {
    const file = planWith();
    expect(() => checkPlanFits({} as never, target, file)).toThrow(); // sanity: a non-plan does not
    const plan = await loadPlan(file);
    expect(() => checkPlanFits(plan, target, file)).not.toThrow();
  });

  test.each<[string, Record<string, unknown>, Partial<typeof target>, string]>([
    ["another tenant", {}, { domain: "acme.eu.auth0.com" }, "it was made for the tenant acme-dev.eu.auth0.com, but AUTH0_DOMAIN is acme.eu.auth0.com"],
    ["another environment", { environment: "staging" }, {}, 'it was made for environment "staging", not "dev"'],
    ["a changed policy", { policyDigest: "0000000000000000" }, {}, "the environment's linking policy changed since it was made"],
    ["a stale plan", { createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString() }, {}, "it is 3 days old, more than --max-age 24.0 hours"],
  ])("refuses %s, changing nothing", async (_name, overrides, t, message) => {
    const text = await refusal(planWith(overrides), { ...target, ...t });
    expect(text).toContain(message);
    expect(text).toContain("Nothing was changed. Make a new plan: npm run backfill -- dev --dry-run");
  });

  test("refuses an incomplete plan (an interrupted dry run)", async () => {
    await expect(loadPlan(planWith({}, false))).rejects.toThrow("is incomplete");
  });
});

describe("pacing and progress", () => {
  test("waits for the reset when the bucket is empty, and honours a ceiling", async () => {
    let now = 1_000_000;
    const slept: number[] = [];
    const pacer = new Pacer({ now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) });
    const headers = (remaining: number, resetIn: number) => new Headers({ "x-ratelimit-limit": "10", "x-ratelimit-remaining": String(remaining), "x-ratelimit-reset": String((now + resetIn) / 1000) });
    await pacer.beforeRequest();
    pacer.observe(headers(3, 1000));
    await pacer.beforeRequest();
    expect(slept).toEqual([]);
    pacer.observe(headers(0, 2000));
    await pacer.beforeRequest();
    expect(slept).toEqual([2000]);
    expect(pacer.limit).toBe(10);
    const capped = new Pacer({ maxPerSecond: 4, now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) });
    await capped.beforeRequest();
    await capped.beforeRequest();
    expect(slept).toEqual([2000, 250]);
  });

  test("progress shows clusters, links, rate and ETA", () => {
    expect(renderProgress({ clustersDone: 50, clustersTotal: 100, links: 60, linksTotal: 120, startedAt: 0, resumedLinks: 10 }, 10_000, 10)).toBe(
      "[#####-----] 50/100 clusters · 60/120 links · 5.0 links/s · ETA 12s",
    );
  });
});

// The end-to-end runs: the real SDK, over HTTPS, against the emulation seeded with a generated tenant.
describe("dry run and apply against a generated tenant", () => {
  const tenant = new ManagementApiEmulator();
  let generated: GeneratedTenant;
  beforeAll(async () => {
    await tenant.start();
  });
  afterAll(() => tenant.stop());
  beforeEach(() => {
    tenant.reset();
    tenant.addClient(BACKFILL_CLIENT);
    generated = seedTenant(tenant);
  });

  const environment: EnvironmentConfig = { name: "dev", tenant: "development tenant", policy: { connections: { [EXCLUDED]: "excluded" } } };
  const host = (args: Record<string, unknown>) =>
    runScript(HOST, [JSON.stringify({ environment, ...args })], cleanEnv(credentialsFor(tenant)));

  async function dryRun(dir: string) {
    const planFile = path.join(dir, "plan.jsonl");
    const result = await host({ mode: "dry-run", planFile });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return { planFile, result };
  }

  test("the dry run exports, plans every cluster and writes nothing to the tenant", async () => {
    const before = tenantState(tenant);
    const { planFile, result } = await dryRun(tmp());
    expect(tenantState(tenant)).toEqual(before);
    expect(tenant.apiRequests().map((r) => `${r.method} ${r.path.replace(/job_\w+/, "job")}`)).toEqual(["POST /api/v2/jobs/users-exports", "GET /api/v2/jobs/job", "GET /api/v2/jobs/job"]);
    const out = result.stdout;
    // 71 users: 6 pairs, 4 triples, 2 fives, 3+3 triples with an unverified or excluded member,
    // 2 already-linked users with a newer account each, 2 conflicting primaries, 10 singles, 3 without email.
    expect(out).toContain("users exported            71 (3 without an email)");
    expect(out).toContain("duplicate clusters        21 holding 58 accounts (by size: 2: 9, 3: 10, 5+: 2)");
    expect(out).toMatch(/would link +20 clusters, 30 links/);
    expect(out).toContain("partly: 6 clusters link some members and leave excluded connection 3, unverified email 3");
    expect(out).toContain("would not link            1 clusters: conflicting primaries (two accounts already hold linked identities) 1");
    expect(out).not.toMatch(/@example\.com/); // the summary names no one
    expect(fs.readFileSync(`${planFile}.summary.txt`, "utf8")).toContain("would link");
    expect(fs.statSync(planFile).mode & 0o777).toBe(0o600);
    const lines = fs.readFileSync(planFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ kind: "header", environment: "dev", domain: tenant.domain, policy: { excludedConnections: [EXCLUDED] } });
    expect(lines.at(-1)).toEqual({ kind: "end", clusters: 21, links: 30 });
    const pair = lines.find((l) => l.email === "pair0@example.com");
    expect(pair.lookup).toEqual(["Pair0@example.com", "pair0@example.com"]);
  });

  test("apply links every planned cluster, merges metadata, leaves the ineligible alone; a rerun does nothing", async () => {
    const dir = tmp();
    const { planFile } = await dryRun(dir);
    const metadataBefore = new Map([...tenant.users.values()].map((u) => [u.user_id, { ...u.user_metadata }]));
    tenant.resetRecords();
    const applied = await host({ mode: "apply", planFile });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("links made now            30");

    for (const [email, members] of generated.linkable) {
      const holders = [...tenant.users.values()].filter((u) => u.email?.toLowerCase() === email && members.includes(u.user_id));
      expect([email, holders.length]).toEqual([email, 1]);
      const primary = holders[0];
      const held = new Set(primary.identities.map((i) => `${i.provider}|${i.user_id}`));
      for (const id of members) expect([email, id, held.has(id)]).toEqual([email, id, true]);
      // Nothing any member had is lost: the primary holds every key (its own values win).
      for (const id of members) for (const key of Object.keys(metadataBefore.get(id) ?? {})) expect([id, key, key in primary.user_metadata]).toEqual([id, key, true]);
      expect(primary.app_metadata.account_linking).toMatchObject({ v: 1 });
    }
    for (const id of generated.untouched) expect([id, tenant.users.has(id)]).toEqual([id, true]);
    const links = tenant.apiRequests().filter((r) => r.method === "POST" && r.path.endsWith("/identities"));
    expect(links.map((r) => r.status)).toEqual(Array(30).fill(201));

    const state = tenantState(tenant);
    tenant.resetRecords();
    const again = await host({ mode: "apply", planFile });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("links made now            0 (and 30 in earlier runs)");
    expect(tenant.apiRequests()).toEqual([]);
    expect(tenantState(tenant)).toEqual(state);
  });

  test("apply re-checks each cluster: links made by logins since, new accounts and newly unverified members are respected", async () => {
    const { planFile } = await dryRun(tmp());
    const plan = fs.readFileSync(planFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const pair = plan.find((l) => l.email === "pair1@example.com");
    const triple = plan.find((l) => l.email === "triple0@example.com");
    // A login linked pair1 meanwhile (the Action's work), a new account appeared for triple0,
    // and one of triple0's planned secondaries lost its verified email.
    const primary = tenant.users.get(pair.primary)!;
    const secondary = tenant.users.get(pair.secondaries[0])!;
    tenant.users.delete(secondary.user_id);
    primary.identities.push({ ...secondary.identities[0] });
    tenant.createUser({ user_id: "github|newcomer", connection: "github", email: "triple0@example.com", email_verified: true });
    tenant.users.get(triple.secondaries[0])!.email_verified = false;
    tenant.resetRecords();

    const applied = await host({ mode: "apply", planFile });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("links made now            28");
    expect(applied.stdout).toContain("planned links not made    1");
    expect(applied.stdout).toContain("accounts newer than the plan 1");
    expect(applied.stdout).toContain("clusters                  already_linked 1, linked 18, not_planned 1, partly_linked 1");
    expect(tenant.users.has("github|newcomer")).toBe(true);
    expect(tenant.users.has(triple.secondaries[0])).toBe(true);
    // No link was ever refused: nothing was linked twice.
    expect(tenant.apiRequests().filter((r) => r.path.endsWith("/identities")).every((r) => r.status === 201)).toBe(true);
  });

  test("Ctrl-C during a long rate-limit wait stops at once, without another request", async () => {
    const { planFile } = await dryRun(tmp());
    tenant.resetRecords();
    tenant.rateLimitNext(1, { resetInSeconds: 45, useRetryAfter: true });
    const run = startScript(HOST, [JSON.stringify({ environment, mode: "apply", planFile })], cleanEnv(credentialsFor(tenant)));
    while (!tenant.apiRequests().some((r) => r.status === 429)) await new Promise((r) => setTimeout(r, 20));
    const asked = Date.now();
    run.child.kill("SIGINT");
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(Date.now() - asked).toBeLessThan(5000);
    expect(tenant.apiRequests()).toHaveLength(1); // the 429, nothing after it
    expect(result.stdout).toContain("Stopped before the end (interrupted)");
  });

  test("under a tight rate limit the pacer follows the headers: no 429, everything linked", async () => {
    const { planFile } = await dryRun(tmp());
    tenant.rateLimitBucket = { capacity: 20, refillPerSecond: 20 };
    tenant.resetRecords();
    const applied = await host({ mode: "apply", planFile });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("links made now            30");
    expect(tenant.apiRequests().filter((r) => r.status === 429)).toEqual([]);
    expect(applied.stdout).toMatch(/requests +\d+ in [\d.]+ s, [\d.]+ s of it waiting for the rate limit \(bucket of 20\)/);
  });
});

describe("npm run backfill (the command)", () => {
  const tenant = new ManagementApiEmulator();
  const creds = () => credentialsFor(tenant);
  beforeAll(async () => {
    await tenant.start();
  });
  afterAll(() => tenant.stop());
  beforeEach(() => {
    tenant.reset();
    tenant.exportPollsBeforeDone = 0;
    tenant.addClient(BACKFILL_CLIENT);
  });

  test.each([
    [["dev"], 2, "give exactly one of --dry-run and --apply"],
    [["dev", "--dry-run", "--apply", "x.jsonl"], 2, "give exactly one of --dry-run and --apply"],
    [["qa", "--dry-run"], 2, 'unknown environment "qa"'],
    [["dev", "--apply", "x.jsonl", "--max-age", "soon"], 2, '--max-age must look like 90m, 24h or 2d, got "soon"'],
  ])("%j fails with exit %i", async (args, code, message) => {
    const result = await runScript("backfill", args as string[], cleanEnv(creds()));
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
  });

  test("without credentials: names them, exports nothing", async () => {
    const result = await runScript("backfill", ["dev", "--dry-run"], cleanEnv({}));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: auth0-dev (development tenant): missing AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET.");
    expect(tenant.requests).toEqual([]);
  });

  test("credentials without read:users: says which scopes the backfill needs", async () => {
    tenant.addClient({ clientId: "weak", clientSecret: "weak-secret", scopes: ["read:actions"] });
    const result = await runScript("backfill", ["dev", "--dry-run", "--out", path.join(tmp(), "plan.jsonl")], cleanEnv({ ...creds(), AUTH0_CLIENT_ID: "weak", AUTH0_CLIENT_SECRET: "weak-secret" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("POST jobs/users-exports: 403 Insufficient scope, expected any of: read:users");
    expect(result.stderr).toContain("needs credentials whose application has read:users and update:users");
  });

  async function planned(dir: string): Promise<string> {
    seedTenant(tenant);
    const planFile = path.join(dir, "plan.jsonl");
    const result = await runScript("backfill", ["dev", "--dry-run", "--out", planFile], cleanEnv(creds()));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Review it, then: npm run backfill -- dev --apply ${planFile}`);
    return planFile;
  }

  test("refuses a plan made for another tenant, and a stale one, changing nothing", async () => {
    const planFile = await planned(tmp());
    const header = JSON.parse(fs.readFileSync(planFile, "utf8").split("\n")[0]);
    tenant.resetRecords();
    const other = await runScript("backfill", ["dev", "--apply", planFile], cleanEnv({ ...creds(), AUTH0_DOMAIN: "acme.eu.auth0.com" }));
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`it was made for the tenant ${header.domain}, but AUTH0_DOMAIN is acme.eu.auth0.com`);
    const stale = await runScript("backfill", ["dev", "--apply", planFile, "--max-age", "0.001m"], cleanEnv(creds()));
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("more than --max-age");
    expect(tenant.requests).toEqual([]);
    expect(fs.existsSync(`${planFile}.journal`)).toBe(false);
  });

  // Interrupted twice (Ctrl-C, then a hard kill), resumed, against an identical tenant applied
  // in one go: same end state, every link answered 201 exactly once.
  test("interrupt and resume: same end state as an uninterrupted run, nothing linked twice", async () => {
    const straight = await planned(tmp());
    const once = await runScript("backfill", ["dev", "--apply", straight], cleanEnv(creds()));
    expect(once.code).toBe(0);
    const expected = tenantState(tenant);

    tenant.users.clear();
    tenant.resetRecords();
    const planFile = await planned(tmp());
    tenant.latencyMs = 15;
    const journal = `${planFile}.journal`;
    const linkedSoFar = () => (fs.existsSync(journal) ? fs.readFileSync(journal, "utf8").split("\n").filter((l) => l.includes('"linked"')).length : 0);
    const interruptAt = async (count: number, signal: NodeJS.Signals) => {
      const run = startScript("backfill", ["dev", "--apply", planFile], cleanEnv(creds()));
      while (linkedSoFar() < count && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
      expect(run.child.exitCode).toBeNull(); // still running: the interruption lands mid-run
      run.child.kill(signal);
      return run.done;
    };
    const first = await interruptAt(8, "SIGINT");
    expect(first.code).toBe(130);
    expect(first.stdout).toContain("Stopped before the end (interrupted). Run the same command again to resume");
    const second = await interruptAt(linkedSoFar() + 8, "SIGKILL");
    expect(second.code).toBe(137);
    tenant.latencyMs = 0;
    const last = await runScript("backfill", ["dev", "--apply", planFile], cleanEnv(creds()));
    expect(last.stderr).not.toContain("error");
    expect(last.code).toBe(0);
    expect(last.stdout).toMatch(/resuming: \d+ clusters already done/);

    expect(tenantState(tenant)).toEqual(expected);
    const links = tenant.apiRequests().filter((r) => r.method === "POST" && r.path.endsWith("/identities"));
    expect(links.map((r) => r.status)).toEqual(Array(links.length).fill(201));
    expect(links.length).toBe(once.stdout.match(/links made now +(\d+)/)!.map(Number)[1]);
  });
});
