// Bench: the backfill apply's throughput against an emulated Management API rate limit (a token
// bucket answering x-ratelimit-* like Auth0's) with a fixed latency added to every request.
// The apply runs as its own process (test/support/backfill-host.ts), as `npm run backfill` would.
import { MANAGEMENT_SCOPES } from "../../stacks/management-scopes";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../stacks/action-bundle";
import { ManagementApiEmulator } from "../../test/support/management-api";
import { cleanEnv, runScript } from "../../test/support/run-script";

export interface ApplyRate {
  limit: number;
  burst: number;
  latencyMs: number;
  links: number;
  requests: number;
  seconds: number;
  /** Requests per second past the bucket's initial burst: (requests − burst) / span. */
  sustained: number;
  rateLimited: number;
  /** 429s after the first second (the initial burst). */
  rateLimitedSteady: number;
}

const HOST = path.join(PROJECT_ROOT, "test", "support", "backfill-host.ts");

/** Applies a plan of two-account clusters sized for about `seconds` of steady state at the limit. */
export async function measureApply(limit: number, latencyMs: number, options: { burst?: number; seconds?: number; maxPerSecond?: number } = {}): Promise<ApplyRate> {
  const burst = options.burst ?? limit;
  const pairs = Math.ceil((burst + limit * (options.seconds ?? 8)) / 3); // 3 requests per pair
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-apply-"));
  try {
    tenant.addClient({ clientId: "bench", clientSecret: "bench-secret", scopes: [...MANAGEMENT_SCOPES] });
    for (let i = 0; i < pairs; i++) {
      tenant.createUser({ user_id: `github|b${i}`, connection: "github", email: `b${i}@example.com`, email_verified: true, user_metadata: { a: i } });
      tenant.createUser({ user_id: `auth0|b${i}`, connection: "Username-Password-Authentication", email: `b${i}@example.com`, email_verified: true, user_metadata: { b: i } });
    }
    tenant.exportPollsBeforeDone = 0;
    // Both connections trusted: the pairs link silently (the default, all "confirm", links nothing).
    const environment = { name: "bench", tenant: "bench", policy: { connections: { github: "trusted", "Username-Password-Authentication": "trusted" } } };
    const env = cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: "bench", AUTH0_CLIENT_SECRET: "bench-secret" });
    const planFile = path.join(dir, "plan.jsonl");
    const planned = await runScript(HOST, [JSON.stringify({ mode: "dry-run", environment, planFile, workDir: dir })], env);
    if (planned.code !== 0) throw new Error(`backfill dry run failed: ${planned.stdout}${planned.stderr}`);
    tenant.rateLimitBucket = { capacity: burst, refillPerSecond: limit };
    tenant.latencyMs = latencyMs;
    tenant.resetRecords();
    const start = process.hrtime.bigint();
    const result = await runScript(HOST, [JSON.stringify({ mode: "apply", environment, planFile, maxPerSecond: options.maxPerSecond })], env);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.code !== 0) throw new Error(`backfill apply failed: ${result.stdout}${result.stderr}`);
    const api = tenant.apiRequests();
    const times = api.map((r) => r.at);
    const first = Math.min(...times);
    const span = (Math.max(...times) - first) / 1000;
    const limited = api.filter((r) => r.status === 429);
    return {
      limit,
      burst,
      latencyMs,
      links: api.filter((r) => r.path.endsWith("/identities") && r.status === 201).length,
      requests: api.length,
      seconds,
      sustained: (api.length - burst) / span,
      rateLimited: limited.length,
      rateLimitedSteady: limited.filter((r) => r.at - first > 1000).length,
    };
  } finally {
    await tenant.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  // npx ts-node --transpile-only scripts/bench/backfill-apply.ts <limit> <latencyMs> [seconds]
  const [limit, latency, seconds] = process.argv.slice(2).map(Number);
  measureApply(limit, latency, { seconds: seconds || 8 }).then((r) => console.log(JSON.stringify(r)), (err) => {
    console.error(err);
    process.exit(1);
  });
}
