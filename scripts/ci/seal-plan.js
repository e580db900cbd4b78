#!/usr/bin/env node
// A saved Terraform plan leaves the plan job only sealed: encrypted to the environment's public
// key (RSA-OAEP-SHA256 wrapping a one-time AES-256-GCM key), so only the protected apply job, which
// holds the private key, can read it. The envelope names the environment, the commit and the time,
// authenticated with the plan. Encryption alone proves nothing about who sealed it (the public key
// is public), so a job that runs no npm code signs the envelope (Ed25519, PLAN_SIGNING_KEY), and
// the apply job opens only a plan signed for its environment and commit, under a day old, before
// Terraform sees it. Plain Node, no dependencies: it runs in jobs that install nothing from npm.
//
//   PLAN_PUBLIC_KEY=...  node scripts/ci/seal-plan.js seal <tfplan> <sealed> --environment <name> --commit <sha>
//   PLAN_SIGNING_KEY=... node scripts/ci/seal-plan.js sign <sealed> <signed> --environment <name> --commit <sha>
//   PLAN_PRIVATE_KEY=... PLAN_VERIFY_KEY=... node scripts/ci/seal-plan.js open <signed> <tfplan> --environment <name> --commit <sha> [--max-age-hours 24]
// Keys come from the environment, never from arguments (which other processes can list).
"use strict";
const crypto = require("crypto");
const fs = require("fs");

const FORMAT = "auth0-account-linking sealed plan v2";

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

function parse(sealed) {
  let envelope;
  try {
    envelope = JSON.parse(sealed.toString("utf8"));
  } catch {
    throw new SealError("not a sealed plan (expected the output of seal-plan.js seal)");
  }
  if (!envelope || envelope.format !== FORMAT) throw new SealError("not a sealed plan (expected the output of seal-plan.js seal)");
  return envelope;
}

/** Everything the signature covers: the header and the ciphertext, in a fixed order. */
function signedBytes(e) {
  return Buffer.from(JSON.stringify([e.format, e.environment, e.commit, e.createdAt, e.key, e.iv, e.tag, e.data]));
}

/** An Ed25519 key object, or a SealError naming the variable that holds something else. */
function ed25519(load, name) {
  let key;
  try {
    key = load();
  } catch {
    key = undefined;
  }
  if (!key || key.asymmetricKeyType !== "ed25519") throw new SealError(`${name} is not an Ed25519 key in PEM (docs/delivery.md, "Running it in CI")`);
  return key;
}

/** Signs a sealed plan, after checking it is the one this job means to vouch for. */
function sign(sealed, { signingKey, environment, commit }) {
  const envelope = parse(sealed);
  if (envelope.environment !== environment || envelope.commit !== commit) {
    throw new SealError(`the sealed plan is for environment "${envelope.environment}" at ${String(envelope.commit).slice(0, 12)}, not "${environment}" at ${String(commit).slice(0, 12)}: not signed`);
  }
  const key = ed25519(() => crypto.createPrivateKey(signingKey), "PLAN_SIGNING_KEY");
  const { signature: _previous, ...unsigned } = envelope;
  const signature = crypto.sign(null, signedBytes(unsigned), key).toString("base64");
  return Buffer.from(JSON.stringify({ ...unsigned, signature }));
}

function open(sealed, { privateKey, verifyKey, environment, commit, maxAgeHours = 24, now = new Date() }) {
  const envelope = parse(sealed);
  if (typeof envelope.signature !== "string") throw new SealError("the sealed plan is not signed (expected the output of seal-plan.js sign)");
  const key = ed25519(() => crypto.createPublicKey(verifyKey), "PLAN_VERIFY_KEY");
  let valid = false;
  try {
    valid = crypto.verify(null, signedBytes(envelope), key, Buffer.from(envelope.signature, "base64"));
  } catch {
    valid = false;
  }
  if (!valid) throw new SealError("the sealed plan's signature does not verify with this environment's PLAN_VERIFY_KEY (signed with another key, or altered)");
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
  if (!["seal", "sign", "open"].includes(command) || !input || !output || !options.environment || !options.commit) {
    throw new SealError("usage: seal-plan.js seal|sign|open <input> <output> --environment <name> --commit <sha> [--max-age-hours <n>]");
  }
  const keyNames = { seal: ["PLAN_PUBLIC_KEY"], sign: ["PLAN_SIGNING_KEY"], open: ["PLAN_PRIVATE_KEY", "PLAN_VERIFY_KEY"] }[command];
  const keys = keyNames.map((name) => {
    const key = (env[name] || "").trim();
    if (!key) throw new SealError(`${name} is not set: add it to the GitHub Environment (docs/delivery.md, "Running it in CI")`);
    return key;
  });
  if (!fs.existsSync(input)) throw new SealError(`${input}: no such file`);
  const data = fs.readFileSync(input);
  const { environment, commit } = options;
  const result =
    command === "seal"
      ? seal(data, { publicKey: keys[0], environment, commit })
      : command === "sign"
        ? sign(data, { signingKey: keys[0], environment, commit })
        : open(data, { privateKey: keys[0], verifyKey: keys[1], environment, commit, maxAgeHours: Number(options["max-age-hours"] || 24) });
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

module.exports = { seal, sign, open, SealError };
