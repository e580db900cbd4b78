// The saved plan that travels from the plan job to the protected apply job: sealed to the
// environment's public key, opened only with its private key, for its environment and commit.
import { spawnSync } from "child_process";
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { seal, open } = require("../../scripts/ci/seal-plan.js") as {
  seal: (plan: Buffer, o: { publicKey: string; environment: string; commit: string; now?: Date }) => Buffer;
  open: (sealed: Buffer, o: { privateKey: string; environment: string; commit: string; maxAgeHours?: number; now?: Date }) => Buffer;
};
const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "ci", "seal-plan.js");
const pair = () => generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const { publicKey, privateKey } = pair();
const PLAN = Buffer.from("PK\x03\x04 a saved plan, with the state it was made from: client_secret=hunter2");
const COMMIT = "a".repeat(40);

test("round trip; the sealed file holds none of the plan's bytes in clear", () => {
  const sealed = seal(PLAN, { publicKey, environment: "prod", commit: COMMIT });
  expect(sealed.includes(Buffer.from("hunter2"))).toBe(false);
  expect(JSON.parse(sealed.toString()).environment).toBe("prod");
  expect(open(sealed, { privateKey, environment: "prod", commit: COMMIT }).equals(PLAN)).toBe(true);
});

test.each<[string, (s: Buffer) => Buffer, Partial<{ privateKey: string; environment: string; commit: string; now: Date }>, string]>([
  ["another environment", (s) => s, { environment: "staging" }, 'the sealed plan is for environment "prod", not "staging"'],
  ["another commit (main moved, or an older run)", (s) => s, { commit: "b".repeat(40) }, "the sealed plan was made for commit aaaaaaaaaaaa, this run deploys bbbbbbbbbbbb: plan again"],
  ["an old plan", (s) => s, { now: new Date(Date.now() + 25 * 3_600_000) }, "older than 24 h: plan again"],
  ["another key pair", (s) => s, { privateKey: pair().privateKey }, "does not open with this environment's PLAN_PRIVATE_KEY"],
  ["a relabelled envelope (its header is authenticated)", (s) => Buffer.from(JSON.stringify({ ...JSON.parse(s.toString()), environment: "dev" })), { environment: "dev" }, "does not open"],
  ["an altered plan", (s) => { const e = JSON.parse(s.toString()); e.data = Buffer.from("x" + Buffer.from(e.data, "base64").toString("latin1"), "latin1").toString("base64"); return Buffer.from(JSON.stringify(e)); }, {}, "does not open"],
])("refuses %s", (_name, tamper, override, message) => {
  const sealed = tamper(seal(PLAN, { publicKey, environment: "prod", commit: COMMIT }));
  expect(() => open(sealed, { privateKey, environment: "prod", commit: COMMIT, ...override })).toThrow(message);
});

test("as a command: keys only from the environment, one error line, exit 1", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seal-"));
  fs.writeFileSync(path.join(dir, "tfplan"), PLAN);
  const run = (args: string[], env: Record<string, string>) => spawnSync(process.execPath, [SCRIPT, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" });
  const sealArgs = ["seal", "tfplan", "tfplan.sealed", "--environment", "prod", "--commit", COMMIT];
  const missing = run(sealArgs, {});
  expect([missing.status, missing.stderr]).toEqual([1, 'error: PLAN_PUBLIC_KEY is not set: add it to the GitHub Environment (docs/delivery.md, "Running it in CI")\n']);
  expect(run(sealArgs, { PLAN_PUBLIC_KEY: publicKey }).status).toBe(0);
  const opened = run(["open", "tfplan.sealed", "out", "--environment", "prod", "--commit", COMMIT], { PLAN_PRIVATE_KEY: privateKey });
  expect([opened.status, opened.stderr]).toEqual([0, ""]);
  expect(fs.readFileSync(path.join(dir, "out")).equals(PLAN)).toBe(true);
  const wrong = run(["open", "tfplan.sealed", "out2", "--environment", "dev", "--commit", COMMIT], { PLAN_PRIVATE_KEY: privateKey });
  expect([wrong.status, wrong.stderr]).toEqual([1, 'error: the sealed plan is for environment "prod", not "dev"\n']);
  expect(fs.existsSync(path.join(dir, "out2"))).toBe(false);
});
