// npm run bench: one run of each measurement on this machine, printed as a table.
// Not a test: numbers vary with the machine; targets are printed next to them.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildActionBundle, PROJECT_ROOT } from "../stacks/action-bundle";
import { actionBench } from "./bench/action";
import { synthBench } from "./bench/synth";
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

async function backfillDryRun(users: number): Promise<void> {
  const r = await measureDryRun(users);
  const label = users.toLocaleString("en-US");
  const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024).toLocaleString("en-US")} MB`;
  row(`backfill dry run, ${label} users (${r.clusters.toLocaleString("en-US")} clusters, ${r.links.toLocaleString("en-US")} links, ${r.oversized.toLocaleString("en-US")} oversized): time`, `${(r.ms / 1000).toFixed(1)} s`, users >= 10_000_000 ? "< 3 min" : "< 30 s");
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
  await actionBench(row);
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
