#!/usr/bin/env node
// Stands in for the terraform binary (no provider can be downloaded here) so the deploy and plan
// commands' orchestration can be tested: which commands run, in which order, on which answers.
// FAKE_TF_LOG: file that receives one JSON line per invocation.
// FAKE_TF_PLANS: comma-separated plan JSON files, answered in turn by `show -json`.
// FAKE_TF_FAIL: a subcommand that exits 1 (with FAKE_TF_FAIL_MESSAGE, or a generic error, on stderr).
const fs = require("fs");
const args = process.argv.slice(2);
const log = process.env.FAKE_TF_LOG;
if (log) fs.appendFileSync(log, JSON.stringify({ args, cwd: process.cwd() }) + "\n");
const sub = args[0];
if (sub === "version") {
  process.stdout.write(JSON.stringify({ terraform_version: process.env.FAKE_TF_VERSION || "1.11.4" }));
  process.exit(0);
}
if (process.env.FAKE_TF_FAIL === sub) {
  process.stderr.write(`${process.env.FAKE_TF_FAIL_MESSAGE || `Error: ${sub} failed in the fake terraform`}\n`);
  process.exit(1);
}
if (sub === "show" && args.includes("-json")) {
  const plans = (process.env.FAKE_TF_PLANS || "").split(",").filter(Boolean);
  const counter = `${log}.shows`;
  const n = fs.existsSync(counter) ? Number(fs.readFileSync(counter, "utf8")) : 0;
  fs.writeFileSync(counter, String(n + 1));
  process.stdout.write(fs.readFileSync(plans[Math.min(n, plans.length - 1)], "utf8"));
  process.exit(0);
}
if (sub === "show") {
  process.stdout.write("Terraform will perform the following actions:\n  (fake plan text)\n");
  process.exit(0);
}
process.stdout.write(`fake terraform ${sub} ok\n`);
process.exit(0);
