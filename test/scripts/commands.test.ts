// The operator commands' front doors: bad input fails at once, says what to set or run, and does
// nothing; and the plan/deploy orchestration around Terraform (a stand-in binary records calls).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsFor, findEnvironment, CliError } from "../../scripts/lib/target";
import { backendTokenEnv } from "../../scripts/lib/terraform";
import { resolveEnvironments, type EnvironmentConfig } from "../../stacks/config";
import { TEAM_LIKE } from "../stacks/fixtures";
import { DEPLOYER } from "../support/deployed-tenant";
import { ManagementApiEmulator } from "../support/management-api";
import { cleanEnv, runScript, runWithEnvironments, type ScriptResult } from "../support/run-script";
import { synthEnvironment, writeSynthOutdir } from "../support/synth";
import { OPENSSL_MISSING } from "../support/tls";

// The tests' own environments (dev, staging, prod), never the team's stacks/environments.ts:
// the commands run as processes with these in its place (test/support/environments-host.ts).
const all = resolveEnvironments(TEAM_LIKE);
const dev = all.find((e) => e.name === "dev")!;
const prod = all.find((e) => e.name === "prod")!;
const run = (command: string, args: string[], env: NodeJS.ProcessEnv, configs: EnvironmentConfig[] | { file: string } = TEAM_LIKE): Promise<ScriptResult> =>
  runWithEnvironments(configs, command, args, env);
const FIXTURES = path.join(__dirname, "fixtures");
const FAKE_TF = path.join(__dirname, "..", "support", "fake-terraform.js");
const creds = { AUTH0_DOMAIN: "acme-dev.eu.auth0.com", AUTH0_CLIENT_ID: "deployer", AUTH0_CLIENT_SECRET: "deployer-secret" };

function thrown(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return err as CliError;
  }
  throw new Error("expected a CliError");
}

describe("environment and credentials", () => {
  test("no environment: usage with the configured names, exit code 2", () => {
    const err = thrown(() => findEnvironment(undefined, "plan", all));
    expect(err.message).toBe("usage: npm run plan -- <environment>   (configured in stacks/environments.ts: dev, staging, prod)");
    expect(err.exitCode).toBe(2);
  });

  test("unknown environment", () => {
    expect(thrown(() => findEnvironment("qa", "deploy", all)).message).toBe('unknown environment "qa" (configured in stacks/environments.ts: dev, staging, prod)');
    expect(findEnvironment("auth0-prod", "deploy", all).name).toBe("prod");
  });

  test.each<[Record<string, string>, string]>([
    [{}, "auth0-dev (development tenant): missing AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET. Set AUTH0_DOMAIN and the Terraform deploy application's"],
    [{ AUTH0_DOMAIN: "a.auth0.com", AUTH0_CLIENT_ID: "x" }, "missing AUTH0_CLIENT_SECRET."],
    [{ AUTH0_DOMAIN: "a.auth0.com", AUTH0_CLIENT_ID: "x", AUTH0_CLIENT_ASSERTION_PRIVATE_KEY: "pem" }, "missing AUTH0_CLIENT_ASSERTION_SIGNING_ALG."],
    [{ AUTH0_DOMAIN: "https://a.auth0.com/", AUTH0_API_TOKEN: "t" }, 'AUTH0_DOMAIN must be a bare domain such as acme-dev.eu.auth0.com, got "https://a.auth0.com/"'],
  ])("refuses %j", (env, message) => {
    expect(thrown(() => credentialsFor(dev, env)).message).toContain(message);
  });

  test("accepts a client secret, private-key JWT or an API token", () => {
    expect(credentialsFor(dev, creds)).toMatchObject({ kind: "client_secret", domain: "acme-dev.eu.auth0.com" });
    expect(credentialsFor(dev, { AUTH0_DOMAIN: "A.auth0.com", AUTH0_CLIENT_ID: "x", AUTH0_CLIENT_ASSERTION_PRIVATE_KEY: "pem", AUTH0_CLIENT_ASSERTION_SIGNING_ALG: "RS256" })).toMatchObject({ kind: "private_key_jwt", domain: "a.auth0.com" });
    expect(credentialsFor(dev, { AUTH0_DOMAIN: "a.auth0.com", AUTH0_API_TOKEN: "t" })).toMatchObject({ kind: "api_token" });
  });

  test("an environment with a configured domain refuses another tenant's credentials", () => {
    expect(thrown(() => credentialsFor(prod, creds)).message).toBe(
      'auth0-prod (production tenant): AUTH0_DOMAIN is "acme-dev.eu.auth0.com" but environment "prod" is the tenant "acme.eu.auth0.com" (stacks/environments.ts, domain). Refusing to run against another tenant: load prod\'s credentials.',
    );
    expect(credentialsFor(prod, { ...creds, AUTH0_DOMAIN: "ACME.eu.auth0.com" }).domain).toBe("acme.eu.auth0.com");
  });
});

test("an HCP Terraform token reaches Terraform under the backend's hostname (custom hosts too)", () => {
  const cloud = (hostname?: string) => ({ ...dev, backend: { type: "cloud" as const, organization: "acme", workspace: "dev", ...(hostname ? { hostname } : {}) } });
  expect(backendTokenEnv(cloud(), { TF_CLOUD_TOKEN: "t1" })).toEqual({ TF_TOKEN_app_terraform_io: "t1" });
  expect(backendTokenEnv(cloud("tfe.corp-eu.example.com"), { TF_CLOUD_TOKEN: "t2" })).toEqual({ TF_TOKEN_tfe_corp__eu_example_com: "t2" });
  expect(backendTokenEnv(cloud(), {})).toEqual({});
  expect(backendTokenEnv(dev, { TF_CLOUD_TOKEN: "t3" })).toEqual({});
});

describe("npm run plan / deploy / verify as processes", () => {
  let outdir: string;
  let emptyOutdir: string;
  let work: string;
  const synthJson = synthEnvironment(dev).tf;
  // The post-login flow plan and deploy read (GET .../triggers/post-login/bindings, read:actions).
  const tenant = new ManagementApiEmulator();
  const LEGACY = { actionId: "0c0c0c0c-1111-4222-8333-444455556666", displayName: "Legacy rule port" };
  const ROLES = { actionId: "7d1c2f0e-5a4b-4c3d-9e8f-0a1b2c3d4e5f", displayName: "Add roles" };

  beforeAll(async () => {
    await tenant.start();
    outdir = writeSynthOutdir(synthJson, "auth0-dev");
    emptyOutdir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-empty-"));
  });
  afterAll(() => tenant.stop());
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "linking-tf-"));
    tenant.reset();
    tenant.addClient(DEPLOYER);
    tenant.postLoginBindings = [{ actionId: "a1", displayName: "Old linking" }, { actionId: "b2", displayName: "Add roles" }];
  });

  const fakeEnv = (plans: string[], extra: Record<string, string | undefined> = {}) =>
    cleanEnv({ AUTH0_DOMAIN: tenant.domain, AUTH0_CLIENT_ID: DEPLOYER.clientId, AUTH0_CLIENT_SECRET: DEPLOYER.clientSecret, LINKING_OUTDIR: outdir, TERRAFORM_BINARY: FAKE_TF, FAKE_TF_LOG: path.join(work, "calls.jsonl"), FAKE_TF_PLANS: plans.map((p) => path.join(FIXTURES, `plan-${p}.json`)).join(","), ...extra });
  const calls = (): string[] => {
    const file = path.join(work, "calls.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { args: string[] }).args.filter((a) => a !== "-no-color").join(" "));
  };

  test.each([
    ["plan", [], 2, "usage: npm run plan -- <environment>"],
    ["deploy", ["qa"], 2, 'unknown environment "qa"'],
    ["verify", ["dev", "prod"], 2, "npm run verify: one environment per run"],
    ["plan", ["dev", "--colour"], 2, "npm run plan: unknown option --colour (options: --no-color, --no-lock, --refresh-only, --github-output, --two-step, --for-apply, --allow-unbind, --markdown, --run-url, --commit)"],
  ])("%s %j fails with exit %i", async (command, args, code, message) => {
    const result = await run(command, args as string[], cleanEnv(creds));
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(`error: ${message}`);
  });

  test.each(["plan", "deploy", "verify"])("%s without credentials names the variables, touches nothing", async (command) => {
    const result = await run(command, ["dev"], fakeEnv(["create"], { AUTH0_DOMAIN: undefined, AUTH0_CLIENT_ID: undefined, AUTH0_CLIENT_SECRET: undefined }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: auth0-dev (development tenant): missing AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET.");
    expect(calls()).toEqual([]);
  });

  test("without a synth: says to run npm run synth", async () => {
    const result = await run("plan", ["dev"], fakeEnv(["create"], { LINKING_OUTDIR: emptyOutdir }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: auth0-dev: .*stacks\/auth0-dev\/cdk\.tf\.json not found\. Run "npm run synth" first\./);
  });

  test("without terraform: says what to install", async () => {
    const result = await run("plan", ["dev"], fakeEnv(["create"], { TERRAFORM_BINARY: path.join(work, "no-terraform") }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("terraform not found or not runnable");
    const old = await run("plan", ["dev"], fakeEnv(["create"], { FAKE_TF_VERSION: "1.9.8" }));
    expect(old.stderr).toContain("terraform 1.9.8 is too old: this project needs Terraform >= 1.11");
  });

  test("plan: init, plan to a file, show; writes the pull-request comment", async () => {
    const md = path.join(work, "plan.md");
    const result = await run("plan", ["dev", "--markdown", md, "--commit", "abcdef1234567890"], fakeEnv(["replace-bound-action"]));
    expect(result.code).toBe(0);
    expect(calls()).toEqual(["version -json", "init -input=false", "plan -input=false -lock-timeout=10m -out=tfplan", "show -json tfplan", "show tfplan"]);
    expect(result.stdout).toContain("auth0-dev: 1 to add, 1 to change, 1 to destroy");
    expect(result.stdout).toContain("!! bound_action_replaced");
    const body = fs.readFileSync(md, "utf8");
    expect(body).toContain("<!-- auth0-account-linking plan: auth0-dev -->");
    expect(body).toContain("> [!CAUTION]");
    expect(body).toContain("commit abcdef123456");
  });

  test("in CI, a plan on the local backend says in the comment that it starts from no state", async () => {
    const md = path.join(work, "plan.md");
    const result = await run("plan", ["dev", "--markdown", md], fakeEnv(["create"], { CI: "true" }));
    expect(result.code).toBe(0);
    expect(calls().filter((c) => c.startsWith("init") || c.startsWith("plan"))).toEqual(["init -input=false", "plan -input=false -lock-timeout=10m -out=tfplan"]);
    expect(fs.readFileSync(md, "utf8")).toContain("> [!NOTE]\n> auth0-dev uses the local backend: in CI there is no state, so this plan starts from an empty tenant.");
  });

  test("a failing plan still writes a comment that says so, and exits 1", async () => {
    const md = path.join(work, "plan.md");
    const result = await run("plan", ["dev", "--markdown", md], fakeEnv(["create"], { FAKE_TF_FAIL: "plan" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: terraform plan failed (exit 1)");
    const body = fs.readFileSync(md, "utf8");
    expect(body).toContain("the plan failed");
    expect(body).toContain("Error: plan failed in the fake terraform");
  });

  test("deploy applies exactly the saved plan, then prints outputs", async () => {
    const result = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["update"]));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(calls().slice(1)).toEqual(["init -input=false", "plan -input=false -lock-timeout=10m -out=tfplan", "show -json tfplan", "show tfplan", "apply -input=false -lock-timeout=10m tfplan", "output"]);
  });

  test("deploy with nothing to change applies nothing", async () => {
    const result = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["no-changes"]));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("auth0-dev (development tenant): no changes");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });

  test("deploy without a terminal and without --auto-approve refuses before applying", async () => {
    const result = await run("deploy", ["dev"], fakeEnv(["update"]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not a terminal, so nothing to confirm with: pass --auto-approve");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });

  test("deploy refuses a plan that replaces the bound Action (the 409 trap)", async () => {
    const result = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["replace-bound-action"]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("refusing to apply: the plan replaces the post-login Action auth0_action.linking_action");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });

  // Step plans for a removal: the binding alone, then the Action alone (what Terraform plans after step 1).
  function removalSteps(): { step1: string; step2: string; full: string } {
    const full = path.join(FIXTURES, "plan-remove-bound-action.json");
    const json = JSON.parse(fs.readFileSync(full, "utf8"));
    const step1 = path.join(work, "step1.json");
    const step2 = path.join(work, "step2.json");
    fs.writeFileSync(step1, JSON.stringify({ ...json, resource_changes: json.resource_changes.filter((c: { type: string }) => c.type !== "auth0_action") }));
    fs.writeFileSync(step2, JSON.stringify({ ...json, resource_changes: json.resource_changes.filter((c: { type: string }) => c.type === "auth0_action") }));
    return { step1, step2, full };
  }

  test("deploy removes a bound Action in two applies: the binding first, then the rest", async () => {
    const { step1, step2, full } = removalSteps();
    const env = fakeEnv([], { FAKE_TF_PLANS: [full, step1, step2].join(",") });
    const result = await run("deploy", ["dev", "--auto-approve"], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(calls().filter((c) => /^(plan|apply)/.test(c))).toEqual([
      "plan -input=false -lock-timeout=10m -out=tfplan",
      "plan -input=false -lock-timeout=10m -out=tfplan -target=auth0_trigger_actions.post_login_binding",
      "apply -input=false -lock-timeout=10m tfplan",
      "plan -input=false -lock-timeout=10m -out=tfplan",
      "apply -input=false -lock-timeout=10m tfplan",
    ]);
    // The Action being removed (a1) was bound by the stack: no confirmation flag needed.
    expect(result.stdout).toContain("  - Old linking (a1)\n");
  });

  test("step 1 applies only the binding change it announced: a targeted plan that pulls in more applies nothing", async () => {
    const { full } = removalSteps();
    const result = await run("deploy", ["dev", "--auto-approve"], fakeEnv([], { FAKE_TF_PLANS: [full, full].join(",") }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: auth0-dev: step 1 would apply delete auth0_action.linking_action, update auth0_trigger_actions.post_login_binding, not only the binding change it announced (auth0_trigger_actions.post_login_binding:update); nothing applied.");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });

  test("deploy stops after step 1 if step 2 plans something that was not reviewed", async () => {
    const { step1, full } = removalSteps();
    const env = fakeEnv([], { FAKE_TF_PLANS: [full, step1, path.join(FIXTURES, "plan-create.json")].join(",") });
    const result = await run("deploy", ["dev", "--auto-approve"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("step 2 plans changes that were not in the reviewed plan (create auth0_action.linking_action, create auth0_client.linking_client,");
    expect(calls().filter((c) => c.startsWith("apply"))).toHaveLength(1);
  });

  describe("the first deploy cannot silently empty the post-login flow", () => {
    beforeEach(() => {
      tenant.postLoginBindings = [LEGACY, ROLES];
    });

    test("plan lists, in the terminal and the comment, what the apply unbinds; it only reads the tenant", async () => {
      const md = path.join(work, "plan.md");
      const result = await run("plan", ["dev", "--markdown", md], fakeEnv(["first-deploy-owned"]));
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`post-login: the apply unbinds 1 Action(s) bound now (binding "owned" keeps only the stack's list):\n  - Legacy rule port (${LEGACY.actionId}), not bound by this stack`);
      expect(fs.readFileSync(md, "utf8")).toContain(`> - \`Legacy rule port\` (\`${LEGACY.actionId}\`), **not bound by this stack**`);
      expect(tenant.apiRequests().map((r) => `${r.method} ${r.path}`)).toEqual(["GET /api/v2/actions/triggers/post-login/bindings"]);
    });

    test("deploy refuses without --allow-unbind, naming the Actions and both ways out; nothing applied", async () => {
      const result = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["first-deploy-owned"]));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `error: auth0-dev: refusing to apply: it would unbind 1 post-login Action(s) this stack did not bind: "Legacy rule port" (${LEGACY.actionId}). ` +
          'To keep them, add them to extraPostLoginActions for "dev" in stacks/environments.ts; to remove them, run again with --allow-unbind (docs/operations.md, "The post-login trigger: who owns it").\n',
      );
      expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
      expect(tenant.postLoginBindings).toEqual([LEGACY, ROLES]);
    });

    // CI's apply job runs Terraform alone, so the plan job refuses to seal what deploy would refuse.
    test("plan --for-apply refuses the same, after writing the comment; no step output, so nothing is sealed", async () => {
      const md = path.join(work, "plan.md");
      const output = path.join(work, "github-output");
      fs.writeFileSync(output, "");
      const result = await run("plan", ["dev", "--for-apply", "--github-output", "--markdown", md], fakeEnv(["first-deploy-owned"], { GITHUB_OUTPUT: output }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: auth0-dev: refusing to apply: it would unbind 1 post-login Action(s) this stack did not bind: "Legacy rule port" (${LEGACY.actionId}).`);
      expect(fs.readFileSync(output, "utf8")).toBe("");
      const body = fs.readFileSync(md, "utf8");
      expect(body).toContain("**Not sealed for the apply job**: auth0-dev: refusing to apply");
      expect(body).toContain("Legacy rule port");
      const allowed = await run("plan", ["dev", "--for-apply", "--allow-unbind", "--github-output"], fakeEnv(["first-deploy-owned"], { GITHUB_OUTPUT: output }));
      expect([allowed.code, allowed.stderr]).toEqual([0, ""]);
      expect(fs.readFileSync(output, "utf8")).toMatch(/^changes=\d+\ndrifted=0\n$/);
      const alone = await run("plan", ["dev", "--allow-unbind"], fakeEnv(["first-deploy-owned"]));
      expect([alone.code, alone.stderr]).toEqual([2, "error: npm run plan: --allow-unbind goes with --for-apply (it decides whether the saved plan may be applied)\n"]);
    });

    test("plan --for-apply refuses a plan that replaces the bound Action", async () => {
      tenant.postLoginBindings = [];
      const result = await run("plan", ["dev", "--for-apply", "--allow-unbind"], fakeEnv(["replace-bound-action"]));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("error: auth0-dev: refusing to apply: the plan");
    });

    test("with --allow-unbind it applies", async () => {
      const result = await run("deploy", ["dev", "--auto-approve", "--allow-unbind"], fakeEnv(["first-deploy-owned"]));
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(calls().filter((c) => c.startsWith("apply"))).toEqual(["apply -input=false -lock-timeout=10m tfplan"]);
    });

    test("an Action bound from the dashboard since the last apply needs the flag too; nothing to unbind needs none", async () => {
      tenant.postLoginBindings = [{ actionId: "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", displayName: "Added in the dashboard" }, { actionId: "3f0a9c1e-2b4d-4e6f-8a0b-1c2d3e4f5a6b", displayName: "Account linking" }];
      const drifted = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["flow-changed-outside"]));
      expect(drifted.code).toBe(1);
      expect(drifted.stderr).toContain('this stack did not bind: "Added in the dashboard" (9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b)');
      tenant.postLoginBindings = [ROLES];
      const clean = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["first-deploy-owned"]));
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain("post-login: the apply unbinds nothing that is bound now.");
    });

    test("credentials that cannot read the flow: deploy refuses (unknown is not 'nothing')", async () => {
      tenant.addClient({ clientId: "no-actions", clientSecret: "no-actions-secret", scopes: ["read:clients"] });
      const result = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["first-deploy-owned"], { AUTH0_CLIENT_ID: "no-actions", AUTH0_CLIENT_SECRET: "no-actions-secret" }));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/error: auth0-dev: refusing to apply: this plan rewrites the post-login flow and could not read the post-login bindings of .*: 403: .*\(the credentials need read:actions\)\. Give the credentials read:actions, or pass --allow-unbind/);
      expect(result.stderr).not.toContain("no-actions-secret");
      expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
    });
  });

  describe("CI: plan with read-only state, apply a saved plan", () => {
    test("--no-lock plans without the state lock (read-only role); --refresh-only reports drift only", async () => {
      const md = path.join(work, "plan.md");
      const result = await run("plan", ["dev", "--no-lock", "--refresh-only", "--markdown", md], fakeEnv(["update"]));
      expect(result.code).toBe(0);
      expect(calls().filter((c) => c.startsWith("plan"))).toEqual(["plan -input=false -lock=false -refresh-only -out=tfplan"]);
      expect(result.stdout).toContain("  drifted: auth0_action.linking_action");
      expect(fs.readFileSync(md, "utf8")).toContain("Refresh-only plan: what changed in the tenant outside Terraform");
    });

    test("--github-output hands the change and drift counts to later jobs (the apply runs only when there are changes)", async () => {
      const out = path.join(work, "github-output");
      fs.writeFileSync(out, "");
      const result = await run("plan", ["dev", "--no-lock", "--github-output"], fakeEnv(["update"], { GITHUB_OUTPUT: out }));
      expect(result.code).toBe(0);
      expect(fs.readFileSync(out, "utf8")).toBe("changes=1\ndrifted=1\n");
      const none = await run("plan", ["dev", "--github-output"], fakeEnv(["no-changes"], { GITHUB_OUTPUT: undefined }));
      expect(none.stderr).toContain("error: --github-output: GITHUB_OUTPUT is not set");
    });

    test("deploy --plan applies that file as is: no new plan, lock timeout, outputs", async () => {
      const saved = path.join(work, "tfplan");
      fs.writeFileSync(saved, "binary plan");
      const result = await run("deploy", ["dev", "--plan", saved, "--auto-approve"], fakeEnv(["update"]));
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(calls().slice(1)).toEqual(["init -input=false", `show -json ${saved}`, `show ${saved}`, `apply -input=false -lock-timeout=10m ${saved}`, "output"]);
    });

    test("deploy --plan refuses a plan the state moved past, a missing file, and a removal that needs two applies", async () => {
      const saved = path.join(work, "tfplan");
      fs.writeFileSync(saved, "binary plan");
      const stale = await run("deploy", ["dev", "--plan", saved, "--auto-approve"], fakeEnv(["update"], { FAKE_TF_FAIL: "apply", FAKE_TF_FAIL_MESSAGE: "Error: Saved plan is stale" }));
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain(`error: auth0-dev: the state changed since ${saved} was planned (another apply ran): nothing applied. Plan again and review the new plan.`);
      const missing = await run("deploy", ["dev", "--plan", path.join(work, "nope"), "--auto-approve"], fakeEnv(["update"]));
      expect(missing.stderr).toContain("nope: no such file");
      const removal = await run("deploy", ["dev", "--plan", saved, "--auto-approve"], fakeEnv(["remove-bound-action"]));
      expect(removal.code).toBe(1);
      expect(removal.stderr).toContain('it removes the bound Action, which takes two applies (auth0_trigger_actions.post_login_binding first), and a saved plan is one. Save step 1 alone ("npm run plan -- dev --two-step")');
    });

    test("plan --two-step saves step 1 of a removal (the binding alone, checked) for the apply job; the next run plans step 2", async () => {
      const { step1, full } = removalSteps();
      const out = path.join(work, "github-output");
      const md = path.join(work, "plan.md");
      fs.writeFileSync(out, "");
      const result = await run("plan", ["dev", "--no-lock", "--two-step", "--github-output", "--markdown", md], fakeEnv([], { FAKE_TF_PLANS: [full, step1].join(","), GITHUB_OUTPUT: out }));
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(calls().filter((c) => c.startsWith("plan"))).toEqual(["plan -input=false -lock=false -out=tfplan", "plan -input=false -lock=false -out=tfplan -target=auth0_trigger_actions.post_login_binding"]);
      expect(fs.readFileSync(out, "utf8")).toBe("changes=1\ndrifted=0\n");
      expect(fs.readFileSync(md, "utf8")).toContain("> This plan removes the bound Action, which Auth0 deletes only once it is unbound: the saved plan is step 1 of 2 (auth0_trigger_actions.post_login_binding only).");
      // The saved step-1 plan is what deploy --plan then applies: a binding update alone.
      const saved = path.join(work, "tfplan");
      fs.writeFileSync(saved, "binary plan");
      const apply = await run("deploy", ["dev", "--plan", saved, "--auto-approve"], fakeEnv([], { FAKE_TF_PLANS: step1 }));
      expect(apply.stderr).toBe("");
      expect(apply.code).toBe(0);
      const pulledIn = await run("plan", ["dev", "--two-step"], fakeEnv([], { FAKE_TF_PLANS: [full, full].join(",") }));
      expect(pulledIn.code).toBe(1);
      expect(pulledIn.stderr).toContain("not only the binding change it announced");
    });
  });

  test("a plan that fails before Terraform runs still writes the comment, addressed to the environment's stack", async () => {
    const md = path.join(work, "plan.md");
    const result = await run("plan", ["dev", "--markdown", md], fakeEnv(["create"], { AUTH0_CLIENT_SECRET: undefined }));
    expect(result.code).toBe(1);
    const body = fs.readFileSync(md, "utf8");
    expect(body.split("\n")[0]).toBe("<!-- auth0-account-linking plan: auth0-dev -->");
    expect(body).toContain("the plan failed (before Terraform ran)");
    expect(body).toContain("error: auth0-dev (development tenant): missing AUTH0_CLIENT_SECRET.");
    const unknown = await run("plan", ["qa", "--markdown", md], fakeEnv(["create"]));
    expect(unknown.code).toBe(2);
    expect(fs.readFileSync(md, "utf8").split("\n")[0]).toBe("<!-- auth0-account-linking plan: auth0-qa -->");
  });

  test("plan, deploy and verify refuse a stale synth the same way, before Terraform runs or the tenant is read", async () => {
    const stale = writeSynthOutdir(synthJson, "auth0-dev", { stale: true });
    const said = 'error: auth0-dev: cdktf.out is older than action-src/ (the synthesized Action code differs from a fresh bundle). Run "npm run synth" first.\n';
    for (const [command, args] of [["plan", ["dev"]], ["deploy", ["dev", "--auto-approve"]], ["verify", ["dev"]]] as const) {
      const result = await run(command, [...args], fakeEnv(["update"], { LINKING_OUTDIR: stale }));
      expect([command, result.code, result.stderr]).toEqual([command, 1, said]);
    }
    expect(calls()).toEqual([]);
    expect(tenant.requests).toEqual([]);
  });

  test("deploy refuses a stale synth and, in CI, a local backend", async () => {
    const stale = writeSynthOutdir(synthJson, "auth0-dev", { stale: true });
    const staleRun = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["update"], { LINKING_OUTDIR: stale }));
    expect(staleRun.code).toBe(1);
    expect(staleRun.stderr).toContain('cdktf.out is older than action-src/ (the synthesized Action code differs from a fresh bundle). Run "npm run synth" first.');
    const ci = await run("deploy", ["dev", "--auto-approve"], fakeEnv(["update"], { CI: "true" }));
    expect(ci.code).toBe(1);
    expect(ci.stderr).toContain("auth0-dev uses the local backend: state written in CI is lost when the job ends");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });
});

describe("a mistake in stacks/environments.ts: every command says it as npm run synth does, once, with no stack trace", () => {
  const broken = [{ name: "dev", tenant: "" }, { name: "qa", tenant: "QA", binding: "append" }] as unknown as EnvironmentConfig[];
  const expected =
    'error: stacks/environments.ts: environment "dev": tenant must be a non-empty label for the tenant\n' +
    'error: stacks/environments.ts: environment "qa": binding must be "owned" or "additive", got "append"\n';

  test.each<[string, string[]]>([
    ["plan", ["dev"]],
    ["deploy", ["dev", "--auto-approve"]],
    ["verify", ["dev"]],
    ["backfill", ["dev", "--dry-run"]],
    ["environments", []],
  ])("%s %j: one error: line per problem, exit 1, nothing run", async (command, args) => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "linking-tf-"));
    const log = path.join(work, "calls.jsonl");
    const result = await run(command, args, cleanEnv({ ...creds, TERRAFORM_BINARY: FAKE_TF, FAKE_TF_LOG: log }), broken);
    expect(result.stderr).toBe(expected);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(fs.existsSync(log)).toBe(false);
  });

  test.each<[string, string[]]>([
    ["plan", ["dev"]],
    ["backfill", ["dev", "--dry-run"]],
    ["deploy", ["dev", "--auto-approve"]],
    ["verify", ["dev"]],
    ["environments", []],
  ])("%s %j with a file that does not compile (a missing comma): one line, file:line:column and what was expected", async (command, args) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-envs-"));
    const file = path.join(dir, "environments.ts");
    fs.writeFileSync(file, 'export const environments = [\n  { name: "dev", tenant: "d" }\n  { name: "prod", tenant: "p" },\n];\n');
    const result = await run(command, args, cleanEnv(creds), { file });
    expect(result.stderr).toMatch(/^error: \S*environments\.ts:3:3: ',' expected\. Fix the file and run again\.\n$/);
    expect(result.code).toBe(1);
  });

  test("plan --markdown still writes the comment, with the problems", async () => {
    const md = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "linking-md-")), "plan.md");
    const result = await run("plan", ["dev", "--markdown", md], cleanEnv(creds), broken);
    expect(result.stderr).toBe(expected);
    const body = fs.readFileSync(md, "utf8");
    expect(body.split("\n")[0]).toBe("<!-- auth0-account-linking plan: auth0-dev -->");
    expect(body).toContain("the plan failed (before Terraform ran)");
    expect(body).toContain('environment "qa": binding must be "owned" or "additive", got "append"');
  });
});

test("without openssl, npm run simulate says what to install (one error: line)", async () => {
  // A PATH with node's own directory only: no openssl on it (checked, so the test cannot pass by accident).
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "linking-path-"));
  fs.symlinkSync(process.execPath, path.join(bin, "node"));
  expect(fs.readdirSync(bin)).toEqual(["node"]);
  const result = await runScript("simulate", ["github-then-password"], cleanEnv({ PATH: bin }));
  expect(result.stderr).toBe(`error: ${OPENSSL_MISSING}\n`);
  expect(result.code).toBe(1);
  expect(OPENSSL_MISSING).toContain("apt-get install openssl");
});
