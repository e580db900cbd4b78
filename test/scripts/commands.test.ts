// The operator commands' front doors: bad input fails at once, says what to set or run, and does
// nothing; and the plan/deploy orchestration around Terraform (a stand-in binary records calls).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { credentialsFor, findEnvironment, CliError } from "../../scripts/lib/target";
import { cleanEnv, runScript } from "../support/run-script";
import { configured, synthEnvironment, writeSynthOutdir } from "../support/synth";

const all = configured();
const dev = all.find((e) => e.name === "dev")!;
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
    const prod = { ...dev, name: "prod", stackName: "auth0-prod", tenant: "production tenant", domain: "acme.eu.auth0.com" };
    expect(thrown(() => credentialsFor(prod, creds)).message).toBe(
      'auth0-prod (production tenant): AUTH0_DOMAIN is "acme-dev.eu.auth0.com" but environment "prod" is the tenant "acme.eu.auth0.com" (stacks/environments.ts, domain). Refusing to run against another tenant: load prod\'s credentials.',
    );
    expect(credentialsFor(prod, { ...creds, AUTH0_DOMAIN: "ACME.eu.auth0.com" }).domain).toBe("acme.eu.auth0.com");
  });
});

describe("npm run plan / deploy / verify as processes", () => {
  let outdir: string;
  let emptyOutdir: string;
  let work: string;
  const synthJson = synthEnvironment(dev).tf;

  beforeAll(() => {
    outdir = writeSynthOutdir(synthJson, "auth0-dev");
    emptyOutdir = fs.mkdtempSync(path.join(os.tmpdir(), "linking-empty-"));
  });
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "linking-tf-"));
  });

  const fakeEnv = (plans: string[], extra: Record<string, string | undefined> = {}) =>
    cleanEnv({ ...creds, LINKING_OUTDIR: outdir, TERRAFORM_BINARY: FAKE_TF, FAKE_TF_LOG: path.join(work, "calls.jsonl"), FAKE_TF_PLANS: plans.map((p) => path.join(FIXTURES, `plan-${p}.json`)).join(","), ...extra });
  const calls = (): string[] => {
    const file = path.join(work, "calls.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { args: string[] }).args.filter((a) => a !== "-no-color").join(" "));
  };

  test.each([
    ["plan", [], 2, "usage: npm run plan -- <environment>"],
    ["deploy", ["qa"], 2, 'unknown environment "qa"'],
    ["verify", ["dev", "prod"], 2, "npm run verify: one environment per run"],
    ["plan", ["dev", "--colour"], 2, "npm run plan: unknown option --colour (options: --no-color, --markdown, --run-url, --commit)"],
  ])("%s %j fails with exit %i", async (command, args, code, message) => {
    const result = await runScript(command, args as string[], cleanEnv(creds));
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(`error: ${message}`);
  });

  test.each(["plan", "deploy", "verify"])("%s without credentials names the variables, touches nothing", async (command) => {
    const result = await runScript(command, ["dev"], fakeEnv(["create"], { AUTH0_DOMAIN: undefined, AUTH0_CLIENT_ID: undefined, AUTH0_CLIENT_SECRET: undefined }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: auth0-dev (development tenant): missing AUTH0_DOMAIN, AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET.");
    expect(calls()).toEqual([]);
  });

  test("without a synth: says to run npm run synth", async () => {
    const result = await runScript("plan", ["dev"], fakeEnv(["create"], { LINKING_OUTDIR: emptyOutdir }));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: auth0-dev: .*stacks\/auth0-dev\/cdk\.tf\.json not found\. Run "npm run synth" first\./);
  });

  test("without terraform: says what to install", async () => {
    const result = await runScript("plan", ["dev"], fakeEnv(["create"], { TERRAFORM_BINARY: path.join(work, "no-terraform") }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("terraform not found or not runnable");
    const old = await runScript("plan", ["dev"], fakeEnv(["create"], { FAKE_TF_VERSION: "1.9.8" }));
    expect(old.stderr).toContain("terraform 1.9.8 is too old: this project needs Terraform >= 1.11");
  });

  test("plan: init, plan to a file, show; writes the pull-request comment", async () => {
    const md = path.join(work, "plan.md");
    const result = await runScript("plan", ["dev", "--markdown", md, "--commit", "abcdef1234567890"], fakeEnv(["replace-bound-action"]));
    expect(result.code).toBe(0);
    expect(calls()).toEqual(["version -json", "init -input=false", "plan -input=false -lock-timeout=5m -out=tfplan", "show -json tfplan", "show tfplan"]);
    expect(result.stdout).toContain("auth0-dev: 1 to add, 1 to change, 1 to destroy");
    expect(result.stdout).toContain("!! bound_action_replaced");
    const body = fs.readFileSync(md, "utf8");
    expect(body).toContain("<!-- auth0-account-linking plan: auth0-dev -->");
    expect(body).toContain("> [!CAUTION]");
    expect(body).toContain("commit abcdef123456");
  });

  test("in CI, a plan on the local backend says in the comment that it starts from no state", async () => {
    const md = path.join(work, "plan.md");
    const result = await runScript("plan", ["dev", "--markdown", md], fakeEnv(["create"], { CI: "true" }));
    expect(result.code).toBe(0);
    expect(calls().filter((c) => c.startsWith("init") || c.startsWith("plan"))).toEqual(["init -input=false", "plan -input=false -lock-timeout=5m -out=tfplan"]);
    expect(fs.readFileSync(md, "utf8")).toContain("> [!NOTE]\n> auth0-dev uses the local backend: in CI there is no state, so this plan starts from an empty tenant.");
  });

  test("a failing plan still writes a comment that says so, and exits 1", async () => {
    const md = path.join(work, "plan.md");
    const result = await runScript("plan", ["dev", "--markdown", md], fakeEnv(["create"], { FAKE_TF_FAIL: "plan" }));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: terraform plan failed (exit 1)");
    const body = fs.readFileSync(md, "utf8");
    expect(body).toContain("the plan failed");
    expect(body).toContain("Error: plan failed in the fake terraform");
  });

  test("deploy applies exactly the saved plan, then prints outputs", async () => {
    const result = await runScript("deploy", ["dev", "--auto-approve"], fakeEnv(["update"]));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(calls().slice(1)).toEqual(["init -input=false", "plan -input=false -lock-timeout=5m -out=tfplan", "show -json tfplan", "show tfplan", "apply -input=false tfplan", "output"]);
  });

  test("deploy with nothing to change applies nothing", async () => {
    const result = await runScript("deploy", ["dev", "--auto-approve"], fakeEnv(["no-changes"]));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("auth0-dev (development tenant): no changes");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });

  test("deploy without a terminal and without --auto-approve refuses before applying", async () => {
    const result = await runScript("deploy", ["dev"], fakeEnv(["update"]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not a terminal, so nothing to confirm with: pass --auto-approve");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });

  test("deploy refuses a plan that replaces the bound Action (the 409 trap)", async () => {
    const result = await runScript("deploy", ["dev", "--auto-approve"], fakeEnv(["replace-bound-action"]));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("refusing to apply: the plan replaces the post-login Action auth0_action.linking_action");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });

  test("deploy removes a bound Action in two applies: the binding first, then the rest", async () => {
    const dir = work;
    const step1 = path.join(dir, "step1.json");
    const step2 = path.join(dir, "step2.json");
    const full = JSON.parse(fs.readFileSync(path.join(FIXTURES, "plan-remove-bound-action.json"), "utf8"));
    fs.writeFileSync(step1, JSON.stringify({ ...full, resource_changes: full.resource_changes.filter((c: { type: string }) => c.type !== "auth0_action") }));
    fs.writeFileSync(step2, JSON.stringify({ ...full, resource_changes: full.resource_changes.filter((c: { type: string }) => c.type === "auth0_action") }));
    const env = fakeEnv([], { FAKE_TF_PLANS: [path.join(FIXTURES, "plan-remove-bound-action.json"), step1, step2].join(",") });
    const result = await runScript("deploy", ["dev", "--auto-approve"], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(calls().filter((c) => /^(plan|apply)/.test(c))).toEqual([
      "plan -input=false -lock-timeout=5m -out=tfplan",
      "plan -input=false -lock-timeout=5m -out=tfplan -target=auth0_trigger_actions.post_login_binding",
      "apply -input=false tfplan",
      "plan -input=false -lock-timeout=5m -out=tfplan",
      "apply -input=false tfplan",
    ]);
  });

  test("deploy stops after step 1 if step 2 plans something that was not reviewed", async () => {
    const env = fakeEnv(["remove-bound-action", "remove-bound-action", "create"]);
    const result = await runScript("deploy", ["dev", "--auto-approve"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("step 2 plans changes that were not in the reviewed plan (create auth0_action.linking_action, create auth0_client.linking_client,");
    expect(calls().filter((c) => c.startsWith("apply"))).toHaveLength(1);
  });

  test("deploy refuses a stale synth and, in CI, a local backend", async () => {
    const stale = writeSynthOutdir(synthJson, "auth0-dev", { stale: true });
    const staleRun = await runScript("deploy", ["dev", "--auto-approve"], fakeEnv(["update"], { LINKING_OUTDIR: stale }));
    expect(staleRun.code).toBe(1);
    expect(staleRun.stderr).toContain('cdktf.out is older than action-src/ (the synthesized Action code differs from a fresh bundle). Run "npm run synth" first.');
    const ci = await runScript("deploy", ["dev", "--auto-approve"], fakeEnv(["update"], { CI: "true" }));
    expect(ci.code).toBe(1);
    expect(ci.stderr).toContain("auth0-dev uses the local backend: state written in CI is lost when the job ends");
    expect(calls().some((c) => c.startsWith("apply"))).toBe(false);
  });
});
