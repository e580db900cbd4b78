// scripts/ci/check-settings.sh against a stand-in `gh` that answers the REST calls it makes the way
// `gh api` does (its --jq applied by jq): a repository set up as docs/delivery.md says passes; each
// setting the model relies on, when off, is one line naming it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.resolve(__dirname, "..", "..", "scripts", "ci", "check-settings.sh");
const hasJq = spawnSync("jq", ["--version"]).status === 0;
const withJq = hasJq ? test : test.skip;

type Answers = Record<string, unknown>;

const good = (): Answers => ({
  "branches/main/protection": {
    required_pull_request_reviews: { required_approving_review_count: 1, dismiss_stale_reviews: true, require_code_owner_reviews: true },
    enforce_admins: { enabled: true },
    allow_force_pushes: { enabled: false },
    allow_deletions: { enabled: false },
    required_status_checks: { contexts: ["Test and synth"] },
  },
  "contents/.github/CODEOWNERS": { content: Buffer.from("/stacks/ @acme/identity\n/action-src/ @acme/identity\n/.github/ @acme/identity\n").toString("base64") },
  environments: {
    environments: [
      { name: "auth0-prod", deployment_branch_policy: { protected_branches: true }, protection_rules: [{ type: "required_reviewers", prevent_self_review: true }], can_admins_bypass: false },
      { name: "auth0-prod-plan", deployment_branch_policy: { protected_branches: true }, protection_rules: [], can_admins_bypass: true },
      { name: "auth0-dev-plan", deployment_branch_policy: null, protection_rules: [], can_admins_bypass: true },
      { name: "auth0-dev", deployment_branch_policy: { protected_branches: true }, protection_rules: [], can_admins_bypass: true },
    ],
  },
  "actions/oidc/customization/sub": { use_default: false, include_claim_keys: ["repo", "context", "ref", "job_workflow_ref"] },
});

function check(answers: Answers): { status: number | null; stdout: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-settings-"));
  try {
    fs.writeFileSync(path.join(dir, "answers.json"), JSON.stringify(answers));
    // gh api repos/acme/linking/<path> [--paginate] [--jq <filter>]: the answer, through jq when asked.
    fs.writeFileSync(
      path.join(dir, "gh"),
      `#!/usr/bin/env bash
key="\${2#repos/acme/linking/}"
filter="."
while [ $# -gt 0 ]; do [ "$1" = "--jq" ] && filter="$2"; shift; done
answer="$(jq -c --arg k "$key" '.[$k] // empty' "${dir}/answers.json")"
[ -n "$answer" ] || { echo "gh: Not Found (HTTP 404)" >&2; exit 1; }
jq -r "$filter" <<<"$answer"
`,
      { mode: 0o755 },
    );
    const result = spawnSync("bash", [SCRIPT, "acme/linking", "prod"], { encoding: "utf8", env: { PATH: `${dir}:${process.env.PATH}` } });
    return { status: result.status, stdout: result.stdout };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

withJq("a repository set up as the docs say passes", () => {
  expect(check(good())).toEqual({ status: 0, stdout: "repository settings: as docs/delivery.md says (the cloud roles are not checked here)\n" });
});

withJq("each setting the model relies on, when off, is one line", () => {
  const answers = good() as Record<string, any>;
  answers["branches/main/protection"].enforce_admins.enabled = false;
  answers["branches/main/protection"].required_pull_request_reviews.require_code_owner_reviews = false;
  answers["contents/.github/CODEOWNERS"] = { content: Buffer.from("/stacks/ @acme/identity\n").toString("base64") };
  answers.environments.environments[0] = { name: "auth0-prod", deployment_branch_policy: null, protection_rules: [{ type: "required_reviewers", prevent_self_review: false }], can_admins_bypass: true };
  answers.environments.environments[1].deployment_branch_policy = null;
  answers["actions/oidc/customization/sub"] = { use_default: true };
  const result = check(answers);
  expect(result.status).toBe(1);
  expect(result.stdout.trim().split("\n")).toEqual([
    "setting: main: code owner review is not required",
    "setting: main: administrators can bypass the protection",
    "setting: CODEOWNERS names no owner for action-src/",
    "setting: CODEOWNERS names no owner for .github/",
    "setting: auth0-prod: any branch may deploy to it (deployment branches: main only)",
    'setting: auth0-prod: "prevent self-review" is off',
    "setting: auth0-prod: administrators can bypass its protection rules",
    "setting: auth0-prod-plan: any branch may deploy to it (deployment branches: main only)",
    "setting: the OIDC subject claim does not carry repo, context, ref and job_workflow_ref (the deploy role cannot require main and the deploy workflow)",
    "9 setting(s) differ from docs/delivery.md",
  ]);
});

withJq("no protection, no CODEOWNERS, no environments", () => {
  const result = check({});
  expect(result.status).toBe(1);
  expect(result.stdout).toContain("setting: main has no branch protection");
  expect(result.stdout).toContain("setting: no CODEOWNERS file");
  expect(result.stdout).toContain("setting: no GitHub Environments");
});
