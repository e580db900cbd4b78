// Used by the pull-request workflow (actions/github-script): creates the one comment that starts
// with `marker`, or updates it in place, so each environment keeps a single, current plan comment.
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

module.exports = { upsertComment };
