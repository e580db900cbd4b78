// Capacity bench: a first-login wave after the first deploy, through the real bundle in the
// emulated post-login runtime, against the HTTPS emulation enforcing a tenant rate limit (a token
// bucket answering 429 and x-ratelimit-* like Auth0's).
//
// Tenant: `users` existing users, 5 % of them in two-account clusters (GitHub + database, both
// trusted), nobody decided yet. Phase 1, the wave: `rate` logins per second for `seconds`, each by
// a different person, dispatched on schedule to `containers` containers without waiting for one
// another, optionally while a backfill apply runs at its default pace (its own process, its own
// application, the same bucket). Phase 2, absorption: the people the wave deferred come back, one
// after another (returning logins are assumed to arrive faster than the limit lets the Action
// evaluate them, as they do at 50/s); when a login is deferred, the clock of the Actions and of
// the bucket jumps to the next whole second (the window's end: resets are whole seconds), so the
// idle part of each window costs no wall time. Phase 1 runs in real time; phase 2's figure is
// that compressed (virtual) time. The bench stops by itself (phase 2 gives up after `maxVirtualS`).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../stacks/action-bundle";
import { ManagementApiEmulator, type RecordedRequest } from "../../test/support/management-api";
import { PostLoginRuntime, type Container, type LoginOutcome } from "../../test/support/post-login-runtime";
import { cleanEnv, runScript, startScript } from "../../test/support/run-script";

export interface CapacityOptions {
  users?: number;
  rate?: number;
  seconds?: number;
  limit?: number;
  containers?: number;
  backfill?: boolean;
  maxVirtualS?: number;
}

export interface CapacityResult {
  wave: { logins: number; dispatchedPerSecond: number; seconds: number };
  /** Management API requests answered to the Action during the wave, and how many were 429. */
  actionRequests: number;
  action429: number;
  /** When those 429s came (s into the wave), and the backfill's requests. */
  action429At: number[];
  backfillAt: number[];
  tokenRequests: number;
  /** Action requests that reached the API after a 429 answered to it and before that 429's reset (in flight already, or from a login already past its start in another container). */
  sentInsideWindow: number;
  /** Logins that made Management API requests, and the time they spent in the Action (ms). */
  waited: { logins: number; p50: number; p99: number; max: number };
  /** The same past the wave's first second (the containers' first logins: TLS, token, cold code). */
  waitedWarm: { logins: number; p50: number; p99: number; max: number };
  /** The five slowest logins that waited: time in the Action and when they started (s into the wave). */
  slowest: Array<{ ms: number; atS: number }>;
  deferred: number;
  decided: number;
  linksByAction: number;
  /** rate429: 429s answered to the backfill; action429Shared: Action 429s in a second in which the backfill also sent a request. */
  backfill?: { requests: number; rate429: number; links: number; action429Shared: number };
  /** Wave start to the last wave person decided (phase 1 real + phase 2 virtual seconds), or undefined when not absorbed in maxVirtualS. */
  absorbedS: number | undefined;
  absorbLogins: number;
}

const TRUSTED = { connections: { github: "trusted", "Username-Password-Authentication": "trusted" } } as const;
const HOST = path.join(PROJECT_ROOT, "test", "support", "backfill-host.ts");
const ACTION_CLIENT = "linking-client";

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Deterministic pick of `count` distinct indices below `n` (a fixed LCG: the same wave every run). */
function pick(n: number, count: number): number[] {
  const chosen = new Set<number>();
  let x = 12345;
  while (chosen.size < Math.min(n, count)) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    chosen.add(x % n);
  }
  return [...chosen];
}

function seed(tenant: ManagementApiEmulator, users: number): string[] {
  const clustered = Math.floor(users * 0.05 / 2) * 2;
  const ids: string[] = [];
  for (let i = 0; i < clustered; i += 2) {
    const k = i / 2;
    tenant.createUser({ user_id: `github|c${k}`, connection: "github", email: `c${k}@example.com`, email_verified: true });
    tenant.createUser({ user_id: `auth0|c${k}`, connection: "Username-Password-Authentication", email: `c${k}@example.com`, email_verified: true });
    ids.push(`github|c${k}`, `auth0|c${k}`);
  }
  for (let i = clustered; i < users; i++) {
    tenant.createUser({ user_id: `auth0|s${i}`, connection: "Username-Password-Authentication", email: `s${i}@example.com`, email_verified: true });
    ids.push(`auth0|s${i}`);
  }
  return ids;
}

type Kind = "waited" | "deferred" | "free";

function classify(outcome: LoginOutcome): { kind: Kind; reason?: string; done: boolean } {
  const line = outcome.decisions[0];
  const reason = line?.linking as string | undefined;
  // A deferred login after the first of its window logs nothing (once per window and container).
  if (!line || reason === "defer.rate_limited") return { kind: "deferred", reason: "defer.rate_limited", done: false };
  const requests = Number(line.requests ?? 0);
  const done = !reason!.startsWith("error.") && outcome.status === "success";
  return { kind: requests > 0 ? "waited" : "free", reason, done };
}

export async function capacityBench(options: CapacityOptions = {}): Promise<CapacityResult> {
  const users = options.users ?? 100_000;
  const rate = options.rate ?? 50;
  const seconds = options.seconds ?? 60;
  const limit = options.limit ?? 15;
  const containerCount = options.containers ?? 4;
  const maxVirtualS = options.maxVirtualS ?? 3_600;
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-capacity-"));
  let runtime: PostLoginRuntime | undefined;
  let backfill: ReturnType<typeof startScript> | undefined;
  try {
    tenant.indexEmails(); // lookups by index: the emulation's own time must not count as the Action's
    const ids = seed(tenant, users);
    runtime = new PostLoginRuntime(tenant, { policy: TRUSTED, clientId: ACTION_CLIENT });
    const environment = { name: "bench", tenant: "bench", policy: TRUSTED };
    const env = cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: "backfill", AUTH0_CLIENT_SECRET: "backfill-secret" });
    const planFile = path.join(dir, "plan.jsonl");
    if (options.backfill) {
      tenant.addClient({ clientId: "backfill", clientSecret: "backfill-secret", scopes: ["read:users", "update:users"] });
      tenant.exportPollsBeforeDone = 0;
      const planned = await runScript(HOST, [JSON.stringify({ mode: "dry-run", environment, planFile, workDir: dir })], env);
      if (planned.code !== 0) throw new Error(`backfill dry run failed: ${planned.stdout}${planned.stderr}`);
    }
    const containers: Container[] = [];
    for (let i = 0; i < containerCount; i++) containers.push(await runtime.newContainer());
    tenant.rateLimitBucket = { capacity: limit, refillPerSecond: limit };
    tenant.resetRecords();

    // Phase 1: the wave, in real time.
    const wave = pick(ids.length, rate * seconds).map((i) => ids[i]);
    const outcomes: Array<{ id: string; kind: Kind; done: boolean; actionMs: number; atS: number }> = [];
    const start = Date.now();
    if (options.backfill) backfill = startScript(HOST, [JSON.stringify({ mode: "apply", environment, planFile })], env);
    const running: Promise<void>[] = [];
    let lastDispatch = start;
    for (let i = 0; i < wave.length; i++) {
      const scheduled = start + (i * 1000) / rate;
      const wait = scheduled - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lastDispatch = Date.now();
      const id = wave[i];
      const due = lastDispatch;
      running.push(
        runtime.login(id, { container: containers[i % containers.length] }).then((outcome) => {
          const c = classify(outcome);
          outcomes.push({ id, kind: c.kind, done: c.done, actionMs: outcome.actionMs, atS: (due - start) / 1000 });
        }),
      );
    }
    await Promise.all(running);
    const waveEnd = Date.now();
    if (backfill) {
      backfill.child.kill("SIGINT");
      await backfill.done;
    }
    const during = tenant.requests.filter((r) => r.at >= start && r.at <= waveEnd);
    const fromAction = during.filter((r) => r.client === ACTION_CLIENT && r.path.startsWith("/api/v2/"));
    const fromBackfill = during.filter((r) => r.client === "backfill" && r.path.startsWith("/api/v2/"));
    const waited = outcomes.filter((o) => o.kind === "waited").map((o) => o.actionMs).sort((a, b) => a - b);
    const warm = outcomes.filter((o) => o.kind === "waited" && o.atS >= 1).map((o) => o.actionMs).sort((a, b) => a - b);

    // Phase 2: absorption. People the wave did not settle come back; idle window time is skipped.
    const pending = new Set(outcomes.filter((o) => !o.done).map((o) => o.id));
    // A pair linked by the other member's login (or the backfill) is settled too: its person logs in as the primary.
    let absorbLogins = 0;
    const done = new Set<string>();
    const settled = (id: string) => done.has(id);
    const container = containers[0];
    const virtualNow = () => Date.now() + runtime!.clockOffsetMs;
    const phase2Start = virtualNow();
    for (const id of pending) {
      for (let attempt = 0; attempt < 100; attempt++) {
        if ((virtualNow() - phase2Start) / 1000 > maxVirtualS) break;
        if (!tenant.user(id) && !tenant.holderOf(id)) break;
        const outcome = await runtime.login(id, { container });
        absorbLogins++;
        const c = classify(outcome);
        if (c.done) {
          done.add(id);
          break;
        }
        if (c.kind === "deferred" || c.reason === "error.management_api") {
          // The window ends at a whole second (x-ratelimit-reset): skip the idle rest of it.
          const skip = Math.ceil((virtualNow() + 1) / 1000) * 1000 + 1 - virtualNow();
          runtime.clockOffsetMs += skip;
          const offset = runtime.clockOffsetMs;
          tenant.now = () => Date.now() + offset;
        }
      }
      if ((virtualNow() - phase2Start) / 1000 > maxVirtualS) break;
      if (settled(id)) pending.delete(id);
    }
    const absorbed = pending.size === 0;
    return {
      wave: { logins: wave.length, dispatchedPerSecond: wave.length / Math.max(0.001, (lastDispatch - start) / 1000 + 1 / rate), seconds: (waveEnd - start) / 1000 },
      actionRequests: fromAction.length,
      action429: fromAction.filter((r) => r.status === 429).length,
      action429At: fromAction.filter((r) => r.status === 429).map((r) => Number(((r.at - start) / 1000).toFixed(2))),
      backfillAt: fromBackfill.map((r) => Number(((r.at - start) / 1000).toFixed(2))),
      tokenRequests: during.filter((r) => r.path === "/oauth/token").length,
      sentInsideWindow: sentInsideWindow(fromAction),
      waited: { logins: waited.length, p50: percentile(waited, 50), p99: percentile(waited, 99), max: waited[waited.length - 1] ?? 0 },
      waitedWarm: { logins: warm.length, p50: percentile(warm, 50), p99: percentile(warm, 99), max: warm[warm.length - 1] ?? 0 },
      slowest: outcomes
        .filter((o) => o.kind === "waited")
        .sort((a, b) => b.actionMs - a.actionMs)
        .slice(0, 5)
        .map((o) => ({ ms: Math.round(o.actionMs), atS: Number(o.atS.toFixed(1)) })),
      deferred: outcomes.filter((o) => o.kind === "deferred").length,
      decided: outcomes.filter((o) => o.done).length,
      linksByAction: fromAction.filter((r) => r.method === "POST" && r.path.endsWith("/identities") && r.status === 201).length,
      ...(options.backfill
        ? {
            backfill: {
              requests: fromBackfill.length,
              rate429: fromBackfill.filter((r) => r.status === 429).length,
              links: fromBackfill.filter((r) => r.method === "POST" && r.path.endsWith("/identities") && r.status === 201).length,
              action429Shared: fromAction.filter((r) => r.status === 429 && fromBackfill.some((b) => Math.abs(b.at - r.at) < 1000)).length,
            },
          }
        : {}),
      absorbedS: absorbed ? (waveEnd - start) / 1000 + (virtualNow() - phase2Start) / 1000 : undefined,
      absorbLogins,
    };
  } finally {
    if (backfill && backfill.child.exitCode === null) backfill.child.kill("SIGKILL");
    await runtime?.close();
    await tenant.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Requests that reached the API after a 429 answered to the same caller (5 ms grace: sent together) and before that 429's reset. */
function sentInsideWindow(requests: RecordedRequest[]): number {
  const sorted = [...requests].sort((a, b) => a.at - b.at);
  let windowEnd = 0;
  let windowStart = 0;
  let count = 0;
  for (const r of sorted) {
    if (r.at > windowStart + 5 && r.at < windowEnd) count++;
    if (r.status === 429 && r.resetAt !== undefined && r.resetAt > windowEnd) {
      windowStart = r.at;
      windowEnd = r.resetAt;
    }
  }
  return count;
}

type Row = (what: string, value: string, target?: string) => void;

export function capacityRows(row: Row, r: CapacityResult, label: string): void {
  const n = (x: number) => x.toLocaleString("en-US");
  row(`capacity ${label}: wave`, `${n(r.wave.logins)} first logins dispatched at ${r.wave.dispatchedPerSecond.toFixed(1)}/s, finished in ${r.wave.seconds.toFixed(1)} s`);
  row(`capacity ${label}: Management API requests answered to the Action / 429s`, `${n(r.actionRequests)} / ${n(r.action429)} (+ ${r.tokenRequests} token requests)`, "429s: few, none pushed by the backfill");
  row(`capacity ${label}: when the Action's 429s came (s into the wave)`, r.action429At.join(", ") || "none");
  if (r.backfill) row(`capacity ${label}: when the backfill sent (s into the wave)`, r.backfillAt.join(", ") || "never");
  row(`capacity ${label}: Action requests reaching the API inside a 429's window`, `${n(r.sentInsideWindow)} (already in flight or from logins already past their start)`, "0 from logins started after the 429");
  row(`capacity ${label}: logins that waited on the API, added time p50 / p99 / max`, `${n(r.waited.logins)}, ${r.waited.p50.toFixed(0)} / ${r.waited.p99.toFixed(0)} / ${r.waited.max.toFixed(0)} ms`, "p99 <= 300 ms, no retry waits");
  row(`capacity ${label}: the same from the wave's second second on (containers warm)`, `${n(r.waitedWarm.logins)}, ${r.waitedWarm.p50.toFixed(0)} / ${r.waitedWarm.p99.toFixed(0)} / ${r.waitedWarm.max.toFixed(0)} ms`, "p99 <= 300 ms");
  row(`capacity ${label}: the five slowest of them (ms @ s into the wave)`, r.slowest.map((x) => `${x.ms} @ ${x.atS}`).join(", "));
  row(`capacity ${label}: logins deferred (no request, unmarked) / settled in the wave`, `${n(r.deferred)} / ${n(r.decided)}`);
  row(`capacity ${label}: links made by the Action in the wave`, n(r.linksByAction));
  if (r.backfill) {
    row(`capacity ${label}: backfill during the wave: requests / 429s / links`, `${n(r.backfill.requests)} / ${n(r.backfill.rate429)} / ${n(r.backfill.links)}`);
    row(`capacity ${label}: Action 429s within a second of a backfill request`, n(r.backfill.action429Shared), "0");
  }
  row(
    `capacity ${label}: wave absorbed (every wave person settled; phase 2 on a compressed clock)`,
    r.absorbedS === undefined ? "not within the bench's limit" : `${r.absorbedS.toFixed(0)} s after the wave began (${n(r.absorbLogins)} returning logins)`,
  );
}

if (require.main === module) {
  // npx ts-node --transpile-only scripts/bench/capacity.ts [users] [seconds] [--backfill]
  const args = process.argv.slice(2);
  const [users, seconds] = args.filter((a) => !a.startsWith("--")).map(Number);
  capacityBench({ users: users || undefined, seconds: seconds || undefined, backfill: args.includes("--backfill") }).then(
    (r) => {
      capacityRows((what, value, target) => console.log(`${what}: ${value}${target ? `   [target: ${target}]` : ""}`), r, args.includes("--backfill") ? "with backfill" : "no backfill");
      console.log(JSON.stringify(r));
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
