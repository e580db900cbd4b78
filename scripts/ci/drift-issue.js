// Used by the drift workflow (actions/github-script): one open issue per environment while its
// tenant differs from what was last deployed to it; updated on every run that still finds drift,
// closed by the first run that finds none.
const LABEL = "drift";

function driftTitle(stack) {
  return `Drift: ${stack} differs from what was last deployed`;
}

async function reportDrift({ github, context, stack, drifted, body, runUrl }) {
  const { owner, repo } = context.repo;
  const title = driftTitle(stack);
  const open = await github.paginate(github.rest.issues.listForRepo, { owner, repo, state: "open", labels: LABEL, per_page: 100 });
  const existing = open.find((i) => i.title === title && !i.pull_request);
  if (drifted) {
    if (existing) {
      await github.rest.issues.update({ owner, repo, issue_number: existing.number, body });
      await github.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: `Still drifted: [run](${runUrl}).` });
      return "updated";
    }
    await github.rest.issues.create({ owner, repo, title, body, labels: [LABEL] });
    return "opened";
  }
  if (existing) {
    await github.rest.issues.createComment({ owner, repo, issue_number: existing.number, body: `No drift any more: [run](${runUrl}). Closing.` });
    await github.rest.issues.update({ owner, repo, issue_number: existing.number, state: "closed", state_reason: "completed" });
    return "closed";
  }
  return "clean";
}

/** The workflows whose runs deploy (the apply job of deploy-environment.yml, called by these). */
const DEPLOY_WORKFLOWS = [".github/workflows/deploy.yml", ".github/workflows/deploy-one.yml"];

/**
 * Why a successful deployment record is not evidence of a deploy, or "" when it is. Anyone with
 * `deployments: write` can create a deployment and mark it successful through the REST API, so a
 * record counts only when a workflow created it (github-actions[bot]), its status links a run of
 * one of the deploy workflows on main for that very commit, and main contains the commit.
 */
async function untrustedDeployment({ github, context, deployment, status, workflows = DEPLOY_WORKFLOWS, branch = "main" }) {
  const { owner, repo } = context.repo;
  const creator = deployment.creator && deployment.creator.login;
  if (creator !== "github-actions[bot]") return `created by ${creator || "unknown"}, not by a workflow run`;
  const runId = /\/actions\/runs\/(\d+)/.exec(`${status.log_url || ""} ${status.target_url || ""}`);
  if (!runId) return "its status names no workflow run";
  const { data: run } = await github.rest.actions.getWorkflowRun({ owner, repo, run_id: Number(runId[1]) });
  const path = String(run.path || "").split("@")[0];
  if (!workflows.includes(path)) return `made by ${path || "an unknown workflow"}, not a deploy workflow`;
  if (run.head_branch !== branch || run.head_sha !== deployment.sha) return `its run deployed ${String(run.head_sha).slice(0, 12)} from ${run.head_branch}, not this commit from ${branch}`;
  const { data: compare } = await github.rest.repos.compareCommitsWithBasehead({ owner, repo, basehead: `${deployment.sha}...${branch}`, per_page: 1 });
  if (compare.status !== "ahead" && compare.status !== "identical") return `${branch} does not contain it (${compare.status})`;
  return "";
}

/**
 * The commit last deployed to a GitHub Environment by the deploy workflow (the apply jobs run in
 * `auth0-<env>`, so GitHub records a deployment per apply), or "" when there is none; `skipped`
 * lists the newer successful records that were refused, and why.
 */
async function lastDeployedCommit({ github, context, environment, workflows = DEPLOY_WORKFLOWS }) {
  const { owner, repo } = context.repo;
  const skipped = [];
  for (let page = 1; page <= 5; page++) {
    const { data: deployments } = await github.rest.repos.listDeployments({ owner, repo, environment, per_page: 30, page });
    for (const d of deployments) {
      const { data: statuses } = await github.rest.repos.listDeploymentStatuses({ owner, repo, deployment_id: d.id, per_page: 10 });
      // Newest status first: a deployment counts when its latest word is success.
      if (statuses.length === 0 || statuses[0].state !== "success") continue;
      const why = await untrustedDeployment({ github, context, deployment: d, status: statuses[0], workflows });
      if (!why) return { sha: d.sha, skipped };
      skipped.push(`deployment ${d.id} (${String(d.sha).slice(0, 12)}): ${why}`);
    }
    if (deployments.length < 30) break;
  }
  return { sha: "", skipped };
}

module.exports = { reportDrift, lastDeployedCommit, untrustedDeployment, driftTitle, LABEL, DEPLOY_WORKFLOWS };
