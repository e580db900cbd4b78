// npm run bench [-- <measurement>...]: one run of each measurement (or of those named) on this
// machine, printed as a table. Not a test: numbers vary with the machine; targets are printed next
// to them. Every temporary file goes into one private directory, removed however the run ends.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildActionBundle, PROJECT_ROOT } from "../stacks/action-bundle";
import { actionBench } from "./bench/action";
import { synthBench } from "./bench/synth";
import { measureApply } from "./bench/backfill-apply";
import { measureDryRun } from "./bench/backfill-dry-run";
import { readCommandLine, type CommandSpec } from "./lib/command-line";
import { tempRootForThisRun } from "./lib/private-files";
import { capacityBench, capacityRows } from "./bench/capacity";

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
      // --max-rate at the limit: how close the pacer gets to the whole bucket (the default uses half).
      const r = await measureApply(limit, latency, { maxPerSecond: limit });
      row(
        `backfill apply --max-rate ${limit}, ${limit} req/s limit (burst ${r.burst}), ${latency} ms/request: sustained rate past the burst`,
        `${r.sustained.toFixed(1)} req/s = ${((100 * r.sustained) / limit).toFixed(0)} % (${r.requests} requests, ${r.links} links, ${r.rateLimitedSteady} × 429 after the burst, ${r.rateLimited} in all)`,
        ">= 90 %, 0 × 429",
      );
    }
  }
}

/** The first-login wave (docs/capacity.md): 100,000 users, 50 logins/s for 60 s against 15 req/s, without and with a backfill. */
async function capacity(): Promise<void> {
  capacityRows(row, await capacityBench(), "50 logins/s, 15 req/s, no backfill");
  capacityRows(row, await capacityBench({ backfill: true }), "50 logins/s, 15 req/s, backfill at default pace");
}

/** Each measurement by the name `npm run bench -- <name>` runs it under, in the order a full run takes. */
const MEASUREMENTS: Array<{ name: string; about: string; run: () => Promise<void> | void }> = [
  { name: "bindings", about: "Generating the provider bindings from the pinned schema, in process.", run: bindings },
  { name: "bundle", about: "Building the Action bundle (type-check + esbuild) and its size.", run: bundle },
  { name: "synth", about: "npm run synth for three environments, before and after, with where the time goes (fresh processes).", run: synth },
  { name: "sdk-load", about: "require('auth0') in a fresh process (what the Action avoids).", run: sdkLoad },
  { name: "action", about: "The Action's logins against the emulation: cold and warm, requests per login.", run: () => actionBench(row) },
  { name: "backfill-apply", about: "The backfill apply's sustained rate against a rate-limited emulation (10 and 50 req/s, 0-100 ms latency).", run: backfillApply },
  { name: "capacity", about: "The first-login wave: 100,000 users, 50 logins/s for 60 s against 15 req/s, without and with a backfill (docs/capacity.md).", run: capacity },
  { name: "backfill-dry-run", about: "The backfill dry run on a generated export of 1,000,000 users: time, memory, temporary disk.", run: () => backfillDryRun(1_000_000) },
  { name: "backfill-dry-run-10m", about: "The same on 10,000,000 users (the longest measurement).", run: () => backfillDryRun(10_000_000) },
];

const BENCH: CommandSpec = {
  name: "bench",
  usage: ["[<measurement>...]"],
  about: "Measures this machine: runs every measurement once (or only those named) and prints a table of figures with their targets. Temporary files go into one private directory that is removed at the end, on Ctrl-C, SIGTERM and SIGHUP too.",
  arguments: [{ name: "<measurement>", about: `One of: ${MEASUREMENTS.map((m) => m.name).join(", ")} (all when none is named).` }],
  options: [],
  examples: ["npm run bench", "npm run bench -- synth", "npm run bench -- action backfill-apply"],
  notes: ["Measurements:", ...MEASUREMENTS.map((m) => `  ${m.name.padEnd(22)}${m.about}`)],
};

async function main(): Promise<void> {
  const { positional } = readCommandLine(process.argv.slice(2), BENCH);
  const unknown = positional.filter((name) => !MEASUREMENTS.some((m) => m.name === name));
  if (unknown.length > 0) {
    console.error(`error: unknown measurement ${unknown.map((u) => `"${u}"`).join(", ")} (measurements: ${MEASUREMENTS.map((m) => m.name).join(", ")}). Run "npm run bench -- --help" for usage.`);
    process.exit(2);
  }
  tempRootForThisRun("linking-bench-");
  console.error(`bench on ${os.cpus().length} cores, node ${process.version}`);
  for (const m of MEASUREMENTS) if (positional.length === 0 || positional.includes(m.name)) await m.run();
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${"measurement".padEnd(width)} | value | target`);
  for (const [what, value, target] of rows) console.log(`${what.padEnd(width)} | ${value} | ${target}`);
}

main().catch((err) => {
  console.error(`error: bench stopped: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
