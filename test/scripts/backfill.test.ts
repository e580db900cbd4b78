import { MANAGEMENT_SCOPES } from "../../stacks/management-scopes";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { decideLinks, type Account } from "../../action-src/decide";
import { resolvePolicy } from "../../action-src/policy";
import { applyPlan } from "../../scripts/lib/backfill/apply";
import { decideCluster, EXPORT_FIELDS } from "../../scripts/lib/backfill/cluster";
import { Journal } from "../../scripts/lib/backfill/journal";
import { lockPlan } from "../../scripts/lib/backfill/lock";
import { Pacer } from "../../scripts/lib/backfill/pacer";
import { clustersIn, partitionUsers } from "../../scripts/lib/backfill/partition";
import { checkPlanFits, loadPlan, policyDigest } from "../../scripts/lib/backfill/plan-file";
import { renderProgress } from "../../scripts/lib/backfill/progress";
import { TenantApi } from "../../scripts/lib/backfill/tenant-api";
import { CliError } from "../../scripts/lib/target";
import type { EnvironmentConfig } from "../../stacks/config";
import { EXCLUDED, seedTenant, tenantState, type GeneratedTenant } from "../support/generated-tenant";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, runScript, runWithEnvironments, startScript, startWithEnvironments } from "../support/run-script";

/** The generated tenant's connections are trusted (silent links); one connection is excluded. */
const TRUSTED = { github: "trusted", "google-oauth2": "trusted", "Username-Password-Authentication": "trusted", email: "trusted", windowslive: "trusted", auth0: "trusted", db: "trusted" } as const;
const policy = resolvePolicy({ connections: { ...TRUSTED, [EXCLUDED]: "excluded" } });
/** The command tests' own environments (never the team's stacks/environments.ts). */
const COMMAND_ENVIRONMENTS: EnvironmentConfig[] = [
  { name: "dev", tenant: "development tenant", policy: { connections: { ...TRUSTED, [EXCLUDED]: "excluded" } } },
  { name: "staging", tenant: "staging tenant", policy: { reportOnly: true } },
];
/** The operator's credentials: the deploy application plus read:users/update:users. */
const BACKFILL_CLIENT = { clientId: "backfill", clientSecret: "backfill-secret", scopes: [...MANAGEMENT_SCOPES] };
/** The AUTH0_* variables of BACKFILL_CLIENT for a tenant. */
const credentialsFor = (tenant: ManagementApiEmulator) => ({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: BACKFILL_CLIENT.clientId, AUTH0_CLIENT_SECRET: BACKFILL_CLIENT.clientSecret });
const HOST = path.join(__dirname, "..", "support", "backfill-host.ts");
// Every temporary directory (plans name people) is removed when the file's tests end.
const made: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-backfill-test-"));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});
const account = (user_id: string, extra: Partial<Account> = {}): Account => ({
  user_id,
  email: "Ada@Example.com",
  email_verified: true,
  created_at: "2024-01-01T00:00:00.000Z",
  identities: [{ connection: user_id.split("|")[0], provider: user_id.split("|")[0], user_id: user_id.split("|")[1] }],
  ...extra,
});
const readPlan = (file: string) => fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));

describe("cluster decision: the Action's rules", () => {
  test("a login by any eligible member would choose the same primary as the backfill", () => {
    const members = [
      account("github|1", { created_at: "2023-05-01T00:00:00.000Z" }),
      account("google-oauth2|2", { created_at: "2021-02-01T00:00:00.000Z", email: "ada@example.com" }),
      account("auth0|3", { created_at: "2022-01-01T00:00:00.000Z", email: "ada@example.com" }),
      account("auth0|4", { email_verified: false }),
      account(`${EXCLUDED}|5`, { identities: [{ connection: EXCLUDED, provider: "auth0", user_id: "5" }] }),
    ];
    for (const p of [policy, resolvePolicy({ connections: { ...TRUSTED, [EXCLUDED]: "excluded" }, primaryConnectionOrder: ["github"] })]) {
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

  test("trust: untrusted pairs are left for confirmation, never linked; in a mixed cluster the trusted ones link", () => {
    const untrusted = resolvePolicy({ connections: { github: "trusted" } });
    expect(decideCluster([account("github|1"), account("auth0|2")], untrusted)).toMatchObject({ action: "confirm", reason: "confirm.required" });
    expect(decideCluster([account("auth0|1"), account("auth0|2")], resolvePolicy({}))).toMatchObject({ action: "confirm" });
    const mixed = decideCluster([account("samlp|0", { created_at: "2020-01-01T00:00:00.000Z" }), account("github|1"), account("google-oauth2|2")], policy);
    expect(mixed).toMatchObject({ action: "link", awaiting: 1 });
    // Whichever trusted member logs in, the same silent plan.
    for (const current of [account("github|1"), account("google-oauth2|2")]) {
      const others = [account("samlp|0", { created_at: "2020-01-01T00:00:00.000Z" }), account("github|1"), account("google-oauth2|2")].filter((a) => a.user_id !== current.user_id);
      expect(decideLinks(current, others, policy)).toMatchObject({ kind: "link", primary: (mixed as { primary: string }).primary, awaitingConfirmation: 1 });
    }
    expect(decideCluster([account("github|1"), account("github|2", { blocked: true })], policy)).toMatchObject({ action: "skip", ignored: [{ user_id: "github|2", reason: "ineligible.blocked" }] });
  });

  test("an established primary wins; two of them are refused; one eligible member links nothing", () => {
    const established = account("auth0|9", { created_at: "2025-01-01T00:00:00.000Z", identities: [{ provider: "auth0", user_id: "9", connection: "db" }, { provider: "github", user_id: "8" }] });
    expect(decideCluster([account("github|1"), established], policy)).toMatchObject({ action: "link", primary: "auth0|9", secondaries: ["github|1"] });
    expect(decideCluster([established, { ...established, user_id: "auth0|7" }], policy)).toMatchObject({ action: "skip", reason: "refuse.conflicting_primaries" });
    expect(decideCluster([account("github|1"), account("auth0|2", { email_verified: "true" })], policy)).toMatchObject({ action: "skip", reason: "skip.not_enough_eligible" });
  });

  test("a pair the decision module says needs confirmation is never linked: it is left for the next login", () => {
    // The decision module's "confirm" kind (the lead's trust model), simulated on today's module.
    jest.isolateModules(() => {
      jest.doMock("../../action-src/decide", () => {
        const actual = jest.requireActual("../../action-src/decide");
        return { ...actual, decideLinks: () => ({ kind: "confirm", reason: "confirm.required", primary: "github|1", ignored: [] }) };
      });
      const { decideCluster: decide } = require("../../scripts/lib/backfill/cluster") as typeof import("../../scripts/lib/backfill/cluster");
      expect(decide([account("github|1"), account("auth0|2")], policy)).toEqual({ action: "confirm", reason: "confirm.required", primary: "github|1", ignored: [] });
    });
    jest.dontMock("../../action-src/decide");
  });

  test("the export asks for every field the rules read", () => {
    expect(EXPORT_FIELDS).toEqual(expect.arrayContaining(["user_id", "email", "email_verified", "created_at", "identities", "blocked", "app_metadata", "user_metadata", "multifactor"]));
  });
});

describe("partitions", () => {
  async function* from(lines: string[]) {
    yield* lines;
  }
  test("a user listed twice is one user; only the fields the decision reads reach the disk", async () => {
    const dir = tmp();
    const users = [
      { user_id: "github|1", email: "Ada@example.com", email_verified: true, identities: [{ connection: "github", provider: "github", user_id: "1", profileData: { name: "Ada" } }], user_metadata: { secret: "s" }, app_metadata: { plan: "pro" }, blocked: true, multifactor: ["guardian"] },
      { user_id: "auth0|2", email: "ada@example.com", email_verified: true, identities: [{ connection: "db", provider: "auth0", user_id: "2" }] },
    ];
    const counts = await partitionUsers(from([...users, users[0]].map((u) => JSON.stringify(u))), dir, policy, { buckets: 4 });
    expect(counts).toMatchObject({ users: 3, withoutEmail: 0 });
    const onDisk = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("");
    expect(onDisk).not.toMatch(/secret|profileData|"plan"/);
    const clusters = [];
    for await (const c of clustersIn(dir, 4)) clusters.push(c);
    expect(clusters).toHaveLength(1);
    expect(clusters[0].duplicates).toBe(1);
    expect(clusters[0].members.map((m) => m.user_id)).toEqual(["github|1", "auth0|2"]);
    expect(clusters[0].members[0]).toMatchObject({ blocked: true, multifactor: ["guardian"] });
    expect(fs.readdirSync(dir)).toEqual([]); // each bucket removed once grouped
  });

  test("a line that is not a user stops the dry run, naming the line", async () => {
    const lines = [JSON.stringify({ user_id: "a|1", email: "a@b.c", identities: [{ connection: "a", provider: "a", user_id: "1" }] }), "{not json", JSON.stringify({ email: "x@y.z" })];
    await expect(partitionUsers(from(lines), tmp(), policy)).rejects.toThrow("the export's line 2 is not JSON: the download is damaged");
    await expect(partitionUsers(from([lines[0], lines[2]]), tmp(), policy)).rejects.toThrow("the export's line 2 is not a user (no user_id)");
  });
});

describe("plan checks", () => {
  const header = { environment: "dev", stack: "auth0-dev", domain: "acme-dev.eu.auth0.com" };
  const cluster = { kind: "cluster", n: 1, lookup: ["a@b.c"], members: ["auth0|2", "github|1"], primary: "github|1", secondaries: ["auth0|2"], ignored: [] };
  function planWith(overrides: Record<string, unknown> = {}, options: { end?: boolean; clusters?: unknown[]; raw?: string[] } = {}) {
    const file = path.join(tmp(), "plan.jsonl");
    const clusters = options.clusters ?? [cluster];
    const lines = [
      JSON.stringify({ kind: "header", format: 2, ...header, createdAt: new Date(Date.now() - 3_600_000).toISOString(), policyDigest: policyDigest(policy), policy, source: { users: 2, withoutEmail: 0 }, ...overrides }),
      ...clusters.map((c) => JSON.stringify(c)),
      ...(options.raw ?? []),
      ...(options.end === false ? [] : [JSON.stringify({ kind: "end", clusters: clusters.length, links: clusters.length, notLinked: {}, confirm: 0, duplicates: 0 })]),
    ];
    fs.writeFileSync(file, lines.join("\n") + "\n");
    return file;
  }
  const target = { ...header, environment: "dev", policy, maxAgeMs: 86_400_000, now: Date.now() };
  const remedy = "Make a new plan: npm run backfill -- dev --dry-run";
  async function refusal(file: string, t = target): Promise<string> {
    try {
      checkPlanFits(await loadPlan(file, remedy), t, file);
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      return (err as Error).message;
    }
    throw new Error("expected a refusal");
  }

  test("a fitting plan passes", async () => {
    const plan = await loadPlan(planWith(), remedy);
    expect(() => checkPlanFits(plan, target, "plan.jsonl")).not.toThrow();
    const clusters = [];
    for await (const c of plan.clusters()) clusters.push(c);
    expect(clusters).toEqual([cluster]);
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

  test.each<[string, Parameters<typeof planWith>[1], string]>([
    ["a cut line", { raw: ['{"kind":"cluster","n":2,"looku'] }, "line 3: not JSON"],
    ["a secondary that is not a member", { clusters: [{ ...cluster, secondaries: ["auth0|9"] }] }, "line 2: secondaries must be distinct members other than the primary"],
    ["a primary linked into itself", { clusters: [{ ...cluster, secondaries: ["github|1"] }] }, "line 2: secondaries must be distinct members other than the primary"],
    ["emails of two people in one cluster", { clusters: [{ ...cluster, lookup: ["a@b.c", "x@y.z"] }] }, "line 2: lookup holds emails of different people"],
    ["clusters out of order", { clusters: [cluster, { ...cluster, n: 3 }] }, "line 3: cluster number 3 where 2 was expected"],
  ])("refuses a damaged plan (%s) before any request, naming the line", async (_name, options, message) => {
    const file = planWith({}, options);
    await expect(loadPlan(file, remedy)).rejects.toThrow(`${file} ${message}. The plan is damaged or not a backfill plan: nothing was applied. ${remedy}`);
  });

  test("refuses an incomplete plan, an end line that miscounts, an empty file and a directory", async () => {
    await expect(loadPlan(planWith({}, { end: false }), remedy)).rejects.toThrow("is incomplete (no end line");
    const miscount = planWith({}, { clusters: [cluster, { ...cluster, n: 2 }], end: false, raw: [JSON.stringify({ kind: "end", clusters: 1, links: 1, notLinked: {}, confirm: 0 })] });
    await expect(loadPlan(miscount, remedy)).rejects.toThrow("line 4: the end line counts 1 clusters and 1 links, the plan holds 2 and 2");
    const empty = path.join(tmp(), "empty.jsonl");
    fs.writeFileSync(empty, "");
    await expect(loadPlan(empty, remedy)).rejects.toThrow("is empty");
    const dir = tmp();
    await expect(loadPlan(dir, remedy)).rejects.toThrow(`${dir} is a directory: give the plan file`);
  });
});

describe("journal and lock", () => {
  test("a line cut by a crash is removed on open, so no later entry is lost; an empty journal is this plan's", () => {
    const file = path.join(tmp(), "plan.jsonl.journal");
    const first = Journal.open(file, "plan-a");
    first.append({ event: "linked", cluster: 1, secondary: "auth0|2" });
    first.close();
    fs.appendFileSync(file, '{"event":"done","clus'); // killed mid-write
    const second = Journal.open(file, "plan-a");
    expect(second.repaired).toBe(true);
    second.append({ event: "done", cluster: 1, outcome: "linked", made: 1, already: 0, notMade: 0, newer: 0 });
    second.close();
    const third = Journal.open(file, "plan-a");
    expect(third.repaired).toBe(false);
    expect([...third.linked]).toEqual(["auth0|2"]);
    expect(third.done.get(1)).toMatchObject({ outcome: "linked", made: 1 });
    third.close();
    expect(() => Journal.open(file, "plan-b")).toThrow("is not this plan's journal");

    const empty = path.join(tmp(), "empty.journal");
    fs.writeFileSync(empty, "");
    Journal.open(empty, "plan-a").close();
    expect(JSON.parse(fs.readFileSync(empty, "utf8"))).toMatchObject({ event: "start", plan: "plan-a" });
  });

  test("one apply per plan: a live holder is named; a dead one's lock is taken over", () => {
    const plan = path.join(tmp(), "plan.jsonl");
    const release = lockPlan(plan);
    expect(() => lockPlan(plan)).toThrow(`another apply of this plan is running (process ${process.pid}, since`);
    release();
    expect(fs.existsSync(`${plan}.lock`)).toBe(false);
    fs.writeFileSync(`${plan}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), since: "earlier" }));
    const again = lockPlan(plan);
    expect(JSON.parse(fs.readFileSync(`${plan}.lock`, "utf8")).pid).toBe(process.pid);
    again();
  });
});

describe("pacing and progress", () => {
  function fakeClock() {
    const clock = { now: 1_000_000, slept: [] as number[] };
    return { clock, now: () => clock.now, sleep: async (ms: number) => void (clock.slept.push(ms), (clock.now += ms)) };
  }
  const headers = (limit: number, remaining: number, resetAt: number) => new Headers({ "x-ratelimit-limit": String(limit), "x-ratelimit-remaining": String(remaining), "x-ratelimit-reset": String(resetAt / 1000) });

  test("an empty bucket waits for the reset; whatever is in flight counts as taken; a ceiling spaces requests", async () => {
    const { clock, now, sleep } = fakeClock();
    const pacer = new Pacer({ now, sleep });
    const first = await pacer.acquire();
    pacer.release(first, headers(10, 2, clock.now + 1000), 200);
    await pacer.acquire();
    await pacer.acquire(); // 2 remaining, 2 in flight: the next must wait for an answer or the reset
    expect(clock.slept).toEqual([]);
    const third = pacer.acquire();
    await new Promise((r) => setTimeout(r, 20));
    pacer.release({ seq: 1 }, headers(10, 0, clock.now + 1000), 200);
    pacer.release({ seq: 2 }, headers(10, 0, clock.now + 1000), 200);
    await third;
    expect(clock.slept).toEqual([1000]); // the reset, not a 429
    expect(pacer.limit).toBe(10);

    const capped = new Pacer({ maxPerSecond: 4, now, sleep });
    capped.release(await capped.acquire(), headers(100, 90, clock.now + 1000), 200);
    await capped.acquire();
    expect(clock.slept).toEqual([1000, 250]);
  });

  test("measures the refill from the headers and sends before the reset, never early", async () => {
    const { clock, now, sleep } = fakeClock();
    const pacer = new Pacer({ now, sleep });
    // A bucket of 10 refilled at 5 per second, drained: each answer reports what is left.
    let tokens = 10;
    let at = clock.now;
    const sent: number[] = [];
    for (let i = 0; i < 60; i++) {
      const ticket = await pacer.acquire();
      tokens = Math.min(10, tokens + ((clock.now - at) / 1000) * 5);
      at = clock.now;
      expect(tokens).toBeGreaterThanOrEqual(1); // never a request the bucket cannot take
      tokens -= 1;
      sent.push(clock.now);
      pacer.release(ticket, headers(10, Math.floor(tokens), Math.ceil((clock.now + 200) / 1000) * 1000), 200);
    }
    expect(pacer.refillPerSecond).toBeGreaterThan(4.5);
    expect(pacer.refillPerSecond).toBeLessThanOrEqual(5.2);
    const steady = (60 - 20) / ((sent[59] - sent[19]) / 1000);
    expect(steady).toBeGreaterThan(4.5);
  });

  test("an answer that overtook a later one does not raise the picture of the bucket", async () => {
    const { clock, now, sleep } = fakeClock();
    const pacer = new Pacer({ now, sleep });
    const reset = clock.now + 1000;
    pacer.release(await pacer.acquire(), headers(10, 2, reset), 200);
    const a = await pacer.acquire();
    const b = await pacer.acquire();
    pacer.release(b, headers(10, 0, reset), 200); // b took the last token, and its answer came first
    pacer.release(a, headers(10, 1, reset), 200); // a, processed before b, arrives late
    await pacer.acquire();
    expect(clock.slept).toEqual([1000]); // waited for the reset: the bucket is empty, not at 1
  });

  test("progress shows clusters, links, rate and ETA", () => {
    expect(renderProgress({ clustersDone: 50, clustersTotal: 100, links: 60, linksTotal: 120, startedAt: 0, resumedLinks: 10 }, 10_000, 10)).toBe(
      "[#####-----] 50/100 clusters · 60/120 links · 5.0 links/s · ETA 12s",
    );
  });
});

describe("apply: several clusters at once, one request at a time within a cluster", () => {
  /** A plan of `count` two-account clusters and an in-memory tenant answering after a few ms. */
  function pairs(count: number) {
    const planFile = path.join(tmp(), "plan.jsonl");
    const people = Array.from({ length: count }, (_, i) => ({ email: `p${i}@example.com`, primary: `github|${i}`, secondary: `auth0|${i}` }));
    const lines = [
      { kind: "header", format: 2, environment: "dev", stack: "auth0-dev", domain: "d", createdAt: new Date().toISOString(), policyDigest: policyDigest(policy), policy, source: { users: count * 2, withoutEmail: 0 } },
      ...people.map((p, i) => ({ kind: "cluster", n: i + 1, lookup: [p.email], members: [p.secondary, p.primary].sort(), primary: p.primary, secondaries: [p.secondary], ignored: [] })),
      { kind: "end", clusters: count, links: count, notLinked: {}, confirm: 0, duplicates: 0 },
    ];
    fs.writeFileSync(planFile, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const users = new Map<string, Account>();
    for (const p of people) {
      users.set(p.primary, account(p.primary, { email: p.email, created_at: "2020-01-01T00:00:00.000Z" }));
      users.set(p.secondary, account(p.secondary, { email: p.email, user_metadata: { from: p.secondary } }));
    }
    const linkDirectly = (primary: string, secondary: string) => {
      users.get(primary)!.identities!.push(users.get(secondary)!.identities![0]);
      users.delete(secondary);
    };
    // Records, per cluster (by email), how many of its requests are open at once.
    const stats = { open: new Map<string, number>(), maxOpen: 0, overlapWithin: 0, links: [] as string[] };
    const emailOf = (id: string) => users.get(id)?.email ?? [...users.values()].find((u) => u.identities!.some((i) => `${i.provider}|${i.user_id}` === id))!.email!;
    const answer = <T>(email: string, result: () => T) => ({
      withRawResponse: async () => {
        if ((stats.open.get(email) ?? 0) > 0) stats.overlapWithin++;
        stats.open.set(email, (stats.open.get(email) ?? 0) + 1);
        stats.maxOpen = Math.max(stats.maxOpen, [...stats.open.values()].reduce((a, b) => a + b, 0));
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
        stats.open.set(email, stats.open.get(email)! - 1);
        return { data: result(), rawResponse: { headers: new Headers({ "x-ratelimit-limit": "1000", "x-ratelimit-remaining": "900", "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 1) }) } };
      },
    });
    // The holdings reads before each link (nobody here holds roles, memberships or factors).
    const empty = () => Promise.resolve({ data: [], response: [], rawResponse: { headers: new Headers() } });
    const client = {
      organizations: { members: { roles: { list: empty } } },
      users: {
        roles: { list: empty },
        permissions: { list: empty },
        organizations: { list: empty },
        authenticationMethods: { list: empty },
        listUsersByEmail: ({ email }: { email: string }) => answer(email, () => [...users.values()].filter((u) => u.email === email)),
        update: (id: string, patch: { user_metadata?: Record<string, unknown> }) => answer(emailOf(id), () => Object.assign(users.get(id)!, { user_metadata: { ...users.get(id)!.user_metadata, ...patch.user_metadata } })),
        get: (id: string) => answer(emailOf(id), () => users.get(id)),
        identities: {
          link: (id: string, body: { provider: string; user_id: string }) =>
            answer(emailOf(id), () => {
              stats.links.push(`${body.provider}|${body.user_id}`);
              linkDirectly(id, `${body.provider}|${body.user_id}`);
              return [];
            }),
        },
      },
    };
    return { planFile, people, users, stats, linkDirectly, api: () => new TenantApi(client as never, new Pacer()) };
  }

  test("workers overlap across clusters but never within one; every planned link is made once", async () => {
    const { planFile, people, users, stats, api } = pairs(24);
    const plan = await loadPlan(planFile, "");
    const journal = Journal.open(`${planFile}.journal`, plan.id);
    const result = await applyPlan({ plan, api: api(), journal, policy, concurrency: 6 });
    journal.close();
    expect(stats.overlapWithin).toBe(0);
    expect(stats.maxOpen).toBeGreaterThan(1);
    expect(stats.maxOpen).toBeLessThanOrEqual(6);
    expect(stats.links.sort()).toEqual(people.map((p) => p.secondary).sort());
    expect(result).toMatchObject({ linksMade: 24, linksMadeNow: 24, linksAlready: 0, clusters: { linked: 24 }, unfinished: { clusters: 0, links: 0 } });
    for (const p of people) expect(users.get(p.primary)!.user_metadata).toEqual({ from: p.secondary });
  });

  test("a link sent just before a crash (no answer journalled) counts as the backfill's, not a login's", async () => {
    const { planFile, people, stats, linkDirectly, api } = pairs(3);
    const plan = await loadPlan(planFile, "");
    const journal = Journal.open(`${planFile}.journal`, plan.id);
    // The crashed run: asked Auth0 to link person 0 (Auth0 did), and died before writing the answer.
    journal.append({ event: "linking", cluster: 1, secondary: people[0].secondary });
    linkDirectly(people[0].primary, people[0].secondary);
    // Meanwhile a login linked person 1 itself.
    linkDirectly(people[1].primary, people[1].secondary);
    const result = await applyPlan({ plan, api: api(), journal, policy });
    journal.close();
    expect(stats.links).toEqual([people[2].secondary]);
    expect(result).toMatchObject({ linksMade: 2, linksMadeNow: 1, linksAlready: 1, clusters: { linked: 2, already_linked: 1 } });
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

  const environment: EnvironmentConfig = { name: "dev", tenant: "development tenant", policy: { connections: { ...TRUSTED, [EXCLUDED]: "excluded" } } };
  const host = (args: Record<string, unknown>, env: EnvironmentConfig = environment) =>
    runScript(HOST, [JSON.stringify({ environment: env, ...args })], cleanEnv(credentialsFor(tenant)));

  async function dryRun(dir: string, env: EnvironmentConfig = environment) {
    const planFile = path.join(dir, "plan.jsonl");
    const result = await host({ mode: "dry-run", planFile, workDir: dir }, env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return { planFile, result };
  }

  test("the dry run exports every field the rules read, plans every cluster, writes nothing to the tenant and leaves no temporary file", async () => {
    const before = tenantState(tenant);
    const dir = tmp();
    const { planFile, result } = await dryRun(dir);
    expect(tenantState(tenant)).toEqual(before);
    expect(tenant.apiRequests().map((r) => `${r.method} ${r.path.replace(/job_\w+/, "job")}`)).toEqual(["POST /api/v2/jobs/users-exports", "GET /api/v2/jobs/job", "GET /api/v2/jobs/job"]);
    const jobs = (tenant as unknown as { exportJobs: Map<string, { fields: string[] }> }).exportJobs;
    expect([...jobs.values()][0].fields).toEqual(EXPORT_FIELDS);
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
    expect(fs.readdirSync(dir).sort()).toEqual(["plan.jsonl", "plan.jsonl.summary.txt"]); // partitions gone
    const lines = readPlan(planFile);
    expect(lines[0]).toMatchObject({ kind: "header", format: 2, environment: "dev", domain: tenant.domain, policy: { connections: { ...TRUSTED, [EXCLUDED]: "excluded" } } });
    expect(lines.at(-1)).toEqual({ kind: "end", clusters: 20, links: 30, notLinked: { "refuse.conflicting_primaries": 1 }, confirm: 0, duplicates: 0 });
    // Only what the apply needs: spellings to look up, ids; no metadata, no cluster it will not link.
    const pair = lines.find((l) => l.lookup?.includes("pair0@example.com"));
    expect(Object.keys(pair).sort()).toEqual(["ignored", "kind", "lookup", "members", "n", "primary", "secondaries"]);
    expect(pair.lookup).toEqual(["Pair0@example.com", "pair0@example.com"]);
    expect(JSON.stringify(lines)).not.toMatch(/conflict0|user_metadata|app_metadata|value-/);
  });

  test("--show lists each cluster with its primary, what it links and what it leaves alone, and why", async () => {
    const { planFile } = await dryRun(tmp());
    tenant.resetRecords();
    const shown = await host({ mode: "show", planFile });
    expect(shown.code).toBe(0);
    expect(tenant.requests).toEqual([]);
    const plan = readPlan(planFile);
    const unverified = plan.find((l) => l.lookup?.includes("unverified0@example.com"));
    expect(shown.stdout).toContain(`would link  20 clusters, 30 links`);
    expect(shown.stdout).toContain(`#${unverified.n}  unverified0@example.com\n    primary ${unverified.primary} <- ${unverified.secondaries.join(", ")}\n    left alone: ${unverified.ignored[0].user_id} (unverified email)`);
    expect(shown.stdout).toContain("not linked  1 clusters: conflicting primaries");
  });

  test("apply links every planned cluster, merges metadata, writes no marker, leaves the ineligible alone; a rerun does nothing", async () => {
    const dir = tmp();
    const { planFile } = await dryRun(dir);
    const metadataBefore = new Map([...tenant.users.values()].map((u) => [u.user_id, { ...u.user_metadata }]));
    tenant.resetRecords();
    const applied = await host({ mode: "apply", planFile });
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("links made                30\n");
    expect(applied.stdout).toContain("links not made            0\n");
    expect(applied.stdout).toContain("clusters                  linked 20\n");

    for (const [email, members] of generated.linkable) {
      const holders = [...tenant.users.values()].filter((u) => u.email?.toLowerCase() === email && members.includes(u.user_id));
      expect([email, holders.length]).toEqual([email, 1]);
      const primary = holders[0];
      const held = new Set(primary.identities.map((i) => `${i.provider}|${i.user_id}`));
      for (const id of members) expect([email, id, held.has(id)]).toEqual([email, id, true]);
      // Nothing any member had is lost: the primary holds every key (its own values win).
      for (const id of members) for (const key of Object.keys(metadataBefore.get(id) ?? {})) expect([id, key, key in primary.user_metadata]).toEqual([id, key, true]);
      // The Action's marker is keyed by its own secret: the backfill writes none.
      expect(primary.app_metadata.account_linking).toBeUndefined();
    }
    for (const id of generated.untouched) expect([id, tenant.users.has(id)]).toEqual([id, true]);
    const links = tenant.apiRequests().filter((r) => r.method === "POST" && r.path.endsWith("/identities"));
    expect(links.map((r) => r.status)).toEqual(Array(30).fill(201));
    expect(fs.existsSync(`${planFile}.lock`)).toBe(false);

    const state = tenantState(tenant);
    tenant.resetRecords();
    const again = await host({ mode: "apply", planFile });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("links made                30 (0 in this run, 30 in earlier runs)");
    expect(tenant.apiRequests()).toEqual([]);
    expect(tenantState(tenant)).toEqual(state);
  });

  test("apply decides on live accounts: links made by logins, new accounts, newly unverified members and an established newcomer are respected", async () => {
    const { planFile } = await dryRun(tmp());
    const plan = readPlan(planFile);
    const find = (email: string) => plan.find((l) => l.lookup?.some((e: string) => e.toLowerCase() === email));
    const pair = find("pair1@example.com");
    const triple = find("triple0@example.com");
    const taken = find("pair2@example.com");
    // A login linked pair1 meanwhile (the Action's work), a new account appeared for triple0,
    // one of triple0's planned secondaries lost its verified email, and an account that already
    // holds linked identities took pair2's email.
    const primary = tenant.users.get(pair.primary)!;
    const secondary = tenant.users.get(pair.secondaries[0])!;
    tenant.users.delete(secondary.user_id);
    primary.identities.push({ ...secondary.identities[0] });
    tenant.createUser({ user_id: "github|newcomer", connection: "github", email: "triple0@example.com", email_verified: true });
    tenant.users.get(triple.secondaries[0])!.email_verified = false;
    const established = tenant.createUser({ user_id: "auth0|established", connection: "Username-Password-Authentication", email: "pair2@example.com", email_verified: true });
    tenant.users.get(established.user_id)!.identities.push({ connection: "google-oauth2", provider: "google-oauth2", user_id: "g-old", isSocial: true });
    const takenBefore = [taken.primary, ...taken.secondaries].map((id) => tenant.user(id));
    tenant.resetRecords();

    const applied = await host({ mode: "apply", planFile });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("links made                27\n");
    expect(applied.stdout).toContain("already linked by logins  1\n");
    expect(applied.stdout).toContain("links not made            2: an account holding linked identities took the email since the plan 1, linked in part (members gone or no longer eligible) 1");
    expect(applied.stdout).toContain("accounts newer than the plan 2 (left for the Action at their next login)");
    expect(applied.stdout).toContain("clusters                  linked 17, already linked by logins 1, an account holding linked identities took the email since the plan 1, linked in part (members gone or no longer eligible) 1");
    expect(tenant.users.has("github|newcomer")).toBe(true);
    expect(tenant.users.has(triple.secondaries[0])).toBe(true);
    expect([taken.primary, ...taken.secondaries].map((id) => tenant.user(id))).toEqual(takenBefore);
    // No link was ever refused: nothing was linked twice.
    expect(tenant.apiRequests().filter((r) => r.path.endsWith("/identities")).every((r) => r.status === 201)).toBe(true);
  });

  test("report-only: the dry run says so, the apply refuses before any request unless overridden", async () => {
    const reportOnly: EnvironmentConfig = { ...environment, name: "staging", policy: { ...environment.policy, reportOnly: true } };
    const { planFile, result } = await dryRun(tmp(), reportOnly);
    expect(result.stdout).toContain("staging runs a report-only policy: this dry run is for review; --apply will refuse its plan.");
    expect(result.stdout).toContain("Report-only: --apply refuses this plan unless --override-report-only is given.");
    tenant.resetRecords();
    const refused = await host({ mode: "apply", planFile }, reportOnly);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refusing to apply: auth0-staging (development tenant) runs a report-only policy (stacks/environments.ts, policy.reportOnly)");
    expect(refused.stderr).toContain("Nothing was changed. To link anyway, add --override-report-only.");
    expect(tenant.requests).toEqual([]);
    expect(fs.existsSync(`${planFile}.journal`)).toBe(false);
    const forced = await host({ mode: "apply", planFile, overrideReportOnly: true }, reportOnly);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("links made                30\n");
  });

  test("a dry run that fails leaves no plan and no partition: an expired link, a cut download, an unwritable --out", async () => {
    for (const fault of ["expired", "cut"] as const) {
      const dir = tmp();
      tenant.exportDownloadFault = fault;
      const result = await host({ mode: "dry-run", planFile: path.join(dir, "plan.jsonl"), workDir: dir });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split("\n")).toEqual([
        fault === "expired"
          ? "error: the export's download link has expired or was refused (HTTP 403). Nothing was planned; run the dry run again: a new export gets a fresh link"
          : expect.stringMatching(/^error: the export download was cut short \(.+\)\. Nothing was planned; run the dry run again$/),
      ]);
      expect(fs.readdirSync(dir)).toEqual([]);
    }
    tenant.exportDownloadFault = undefined;
    tenant.resetRecords();
    const blocker = path.join(tmp(), "file");
    fs.writeFileSync(blocker, "");
    const unwritable = await host({ mode: "dry-run", planFile: path.join(blocker, "plan.jsonl") });
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr).toContain(`error: cannot write the plan to ${path.join(blocker, "plan.jsonl")} (part of its path is a file, not a directory). Nothing was exported; give --out a file in a directory you can write`);
    expect(tenant.requests).toEqual([]);
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
    expect(result.stdout).toContain("stopped before the end (interrupted)");
    expect(result.stdout).toContain("not finished yet          20 clusters, 30 links");
  });

  test("under a tight rate limit with latency, several clusters at once follow the headers: no 429, everything linked", async () => {
    const { planFile } = await dryRun(tmp());
    tenant.rateLimitBucket = { capacity: 10, refillPerSecond: 20 };
    tenant.latencyMs = 30;
    tenant.resetRecords();
    const applied = await host({ mode: "apply", planFile });
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("links made                30\n");
    expect(tenant.apiRequests().filter((r) => r.status === 429)).toEqual([]);
    expect(applied.stdout).toMatch(/requests +\d+ in [\d.]+ s \([\d.]+\/s, 16 clusters at a time; rate limit: bucket of 10(, refill measured [\d.]+\/s)?\), none answered 429/);
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
    [["dev"], 2, "give exactly one of --dry-run, --show and --apply"],
    [["dev", "--dry-run", "--apply", "x.jsonl"], 2, "give exactly one of --dry-run, --show and --apply"],
    [["qa", "--dry-run"], 2, 'unknown environment "qa"'],
    [["dev", "--apply", "x.jsonl", "--max-age", "soon"], 2, '--max-age must look like 90m, 24h or 2d, got "soon"'],
    [["dev", "--apply", "x.jsonl", "--concurrency", "0"], 2, '--concurrency must be a positive whole number, got "0"'],
  ])("%j fails with exit %i", async (args, code, message) => {
    const result = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", args as string[], cleanEnv(creds()));
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
  });

  test("without credentials: names them, exports nothing", async () => {
    const result = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--dry-run"], cleanEnv({}));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: auth0-dev (development tenant): missing AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET.");
    expect(tenant.requests).toEqual([]);
  });

  test("credentials without read:users: says which scopes the backfill needs", async () => {
    tenant.addClient({ clientId: "weak", clientSecret: "weak-secret", scopes: ["read:actions"] });
    const result = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--dry-run", "--out", path.join(tmp(), "plan.jsonl")], cleanEnv({ ...creds(), AUTH0_CLIENT_ID: "weak", AUTH0_CLIENT_SECRET: "weak-secret" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("POST jobs/users-exports: 403 Insufficient scope, expected any of: read:users");
    expect(result.stderr).toContain("needs credentials whose application has read:users and update:users");
  });

  test("a directory given as the plan: one error line, nothing sent", async () => {
    const dir = tmp();
    const result = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--apply", dir], cleanEnv(creds()));
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`error: ${dir} is a directory: give the plan file (plan-<time>.jsonl) made by the dry run`);
    expect(tenant.requests).toEqual([]);
  });

  async function planned(dir: string): Promise<string> {
    seedTenant(tenant);
    const planFile = path.join(dir, "plan.jsonl");
    const result = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--dry-run", "--out", planFile], cleanEnv(creds()));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Review it: npm run backfill -- dev --show ${planFile}`);
    expect(result.stdout).toContain(`Then: npm run backfill -- dev --apply ${planFile}`);
    return planFile;
  }

  test("refuses a plan made for another tenant, and a stale one, changing nothing", async () => {
    const planFile = await planned(tmp());
    const header = JSON.parse(fs.readFileSync(planFile, "utf8").split("\n")[0]);
    tenant.resetRecords();
    const other = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--apply", planFile], cleanEnv({ ...creds(), AUTH0_DOMAIN: "acme.eu.auth0.com" }));
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`it was made for the tenant ${header.domain}, but AUTH0_DOMAIN is acme.eu.auth0.com`);
    const stale = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--apply", planFile, "--max-age", "0.001m"], cleanEnv(creds()));
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("more than --max-age");
    // Reviewing needs no credentials and sends nothing.
    const shown = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--show", planFile], cleanEnv({}));
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`Backfill plan for dev (auth0-dev) at ${header.domain}`);
    expect(tenant.requests).toEqual([]);
    expect(fs.existsSync(`${planFile}.journal`)).toBe(false);
  });

  test("Ctrl-C in a dry run leaves no plan behind", async () => {
    tenant.exportPollsBeforeDone = 1000;
    const planFile = path.join(tmp(), "plan.jsonl");
    const run = startWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--dry-run", "--out", planFile], cleanEnv(creds()));
    while (!tenant.apiRequests().some((r) => r.path.startsWith("/api/v2/jobs/job_"))) await new Promise((r) => setTimeout(r, 20));
    run.child.kill("SIGINT");
    const result = await run.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain("Dry run interrupted: no plan written, temporary files removed.");
    expect(fs.readdirSync(path.dirname(planFile))).toEqual([]);
  });

  // Interrupted twice (Ctrl-C, then a hard kill that also cuts a journal line), a second apply
  // refused while one runs, resumed, against an identical tenant applied in one go: same end
  // state, every link answered 201 exactly once, counts exact across the runs.
  test("interrupt and resume: same end state as an uninterrupted run, nothing linked twice, exact counts", async () => {
    const straight = await planned(tmp());
    const once = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--apply", straight], cleanEnv(creds()));
    expect(once.code).toBe(0);
    const expected = tenantState(tenant);

    tenant.users.clear();
    tenant.resetRecords();
    const planFile = await planned(tmp());
    tenant.latencyMs = 40;
    const journal = `${planFile}.journal`;
    const linkedSoFar = () => (fs.existsSync(journal) ? fs.readFileSync(journal, "utf8").split("\n").filter((l) => l.includes('"linked"')).length : 0);
    const interruptAt = async (count: number, signal: NodeJS.Signals, meanwhile?: () => Promise<void>) => {
      const run = startWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--apply", planFile, "--concurrency", "4"], cleanEnv(creds()));
      while (linkedSoFar() < count && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
      await meanwhile?.();
      expect(run.child.exitCode).toBeNull(); // still running: the interruption lands mid-run
      run.child.kill(signal);
      return run.done;
    };
    const first = await interruptAt(6, "SIGINT", async () => {
      // Hold the first apply's requests while the second starts (a loaded machine starts it slowly).
      tenant.latencyMs = 4_000;
      const second = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--apply", planFile], cleanEnv(creds()));
      tenant.latencyMs = 40;
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/error: another apply of this plan is running \(process \d+, since .+\): wait for it to finish or stop it\. Nothing was changed\./);
    });
    expect(first.code).toBe(130);
    expect(first.stdout).toContain("stopped before the end (interrupted). Run the same command again to resume");
    const killed = await interruptAt(linkedSoFar() + 6, "SIGKILL");
    expect(killed.code).toBe(137);
    fs.appendFileSync(journal, '{"event":"done","cluster":'); // the kill cut a line
    tenant.latencyMs = 0;
    const last = await runWithEnvironments(COMMAND_ENVIRONMENTS, "backfill", ["dev", "--apply", planFile], cleanEnv(creds()));
    expect(last.stderr).not.toMatch(/error|Error/); // progress lines only
    expect(last.code).toBe(0);
    expect(last.stdout).toMatch(/resuming: \d+ clusters already done/);
    expect(last.stdout).toContain("The journal's last line was cut short by a crash: removed it");
    const total = Number(once.stdout.match(/links made +(\d+)/)![1]);
    const thisRun = Number(last.stdout.match(/links made +\d+ \((\d+) in this run/)![1]);
    expect(last.stdout).toContain(`links made                ${total} (${thisRun} in this run, ${total - thisRun} in earlier runs)`);
    expect(last.stdout).toContain("links not made            0\n");

    expect(tenantState(tenant)).toEqual(expected);
    const links = tenant.apiRequests().filter((r) => r.method === "POST" && r.path.endsWith("/identities"));
    expect(links.map((r) => r.status)).toEqual(Array(links.length).fill(201));
    expect(links.length).toBe(total);
    expect(fs.existsSync(`${planFile}.lock`)).toBe(false);
  }, 180_000); // three applies, each reading every account's holdings before its link
});
