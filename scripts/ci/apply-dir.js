#!/usr/bin/env node
// A Terraform working directory assembled from reviewed inputs only: the stack's cdk.tf.json from
// the tested synth (the configuration the approved plan is made from) and the committed
// .terraform.lock.hcl. Nothing else from the synth artifact (built by a job that ran install
// scripts) comes along, so a terraform.d/plugins folder, a .terraformrc or a stray .terraform/
// planted in it is never seen. The apply job applies in one; the plan jobs plan in one (--plan:
// a local backend is allowed there, the plan says what it means). Plain Node, no dependencies:
// the apply job installs nothing from npm.
//
//   node scripts/ci/apply-dir.js <synth-out> <environment> <new-dir> [--plan]
// Writes `dir` and, for an HCP Terraform backend, `token-variable` (TF_TOKEN_<host>) to $GITHUB_OUTPUT.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..", "..");
const LOCK = path.join(ROOT, ".terraform.lock.hcl");

class ApplyDirError extends Error {}

/** Provider addresses the lock file records. */
function lockedProviders(lockText) {
  return [...lockText.matchAll(/^provider "([^"]+)" \{/gm)].map((m) => m[1]);
}

/** "auth0/auth0" or "registry.terraform.io/auth0/auth0" -> the full address. */
function providerAddress(source) {
  const parts = String(source).toLowerCase().split("/");
  return parts.length === 2 ? `registry.terraform.io/${parts.join("/")}` : parts.join("/");
}

/** Terraform reads a host's token from TF_TOKEN_<host>, dots as "_" and hyphens as "__". */
function tokenVariable(hostname) {
  return `TF_TOKEN_${hostname.toLowerCase().replace(/-/g, "__").replace(/\./g, "_")}`;
}

/** Checks the stack JSON and says what the apply job needs to know about it. */
function inspectStack(json, lockText, stack, { allowLocal = false } = {}) {
  let config;
  try {
    config = JSON.parse(json);
  } catch {
    throw new ApplyDirError(`${stack}: cdk.tf.json is not JSON: synthesize again`);
  }
  const terraform = (config && config.terraform) || {};
  const backend = terraform.cloud ? "cloud" : Object.keys(terraform.backend || {})[0] || "local";
  if (backend === "local" && !allowLocal) {
    throw new ApplyDirError(`${stack} uses the local backend: state written in CI is lost when the job ends. Configure an s3 or cloud backend in stacks/environments.ts (docs/delivery.md, "Running it in CI")`);
  }
  const locked = new Set(lockedProviders(lockText));
  const missing = Object.values(terraform.required_providers || {})
    .map((p) => providerAddress(p.source))
    .filter((address) => !locked.has(address));
  if (missing.length > 0) {
    throw new ApplyDirError(`${stack}: ${missing.join(", ")} not in the committed .terraform.lock.hcl: record it with scripts/ci/lock-providers.sh (docs/delivery.md, "The provider lock file")`);
  }
  const hostname = backend === "cloud" ? terraform.cloud.hostname || "app.terraform.io" : undefined;
  return { backend, tokenVariable: hostname ? tokenVariable(hostname) : undefined };
}

function assemble(synthOut, environment, dir, { lock = LOCK, allowLocal = false } = {}) {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(environment)) throw new ApplyDirError(`"${environment}" is not an environment name`);
  const stack = `auth0-${environment}`;
  const source = path.join(synthOut, "stacks", stack, "cdk.tf.json");
  if (!fs.existsSync(source)) throw new ApplyDirError(`${source}: no such file (the tested synth has no stack ${stack})`);
  const json = fs.readFileSync(source, "utf8");
  const lockText = fs.readFileSync(lock, "utf8");
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) throw new ApplyDirError(`${dir} is not empty: the directory is made fresh`);
  const found = inspectStack(json, lockText, stack, { allowLocal });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "cdk.tf.json"), json);
  fs.writeFileSync(path.join(dir, ".terraform.lock.hcl"), lockText);
  return { dir, ...found };
}

if (require.main === module) {
  try {
    const args = process.argv.slice(2);
    const allowLocal = args.includes("--plan");
    const [synthOut, environment, dir, ...rest] = args.filter((a) => a !== "--plan");
    if (!synthOut || !environment || !dir || rest.length > 0) throw new ApplyDirError("usage: apply-dir.js <synth-out> <environment> <new-dir> [--plan]");
    const result = assemble(synthOut, environment, path.resolve(dir), { allowLocal });
    const lines = [`dir=${result.dir}`, ...(result.tokenVariable ? [`token-variable=${result.tokenVariable}`] : [])];
    if (process.env.GITHUB_OUTPUT) fs.appendFileSync(process.env.GITHUB_OUTPUT, lines.map((l) => `${l}\n`).join(""));
    console.log(`${result.dir}: cdk.tf.json and .terraform.lock.hcl only (${result.backend} backend)`);
  } catch (err) {
    console.error(`error: ${err instanceof ApplyDirError ? err.message : `apply-dir.js: ${err.message}`}`);
    process.exit(1);
  }
}

module.exports = { assemble, inspectStack, tokenVariable, providerAddress, ApplyDirError };
