// Bench worker: plans one gzipped NDJSON export file in its own process and reports time, peak
// memory (maxRSS) and peak temporary disk (the partition files), so the figures are the
// planner's alone. Removes its plan and partitions. Usage: plan-export.ts <file.json.gz> <workDir>
import * as fs from "fs";
import * as path from "path";
import * as readline from "readline";
import * as zlib from "zlib";
import { resolvePolicy } from "../../action-src/policy";
import { planBackfill } from "../lib/backfill/dry-run";
import { CONNECTIONS } from "./export-file";

async function main(): Promise<void> {
  const [file, work] = process.argv.slice(2);
  const planFile = path.join(work, "plan.jsonl");
  const start = process.hrtime.bigint();
  try {
    const summary = await planBackfill({
      lines: readline.createInterface({ input: fs.createReadStream(file).pipe(zlib.createGunzip()), crlfDelay: Infinity }),
      workDir: work,
      planFile,
      environment: "bench",
      stack: "auth0-bench",
      domain: "bench.example.com",
      // The generated export's connections are trusted, so clusters link (an all-"confirm" policy links nothing).
      policy: resolvePolicy({ connections: Object.fromEntries(CONNECTIONS.map((c) => [c, "trusted"])) }),
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const planBytes = fs.statSync(planFile).size;
    console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, users: summary.source.users, clusters: summary.clusters, links: summary.links, oversized: summary.notLinked["refuse.profile_too_large"] ?? 0, planBytes, tempBytes: summary.source.bytes }));
  } finally {
    fs.rmSync(planFile, { force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
