// npm run bench: one run of each measurement on this machine, printed as a table.
// Not a test: numbers vary with the machine; targets are printed next to them.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildActionBundle, PROJECT_ROOT } from "../stacks/action-bundle";
import { ManagementApiEmulator } from "../test/support/management-api";
import { actionBench } from "./bench/action";
import { cleanEnv, runScript } from "../test/support/run-script";
import { synthBench } from "./bench/synth";
import * as zlib from "zlib";

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
  for (const r of synthBench()) row(r.what, r.value, r.target);
}

function bundle(): void {
  const start = process.hrtime.bigint();
  const b = buildActionBundle();
  row("Action bundle (type-check + esbuild)", `${ms(start).toFixed(0)} ms`);
  row("Action bundle size (linking Action, no npm dependencies)", `${b.bytes} bytes`, "Auth0 limit 100 kB");
}

function sdkLoad(): void {
  const samples = [0, 1, 2].map(() =>
    Number(execFileSync(process.execPath, ["-e", "const s=process.hrtime.bigint();require('auth0');console.log(Number(process.hrtime.bigint()-s)/1e6)"], { cwd: PROJECT_ROOT }).toString()),
  );
  samples.sort((a, b) => a - b);
  // What a cold container would pay if the Action loaded the SDK (it uses fetch instead).
  row("require('auth0') in a fresh process (median of 3; not loaded by the Action)", `${samples[1].toFixed(0)} ms`);
}

/** A gzipped NDJSON export like Auth0's: 10% of people have two accounts, 2% three. */
async function writeExport(file: string, users: number): Promise<void> {
  const gzip = zlib.createGzip();
  const out = fs.createWriteStream(file);
  gzip.pipe(out);
  const connections = ["github", "google-oauth2", "Username-Password-Authentication", "email"];
  let written = 0;
  for (let person = 0; written < users; person++) {
    const accounts = person % 50 === 0 ? 3 : person % 10 === 0 ? 2 : 1;
    for (let a = 0; a < accounts && written < users; a++, written++) {
      const connection = connections[(person + a) % connections.length];
      const provider = connection === "Username-Password-Authentication" ? "auth0" : connection;
      const line = JSON.stringify({
        user_id: `${provider}|${person}x${a}`,
        email: a === 1 ? `Person${person}@Example.com` : `person${person}@example.com`,
        email_verified: (person + a) % 17 !== 0,
        created_at: new Date(Date.UTC(2020, 0, 1) + written * 1000).toISOString(),
        identities: [{ connection, provider, user_id: `${person}x${a}`, isSocial: provider !== "auth0" && provider !== "email" }],
      });
      if (!gzip.write(`${line}\n`)) await new Promise<void>((resolve) => gzip.once("drain", () => resolve()));
    }
  }
  gzip.end();
  await new Promise<void>((resolve) => out.on("finish", () => resolve()));
}

async function backfillPlanning(users: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-export-"));
  const file = path.join(dir, "export.json.gz");
  await writeExport(file, users);
  const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(PROJECT_ROOT, "scripts", "bench", "plan-export.ts"), file], { cwd: PROJECT_ROOT }).toString();
  const r = JSON.parse(out) as { ms: number; maxRssMb: number; clusters: number; links: number; planBytes: number };
  const label = users.toLocaleString("en-US");
  row(`backfill dry run, ${label}-user export: time (${r.clusters.toLocaleString("en-US")} clusters, ${r.links.toLocaleString("en-US")} links)`, `${(r.ms / 1000).toFixed(1)} s`);
  row(`backfill dry run, ${label}-user export: peak memory (maxRSS of the process)`, `${r.maxRssMb.toFixed(0)} MB`, "well under 500 MB");
  fs.rmSync(dir, { recursive: true, force: true });
}

async function backfillRate(): Promise<void> {
  const tenant = new ManagementApiEmulator();
  await tenant.start();
  try {
    tenant.addClient({ clientId: "bench", clientSecret: "bench-secret", scopes: ["read:users", "update:users"] });
    for (let i = 0; i < 80; i++) {
      tenant.createUser({ user_id: `github|b${i}`, connection: "github", email: `b${i}@example.com`, email_verified: true });
      tenant.createUser({ user_id: `auth0|b${i}`, connection: "Username-Password-Authentication", email: `b${i}@example.com`, email_verified: true });
    }
    tenant.exportPollsBeforeDone = 0;
    const environment = { name: "bench", tenant: "bench" };
    const env = cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: "bench", AUTH0_CLIENT_SECRET: "bench-secret" });
    const planFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-rate-")), "plan.jsonl");
    const host = path.join(PROJECT_ROOT, "test", "support", "backfill-host.ts");
    await runScript(host, [JSON.stringify({ mode: "dry-run", environment, planFile })], env);
    // Sustained 10 requests/s with a burst of 20, like a mid-tier Management API bucket.
    const limit = 10;
    tenant.rateLimitBucket = { capacity: 20, refillPerSecond: limit };
    tenant.resetRecords();
    const start = process.hrtime.bigint();
    const result = await runScript(host, [JSON.stringify({ mode: "apply", environment, planFile })], env);
    const seconds = ms(start) / 1000;
    const api = tenant.apiRequests();
    const links = api.filter((r) => r.path.endsWith("/identities") && r.status === 201).length;
    const times = api.map((r) => r.at);
    const span = (Math.max(...times) - Math.min(...times)) / 1000;
    if (result.code !== 0) throw new Error(`backfill apply failed: ${result.stdout}${result.stderr}`);
    row(`backfill apply, ${links} links against a ${limit} req/s bucket (burst 20): links/s`, `${(links / seconds).toFixed(1)} links/s (${api.length} requests, 3 per link)`);
    // The bucket starts full: past its burst, the rate is what the refill allows.
    const sustained = (api.length - 20) / span;
    row(`backfill apply: requests/s achieved vs the limit`, `${(api.length / span).toFixed(1)} req/s overall, ${sustained.toFixed(1)} sustained past the burst, limit ${limit} (${api.filter((r) => r.status === 429).length} answered 429)`, `close to ${limit}, no 429`);
  } finally {
    await tenant.stop();
  }
}

async function main(): Promise<void> {
  console.error(`bench on ${os.cpus().length} cores, node ${process.version}`);
  await bindings();
  bundle();
  synth();
  sdkLoad();
  await actionBench(row);
  await backfillRate();
  await backfillPlanning(100_000);
  if (os.totalmem() > 8 * 1024 ** 3) await backfillPlanning(1_000_000);
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${"measurement".padEnd(width)} | value | target`);
  for (const [what, value, target] of rows) console.log(`${what.padEnd(width)} | ${value} | ${target}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
