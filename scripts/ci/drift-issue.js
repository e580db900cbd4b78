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

/**
 * The commit last deployed successfully to a GitHub Environment (the apply jobs run in
 * `auth0-<env>`, so GitHub records a deployment per apply), or "" when there is none.
 */
async function lastDeployedCommit({ github, context, environment }) {
  const { owner, repo } = context.repo;
  for (let page = 1; page <= 5; page++) {
    const { data: deployments } = await github.rest.repos.listDeployments({ owner, repo, environment, per_page: 30, page });
    for (const d of deployments) {
      const { data: statuses } = await github.rest.repos.listDeploymentStatuses({ owner, repo, deployment_id: d.id, per_page: 10 });
      // Newest status first: a deployment counts when its latest word is success.
      if (statuses.length > 0 && statuses[0].state === "success") return d.sha;
    }
    if (deployments.length < 30) break;
  }
  return "";
}

module.exports = { reportDrift, lastDeployedCommit, driftTitle, LABEL };
