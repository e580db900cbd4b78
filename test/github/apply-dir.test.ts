// scripts/ci/apply-dir.js: the Terraform directory CI plans and applies in holds the stack's
// cdk.tf.json and the committed lock, and nothing else the synth artifact carried.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { assemble, inspectStack, tokenVariable } = require("../../scripts/ci/apply-dir.js") as {
  assemble: (synthOut: string, environment: string, dir: string, o?: { lock?: string; allowLocal?: boolean }) => { dir: string; backend: string; tokenVariable?: string };
  inspectStack: (json: string, lock: string, stack: string, o?: { allowLocal?: boolean }) => { backend: string; tokenVariable?: string };
  tokenVariable: (host: string) => string;
};
const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "ci", "apply-dir.js");
const LOCK = 'provider "registry.terraform.io/auth0/auth0" {\n  version = "1.55.0"\n}\n\nprovider "registry.terraform.io/hashicorp/random" {\n  version = "3.7.2"\n}\n';
const providers = { auth0: { source: "auth0/auth0", version: "1.55.0" }, random: { source: "hashicorp/random", version: "3.7.2" } };
const s3 = { terraform: { required_providers: providers, backend: { s3: { bucket: "b", key: "k", region: "eu-west-1" } } }, resource: {} };

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "apply-dir-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A synth artifact with the stack and, beside it, what a poisoned build could have planted. */
function artifact(config: unknown): string {
  const stack = path.join(root, "synth", "stacks", "auth0-prod");
  fs.mkdirSync(path.join(stack, "terraform.d", "plugins", "registry.terraform.io", "auth0", "auth0", "1.55.0", "linux_amd64"), { recursive: true });
  fs.writeFileSync(path.join(stack, "terraform.d", "plugins", "registry.terraform.io", "auth0", "auth0", "1.55.0", "linux_amd64", "terraform-provider-auth0_v1.55.0"), "planted");
  fs.mkdirSync(path.join(stack, ".terraform"));
  fs.writeFileSync(path.join(stack, ".terraformrc"), "provider_installation { dev_overrides {} }");
  fs.writeFileSync(path.join(stack, "cdk.tf.json"), JSON.stringify(config));
  fs.writeFileSync(path.join(root, "lock.hcl"), LOCK);
  return path.join(root, "synth");
}

test("copies cdk.tf.json and the committed lock only", () => {
  const result = assemble(artifact(s3), "prod", path.join(root, "apply"), { lock: path.join(root, "lock.hcl") });
  expect(fs.readdirSync(result.dir).sort()).toEqual([".terraform.lock.hcl", "cdk.tf.json"]);
  expect(fs.readFileSync(path.join(result.dir, ".terraform.lock.hcl"), "utf8")).toBe(LOCK);
  expect(result).toMatchObject({ backend: "s3", tokenVariable: undefined });
});

test("refuses a local backend for an apply (state would be lost), allows it for a plan", () => {
  const local = { terraform: { required_providers: providers } };
  expect(() => inspectStack(JSON.stringify(local), LOCK, "auth0-prod")).toThrow("auth0-prod uses the local backend: state written in CI is lost when the job ends");
  expect(inspectStack(JSON.stringify(local), LOCK, "auth0-prod", { allowLocal: true }).backend).toBe("local");
});

test("refuses a provider the committed lock does not record, naming it", () => {
  const withAws = { ...s3, terraform: { ...s3.terraform, required_providers: { ...providers, aws: { source: "hashicorp/aws", version: "6.0.0" } } } };
  expect(() => inspectStack(JSON.stringify(withAws), LOCK, "auth0-prod")).toThrow("auth0-prod: registry.terraform.io/hashicorp/aws not in the committed .terraform.lock.hcl: record it with scripts/ci/lock-providers.sh");
});

test("names the HCP Terraform token variable for the backend's host", () => {
  const cloud = { terraform: { required_providers: providers, cloud: { organization: "acme", hostname: "tfe.corp-eu.example.com", workspaces: { name: "w" } } } };
  expect(inspectStack(JSON.stringify(cloud), LOCK, "auth0-prod")).toEqual({ backend: "cloud", tokenVariable: "TF_TOKEN_tfe_corp__eu_example_com" });
  expect(tokenVariable("app.terraform.io")).toBe("TF_TOKEN_app_terraform_io");
});

test("as a command: step outputs, and one error line for a bad environment name or a non-empty directory", () => {
  const synth = artifact(s3);
  const output = path.join(root, "github-output");
  fs.writeFileSync(output, "");
  const run = (args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8", env: { PATH: process.env.PATH, GITHUB_OUTPUT: output } });
  const ok = run([synth, "prod", path.join(root, "apply")]);
  // The command reads the repository's own lock, which does not record auth0/auth0 yet
  // (docs/delivery.md, "The provider lock file"): until it does, it says so.
  if (ok.status === 0) expect(fs.readFileSync(output, "utf8")).toBe(`dir=${path.join(root, "apply")}\n`);
  else expect(ok.stderr).toMatch(/^error: auth0-prod: .* not in the committed \.terraform\.lock\.hcl/);
  expect(run([synth, "../prod", path.join(root, "x")]).stderr).toBe('error: "../prod" is not an environment name\n');
  fs.mkdirSync(path.join(root, "full"));
  fs.writeFileSync(path.join(root, "full", "stale"), "");
  expect(run([synth, "prod", path.join(root, "full"), "--plan"]).stderr).toBe(`error: ${path.join(root, "full")} is not empty: the directory is made fresh\n`);
});
