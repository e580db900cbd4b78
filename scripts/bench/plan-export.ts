// Bench worker: plans one gzipped NDJSON export file in its own process and reports time and
// peak memory (maxRSS), so the figure is the planner's alone. Usage: plan-export.ts <file.json.gz>
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import * as zlib from "zlib";
import { resolvePolicy } from "../../action-src/policy";
import { planBackfill } from "../lib/backfill/dry-run";

async function main(): Promise<void> {
  const file = process.argv[2];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-plan-"));
  const start = process.hrtime.bigint();
  const summary = await planBackfill({
    lines: readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()), crlfDelay: Infinity }),
    workDir: work,
    planFile: path.join(work, "plan.jsonl"),
    environment: "bench",
    stack: "auth0-bench",
    domain: "bench.example.com",
    policy: resolvePolicy(undefined),
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const planBytes = fs.statSync(path.join(work, "plan.jsonl")).size;
  fs.rmSync(work, { recursive: true, force: true });
  console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, users: summary.source.users, clusters: summary.clusters, links: summary.links, planBytes }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
