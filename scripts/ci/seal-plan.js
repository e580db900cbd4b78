#!/usr/bin/env node
// A saved Terraform plan leaves the plan job only sealed: encrypted to the environment's public
// key (RSA-OAEP-SHA256 wrapping a one-time AES-256-GCM key), so only the protected apply job, which
// holds the private key, can read it. The envelope names the environment, the commit and the time,
// authenticated with the plan, so a plan for another environment or commit, or an old one, is
// refused before Terraform sees it. Plain Node, no dependencies: it runs before `npm run gen`.
//
//   PLAN_PUBLIC_KEY=...  node scripts/ci/seal-plan.js seal <tfplan> <sealed> --environment <name> --commit <sha>
//   PLAN_PRIVATE_KEY=... node scripts/ci/seal-plan.js open <sealed> <tfplan> --environment <name> --commit <sha> [--max-age-hours 24]
// Keys come from the environment, never from arguments (which other processes can list).
"use strict";
const crypto = require("crypto");
const fs = require("fs");

const FORMAT = "auth0-account-linking sealed plan v1";

class SealError extends Error {}

function header(environment, commit, createdAt) {
  return { format: FORMAT, environment, commit, createdAt };
}

function seal(plan, { publicKey, environment, commit, now = new Date() }) {
  const key = crypto.randomBytes(32);
  const iv = crypto.randomBytes(12);
  const meta = header(environment, commit, now.toISOString());
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(JSON.stringify(meta)));
  const data = Buffer.concat([cipher.update(plan), cipher.final()]);
  const wrapped = crypto.publicEncrypt({ key: publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, key);
  return Buffer.from(JSON.stringify({ ...meta, key: wrapped.toString("base64"), iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") }));
}

function open(sealed, { privateKey, environment, commit, maxAgeHours = 24, now = new Date() }) {
  let envelope;
  try {
    envelope = JSON.parse(sealed.toString("utf8"));
  } catch {
    throw new SealError("not a sealed plan (expected the output of seal-plan.js seal)");
  }
  if (envelope.format !== FORMAT) throw new SealError("not a sealed plan (expected the output of seal-plan.js seal)");
  if (envelope.environment !== environment) throw new SealError(`the sealed plan is for environment "${envelope.environment}", not "${environment}"`);
  if (envelope.commit !== commit) throw new SealError(`the sealed plan was made for commit ${String(envelope.commit).slice(0, 12)}, this run deploys ${String(commit).slice(0, 12)}: plan again`);
  const age = (now.getTime() - Date.parse(envelope.createdAt)) / 3_600_000;
  if (!(age >= -0.1 && age <= maxAgeHours)) throw new SealError(`the sealed plan is from ${envelope.createdAt}, older than ${maxAgeHours} h: plan again`);
  try {
    const key = crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, Buffer.from(envelope.key, "base64"));
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(envelope.iv, "base64"));
    decipher.setAAD(Buffer.from(JSON.stringify(header(envelope.environment, envelope.commit, envelope.createdAt))));
    decipher.setAuthTag(Buffer.from(envelope.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(envelope.data, "base64")), decipher.final()]);
  } catch {
    throw new SealError("the sealed plan does not open with this environment's PLAN_PRIVATE_KEY (another key pair, or the file was altered)");
  }
}

function cli(argv, env) {
  const [command, input, output, ...rest] = argv;
  const options = {};
  for (let i = 0; i < rest.length; i += 2) {
    if (!["--environment", "--commit", "--max-age-hours"].includes(rest[i]) || rest[i + 1] === undefined) throw new SealError(`unknown or incomplete option ${rest[i]}`);
    options[rest[i].slice(2)] = rest[i + 1];
  }
  if (!["seal", "open"].includes(command) || !input || !output || !options.environment || !options.commit) {
    throw new SealError("usage: seal-plan.js seal|open <input> <output> --environment <name> --commit <sha> [--max-age-hours <n>]");
  }
  const keyName = command === "seal" ? "PLAN_PUBLIC_KEY" : "PLAN_PRIVATE_KEY";
  const key = (env[keyName] || "").trim();
  if (!key) throw new SealError(`${keyName} is not set: add it to the GitHub Environment (docs/delivery.md, "Running it in CI")`);
  if (!fs.existsSync(input)) throw new SealError(`${input}: no such file`);
  const data = fs.readFileSync(input);
  const result =
    command === "seal"
      ? seal(data, { publicKey: key, environment: options.environment, commit: options.commit })
      : open(data, { privateKey: key, environment: options.environment, commit: options.commit, maxAgeHours: Number(options["max-age-hours"] || 24) });
  fs.writeFileSync(output, result, { mode: 0o600 });
}

if (require.main === module) {
  try {
    cli(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`error: ${err instanceof SealError ? err.message : `seal-plan.js: ${err.message}`}`);
    process.exit(1);
  }
}

module.exports = { seal, open, SealError };
