// npm run bench: one run of each measurement on this machine, printed as a table.
// Not a test: numbers vary with the machine; targets are printed next to them.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildActionBundle, PROJECT_ROOT } from "../stacks/action-bundle";
import { ManagementApiEmulator } from "../test/support/management-api";
import { PostLoginRuntime } from "../test/support/post-login-runtime";
import { measureApply } from "./bench/backfill-apply";
import { measureDryRun } from "./bench/backfill-dry-run";

const rows: Array<[string, string, string]> = [];
const row = (what: string, value: string, target = "") => {
  rows.push([what, value, target]);
  console.error(`  ${what}: ${value}`);
};
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

async function bindings(): Promise<void> {
  const { generate } = require("./gen-bindings.js");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-gen-"));
  const start = process.hrtime.bigint();
  await generate(undefined, out);
  row("binding generation (in process)", `${ms(start).toFixed(0)} ms`, "about 1 s");
  fs.rmSync(out, { recursive: true, force: true });
}

function synth(): void {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
  const start = process.hrtime.bigint();
  execFileSync("npx", ["cdktf", "synth", "--output", out], { cwd: PROJECT_ROOT, stdio: "ignore", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  const stacks = fs.readdirSync(path.join(out, "stacks"));
  row(`cdktf synth, ${stacks.length} environments (CLI wall)`, `${(ms(start) / 1000).toFixed(1)} s`, "< 10 s");
  fs.rmSync(out, { recursive: true, force: true });
}

function bundle(): void {
  const start = process.hrtime.bigint();
  const b = buildActionBundle();
  row("Action bundle (type-check + esbuild)", `${ms(start).toFixed(0)} ms`);
  row("Action bundle size", `${b.bytes} bytes`, "< 20 kB, Auth0 limit 100 kB");
}

function sdkLoad(): void {
  const samples = [0, 1, 2].map(() =>
    Number(execFileSync(process.execPath, ["-e", "const s=process.hrtime.bigint();require('auth0');console.log(Number(process.hrtime.bigint()-s)/1e6)"], { cwd: PROJECT_ROOT }).toString()),
  );
  samples.sort((a, b) => a - b);
  row("require('auth0') in a fresh process (median of 3)", `${samples[1].toFixed(0)} ms`);
}

async function action(): Promise<void> {
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  tenant.latencyMs = 50;
  const runtime = new PostLoginRuntime(tenant);
  try {
    tenant.createUser({ user_id: "github|1001", connection: "github", email: "ada@example.com", email_verified: true });
    tenant.createUser({ user_id: "auth0|db01", connection: "Username-Password-Authentication", email: "ada@example.com", email_verified: true });
    await runtime.newContainer();
    // Warm the container (SDK loaded, token cached) with an unrelated user, as in production.
    tenant.createUser({ user_id: "github|warm", connection: "github", email: "warm@example.com", email_verified: true });
    await runtime.login("github|warm");

    const linking = await runtime.login("auth0|db01");
    const api = linking.requests.filter((r) => r.path.startsWith("/api/v2/"));
    row("linking login (2 accounts, warm): Management API requests after the token", `${api.length} (${api.map((r) => `${r.method} ${r.path.split("/")[3]}`).join(", ")})`, "<= 4 sequential");
    row("linking login (2 accounts, warm): Action wall time, 50 ms/request", `${linking.ms.toFixed(0)} ms`);

    const steady = await runtime.login("github|1001");
    row("steady-state login: Management API requests", String(steady.requests.length), "0");
    row("steady-state login: Action wall time", `${steady.ms.toFixed(2)} ms`, "< 5 ms");

    const cold = new ManagementApiEmulator();
    await cold.start();
    cold.latencyMs = 50;
    const coldRuntime = new PostLoginRuntime(cold);
    cold.createUser({ user_id: "github|1", connection: "github", email: "a@example.com", email_verified: true });
    cold.createUser({ user_id: "auth0|1", connection: "Username-Password-Authentication", email: "a@example.com", email_verified: true });
    const first = await coldRuntime.login("auth0|1");
    row("linking login in a fresh container (token + SDK load), 50 ms/request", `${first.ms.toFixed(0)} ms, ${first.requests.length} requests`);
    await coldRuntime.close();
    await cold.stop();

    tenant.resetRecords();
    for (let i = 0; i < 10; i++) tenant.createUser({ user_id: `github|t${i}`, connection: "github", email: `t${i}@example.com`, email_verified: true });
    runtime.cache.clear();
    await runtime.newContainer();
    for (let i = 0; i < 10; i++) {
      if (i === 5) await runtime.newContainer(); // a second fresh container mid-way
      await runtime.login(`github|t${i}`);
    }
    row("token requests per 10 logins (2 fresh containers, empty api.cache at start)", String(tenant.tokenRequests().length), "1");
  } finally {
    await runtime.close();
    await tenant.stop();
  }
}

async function backfillDryRun(users: number): Promise<void> {
  const r = await measureDryRun(users);
  const label = users.toLocaleString("en-US");
  const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024).toLocaleString("en-US")} MB`;
  row(`backfill dry run, ${label} users (${r.clusters.toLocaleString("en-US")} clusters, ${r.links.toLocaleString("en-US")} links): time`, `${(r.ms / 1000).toFixed(1)} s`, users >= 10_000_000 ? "< 3 min" : "< 30 s");
  row(`backfill dry run, ${label} users: peak memory (maxRSS)`, `${r.maxRssMb.toFixed(0)} MB`, "< 400 MB");
  row(`backfill dry run, ${label} users: peak temporary disk (partitions; export ${mb(r.exportBytes)}, plan ${mb(r.planBytes)})`, mb(r.tempBytes));
}

async function backfillApply(): Promise<void> {
  for (const limit of [10, 50]) {
    for (const latency of [0, 50, 100]) {
      const r = await measureApply(limit, latency);
      row(
        `backfill apply, ${limit} req/s limit (burst ${r.burst}), ${latency} ms/request: sustained rate past the burst`,
        `${r.sustained.toFixed(1)} req/s = ${((100 * r.sustained) / limit).toFixed(0)} % (${r.requests} requests, ${r.links} links, ${r.rateLimitedSteady} × 429 after the burst, ${r.rateLimited} in all)`,
        ">= 90 %, 0 × 429",
      );
    }
  }
}

async function main(): Promise<void> {
  console.error(`bench on ${os.cpus().length} cores, node ${process.version}`);
  await bindings();
  bundle();
  synth();
  sdkLoad();
  await action();
  await backfillApply();
  await backfillDryRun(1_000_000);
  await backfillDryRun(10_000_000);
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${"measurement".padEnd(width)} | value | target`);
  for (const [what, value, target] of rows) console.log(`${what.padEnd(width)} | ${value} | ${target}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
