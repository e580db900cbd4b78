// What switching engines does to Terraform state: nothing. A small stack of `terraform_data`
// resources (Terraform's built-in provider: nothing to download) is synthesized by cdktf and by
// CDK Terrain, applied with the real Terraform from one engine's JSON, then planned from the other
// engine's JSON against that state: no changes, both ways. The same plan against an empty state
// shows the resources, so "no changes" is a finding, not a plan that sees nothing.
// The stack uses what TenantStack relies on for its addresses: a logical id set by hand, ids from
// nested construct paths, references between resources, depends_on, an override, an output, a
// local backend at a path. Runs where Node >= 22.19 (CDK Terrain) and Terraform >= 1.11 are.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import table from "../../stacks/engines.json";
import { realTerraform } from "../support/real-terraform";

const ROOT = path.join(__dirname, "..", "..");
const nodeAtLeast = (minimum: string) => {
  const [a, b] = [process.versions.node, minimum].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
};
const why = !nodeAtLeast(table.engines.cdktn.node)
  ? `CDK Terrain (cdktn 0.24) needs Node >= ${table.engines.cdktn.node}, this is Node ${process.versions.node}`
  : !realTerraform
    ? "no Terraform >= 1.11 installed"
    : undefined;
if (why) console.warn(`skipping the state check across engines: ${why}`);
// CI (.github/workflows/engines.yml) sets ENGINE_TESTS_REQUIRED: there a skip would be a silent pass.
if (why && process.env.ENGINE_TESTS_REQUIRED) throw new Error(`ENGINE_TESTS_REQUIRED is set, but the state check would be skipped: ${why}`);
const runs = why ? test.skip : test;

const STACK = "auth0-engines";
// Run in a child process per engine, with that engine only (they share a global token map).
const PROGRAM = `
const [library, outdir, statePath] = process.argv.slice(1);
const cdk = require(library);
const { Construct } = require("constructs");
const app = new cdk.App({ outdir });
const stack = new cdk.TerraformStack(app, ${JSON.stringify(STACK)});
new cdk.LocalBackend(stack, { path: statePath });
const tenant = new cdk.DataResource(stack, "tenant", { input: { domain: "acme.eu.auth0.com", management_api_identifier: "https://acme.eu.auth0.com/api/v2/" } });
tenant.overrideLogicalId("tenant");
const application = new Construct(stack, "application");
const client = new cdk.DataResource(application, "client", { input: { name: "Account linking", audience: tenant.output.lookup("management_api_identifier") } });
const grant = new cdk.DataResource(application, "grant", { input: { client_id: client.id, scopes: ["read:users", "update:users"] }, dependsOn: [tenant] });
const action = new cdk.DataResource(stack, "linking_action", { input: { code: "exports.onExecutePostLogin = async () => {};", secrets_wo_version: 1 }, triggersReplace: { client: client.id } });
action.addOverride("lifecycle.create_before_destroy", true);
new cdk.TerraformOutput(stack, "linking_client_id", { value: client.id }).overrideLogicalId("linking_client_id");
new cdk.TerraformOutput(stack, "grant", { value: grant.id });
app.synth();
`;

function synth(engine: "cdktf" | "cdktn", outdir: string, statePath: string): Record<string, any> {
  const library = table.engines[engine].library;
  const result = spawnSync(process.execPath, ["-e", PROGRAM, library, outdir, statePath], { cwd: ROOT, env: { ...process.env, CHECKPOINT_DISABLE: "1" }, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${engine} synth failed: ${result.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(outdir, "stacks", STACK, "cdk.tf.json"), "utf8"));
}

function terraform(dir: string, args: string[]): { status: number | null; out: string } {
  const result = spawnSync(realTerraform!.bin, args, {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: os.tmpdir(), TF_CLI_CONFIG_FILE: "/dev/null", CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
    encoding: "utf8",
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

const withoutMetadata = (json: unknown) => JSON.parse(JSON.stringify(json), (key, value) => (key === "//" ? undefined : value));

describe.each([
  ["cdktf", "cdktn"],
  ["cdktn", "cdktf"],
] as const)(`state written from %s's JSON, planned from %s's${why ? ` [skipped: ${why}]` : ""}`, (writer, reader) => {
  runs("no changes (and the same plan against an empty state would create everything)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `engine-state-${writer}-`));
    const statePath = path.join(dir, "terraform.tfstate");
    const written = synth(writer, path.join(dir, writer), statePath);
    const read = synth(reader, path.join(dir, reader), statePath);
    // Each engine wrote its own file (the metadata says which), with the same Terraform in it.
    expect(read["//"].metadata.version).not.toBe(written["//"].metadata.version);
    expect(withoutMetadata(read)).toEqual(withoutMetadata(written));

    const writerDir = path.join(dir, writer, "stacks", STACK);
    const readerDir = path.join(dir, reader, "stacks", STACK);
    for (const d of [writerDir, readerDir]) expect(terraform(d, ["init", "-input=false", "-no-color"]).status).toBe(0);

    const before = terraform(readerDir, ["plan", "-input=false", "-lock=false", "-no-color", "-detailed-exitcode"]);
    expect([before.status, before.out]).toEqual([2, expect.stringContaining("Plan: 4 to add, 0 to change, 0 to destroy.")]);

    const apply = terraform(writerDir, ["apply", "-input=false", "-auto-approve", "-no-color"]);
    expect([apply.status, apply.out]).toEqual([0, expect.stringContaining("Apply complete! Resources: 4 added, 0 changed, 0 destroyed.")]);
    const addresses = terraform(writerDir, ["state", "list"]).out.trim().split("\n").sort();
    expect(addresses).toEqual([expect.stringMatching(/^terraform_data\.application_client_[0-9A-F]{8}$/), expect.stringMatching(/^terraform_data\.application_grant_[0-9A-F]{8}$/), "terraform_data.linking_action", "terraform_data.tenant"]);

    const after = terraform(readerDir, ["plan", "-input=false", "-lock=false", "-no-color", "-detailed-exitcode"]);
    expect([after.status, after.out]).toEqual([0, expect.stringContaining("No changes. Your infrastructure matches the configuration.")]);
  });
});
