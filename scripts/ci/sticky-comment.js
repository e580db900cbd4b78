// Used by the pull-request workflow (actions/github-script): creates the one comment that starts
// with `marker`, or updates it in place, so each environment keeps a single, current plan comment.
const fs = require("fs");

async function upsertComment({ github, context, marker, body }) {
  if (!body.startsWith(marker)) throw new Error(`the comment body must start with its marker ${marker}`);
  const { owner, repo } = context.repo;
  const issue_number = context.payload.pull_request.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  // Only our own (bot) comments: a person quoting the marker must not have their comment replaced.
  const existing = comments.find((c) => c.user && c.user.type === "Bot" && typeof c.body === "string" && c.body.startsWith(marker));
  if (existing) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return "updated";
  }
  await github.rest.issues.createComment({ owner, repo, issue_number, body });
  return "created";
}

function planMarker(stack) {
  return `<!-- auth0-account-linking plan: ${stack} -->`;
}

/**
 * The plan job's comment (`file`, written by `npm run plan --markdown`), or, when the job failed
 * before writing one (install, synth download, a crash), a failure notice: the comment for an
 * older commit is replaced either way and never stands for this one.
 */
async function commentPlan({ github, context, stack, file, runUrl, commit }) {
  const marker = planMarker(stack);
  const written = file && fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  const body = written.startsWith(marker)
    ? written
    : [
        marker,
        `### :x: Plan for \`${stack}\`: the plan job failed before it could plan`,
        "",
        `Nothing was planned for commit ${String(commit || "").slice(0, 12)}. The [CI run](${runUrl}) says why.`,
        "",
      ].join("\n");
  return upsertComment({ github, context, marker, body });
}

module.exports = { upsertComment, commentPlan, planMarker };
