// A half-done secret write (the application's secret written, the Action's not) is found in the
// state the next plan starts from, and that plan writes one fresh secret to both: the sequence of
// states an interrupted apply and its repair go through, then `npm run plan` doing it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ACTION_ADDRESS, CREDENTIALS_ADDRESS, halfDoneSecret, healOverride, HEAL_OVERRIDE_FILE } from "../../scripts/lib/secret-heal";
import { resolveEnvironments } from "../../stacks/config";
import { TEAM_LIKE } from "../stacks/fixtures";
import { realTerraform, withTerraform } from "../support/real-terraform";
import { cleanEnv, runWithEnvironments } from "../support/run-script";
import { synthEnvironment, writeSynthOutdir } from "../support/synth";

/** A plan whose prior state holds the credentials and the Action at these versions (undefined: absent). */
function planFrom(application: number | undefined, action: number | undefined, changes: Array<{ address: string; actions: string[] }> = []): unknown {
  const resources = [
    ...(application === undefined ? [] : [{ address: CREDENTIALS_ADDRESS, values: { client_id: "abc", client_secret_wo_version: application } }]),
    ...(action === undefined ? [] : [{ address: ACTION_ADDRESS, values: { name: "Account linking", secrets_wo_version: action } }]),
  ];
  return {
    format_version: "1.2",
    terraform_version: "1.11.4",
    applyable: true,
    complete: true,
    errored: false,
    prior_state: { values: { root_module: { resources } } },
    resource_changes: changes.map(({ address, actions }) => {
      const [type, name] = address.split(".");
      return { address, mode: "managed", type, name, provider_name: "registry.terraform.io/auth0/auth0", change: { actions, before: {}, after: {}, after_unknown: {}, before_sensitive: {}, after_sensitive: {} } };
    }),
  };
}

describe("the states an interrupted apply and its repair go through", () => {
  test("deployed and in step: nothing to repair", () => {
    expect(halfDoneSecret(planFrom(3, 3), 3)).toBeUndefined();
  });

  test("a rotation (1 -> 2) stopped after the application's write: both get a new version above everything", () => {
    expect(halfDoneSecret(planFrom(2, 1), 2)).toEqual({ version: 3, reason: "the application's secret is at version 2 and the Action's at 1" });
  });

  test("a first deploy stopped before the Action was created", () => {
    expect(halfDoneSecret(planFrom(1, undefined), 1)).toEqual({ version: 2, reason: "the application's secret is at version 1 and the Action was never created" });
  });

  test("the repair applied (both at the repair version): in step again, whatever the configuration says", () => {
    expect(halfDoneSecret(planFrom(3, 3), 2)).toBeUndefined();
  });

  test("nothing written yet (first plan) is not half-done; the repair version clears a configured version above the state", () => {
    expect(halfDoneSecret(planFrom(undefined, undefined), 1)).toBeUndefined();
    expect(halfDoneSecret(planFrom(2, 1), 5)?.version).toBe(6);
  });

  test("the override sets both versions, at the stack's addresses", () => {
    expect(healOverride(4)).toEqual({ resource: { auth0_client_credentials: { linking_client_secret_wo: { client_secret_wo_version: 4 } }, auth0_action: { linking_action: { secrets_wo_version: 4 } } } });
  });
});

describe("npm run plan repairs it (the fake terraform records the calls)", () => {
  const dev = resolveEnvironments(TEAM_LIKE).find((e) => e.name === "dev")!;
  const FAKE_TF = path.join(__dirname, "..", "support", "fake-terraform.js");
  let work: string;
  let outdir: string;

  beforeAll(() => {
    outdir = writeSynthOutdir(synthEnvironment(dev).tf, "auth0-dev");
  });
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "secret-heal-"));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

  const plans = (...bodies: unknown[]) => bodies.map((b, i) => {
    const file = path.join(work, `plan-${i}.json`);
    fs.writeFileSync(file, JSON.stringify(b));
    return file;
  });
  const env = (files: string[]) =>
    cleanEnv({ AUTH0_DOMAIN: "acme-dev.eu.auth0.com", AUTH0_CLIENT_ID: "deployer", AUTH0_CLIENT_SECRET: "deployer-secret", LINKING_OUTDIR: outdir, TERRAFORM_BINARY: FAKE_TF, FAKE_TF_LOG: path.join(work, "calls.jsonl"), FAKE_TF_PLANS: files.join(",") });
  const calls = () => fs.readFileSync(path.join(work, "calls.jsonl"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { args: string[] }).args.filter((a) => a !== "-no-color").join(" "));

  test("half-done: plans again with both versions raised, says so in the comment, leaves no override behind", async () => {
    const md = path.join(work, "plan.md");
    const files = plans(
      planFrom(dev.secretVersion, dev.secretVersion - 1 || undefined, [{ address: ACTION_ADDRESS, actions: ["update"] }]),
      planFrom(dev.secretVersion, dev.secretVersion - 1 || undefined, [{ address: CREDENTIALS_ADDRESS, actions: ["update"] }, { address: ACTION_ADDRESS, actions: ["update"] }]),
    );
    const result = await runWithEnvironments(TEAM_LIKE, "plan", ["dev", "--markdown", md], env(files));
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(calls().filter((c) => c.startsWith("plan"))).toEqual(["plan -input=false -lock-timeout=10m -out=tfplan", "plan -input=false -lock-timeout=10m -out=tfplan"]);
    expect(result.stdout).toContain(`A secret write was left half-done (the application's secret is at version ${dev.secretVersion}`);
    expect(result.stdout).toContain(`this plan writes one fresh secret to both, as version ${dev.secretVersion + 1}`);
    expect(fs.readFileSync(md, "utf8")).toContain("A secret write was left half-done");
    expect(fs.existsSync(path.join(outdir, "stacks", "auth0-dev", HEAL_OVERRIDE_FILE))).toBe(false);
  });

  test("in step: one plan, no note", async () => {
    const files = plans(planFrom(dev.secretVersion, dev.secretVersion, [{ address: ACTION_ADDRESS, actions: ["update"] }]));
    const result = await runWithEnvironments(TEAM_LIKE, "plan", ["dev"], env(files));
    expect([result.code, result.stderr]).toEqual([0, ""]);
    expect(calls().filter((c) => c.startsWith("plan"))).toHaveLength(1);
    expect(result.stdout).not.toContain("half-done");
  });
});

// What the repair rests on, with the real Terraform (its built-in terraform_data, no download): an
// override file beside the configuration is taken into the saved plan, and applying that plan in
// another directory that has only the configuration (CI's apply job) still applies it.
withTerraform("an override file travels in the saved plan to an apply directory that never had it", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "heal-override-"));
  const tf = (dir: string, args: string[]) => {
    const r = spawnSync(realTerraform!.bin, [...args, "-no-color"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH, HOME: root, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" } });
    expect([args[0], r.status, r.stderr]).toEqual([args[0], 0, ""]);
    return r.stdout;
  };
  try {
    const config = JSON.stringify({ resource: { terraform_data: { linking: { input: 1 } } }, output: { version: { value: "${terraform_data.linking.output}" } } });
    const plan = path.join(root, "plan");
    const apply = path.join(root, "apply");
    fs.mkdirSync(plan);
    fs.mkdirSync(apply);
    fs.writeFileSync(path.join(plan, "cdk.tf.json"), config);
    fs.writeFileSync(path.join(plan, HEAL_OVERRIDE_FILE), JSON.stringify({ resource: { terraform_data: { linking: { input: 2 } } } }));
    tf(plan, ["init", "-input=false"]);
    tf(plan, ["plan", "-input=false", "-out=tfplan"]);
    fs.rmSync(path.join(plan, HEAL_OVERRIDE_FILE));
    fs.writeFileSync(path.join(apply, "cdk.tf.json"), config);
    fs.copyFileSync(path.join(plan, "tfplan"), path.join(apply, "approved.tfplan"));
    tf(apply, ["init", "-input=false"]);
    tf(apply, ["apply", "-input=false", "approved.tfplan"]);
    expect(JSON.parse(tf(apply, ["output", "-json"])).version.value).toBe(2);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
