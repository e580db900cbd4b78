// The saved plan that travels from the plan job to the protected apply job: sealed to the
// environment's public key, signed by a job that runs no npm code, opened only with the private
// key after the signature verifies, for its environment and commit.
import { spawnSync } from "child_process";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { seal, sign, open } = require("../../scripts/ci/seal-plan.js") as {
  seal: (plan: Buffer, o: { publicKey: string; environment: string; commit: string; now?: Date }) => Buffer;
  sign: (sealed: Buffer, o: { signingKey: string; environment: string; commit: string }) => Buffer;
  open: (sealed: Buffer, o: { privateKey: string; verifyKey: string; environment: string; commit: string; maxAgeHours?: number; now?: Date }) => Buffer;
};
const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "ci", "seal-plan.js");
const pair = () => generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const { publicKey, privateKey } = pair();
const signingPair = () => generateKeyPairSync("ed25519", { publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const { publicKey: verifyKey, privateKey: signingKey } = signingPair();
const PLAN = Buffer.from("PK\x03\x04 a saved plan, with the state it was made from: client_secret=hunter2");
const COMMIT = "a".repeat(40);

const sealedAndSigned = (environment = "prod", commit = COMMIT) => sign(seal(PLAN, { publicKey, environment, commit }), { signingKey, environment, commit });
const reSign = (s: Buffer) => sign(Buffer.from(JSON.stringify({ ...JSON.parse(s.toString()), signature: undefined })), { signingKey, environment: JSON.parse(s.toString()).environment, commit: JSON.parse(s.toString()).commit });

test("round trip; the sealed file holds none of the plan's bytes in clear", () => {
  const sealed = sealedAndSigned();
  expect(sealed.includes(Buffer.from("hunter2"))).toBe(false);
  expect(JSON.parse(sealed.toString()).environment).toBe("prod");
  expect(open(sealed, { privateKey, verifyKey, environment: "prod", commit: COMMIT }).equals(PLAN)).toBe(true);
});

test("anyone can seal (the public key is public): an unsigned plan, or one signed with another key, is refused", () => {
  const unsigned = seal(PLAN, { publicKey, environment: "prod", commit: COMMIT });
  expect(() => open(unsigned, { privateKey, verifyKey, environment: "prod", commit: COMMIT })).toThrow("the sealed plan is not signed");
  const forged = sign(unsigned, { signingKey: signingPair().privateKey, environment: "prod", commit: COMMIT });
  expect(() => open(forged, { privateKey, verifyKey, environment: "prod", commit: COMMIT })).toThrow("signature does not verify with this environment's PLAN_VERIFY_KEY");
});

test("the signer vouches only for the environment and commit it names", () => {
  const unsigned = seal(PLAN, { publicKey, environment: "dev", commit: COMMIT });
  expect(() => sign(unsigned, { signingKey, environment: "prod", commit: COMMIT })).toThrow('the sealed plan is for environment "dev" at aaaaaaaaaaaa, not "prod" at aaaaaaaaaaaa: not signed');
  expect(() => sign(unsigned, { signingKey: privateKey, environment: "dev", commit: COMMIT })).toThrow("PLAN_SIGNING_KEY is not an Ed25519 key");
});

test.each<[string, (s: Buffer) => Buffer, Partial<{ privateKey: string; environment: string; commit: string; now: Date }>, string]>([
  ["another environment", (s) => s, { environment: "staging" }, 'the sealed plan is for environment "prod", not "staging"'],
  ["another commit (main moved, or an older run)", (s) => s, { commit: "b".repeat(40) }, "the sealed plan was made for commit aaaaaaaaaaaa, this run deploys bbbbbbbbbbbb: plan again"],
  ["an old plan", (s) => s, { now: new Date(Date.now() + 25 * 3_600_000) }, "older than 24 h: plan again"],
  ["another key pair", (s) => s, { privateKey: pair().privateKey }, "does not open with this environment's PLAN_PRIVATE_KEY"],
  ["a relabelled envelope (the signature covers the header)", (s) => Buffer.from(JSON.stringify({ ...JSON.parse(s.toString()), environment: "dev" })), { environment: "dev" }, "signature does not verify"],
  ["a relabelled envelope signed again (the encryption covers the header too)", (s) => reSign(Buffer.from(JSON.stringify({ ...JSON.parse(s.toString()), environment: "dev" }))), { environment: "dev" }, "does not open"],
  ["an altered plan", (s) => { const e = JSON.parse(s.toString()); e.data = Buffer.from("x" + Buffer.from(e.data, "base64").toString("latin1"), "latin1").toString("base64"); return Buffer.from(JSON.stringify(e)); }, {}, "signature does not verify"],
])("refuses %s", (_name, tamper, override, message) => {
  const sealed = tamper(sealedAndSigned());
  expect(() => open(sealed, { privateKey, verifyKey, environment: "prod", commit: COMMIT, ...override })).toThrow(message);
});

test("as a command: keys only from the environment, one error line, exit 1", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seal-"));
  fs.writeFileSync(path.join(dir, "tfplan"), PLAN);
  const run = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" });
  const sealArgs = ["seal", "tfplan", "tfplan.sealed", "--environment", "prod", "--commit", COMMIT];
  const missing = run(sealArgs, {});
  expect([missing.status, missing.stderr]).toEqual([1, 'error: PLAN_PUBLIC_KEY is not set: add it to the GitHub Environment (docs/delivery.md, "Running it in CI")\n']);
  expect(run(sealArgs, { PLAN_PUBLIC_KEY: publicKey }).status).toBe(0);
  const keys = { PLAN_PRIVATE_KEY: privateKey, PLAN_VERIFY_KEY: verifyKey };
  const unsigned = run(["open", "tfplan.sealed", "out", "--environment", "prod", "--commit", COMMIT], keys);
  expect([unsigned.status, unsigned.stderr]).toEqual([1, "error: the sealed plan is not signed (expected the output of seal-plan.js sign)\n"]);
  expect(run(["sign", "tfplan.sealed", "tfplan.signed", "--environment", "prod", "--commit", COMMIT], { PLAN_SIGNING_KEY: signingKey }).status).toBe(0);
  const noVerifyKey = run(["open", "tfplan.signed", "out", "--environment", "prod", "--commit", COMMIT], { PLAN_PRIVATE_KEY: privateKey });
  expect([noVerifyKey.status, noVerifyKey.stderr]).toEqual([1, 'error: PLAN_VERIFY_KEY is not set: add it to the GitHub Environment (docs/delivery.md, "Running it in CI")\n']);
  const opened = run(["open", "tfplan.signed", "out", "--environment", "prod", "--commit", COMMIT], keys);
  expect([opened.status, opened.stderr]).toEqual([0, ""]);
  expect(fs.readFileSync(path.join(dir, "out")).equals(PLAN)).toBe(true);
  const wrong = run(["open", "tfplan.signed", "out2", "--environment", "dev", "--commit", COMMIT], keys);
  expect([wrong.status, wrong.stderr]).toEqual([1, 'error: the sealed plan is for environment "prod", not "dev"\n']);
  expect(fs.existsSync(path.join(dir, "out2"))).toBe(false);
});
